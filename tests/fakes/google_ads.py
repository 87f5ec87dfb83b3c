"""A fake Google Ads REST API serving an AccountHistory: search pages and searchStream batches."""

from __future__ import annotations

import datetime as dt
import json
import re
from dataclasses import dataclass
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

# Segments that split metrics by conversion action, and the only metrics they can be selected
# (or filtered) with. Google's field reference lists, under "Selectable With" of
# segments.conversion_action and segments.conversion_action_name, conversion metrics only:
# impressions, clicks, cost_micros, engagements… are refused with queryError
# PROHIBITED_SEGMENT_WITH_METRIC_IN_SELECT_OR_WHERE_CLAUSE (query_error.proto, value 53: "The
# segment is prohibited with the metric in the SELECT or WHERE clause"; the v23-vs-v22 diff of
# query_error.proto shows it still there, beside the new PROHIBITED_FIELD_OR_SEGMENT_WITH_METRIC).
# Google's conversions reporting guide (docs/conversions/reporting) segments by conversion_action
# with metrics.conversions and metrics.conversions_value, and all_conversions with it.
CONVERSION_ACTION_SEGMENTS = (
    "segments.conversion_action",
    "segments.conversion_action_name",
    "segments.conversion_action_category",
)
CONVERSION_METRICS = {
    "metrics.conversions",
    "metrics.conversions_value",
    "metrics.all_conversions",
    "metrics.all_conversions_value",
    "metrics.value_per_conversion",
    "metrics.value_per_all_conversions",
    "metrics.conversions_by_conversion_date",
    "metrics.conversions_value_by_conversion_date",
    "metrics.all_conversions_by_conversion_date",
    "metrics.all_conversions_value_by_conversion_date",
}


@dataclass(frozen=True)
class FakeConversionAction:
    id: str
    name: str
    category: str
    # include_in_conversions_metric: a primary action counts in metrics.conversions; every
    # action counts in metrics.all_conversions ("all conversions regardless of the value of
    # include_in_conversions_metric", common/metrics.proto).
    primary: bool


# The account's conversion actions. Their figures per ad-day come from the FakeMetric fields
# (`action_figures`) without changing what those fields mean to the other fakes.
PURCHASE_WEB = FakeConversionAction("801", "Compra en línea", "PURCHASE", primary=True)
PURCHASE_APP = FakeConversionAction("802", "Compra en la app", "PURCHASE", primary=True)
CREDIT_FORM = FakeConversionAction("803", "Solicitud de crédito", "SUBMIT_LEAD_FORM", primary=False)
WHATSAPP = FakeConversionAction("804", "Clic en WhatsApp", "CONTACT", primary=False)
CONVERSION_ACTIONS = (PURCHASE_WEB, PURCHASE_APP, CREDIT_FORM, WHATSAPP)
# What one credit application is worth to the account, in micros.
CREDIT_FORM_VALUE_MICROS = 15_000_000


def action_figures(m: FakeMetric) -> list[tuple[FakeConversionAction, int, int]]:
    """One ad-day's (action, all_conversions, all_conversions_value in micros), zeros included.

    The two purchase actions are primary and share m.conversions and m.conversion_value_micros
    (a third of the purchases, rounded down, in the app), so the unsegmented metrics.conversions
    is their sum, as on Google. The credit form carries m.leads and the WhatsApp click one per 40
    clicks; both are secondary: in all_conversions only.
    """
    app = m.conversions // 3
    app_value = m.conversion_value_micros * app // m.conversions if m.conversions else 0
    return [
        (PURCHASE_WEB, m.conversions - app, m.conversion_value_micros - app_value),
        (PURCHASE_APP, app, app_value),
        (CREDIT_FORM, m.leads, m.leads * CREDIT_FORM_VALUE_MICROS),
        (WHATSAPP, m.clicks // 40, 0),
    ]


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


def _where_fields(query: str) -> list[str]:
    match = re.search(r" WHERE (.+?)(?: ORDER BY | LIMIT |$)", query)
    return re.findall(r"\b(?:segments|metrics)\.[a-z_]+", match.group(1)) if match else []


def _camel(name: str) -> str:
    """A GAQL field's last part as REST JSON names it: all_conversions → allConversions."""
    head, *rest = name.rsplit(".", 1)[-1].split("_")
    return head + "".join(part.title() for part in rest)


def _money(micros: int) -> float:
    """conversions_value and all_conversions_value are doubles in the account currency."""
    return float(Decimal(micros) / 1_000_000)


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
        # Ad-days that only the per-action query answers: the two reports are read apart, and
        # conversions keep arriving for an ad-day during its conversion window, so Yenni must
        # not assume both queries answer the same ad-days.
        self.conversions_only: list[FakeMetric] = []

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
        prohibited = self._prohibited(f"v{version}", request, query)
        if prohibited is not None:
            return prohibited
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

    def _prohibited(self, version: str, request: FakeRequest, query: str) -> FakeResponse | None:
        """Google's answer to a conversion-action segment with a metric it cannot split.

        The message is Google's as clients quote it (e.g. "Cannot select the following segments
        because at least one unsupported metric is found in SELECT or WHERE clause:
        'segments.conversion_action_name'(unsupported metrics: 'cost_micros')."), naming the
        first such segment; the metrics are named without "metrics.", in alphabetical order.
        """
        fields = _selected_fields(query) + _where_fields(query)
        segments = [name for name in fields if name in CONVERSION_ACTION_SEGMENTS]
        refused = sorted(
            {
                name.removeprefix("metrics.")
                for name in fields
                if name.startswith("metrics.") and name not in CONVERSION_METRICS
            }
        )
        if not segments or not refused:
            return None
        metrics = ", ".join(f"'{name}'" for name in refused)
        error = {
            "errorCode": {"queryError": "PROHIBITED_SEGMENT_WITH_METRIC_IN_SELECT_OR_WHERE_CLAUSE"},
            "message": "Cannot select the following segments because at least one unsupported "
            f"metric is found in SELECT or WHERE clause: '{segments[0]}'(unsupported metrics: "
            f"{metrics}).",
            "location": {"fieldPathElements": [{"fieldName": "query"}]},
        }
        return _error(
            400,
            "INVALID_ARGUMENT",
            "Request contains an invalid argument.",
            [_failure(version, f"req-{request.call}", [error])],
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
            if "segments.conversion_action" in query:
                return self._action_rows(query, metrics, since, until)
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

    def _action_rows(
        self, query: str, metrics: list[FakeMetric], since: dt.date, until: dt.date
    ) -> tuple[list[dict[str, Any]], str]:
        """One row per ad, day and conversion action, with the selected conversion metrics.

        Rows whose metrics are all zero are not returned (docs/conversions/reporting: "reports
        may be empty if metrics are all zero"). GAQL returns removed ads unless filtered out.
        """
        removed = {a.id for a in self.history.ads if a.removed}
        skip_removed = "ad_group_ad.status != 'REMOVED'" in query
        extra = [m for m in self.conversions_only if since <= m.date <= until]
        selected = {_camel(name) for name in _selected_fields(query) if name.startswith("metrics.")}
        rows = []
        for m in sorted(metrics + extra, key=lambda m: (m.date, m.ad_id)):
            if skip_removed and m.ad_id in removed:
                continue
            for action, count, value in action_figures(m):
                if not (count or value):
                    continue
                figures = {
                    "conversions": float(count) if action.primary else 0.0,
                    "conversionsValue": _money(value) if action.primary else 0.0,
                    "allConversions": float(count),
                    "allConversionsValue": _money(value),
                }
                rows.append(
                    {
                        "segments": {
                            "date": m.date.isoformat(),
                            "conversionAction": (
                                f"customers/{self.customer_id}/conversionActions/{action.id}"
                            ),
                            "conversionActionName": action.name,
                        },
                        "campaign": {
                            "resourceName": (
                                f"customers/{self.customer_id}/campaigns/{m.campaign_id}"
                            ),
                            "id": m.campaign_id,
                        },
                        "adGroupAd": {"ad": {"id": m.ad_id}},
                        # Proto3 JSON leaves out fields equal to zero.
                        "metrics": {k: v for k, v in figures.items() if k in selected and v != 0.0},
                    }
                )
        return rows, "segments.date,segments.conversionAction,metrics.allConversions,…"

    def _metric(self, m: FakeMetric) -> dict[str, Any]:
        metrics: dict[str, Any] = {
            "impressions": str(m.impressions),
            "clicks": str(m.clicks),
            "costMicros": str(m.spend_micros),
            "conversions": float(m.conversions),
            "conversionsValue": _money(m.conversion_value_micros),
            # Every action, primary or not (action_figures).
            "allConversions": float(sum(count for _, count, _ in action_figures(m))),
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
