"""A fake Google Ads REST API serving an AccountHistory: search pages and searchStream batches."""

from __future__ import annotations

import datetime as dt
import json
import re
from decimal import Decimal
from typing import Any
from urllib.parse import parse_qs

from tests.fakes.history import AccountHistory, FakeMetric
from tests.fakes.server import FailurePlan, FakePlatform, FakeRequest, FakeResponse

GOOGLE_OBJECTIVES = (
    "SEARCH|MANUAL_CPC",
    "PERFORMANCE_MAX|MAXIMIZE_CONVERSIONS",
    "DISPLAY|TARGET_CPM",
    "VIDEO|MANUAL_CPV",
)
# Versions Google answers as of December 2026: v22 was sunset on 2026-10-07.
SERVED_VERSIONS = ("v23", "v24", "v25", "v26")
# GAQL fields by the version that removed them, and by the one that added them: v23 replaced
# campaign.start_date/end_date with start_date_time/end_date_time ("yyyy-MM-dd HH:mm:ss").
REMOVED_FIELDS = {"campaign.start_date": 23, "campaign.end_date": 23}
ADDED_FIELDS = {"campaign.start_date_time": 23, "campaign.end_date_time": 23}


def _error(code: int, status: str, message: str, details: list | None = None) -> FakeResponse:
    error = {"code": code, "message": message, "status": status}
    if details:
        error["details"] = details
    return FakeResponse(code, json.dumps({"error": error}).encode())


def _failure(version: str, request_id: str, errors: list[dict[str, Any]]) -> dict[str, Any]:
    """A GoogleAdsFailure, as it travels in error.details of a REST error body."""
    return {
        "@type": f"type.googleapis.com/google.ads.googleads.{version}.errors.GoogleAdsFailure",
        "errors": errors,
        "requestId": request_id,
    }


def _selected_fields(query: str) -> list[str]:
    match = re.match(r"SELECT (.+?) FROM ", query)
    return [name.strip() for name in match.group(1).split(",")] if match else []


class FakeGoogleAds(FakePlatform):
    def __init__(
        self,
        history: AccountHistory,
        *,
        customer_id: str = "1234567890",
        token: str = "google-test-token",
        page_size: int = 3,
        stream_batch_size: int = 40,
        retry_delay: str = "30s",
        failures: FailurePlan | None = None,
    ):
        super().__init__(token=token, failures=failures)
        self.history = history
        self.customer_id = customer_id
        self.page_size = page_size
        self.stream_batch_size = stream_batch_size
        self.retry_delay = retry_delay
        self.refresh_token = "google-refresh-token"
        self.token_exchanges = 0
        # What customers/{id} answers to `SELECT … FROM customer` (ingest --check).
        self.descriptive_name = "Wompi Colombia"
        self.versions = set(SERVED_VERSIONS)

    def handle(self, request: FakeRequest) -> FakeResponse:
        if request.path == "/token":
            return self._token(request)
        return super().handle(request)

    def _token(self, request: FakeRequest) -> FakeResponse:
        """Google's OAuth token endpoint, for the refresh-token grant only."""
        form = {k: v[-1] for k, v in parse_qs(request.body.decode()).items()}
        if form.get("grant_type") != "refresh_token" or form.get("refresh_token") != (
            self.refresh_token
        ):
            body = {
                "error": "invalid_grant",
                "error_description": "Token has been expired or revoked.",
            }
            return FakeResponse(400, json.dumps(body).encode())
        self.token_exchanges += 1
        body = {"access_token": self.token, "expires_in": 3599, "token_type": "Bearer"}
        return FakeResponse(200, json.dumps(body).encode())

    def auth_error_response(self, request: FakeRequest) -> FakeResponse:
        return _error(
            401,
            "UNAUTHENTICATED",
            "Request had invalid authentication credentials. Expected OAuth 2 access token, "
            "login cookie or other valid authentication credential.",
        )

    def throttle_response(self, request: FakeRequest) -> FakeResponse:
        version = request.path.split("/")[1]
        failure = _failure(
            version,
            f"req-{request.call}",
            [
                {
                    "errorCode": {"quotaError": "RESOURCE_EXHAUSTED"},
                    "message": "Too many requests. Retry in 30 seconds.",
                    "details": {
                        "quotaErrorDetails": {
                            "rateScope": "ACCOUNT",
                            "rateName": "Requests per service per method",
                            "retryDelay": self.retry_delay,
                        }
                    },
                }
            ],
        )
        return _error(
            429, "RESOURCE_EXHAUSTED", "Resource has been exhausted (e.g. check quota).", [failure]
        )

    def server_error_response(self, request: FakeRequest) -> FakeResponse:
        return _error(503, "UNAVAILABLE", "The service is currently unavailable.")

    def version_refusal(self, request: FakeRequest) -> FakeResponse | None:
        match = re.match(r"/(v\d+)/", request.path)
        if match and match.group(1) in self.versions:
            return None
        # A sunset version's methods are gone: the front end answers 404 NOT_FOUND.
        return _error(404, "NOT_FOUND", "Method not found.")

    def answer(self, request: FakeRequest) -> FakeResponse:
        match = re.fullmatch(
            r"/v(\d+)/customers/(\d+)/googleAds:(search|searchStream)", request.path
        )
        if request.method != "POST" or not match:
            return _error(404, "NOT_FOUND", f"No route for {request.method} {request.path}")
        version = int(match.group(1))
        if match.group(2) != self.customer_id:
            return _error(403, "PERMISSION_DENIED", "The caller does not have permission")
        body = request.json()
        query = " ".join(body.get("query", "").split())
        if "pageSize" in body:
            return _error(400, "INVALID_ARGUMENT", "PAGE_SIZE_NOT_SUPPORTED")
        unknown = [
            name
            for name in _selected_fields(query)
            if version >= REMOVED_FIELDS.get(name, 999) or version < ADDED_FIELDS.get(name, 0)
        ]
        if unknown:
            return self._unrecognized(f"v{version}", request, unknown)
        rows, field_mask = self._rows(query)
        if rows is None:
            return _error(400, "INVALID_ARGUMENT", f"This fake cannot answer: {query}")
        if match.group(3) == "searchStream":
            size = self.stream_batch_size
            batches = [
                {"results": rows[i : i + size], "fieldMask": field_mask, "requestId": "r1"}
                for i in range(0, len(rows), size)
            ] or [{"fieldMask": field_mask, "requestId": "r1"}]
            return FakeResponse(200, json.dumps(batches).encode())
        offset = int(body.get("pageToken") or 0)
        page: dict[str, Any] = {"fieldMask": field_mask}
        if rows[offset : offset + self.page_size]:
            page["results"] = rows[offset : offset + self.page_size]
        if offset + self.page_size < len(rows):
            page["nextPageToken"] = str(offset + self.page_size)
        return FakeResponse(200, json.dumps(page).encode())

    def _unrecognized(self, version: str, request: FakeRequest, names: list[str]) -> FakeResponse:
        """Google's answer to a query naming a field this version does not have."""
        errors = [
            {
                "errorCode": {"queryError": "UNRECOGNIZED_FIELD"},
                "message": f"Unrecognized field in the query: '{name}'.",
                "location": {"fieldPathElements": [{"fieldName": "query"}]},
            }
            for name in names
        ]
        return _error(
            400,
            "INVALID_ARGUMENT",
            "Request contains an invalid argument.",
            [_failure(version, f"req-{request.call}", errors)],
        )

    def _rows(self, query: str) -> tuple[list[dict[str, Any]] | None, str]:
        if query.endswith("FROM campaign"):
            return [self._campaign(c) for c in self.history.campaigns], "campaign.id,…"
        if re.search(r"FROM customer( LIMIT 1)?$", query):
            return [self._customer()], "customer.id,customer.descriptive_name,…"
        if "FROM asset" in query:
            return [self._asset(c) for c in self.history.creatives], "asset.resource_name,…"
        if "FROM ad_group_ad" in query and "segments.date" in query:
            dates = re.search(r"BETWEEN '(\S+)' AND '(\S+)'", query)
            if not dates:
                return None, ""
            since, until = (dt.date.fromisoformat(d) for d in dates.groups())
            metrics = sorted(
                self.history.metrics_between(since, until), key=lambda m: (m.date, m.ad_id)
            )
            return [self._metric(m) for m in metrics], "segments.date,metrics.impressions,…"
        if "FROM ad_group_ad" in query:
            creatives = {c.id: c for c in self.history.creatives}
            # GAQL returns removed ads unless the query filters them out.
            skip_removed = "ad_group_ad.status != 'REMOVED'" in query
            return [
                self._ad(a, creatives[a.creative_id])
                for a in self.history.ads
                if not (skip_removed and a.removed)
            ], "ad…"
        return None, ""

    def _customer(self) -> dict[str, Any]:
        return {
            "customer": {
                "resourceName": f"customers/{self.customer_id}",
                "id": self.customer_id,
                "descriptiveName": self.descriptive_name,
                "currencyCode": "COP",
                "status": "ENABLED",
            }
        }

    def _campaign(self, c) -> dict[str, Any]:
        channel, strategy = c.objective.split("|")
        campaign = {
            "resourceName": f"customers/{self.customer_id}/campaigns/{c.id}",
            "id": c.id,
            "name": c.name,
            "status": "ENABLED",
            "advertisingChannelType": channel,
            "biddingStrategyType": strategy,
        }
        if c.start_date:
            campaign["startDateTime"] = f"{c.start_date.isoformat()} 00:00:00"
        return {"campaign": campaign}

    def _asset_name(self, creative) -> str:
        return f"customers/{self.customer_id}/assets/{creative.id}"

    def _asset(self, c) -> dict[str, Any]:
        return {
            "asset": {
                "resourceName": self._asset_name(c),
                "imageAsset": {
                    "fullSize": {
                        "url": f"{self.base_url}{c.image_path}",
                        "widthPixels": "12",
                        "heightPixels": "8",
                    }
                },
            }
        }

    def _ad(self, a, c) -> dict[str, Any]:
        return {
            "campaign": {
                "resourceName": f"customers/{self.customer_id}/campaigns/{a.campaign_id}",
                "id": a.campaign_id,
            },
            "adGroup": {"id": str(int(a.campaign_id) + 50)},
            "adGroupAd": {
                "resourceName": f"customers/{self.customer_id}/adGroupAds/{a.id}",
                "status": "REMOVED" if a.removed else "ENABLED",
                "ad": {
                    "id": a.id,
                    "name": a.name,
                    "type": "RESPONSIVE_DISPLAY_AD",
                    "finalUrls": [c.landing_url],
                    "responsiveDisplayAd": {
                        "headlines": [{"text": c.name}],
                        "longHeadline": {"text": c.headline},
                        "descriptions": [{"text": c.body}],
                        "marketingImages": [{"asset": self._asset_name(c)}],
                        "callToActionText": c.call_to_action,
                    },
                },
            },
        }

    def _metric(self, m: FakeMetric) -> dict[str, Any]:
        metrics: dict[str, Any] = {
            "impressions": str(m.impressions),
            "clicks": str(m.clicks),
            "costMicros": str(m.spend_micros),
            "conversions": float(m.conversions),
            "conversionsValue": float(Decimal(m.conversion_value_micros) / 1_000_000),
            "engagements": str(m.engagements),
            "videoTrueviewViews": str(m.video_views),
        }
        # Proto3 JSON leaves out fields equal to zero.
        metrics = {k: v for k, v in metrics.items() if v not in ("0", 0.0)}
        return {
            "segments": {"date": m.date.isoformat()},
            "campaign": {"id": m.campaign_id},
            "adGroup": {"id": str(int(m.campaign_id) + 50)},
            "adGroupAd": {"ad": {"id": m.ad_id}},
            "metrics": metrics,
            "customer": {"currencyCode": "COP"},
        }
