"""A fake LinkedIn Marketing API serving an AccountHistory in its Rest.li shapes."""

from __future__ import annotations

import datetime as dt
import json
import re
from collections.abc import Callable
from decimal import Decimal
from typing import Any
from urllib.parse import parse_qs, unquote

from tests.fakes.history import AccountHistory, FakeMetric
from tests.fakes.server import FailurePlan, FakePlatform, FakeRequest, FakeResponse

# When every creative of the history was created and last changed (2025-01-01, epoch ms).
CREATED_AT = 1735689600000

LINKEDIN_OBJECTIVES = ("WEBSITE_VISIT", "LEAD_GENERATION", "BRAND_AWARENESS", "VIDEO_VIEW")
FIELD_MAP = {
    "impressions": "impressions",
    "clicks": "clicks",
    "landingPageClicks": "link_clicks",
    "costInLocalCurrency": "spend_micros",
    "externalWebsiteConversions": "conversions",
    "conversionValueInLocalCurrency": "conversion_value_micros",
    "oneClickLeads": "leads",
    "videoViews": "video_views",
    "totalEngagements": "engagements",
}
# Result fields made from the history's figures: post-click and post-view conversions add up to
# externalWebsiteConversions, as on LinkedIn; more forms are opened than sent.
DERIVED_FIELDS: dict[str, Callable[[FakeMetric], int]] = {
    "externalWebsitePostClickConversions": lambda m: m.conversions - m.conversions // 3,
    "externalWebsitePostViewConversions": lambda m: m.conversions // 3,
    "oneClickLeadFormOpens": lambda m: m.leads * 3 + m.clicks % 7,
    "qualifiedLeads": lambda m: m.leads // 2,
}


def _money(micros: int) -> str:
    text = format(Decimal(micros) / Decimal(1_000_000), "f")
    return text.rstrip("0").rstrip(".") if "." in text else text


def _epoch_ms(day: dt.date) -> int:
    return int(dt.datetime(day.year, day.month, day.day, tzinfo=dt.UTC).timestamp() * 1000)


def version_active(name: str, today: dt.date) -> bool:
    """LinkedIn's rule: monthly versions YYYYMM, each answered for 12 months, to the 15th."""
    if not re.fullmatch(r"20\d\d(0[1-9]|1[0-2])", name):
        return False
    year, month = int(name[:4]), int(name[4:])
    return dt.date(year, month, 1) <= today < dt.date(year + 1, month, 15)


def _error(status: int, code: str, message: str, service_code: int = 0) -> FakeResponse:
    body = {"status": status, "code": code, "message": message}
    if service_code:
        body["serviceErrorCode"] = service_code
    return FakeResponse(status, json.dumps(body).encode())


class FakeLinkedIn(FakePlatform):
    def __init__(
        self,
        history: AccountHistory,
        *,
        account_id: str = "508000111",
        token: str = "linkedin-test-token",
        page_size: int = 3,
        failures: FailurePlan | None = None,
    ):
        super().__init__(token=token, failures=failures)
        self.history = history
        self.account_id = account_id
        self.page_size = page_size
        self.tunnelled = 0
        # Post URNs that answer 404, as deleted posts do.
        self.deleted_posts: set[str] = set()
        # The day the versions are judged on: a later one sunsets more of them.
        self.today = dt.date.today()
        # Creatives edited since CREATED_AT: creative id → (lastModifiedAt, new commentary).
        self.edits: dict[str, tuple[int, str]] = {}
        # Calls by what they read ("posts", "images", "adAnalytics", "creatives"…).
        self.calls_by_kind: dict[str, int] = {}
        self.account_name = "Tu360 Compras LinkedIn"

    def creative_edit(self, creative_id: str, *, commentary: str, at: int) -> None:
        """Change a creative's post copy; the creative's lastModifiedAt moves to `at`."""
        self.edits[creative_id] = (at, commentary)

    def auth_error_response(self, request: FakeRequest) -> FakeResponse:
        # 65600 is an invalid or expired token; 65601 a revoked one.
        return _error(
            401, "EXPIRED_ACCESS_TOKEN", "The token used in the request has expired", 65600
        )

    def throttle_response(self, request: FakeRequest) -> FakeResponse:
        return _error(429, "TOO_MANY_REQUESTS", "Resource level throttle limit reached")

    def server_error_response(self, request: FakeRequest) -> FakeResponse:
        return _error(500, "INTERNAL_SERVER_ERROR", "Internal Server Error")

    def version_refusal(self, request: FakeRequest) -> FakeResponse | None:
        version = request.headers.get("linkedin-version", "")
        if not version:
            return _error(
                400,
                "VERSION_MISSING",
                "A version must be present. Please specify a "
                "version by adding the LinkedIn-Version header.",
            )
        if version_active(version, self.today):
            return None
        return _error(404, "NONEXISTENT_VERSION", f"Requested version {version} is not active")

    def answer(self, request: FakeRequest) -> FakeResponse:
        if request.headers.get("x-restli-protocol-version") != "2.0.0":
            return _error(400, "BAD_REQUEST", "X-Restli-Protocol-Version 2.0.0 is required")
        # "adAccounts/1/creatives" counts as "creatives", "adAccounts/1" as "adAccounts".
        parts = request.path.removeprefix("/rest/").split("/")
        kind = parts[2] if parts[0] == "adAccounts" and len(parts) > 2 else parts[0]
        self.calls_by_kind[kind] = self.calls_by_kind.get(kind, 0) + 1
        raw_query = request.raw_query
        if request.method == "POST":
            if request.headers.get("x-http-method-override") != "GET":
                return _error(405, "METHOD_NOT_ALLOWED", "Only tunnelled GETs are served")
            self.tunnelled += 1
            raw_query = request.body.decode()
        query = {k: v[-1] for k, v in parse_qs(raw_query, keep_blank_values=True).items()}
        path = request.path.removeprefix("/rest/")
        account = f"adAccounts/{self.account_id}/"
        if path == f"{account}adCampaigns" and query.get("q") == "search":
            return self._page([self._campaign(c) for c in self.history.campaigns], query)
        if path == f"{account}creatives" and query.get("q") == "criteria":
            if request.headers.get("x-restli-method") != "FINDER":
                return _error(400, "BAD_REQUEST", "X-RestLi-Method: FINDER is required")
            return self._page([self._creative(a) for a in self.history.ads], query)
        if path == f"adAccounts/{self.account_id}":
            return self._account()
        if path.startswith("posts/"):
            return self._post(unquote(path.removeprefix("posts/")))
        if path.startswith("images/"):
            urn = unquote(path.removeprefix("images/"))
            name = urn.removeprefix("urn:li:image:")
            body = {
                "id": urn,
                "status": "AVAILABLE",
                "downloadUrl": f"{self.base_url}/images/{name}",
                "downloadUrlExpiresAt": 1893456000000,
            }
            return FakeResponse(200, json.dumps(body).encode())
        if path == "adAnalytics" and query.get("q") == "analytics":
            return self._analytics(raw_query)
        return _error(404, "NOT_FOUND", f"No route for {request.path}")

    def _page(self, rows: list[dict[str, Any]], query: dict[str, str]) -> FakeResponse:
        size = min(self.page_size, int(query.get("pageSize") or self.page_size))
        offset = int(query.get("pageToken") or 0)
        body: dict[str, Any] = {"elements": rows[offset : offset + size], "metadata": {}}
        if offset + size < len(rows):
            body["metadata"]["nextPageToken"] = str(offset + size)
        return FakeResponse(200, json.dumps(body).encode())

    def _account(self) -> FakeResponse:
        body = {
            "id": int(self.account_id),
            "name": self.account_name,
            "status": "ACTIVE",
            "currency": "COP",
            "type": "BUSINESS",
            "reference": "urn:li:organization:2414183",
            "test": False,
        }
        return FakeResponse(200, json.dumps(body).encode())

    def _campaign(self, c) -> dict[str, Any]:
        return {
            "id": int(c.id),
            "account": f"urn:li:sponsoredAccount:{self.account_id}",
            "name": c.name,
            "objectiveType": c.objective,
            "status": c.status,
            "runSchedule": {"start": _epoch_ms(c.start_date)} if c.start_date else {},
            "changeAuditStamps": {"created": {"time": 1735689600000}},
        }

    def _creative(self, a) -> dict[str, Any]:
        return {
            "id": f"urn:li:sponsoredCreative:{a.id}",
            "campaign": f"urn:li:sponsoredCampaign:{a.campaign_id}",
            "intendedStatus": "ACTIVE",
            "content": {"reference": f"urn:li:share:{a.creative_id}"},
            "createdAt": CREATED_AT,
            "lastModifiedAt": self.edits.get(a.id, (CREATED_AT, ""))[0],
        }

    def _post(self, urn: str) -> FakeResponse:
        if urn in self.deleted_posts:
            return _error(404, "NOT_FOUND", "Post not found")
        creative = next((c for c in self.history.creatives if urn.endswith(f":{c.id}")), None)
        if creative is None:
            return _error(404, "NOT_FOUND", "Post not found")
        name = creative.image_path.removeprefix("/images/")
        ad = next((a for a in self.history.ads if a.creative_id == creative.id), None)
        edit = self.edits.get(ad.id) if ad else None
        body = {
            "id": urn,
            "commentary": edit[1] if edit else creative.body,
            "contentLandingPage": creative.landing_url,
            "contentCallToActionLabel": creative.call_to_action,
            "content": {"media": {"id": f"urn:li:image:{name}", "title": creative.headline}},
        }
        return FakeResponse(200, json.dumps(body).encode())

    def _analytics(self, raw_query: str) -> FakeResponse:
        # Rest.li values must arrive as sent: parentheses and colons raw, URNs with %3A.
        fields = re.search(r"(?:^|&)fields=([^&]*)", raw_query).group(1).split(",")
        if len(fields) > 20:
            return _error(400, "BAD_REQUEST", "At most 20 fields may be requested")
        dates = re.search(
            r"dateRange=\(start:\(year:(\d+),month:(\d+),day:(\d+)\),"
            r"end:\(year:(\d+),month:(\d+),day:(\d+)\)\)",
            raw_query,
        )
        creatives = re.search(r"creatives=List\(([^)]*)\)", raw_query)
        if not dates or not creatives or "%3A" not in creatives.group(1):
            return _error(400, "BAD_REQUEST", "Malformed Rest.li query")
        numbers = [int(n) for n in dates.groups()]
        since, until = dt.date(*numbers[:3]), dt.date(*numbers[3:])
        wanted = {unquote(urn).rsplit(":", 1)[-1] for urn in creatives.group(1).split(",")}
        rows = [
            self._row(m, fields)
            for m in sorted(self.history.metrics_between(since, until), key=lambda m: m.ad_id)
            if m.ad_id in wanted
        ]
        return FakeResponse(200, json.dumps({"elements": rows, "paging": {}}).encode())

    def _row(self, m: FakeMetric, fields: list[str]) -> dict[str, Any]:
        day = {"year": m.date.year, "month": m.date.month, "day": m.date.day}
        row: dict[str, Any] = {}
        for name in fields:
            if name == "dateRange":
                row[name] = {"start": day, "end": day}
            elif name == "pivotValues":
                row[name] = [f"urn:li:sponsoredCreative:{m.ad_id}"]
            elif name in ("costInLocalCurrency", "conversionValueInLocalCurrency"):
                row[name] = _money(getattr(m, FIELD_MAP[name]))
            elif name in FIELD_MAP:
                row[name] = getattr(m, FIELD_MAP[name])
            elif name in DERIVED_FIELDS:
                row[name] = DERIVED_FIELDS[name](m)
        return row
