"""A fake Meta Graph API serving an AccountHistory in the Marketing API's shapes."""

from __future__ import annotations

import base64
import datetime as dt
import json
from collections.abc import Mapping
from decimal import Decimal
from typing import Any
from urllib.parse import urlencode

from tests.fakes.history import AccountHistory, FakeMetric
from tests.fakes.server import FailurePlan, FakePlatform, FakeRequest, FakeResponse


def _money(micros: int) -> str:
    # Graph sends spend as a decimal string in currency units, e.g. "5339.5".
    text = format(Decimal(micros) / Decimal(1_000_000), "f")
    return text.rstrip("0").rstrip(".") if "." in text else text


# A custom conversion of the account (Events Manager), reported as offsite_conversion.custom.<id>.
CUSTOM_CONVERSION = "offsite_conversion.custom.1848300002"
PURCHASE_TYPES = (
    "omni_purchase",
    "purchase",
    "offsite_conversion.fb_pixel_purchase",
    "onsite_web_purchase",
)
REGISTRATION_TYPES = (
    "omni_complete_registration",
    "complete_registration",
    "offsite_conversion.fb_pixel_complete_registration",
)


def meta_actions(m: FakeMetric) -> dict[str, int]:
    """Every action type of one ad-day as the fake serves it in `actions` (zeros are left out).

    The history's `conversions` split into purchases and registrations (Yenni's default counts
    both, so the default sum is `conversions`), each under every prefix Meta repeats it with
    (summing them would count 4× and 3×); leads twice more (the pixel's and Meta's own form
    leads); landing page views, a custom conversion and the engagement types on top.
    """
    registrations = m.conversions // 3
    found: dict[str, int] = {
        "link_click": m.link_clicks,
        "landing_page_view": m.link_clicks * 2 // 3,
        "omni_landing_page_view": m.link_clicks * 2 // 3,
        **dict.fromkeys(PURCHASE_TYPES, m.conversions - registrations),
        **dict.fromkeys(REGISTRATION_TYPES, registrations),
        "lead": m.leads,
        "offsite_conversion.fb_pixel_lead": m.leads,
        "onsite_conversion.lead_grouped": m.leads,
        CUSTOM_CONVERSION: m.clicks % 4,
        "post_engagement": m.engagements,
        "page_engagement": m.engagements,
    }
    return {name: count for name, count in found.items() if count}


def meta_action_values(m: FakeMetric) -> dict[str, int]:
    """The `action_values` of one ad-day, in micros: purchases carry the history's conversion
    value under each prefix; each custom conversion is worth 20,000."""
    found = dict.fromkeys(PURCHASE_TYPES, m.conversion_value_micros)
    found[CUSTOM_CONVERSION] = (m.clicks % 4) * 20_000_000_000
    return {name: micros for name, micros in found.items() if micros}


# Marketing API versions Meta answers in December 2026: v24.0 expired on 2026-11-10, v25.0
# expires on 2027-02-23.
SERVED_VERSIONS = ("v25.0", "v26.0")
ACCOUNT_FIELDS = {"id", "name", "account_status", "currency", "timezone_name"}


# An ad's effective_status (Marketing API Ad reference; facebook-python-business-sdk
# Ad.EffectiveStatus). Live ads have any but the last two.
AD_STATUSES = (
    "ACTIVE",
    "PAUSED",
    "PENDING_REVIEW",
    "DISAPPROVED",
    "PREAPPROVED",
    "PENDING_BILLING_INFO",
    "CAMPAIGN_PAUSED",
    "ADSET_PAUSED",
    "IN_PROCESS",
    "WITH_ISSUES",
    "ARCHIVED",
    "DELETED",
)
LIVE_STATUSES = frozenset(AD_STATUSES) - {"ARCHIVED", "DELETED"}
# "Manage your ad object's status" (developers.facebook.com/documentation/ads-commerce/
# marketing-api/best-practices/manage-your-ad-object-status) and the Ads Developer Blog post it
# points to, "Deleted versus Archived" (developers.facebook.com/ads/blog/post/2014/09/24/
# deleted-vs-archived/):
# - neither ARCHIVED nor DELETED objects come back as edges without a filter: the Ad Account /
#   Ad Set `ads` edge's `effective_status` "When unset, defaults to not return deleted or
#   archived ads" (…/marketing-api/reference/ad-campaign/ads);
# - "Query as edges with ARCHIVED status filter": yes for ARCHIVED, no for DELETED objects;
#   "Query as edges with DELETED status filter": Error;
# - "you cannot retrieve the deleted objects as a connection object from a non-deleted node
#   … `<AD_ID>/insights` works for a deleted object but `act_<ID>/insights?level=ad` does not
#   return stats for the deleted object … You can query insights for DELETED objects using
#   the ad.effective_status filter" (`filtering=[{"field":"ad.effective_status",
#   "operator":"IN","value":[…]}]`, the insights `filtering` parameter);
# - "Query by its own ID": yes for ARCHIVED and DELETED objects.
EDGE_STATUSES = frozenset(AD_STATUSES) - {"DELETED"}
# Graph reads at most 50 objects by id in one call (`?ids=`, Graph API "multiple ID read").
MAX_IDS = 50
# What an ad lookup by id may ask for; `creative` may name creative fields in braces.
AD_FIELDS = {
    "id",
    "name",
    "campaign_id",
    "adset_id",
    "status",
    "effective_status",
    "creative",
    "updated_time",
}


def _status_list(raw: str) -> list[str]:
    """A Graph list parameter: JSON (`["ACTIVE","PAUSED"]`) or comma-separated."""
    try:
        value = json.loads(raw)
    except ValueError:
        value = raw.split(",")
    if isinstance(value, str):
        value = [value]
    return [str(item).strip() for item in value]


def _fields(spec: str) -> dict[str, str]:
    """`id,name,creative{id,title}` as {"id": "", "name": "", "creative": "id,title"}."""
    found: dict[str, str] = {}
    depth, start, name = 0, 0, ""
    for i, char in enumerate(spec + ","):
        if char == "{":
            if depth == 0:
                name, start = spec[start:i].strip(), i + 1
            depth += 1
        elif char == "}":
            depth -= 1
            if depth == 0:
                found[name] = spec[start:i]
                start = i + 1
        elif char == "," and depth == 0:
            item = spec[start:i].strip()
            if item:
                found[item] = ""
            start = i + 1
    return found


def _cursor(offset: int) -> str:
    return base64.urlsafe_b64encode(str(offset).encode()).decode()


def _offset(cursor: str) -> int:
    return int(base64.urlsafe_b64decode(cursor.encode()).decode()) if cursor else 0


class FakeMeta(FakePlatform):
    def __init__(
        self,
        history: AccountHistory,
        *,
        account_id: str = "act_1001",
        token: str = "meta-test-token",
        page_size: int = 3,
        insights_page_size: int = 40,
        failures: FailurePlan | None = None,
        ad_statuses: Mapping[str, str] | None = None,
    ):
        super().__init__(token=token, failures=failures)
        self.history = history
        # Each ad's effective_status by id: the history's removed ads are DELETED, the others
        # ACTIVE, unless `ad_statuses` says otherwise (ARCHIVED, PAUSED…).
        self.ad_statuses = dict(ad_statuses or {})
        unknown = set(self.ad_statuses.values()) - set(AD_STATUSES)
        if unknown:
            raise ValueError(f"Not an ad effective_status: {sorted(unknown)}")
        self.account_id = account_id
        self.page_size = page_size
        self.insights_page_size = insights_page_size
        # Every Nth answered call reports 96 % usage, as Meta does before it throttles.
        self.high_usage_every = 0
        self.high_usage_sent = 0
        # Insights calls asking for more rows than this answer Meta's "reduce the data" 500.
        self.max_insight_rows = 0
        self.too_much_data = 0
        self.versions = set(SERVED_VERSIONS)
        # What GET /act_{id} answers (ingest --check); 1 is ACTIVE.
        self.account_name = "Tu360 Compras"
        self.account_status = 1
        # Error code of the permission Meta says the token lacks on every call (0: none).
        self.missing_permission = 0

    def _error(
        self, status: int, code: int, message: str, *, kind: str = "OAuthException", **extra: Any
    ) -> FakeResponse:
        error = {"message": message, "type": kind, "code": code, **extra}
        error["fbtrace_id"] = "AbCdEf123"
        return FakeResponse(status, json.dumps({"error": error}).encode())

    def version_refusal(self, request: FakeRequest) -> FakeResponse | None:
        version = request.path.split("/")[1] if request.path.count("/") > 1 else ""
        if version in self.versions:
            return None
        newest = max(self.versions, key=lambda name: int(name[1:].split(".")[0]))
        return self._error(
            404,
            2635,
            "(#2635) You are calling a deprecated version of the Ads API. Please update to the "
            f"latest version: {newest}.",
        )

    def _unsupported_get(self, object_id: str) -> FakeResponse:
        """Graph's answer for an object the token cannot see (or that does not exist)."""
        return self._error(
            400,
            100,
            f"Unsupported get request. Object with ID '{object_id}' does not exist, cannot be "
            "loaded due to missing permissions, or does not support this operation. Please read "
            "the Graph API documentation at https://developers.facebook.com/docs/graph-api",
            kind="GraphMethodException",
            error_subcode=33,
        )

    def auth_error_response(self, request: FakeRequest) -> FakeResponse:
        return self._error(
            400,
            190,
            "Error validating access token: Session has expired on Tuesday, 10-Nov-26.",
            error_subcode=463,
        )

    def throttle_response(self, request: FakeRequest) -> FakeResponse:
        response = self._error(
            400,
            80000,
            "(#80000) There have been too many calls from this ad-account. Wait a bit and try "
            "again.",
            error_subcode=2446079,
            is_transient=True,
        )
        usage = {
            self.account_id.removeprefix("act_"): [
                {
                    "type": "ads_insights",
                    "call_count": 100,
                    "total_cputime": 40,
                    "total_time": 60,
                    "estimated_time_to_regain_access": 1,
                }
            ]
        }
        response.headers["X-Business-Use-Case-Usage"] = json.dumps(usage)
        return response

    def server_error_response(self, request: FakeRequest) -> FakeResponse:
        return self._error(
            500,
            2,
            "An unexpected error has occurred. Please retry your request later.",
            is_transient=True,
        )

    def answer(self, request: FakeRequest) -> FakeResponse:
        parts = [p for p in request.path.split("/") if p]
        if parts and parts[0].startswith("v") and parts[0][1:2].isdigit():
            parts = parts[1:]
        ads = {a.id: a for a in self.history.ads}
        if not parts and "ids" in request.query:
            return self._ads_by_ids(request, ads)
        if len(parts) == 1 and parts[0] in ads:
            return self._ad_by_id(request, ads[parts[0]])
        if not parts or parts[0] != self.account_id:
            return self._unsupported_get(parts[0] if parts else "")
        if self.missing_permission:
            return self._error(
                403 if self.missing_permission == 10 else 400,
                self.missing_permission,
                f"(#{self.missing_permission}) Ad account owner has NOT grant ads_management or "
                "ads_read permission",
            )
        if len(parts) == 1:
            return self._account(request)
        if len(parts) != 2:
            return self._error(400, 100, f"Unknown path {request.path}")
        edge = parts[1]
        if edge == "campaigns":
            rows = [self._campaign(c) for c in self.history.campaigns]
        elif edge == "ads":
            wanted = set(LIVE_STATUSES)
            if "effective_status" in request.query:
                wanted = set(_status_list(request.query["effective_status"]))
                refused = sorted(wanted - EDGE_STATUSES)
                if refused:
                    # The blog's "Query as edges with DELETED status filter: Error". Graph's
                    # invalid-parameter answer (#100); the wording is this fake's.
                    return self._error(
                        400,
                        100,
                        f"(#100) Param effective_status must be one of "
                        f"{{{', '.join(sorted(EDGE_STATUSES))}}} - got {refused[0]!r}",
                    )
            rows = [self._ad(a) for a in self.history.ads if self.ad_status(a) in wanted]
        elif edge == "adcreatives":
            rows = [self._creative(c) for c in self.history.creatives]
        elif edge == "insights":
            increment = request.query.get("time_increment", "all_days")
            if request.query.get("level") != "ad" or increment not in ("1", "all_days"):
                return self._error(
                    400, 100, "This fake serves level=ad, time_increment=1 or all_days only"
                )
            shown = self._insight_statuses(request)
            if isinstance(shown, FakeResponse):
                return shown
            if request.query.get("date_preset") == "maximum":
                since, until = dt.date.min, dt.date.max
            else:
                window = json.loads(request.query["time_range"])
                since = dt.date.fromisoformat(window["since"])
                until = dt.date.fromisoformat(window["until"])
            # Ids `ad_statuses` names beyond the history's ads: ads Graph no longer answers.
            statuses = {**self.ad_statuses, **{a.id: self.ad_status(a) for a in self.history.ads}}
            metrics = sorted(
                (
                    m
                    for m in self.history.metrics_between(since, until)
                    if statuses.get(m.ad_id, "ACTIVE") in shown
                ),
                key=lambda m: (m.date, m.ad_id),
            )
            if increment == "1":
                rows = [self._insight(m) for m in metrics]
            else:
                rows = self._insights_whole(metrics, request.query.get("fields", ""))
        else:
            return self._error(400, 100, f"Unknown edge {edge}")
        limit = int(request.query.get("limit") or 0)
        if edge == "insights" and self.max_insight_rows and limit > self.max_insight_rows:
            self.too_much_data += 1
            return self._error(
                500,
                1,
                "Please reduce the amount of data you're asking for, then retry your request",
            )
        size = self.insights_page_size if edge == "insights" else self.page_size
        size = min(size, int(request.query.get("limit") or size))
        offset = _offset(request.query.get("after", ""))
        page = rows[offset : offset + size]
        body: dict[str, Any] = {"data": page}
        if page:
            body["paging"] = {
                "cursors": {"before": _cursor(offset), "after": _cursor(offset + size)}
            }
            if offset + size < len(rows):
                query = {k: v for k, v in request.query.items() if k != "after"}
                # Graph repeats every parameter in `next`, the access token included.
                query.update(after=_cursor(offset + size), access_token=self.token)
                body["paging"]["next"] = f"{self.base_url}{request.path}?{urlencode(query)}"
        response = FakeResponse(200, json.dumps(body).encode())
        if self.high_usage_every and request.call % self.high_usage_every == 0:
            self.high_usage_sent += 1
            response.headers["X-Ad-Account-Usage"] = json.dumps(
                {"acc_id_util_pct": 96.5, "reset_time_duration": 120}
            )
        return response

    def ad_status(self, ad) -> str:
        return self.ad_statuses.get(ad.id) or ("DELETED" if ad.removed else "ACTIVE")

    def _insight_statuses(self, request: FakeRequest) -> set[str] | FakeResponse:
        """The ad statuses whose rows insights return: live ones, unless `filtering` on
        ad.effective_status says which (the only way to get ARCHIVED and DELETED ads' rows)."""
        shown = set(LIVE_STATUSES)
        try:
            filters = json.loads(request.query.get("filtering") or "[]")
        except ValueError:
            return self._error(400, 100, "(#100) filtering must be a JSON array")
        for item in filters:
            if item.get("field") != "ad.effective_status":
                return self._error(
                    400, 100, f"This fake filters on ad.effective_status only: {item!r}"
                )
            value = item.get("value")
            values = set(value if isinstance(value, list) else [value])
            if values - set(AD_STATUSES):
                return self._error(
                    400,
                    100,
                    f"(#100) Filtering field ad.effective_status with value "
                    f"{sorted(values - set(AD_STATUSES))[0]} is not supported",
                )
            operator = item.get("operator")
            if operator in ("IN", "EQUAL"):
                shown = values
            elif operator in ("NOT_IN", "NOT_EQUAL"):
                shown = set(AD_STATUSES) - values
            else:
                return self._error(400, 100, f"This fake does not filter with {operator}")
        return shown

    def _insights_whole(self, metrics: list[FakeMetric], fields: str) -> list[dict[str, Any]]:
        """time_increment=all_days (the default): one row per ad over the whole range."""
        by_ad: dict[str, list[FakeMetric]] = {}
        for m in metrics:
            by_ad.setdefault(m.ad_id, []).append(m)
        wanted = set(fields.split(",")) if fields else set()
        rows = []
        for ad_id, days in sorted(by_ad.items()):
            row = {
                "ad_id": ad_id,
                "adset_id": str(int(days[0].campaign_id) + 50),
                "campaign_id": days[0].campaign_id,
                "impressions": str(sum(m.impressions for m in days)),
                "clicks": str(sum(m.clicks for m in days)),
                "spend": _money(sum(m.spend_micros for m in days)),
            }
            row = {k: v for k, v in row.items() if not wanted or k in wanted}
            # Graph adds the range to every insights row.
            row["date_start"] = min(m.date for m in days).isoformat()
            row["date_stop"] = max(m.date for m in days).isoformat()
            rows.append(row)
        return rows

    def _ad_fields(self, request: FakeRequest) -> dict[str, str] | FakeResponse:
        fields = _fields(request.query.get("fields", "id"))
        unknown = sorted(set(fields) - AD_FIELDS)
        if unknown:
            return self._error(
                400,
                100,
                f"(#100) Tried accessing nonexisting field ({unknown[0]}) on node type (Adgroup)",
            )
        return fields

    def _ad_object(self, ad, fields: dict[str, str]) -> dict[str, Any]:
        """One ad read by its id, whatever its status, with the fields asked for."""
        values = {**self._ad(ad), "status": self.ad_status(ad)}
        found = {name: values[name] for name in fields if name != "creative"}
        found["id"] = ad.id
        if "creative" in fields:
            creative = next(c for c in self.history.creatives if c.id == ad.creative_id)
            nested = set(fields["creative"].split(",")) if fields["creative"] else {"id"}
            whole = self._creative(creative)
            found["creative"] = {k: v for k, v in whole.items() if k in nested | {"id"}}
        return found

    def _ad_by_id(self, request: FakeRequest, ad) -> FakeResponse:
        """`GET /{ad_id}?fields=…`: an ad by its own id, ARCHIVED and DELETED ones included."""
        fields = self._ad_fields(request)
        if isinstance(fields, FakeResponse):
            return fields
        return FakeResponse(200, json.dumps(self._ad_object(ad, fields)).encode())

    def _ads_by_ids(self, request: FakeRequest, ads: dict[str, Any]) -> FakeResponse:
        """`GET /?ids=a,b&fields=…`: {id: object} for up to 50 ids, whatever their status."""
        ids = [i for i in request.query["ids"].split(",") if i]
        if len(ids) > MAX_IDS:
            # The limit is Graph's; the wording is this fake's.
            return self._error(
                400, 100, f"(#100) Too many IDs. Maximum: {MAX_IDS}. Actual: {len(ids)}."
            )
        missing = [i for i in ids if i not in ads]
        if missing:
            return self._error(
                404,
                803,
                f"(#803) Some of the aliases you requested do not exist: {','.join(missing)}",
            )
        fields = self._ad_fields(request)
        if isinstance(fields, FakeResponse):
            return fields
        body = {i: self._ad_object(ads[i], fields) for i in ids}
        return FakeResponse(200, json.dumps(body).encode())

    def _account(self, request: FakeRequest) -> FakeResponse:
        values = {
            "id": self.account_id,
            "name": self.account_name,
            "account_status": self.account_status,
            "currency": "COP",
            "timezone_name": "America/Bogota",
        }
        fields = set(request.query.get("fields", "id").split(","))
        if fields - ACCOUNT_FIELDS:
            name = sorted(fields - ACCOUNT_FIELDS)[0]
            return self._error(
                400,
                100,
                f"(#100) Tried accessing nonexisting field ({name}) on node type (AdAccount)",
            )
        body = {name: value for name, value in values.items() if name in fields}
        return FakeResponse(200, json.dumps(body).encode())

    def _campaign(self, c) -> dict[str, Any]:
        return {
            "id": c.id,
            "name": c.name,
            "objective": c.objective,
            "status": c.status,
            "effective_status": c.status,
            "start_time": f"{c.start_date.isoformat()}T00:00:00-0500" if c.start_date else None,
            "updated_time": "2026-01-05T10:00:00-0500",
        }

    def _ad(self, a) -> dict[str, Any]:
        return {
            "id": a.id,
            "name": a.name,
            "campaign_id": a.campaign_id,
            "adset_id": str(int(a.campaign_id) + 50),
            "effective_status": self.ad_status(a),
            "creative": {"id": a.creative_id},
            "updated_time": "2026-01-05T10:00:00-0500",
        }

    def _creative(self, c) -> dict[str, Any]:
        image_url = f"{self.base_url}{c.image_path}"
        return {
            "id": c.id,
            "name": c.name,
            "title": c.headline,
            "body": c.body,
            "call_to_action_type": c.call_to_action,
            "image_url": image_url,
            "thumbnail_url": image_url + "?thumb=1",
            "object_story_spec": {
                "page_id": "1100",
                "link_data": {
                    "link": c.landing_url,
                    "message": c.body,
                    "name": c.headline,
                    "call_to_action": {"type": c.call_to_action, "value": {"link": c.landing_url}},
                },
            },
        }

    def _insight(self, m: FakeMetric) -> dict[str, Any]:
        def actions(items: dict[str, int | str]) -> list[dict[str, str]]:
            # Meta leaves out action types with no value.
            return [{"action_type": k, "value": str(v)} for k, v in items.items() if v not in (0,)]

        values = {key: _money(micros) for key, micros in meta_action_values(m).items()}
        return {
            "ad_id": m.ad_id,
            "adset_id": str(int(m.campaign_id) + 50),
            "campaign_id": m.campaign_id,
            "date_start": m.date.isoformat(),
            "date_stop": m.date.isoformat(),
            "impressions": str(m.impressions),
            "reach": str(m.reach),
            "clicks": str(m.clicks),
            "inline_link_clicks": str(m.link_clicks),
            "spend": _money(m.spend_micros),
            "actions": actions(meta_actions(m)),
            "action_values": actions(values),
            "video_thruplay_watched_actions": actions({"video_view": m.video_views}),
            "account_currency": "COP",
        }
