"""Meta Marketing API (Graph): campaigns, ads, ad creatives and daily per-ad insights."""

from __future__ import annotations

import datetime as dt
import json
import logging
import re
from typing import Any

import requests

from campaigns.conversions import META_PREFIXES
from ingestion.connectors.base import (
    AccountCheck,
    Connector,
    ConnectorError,
    PlatformError,
    url_with_param,
    url_without_params,
)
from ingestion.connectors.records import (
    AdRecord,
    CampaignRecord,
    CreativeRecord,
    DailyMetricRecord,
    Parsed,
    to_float,
    to_int,
    to_micros,
)

CAMPAIGN_FIELDS = (
    "id,name,objective,status,effective_status,daily_budget,lifetime_budget,start_time,"
    "stop_time,updated_time"
)
AD_FIELDS = "id,name,campaign_id,adset_id,effective_status,creative{id},updated_time"
CREATIVE_FIELDS = (
    "id,name,title,body,call_to_action_type,image_url,image_hash,thumbnail_url,"
    "object_story_spec,asset_feed_spec,effective_object_story_id"
)
# Ad statuses (Marketing API Ad reference; facebook-python-business-sdk Ad.EffectiveStatus).
# Meta's "Manage your ad object's status" (Marketing API best practices) and the Ads
# Developer Blog's "Deleted versus Archived": without a status filter neither the `ads` edge
# ("When unset, defaults to not return deleted or archived ads", Ad Account ads reference)
# nor `act_…/insights?level=ad` returns ARCHIVED or DELETED ads; the edge lists ARCHIVED ads
# when its `effective_status` names them but refuses DELETED ("Query as edges with DELETED
# status filter: Error"); insights return DELETED ads' rows when `filtering` on
# ad.effective_status names them; and both answer when read by their own id.
LIVE_AD_STATUSES = (
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
)
AD_EDGE_STATUSES = (*LIVE_AD_STATUSES, "ARCHIVED")
ALL_AD_STATUSES = (*AD_EDGE_STATUSES, "DELETED")


def _status_filter(statuses: tuple[str, ...]) -> str:
    """The insights `filtering` parameter that keeps ads of these statuses."""
    spec = [{"field": "ad.effective_status", "operator": "IN", "value": list(statuses)}]
    return json.dumps(spec, separators=(",", ":"))


# An ad read by its id brings its creative whole: a deleted ad's creative then needs no listing.
AD_LOOKUP_FIELDS = (
    f"id,name,campaign_id,adset_id,effective_status,updated_time,creative{{{CREATIVE_FIELDS}}}"
)
# Graph reads at most 50 objects by id in one call (`GET /{version}/?ids=a,b,…`).
LOOKUP_BATCH = 50
INSIGHT_FIELDS = (
    "ad_id,adset_id,campaign_id,date_start,date_stop,impressions,reach,clicks,inline_link_clicks,"
    "spend,actions,action_values,video_thruplay_watched_actions,account_currency"
)

# Throttling arrives as HTTP 400 with one of these codes (Airbyte streams/common.py).
THROTTLE_CODES = {4, 17, 32, 613, *range(80000, 80009)}
# 190 is OAuthException: the token expired, was revoked, or the password changed.
AUTH_CODES = {190, 102}
# "(#2635) You are calling a deprecated version of the Ads API": the version is past its expiry.
DEPRECATED_VERSION_CODE = 2635
# An ad account's account_status, in words (Marketing API AdAccount reference).
ACCOUNT_STATUSES = {
    1: "ACTIVE",
    2: "DISABLED",
    3: "UNSETTLED",
    7: "PENDING_RISK_REVIEW",
    8: "PENDING_SETTLEMENT",
    9: "IN_GRACE_PERIOD",
    100: "PENDING_CLOSURE",
    101: "CLOSED",
}
# "(#803) Some of the aliases you requested do not exist: 1,2": ids Graph no longer answers.
UNKNOWN_IDS_CODE = 803
# Meta reports the same action under several prefixes; the first present is the one read.
ACTION_PREFIXES = META_PREFIXES

logger = logging.getLogger(__name__)


class TooMuchData(ConnectorError):
    """Meta's HTTP 500 "Please reduce the amount of data": ask again for fewer rows a page."""

    def __init__(self, message: str):
        super().__init__(message, retryable=False)


class UnknownIds(ConnectorError):
    """Graph's #803: some ids asked for by id do not exist (any more)."""

    def __init__(self, message: str, ids: set[str], *, detail: PlatformError):
        super().__init__(message, retryable=False, detail=detail)
        self.ids = ids


def canonical_action_value(values: dict[str, float], concept: str) -> float:
    """Return one value for an action concept (`post_engagement`) without summing duplicates.

    A fully qualified type (`offsite_conversion.custom.123`, `omni_purchase`) is read as is.
    Conversions and leads are counted from every type by campaigns/conversions.py instead.
    """
    if "." in concept or concept.startswith("omni_"):
        return values.get(concept, 0.0)
    for prefix in ACTION_PREFIXES:
        key = f"{prefix}{concept}"
        if key in values:
            return values[key]
    return 0.0


def _actions(items: list[dict[str, Any]] | None) -> dict[str, float]:
    return {item["action_type"]: to_float(item.get("value")) for item in items or []}


def _date(value: str | None) -> dt.date | None:
    # "2026-03-01T00:00:00-0500": the date as the account sees it is the first ten characters.
    return dt.date.fromisoformat(value[:10]) if value else None


class MetaConnector(Connector):
    platform = "meta"
    token_help = (
        "Create a new system-user token with ads_read in Meta Business Settings and set it as "
        "YENNI_TOKEN_META_<ACCOUNT ID> (or YENNI_META_ACCESS_TOKEN), then run "
        "`python manage.py ingest --platform meta`."
    )

    def __init__(self, **kwargs: Any):
        super().__init__(**kwargs)
        # Page sizes Meta asked to reduce, by edge; later pages and chunks keep them.
        self._limits: dict[str, int] = {}
        # The run's ads (listed, and archived or deleted ones read by id), read once.
        self._ads_read: Parsed | None = None

    @property
    def account_path(self) -> str:
        return self.account_id if self.account_id.startswith("act_") else f"act_{self.account_id}"

    def error_body_parse(self, status: int, body: Any) -> PlatformError:
        """Graph's error body: {"error": {message, type, code, error_subcode, fbtrace_id}}."""
        error = body["error"]
        return PlatformError(
            http_status=status,
            status=str(error.get("type", "")),
            code=str(error.get("code", "")),
            subcode=str(error.get("error_subcode", "")),
            message=str(error.get("message", ""))[:300],
            trace_id=str(error.get("fbtrace_id", "")),
        )

    def error_for(self, response: requests.Response) -> ConnectorError:
        detail = self.error_detail(response)
        code = int(detail.code) if detail.code.isdigit() else 0
        try:
            transient = bool(response.json()["error"].get("is_transient"))
        except (ValueError, KeyError, TypeError, AttributeError):
            transient = False
        status, summary = response.status_code, detail.summary()
        if code in AUTH_CODES or (status == 401 and not code):
            return self.auth_error(summary, platform_error=detail)
        if code == UNKNOWN_IDS_CODE:
            # Checked before the 404 below: Graph sends #803 with HTTP 404, not a version.
            named = re.search(r"do not exist:\s*(.*)$", detail.message)
            ids = {i.strip() for i in (named.group(1) if named else "").split(",") if i.strip()}
            return UnknownIds(f"Meta answered {summary}", ids, detail=detail)
        if code == DEPRECATED_VERSION_CODE or status == 404:
            # Graph paths Yenni calls exist in every served version: a 404 is the version.
            return self.version_error(detail)
        if code in THROTTLE_CODES:
            return ConnectorError(
                f"Meta throttled the account ({summary})",
                retryable=True,
                wait_seconds=self._regain_seconds(response),
                detail=detail,
            )
        if code == 10 or 200 <= code <= 299:
            return ConnectorError(
                f"The Meta token of account {self.account_label} lacks a permission "
                f"({summary}). Give the system user ads_read on this ad account.",
                retryable=False,
                detail=detail,
            )
        if status == 500 and "reduce the amount of data" in detail.message.lower():
            return TooMuchData(f"Meta asked for less data a page ({detail.message})")
        retryable = status >= 500 or transient or code in (1, 2)
        return ConnectorError(f"Meta answered {summary}", retryable=retryable, detail=detail)

    def pause_after(self, response: requests.Response) -> float | None:
        """Rest when any usage header is at 95 % or more, as Airbyte does, before Meta throttles."""
        highest = 0.0
        for name in (
            "X-Business-Use-Case-Usage",
            "X-App-Usage",
            "X-Ad-Account-Usage",
            "x-fb-ads-insights-throttle",
        ):
            raw = response.headers.get(name)
            if not raw:
                continue
            try:
                usage = json.loads(raw)
            except ValueError:
                continue
            entries = (
                [usage]
                if name != "X-Business-Use-Case-Usage"
                else [entry for group in usage.values() for entry in group]
            )
            for entry in entries:
                for key in (
                    "call_count",
                    "total_cputime",
                    "total_time",
                    "acc_id_util_pct",
                    "app_id_util_pct",
                ):
                    try:
                        highest = max(highest, float(entry.get(key, 0)))
                    except (TypeError, ValueError, AttributeError):
                        continue
        if highest < 95:
            return None
        return self._regain_seconds(response)

    def _regain_seconds(self, response: requests.Response) -> float | None:
        """Read the longest `estimated_time_to_regain_access` (minutes) from the usage header."""
        minutes = 0.0
        raw = response.headers.get("X-Business-Use-Case-Usage")
        try:
            usage = json.loads(raw) if raw else {}
            for entries in usage.values():
                for entry in entries:
                    minutes = max(minutes, float(entry.get("estimated_time_to_regain_access", 0)))
        except (ValueError, TypeError, AttributeError):
            return None
        # Airbyte waits at least a minute once Meta says it is throttling.
        return max(minutes, 1.0) * 60

    def _pages(self, endpoint: str, params: dict[str, Any], *, edge: str = "") -> list[Any]:
        """Every page of an edge of the account; `endpoint` names the call (archive, errors)."""
        edge = edge or endpoint
        url = f"{self.base_url}/{self.account_path}/{edge}"
        limit = self._limits.get(edge, self.page_size)
        query: dict[str, Any] | None = {**params, "limit": limit}
        payloads = []
        while url:
            try:
                payload = self.request("GET", url, endpoint=endpoint, params=query)
            except TooMuchData:
                # As Airbyte does: halve the page and ask again; later pages keep the new size.
                if limit <= 1:
                    raise
                limit = self._limits[edge] = limit // 2
                if query is not None:
                    query["limit"] = limit
                else:
                    url = url_with_param(url, "limit", str(limit))
                continue
            payloads.append(payload)
            paging = payload.get("paging") if isinstance(payload, dict) else None
            next_url = (paging or {}).get("next", "")
            # `next` carries every parameter again; the token goes in the header, never a URL.
            url = url_without_params(next_url, {"access_token"}) if next_url else ""
            query = None
        return payloads

    def account_check(self) -> AccountCheck:
        body = self.request(
            "GET",
            f"{self.base_url}/{self.account_path}",
            endpoint="account_check",
            params={"fields": "id,name,account_status,currency"},
        )
        status = body.get("account_status")
        return AccountCheck(
            name=body.get("name", ""),
            status=ACCOUNT_STATUSES.get(status, str(status or "")),
            currency=body.get("currency", ""),
        )

    def fetch_campaigns(self) -> list[CampaignRecord]:
        pages = self._pages("campaigns", {"fields": CAMPAIGN_FIELDS})
        return self.parse("campaigns", pages).campaigns

    def fetch_ads(self) -> list[AdRecord]:
        return self._run_ads().ads

    def fetch_creatives(self) -> list[CreativeRecord]:
        pages = self._pages("adcreatives", {"fields": CREATIVE_FIELDS})
        listed = self.parse("adcreatives", pages).creatives
        # The creatives of ads read by id come whole with them; add those the listing lacks.
        found = {c.external_id: c for c in self._run_ads().creatives}
        for creative in listed:
            found.pop(creative.external_id, None)
        return listed + list(found.values())

    def fetch_daily_metrics(self, since: dt.date, until: dt.date) -> list[DailyMetricRecord]:
        params = {
            "level": "ad",
            "time_increment": 1,
            "time_range": json.dumps({"since": since.isoformat(), "until": until.isoformat()}),
            "fields": INSIGHT_FIELDS,
            # Without it insights leave out ARCHIVED and DELETED ads' rows.
            "filtering": _status_filter(ALL_AD_STATUSES),
        }
        return self.parse("insights", self._pages("insights", params)).metrics

    def _run_ads(self) -> Parsed:
        """Every ad a run may read history of, once a run (before the catalog is saved).

        1. The `ads` edge with every status it accepts: live ads and ARCHIVED ones.
        2. Insights (one call, one row per ad, Meta's whole reach of 37 months) name the
           ARCHIVED and DELETED ads that ever served; the edge never lists DELETED ones.
        3. Those the edge did not list are read by id, 50 a call, with their creative whole.
        The catalog is saved before any daily metric is read, so a deleted ad must be known
        here, or its history would land on a stub without name, status or creative.
        """
        if self._ads_read is None:
            statuses = json.dumps(AD_EDGE_STATUSES, separators=(",", ":"))
            params = {"fields": AD_FIELDS, "effective_status": statuses}
            parsed = self.parse("ads", self._pages("ads", params))
            listed = {ad.external_id for ad in parsed.ads}
            unlisted = [ad_id for ad_id in self._ads_delivered() if ad_id not in listed]
            parsed.extend(self._ads_by_id(unlisted))
            self._ads_read = parsed
        return self._ads_read

    def _ads_delivered(self) -> list[str]:
        """Ids of the ARCHIVED and DELETED ads that have insights (one row each)."""
        params = {
            "level": "ad",
            "fields": "ad_id",
            "date_preset": "maximum",
            "filtering": _status_filter(("ARCHIVED", "DELETED")),
        }
        pages = self._pages("ads_delivered", params, edge="insights")
        try:
            ids = [str(row["ad_id"]) for page in pages for row in page["data"]]
        except (KeyError, TypeError) as exc:
            raise ConnectorError(
                f"meta sent an ads_delivered response of an unexpected shape "
                f"({type(exc).__name__}: {exc})",
                retryable=False,
            ) from exc
        return list(dict.fromkeys(ids))

    def _ads_by_id(self, ids: list[str]) -> Parsed:
        """Read ads by their own id, which Meta answers for ARCHIVED and DELETED ads too."""
        parsed = Parsed()
        for first in range(0, len(ids), LOOKUP_BATCH):
            batch = ids[first : first + LOOKUP_BATCH]
            while batch:
                try:
                    payload = self.request(
                        "GET",
                        f"{self.base_url}/",
                        endpoint="ads_by_id",
                        params={"ids": ",".join(batch), "fields": AD_LOOKUP_FIELDS},
                    )
                except UnknownIds as exc:
                    gone = exc.ids & set(batch)
                    if not gone:
                        raise
                    # Their history still lands, on an ad without name or creative.
                    logger.warning(
                        "Meta account %s no longer answers ads %s by id; read without them",
                        self.account_label,
                        ", ".join(sorted(gone)),
                    )
                    batch = [ad_id for ad_id in batch if ad_id not in gone]
                    continue
                parsed.extend(self.parse("ads_by_id", [payload]))
                break
        return parsed

    # Parsing -------------------------------------------------------------------------------

    def parse_payload(self, endpoint: str, payload: Any) -> Parsed:
        if endpoint == "ads_by_id":
            return self._ads_by_id_parse(payload)
        if endpoint == "ads_delivered":
            return Parsed()  # ad ids only: what they name is read by id
        rows = payload["data"]
        if not isinstance(rows, list):
            raise TypeError("data is not a list")
        parse = {
            "campaigns": self._campaigns,
            "ads": self._ads,
            "adcreatives": self._creatives,
            "insights": self._metrics,
        }[endpoint]
        return parse(rows)

    def _campaigns(self, rows: list[dict[str, Any]]) -> Parsed:
        return Parsed(
            campaigns=[
                CampaignRecord(
                    external_id=str(row["id"]),
                    name=row.get("name", ""),
                    objective_raw=row.get("objective", ""),
                    status=row.get("effective_status") or row.get("status", ""),
                    start_date=_date(row.get("start_time")),
                    end_date=_date(row.get("stop_time")),
                )
                for row in rows
            ]
        )

    def _ads(self, rows: list[dict[str, Any]]) -> Parsed:
        return Parsed(
            ads=[
                AdRecord(
                    external_id=str(row["id"]),
                    campaign_external_id=str(row["campaign_id"]),
                    name=row.get("name", ""),
                    status=row.get("effective_status") or row.get("status", ""),
                    creative_external_id=str((row.get("creative") or {}).get("id", "")),
                )
                for row in rows
            ]
        )

    def _ads_by_id_parse(self, payload: dict[str, Any]) -> Parsed:
        """`{id: ad}` of `GET /?ids=…` (or one ad of `GET /{id}`), each with its creative."""
        objects = [payload] if "id" in payload else list(payload.values())
        parsed = self._ads(objects)
        # A creative with more than its id was asked for whole (AD_LOOKUP_FIELDS).
        whole = [ad["creative"] for ad in objects if len(ad.get("creative") or {}) > 1]
        parsed.extend(self._creatives(whole))
        return parsed

    def _creatives(self, rows: list[dict[str, Any]]) -> Parsed:
        records = []
        for row in rows:
            link_data = (row.get("object_story_spec") or {}).get("link_data") or {}
            cta = link_data.get("call_to_action") or {}
            images = [row.get("image_url")]
            images += [child.get("picture") for child in link_data.get("child_attachments") or []]
            images += [
                image.get("url") for image in (row.get("asset_feed_spec") or {}).get("images") or []
            ]
            if not any(images):
                images.append(row.get("thumbnail_url"))
            unique = tuple(dict.fromkeys(url for url in images if url))
            records.append(
                CreativeRecord(
                    external_id=str(row["id"]),
                    name=row.get("name", ""),
                    headline=row.get("title") or link_data.get("name", ""),
                    body=row.get("body") or link_data.get("message", ""),
                    call_to_action=row.get("call_to_action_type") or cta.get("type", ""),
                    landing_url=link_data.get("link") or (cta.get("value") or {}).get("link", ""),
                    image_urls=unique,
                )
            )
        return Parsed(creatives=records)

    def _metrics(self, rows: list[dict[str, Any]]) -> Parsed:
        records = []
        for row in rows:
            actions = _actions(row.get("actions"))
            # Read from Meta's decimal strings, not through a float: exact micros.
            values = {
                item["action_type"]: to_micros(item.get("value"))
                for item in row.get("action_values") or []
            }
            video = _actions(row.get("video_thruplay_watched_actions"))
            records.append(
                DailyMetricRecord(
                    ad_external_id=str(row["ad_id"]),
                    campaign_external_id=str(row.get("campaign_id", "")),
                    date=dt.date.fromisoformat(row["date_start"]),
                    impressions=to_int(row.get("impressions")),
                    reach=to_int(row.get("reach")),
                    clicks=to_int(row.get("clicks")),
                    link_clicks=to_int(row.get("inline_link_clicks")),
                    spend_micros=to_micros(row.get("spend")),
                    video_views=round(canonical_action_value(video, "video_view")),
                    engagements=round(canonical_action_value(actions, "post_engagement")),
                    # Every action type as Meta names it, prefixed duplicates included: which
                    # count as conversions and leads is the account's choice, applied when
                    # the rows are stored (campaigns/conversions.py counts each once).
                    conversions_by_type=actions,
                    conversion_values_by_type=values,
                    reports_conversion_types=True,
                )
            )
        return Parsed(metrics=records)
