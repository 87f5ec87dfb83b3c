"""Meta Marketing API (Graph): campaigns, ads, ad creatives and daily per-ad insights."""

from __future__ import annotations

import datetime as dt
import json
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
# Meta reports the same action under several prefixes; the first present is the one read.
ACTION_PREFIXES = META_PREFIXES


class TooMuchData(ConnectorError):
    """Meta's HTTP 500 "Please reduce the amount of data": ask again for fewer rows a page."""

    def __init__(self, message: str):
        super().__init__(message, retryable=False)


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
        # Page sizes Meta asked to reduce, by endpoint; later pages and chunks keep them.
        self._limits: dict[str, int] = {}

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

    def _pages(self, endpoint: str, params: dict[str, Any]) -> list[Any]:
        url = f"{self.base_url}/{self.account_path}/{endpoint}"
        limit = self._limits.get(endpoint, self.page_size)
        query: dict[str, Any] | None = {**params, "limit": limit}
        payloads = []
        while url:
            try:
                payload = self.request("GET", url, endpoint=endpoint, params=query)
            except TooMuchData:
                # As Airbyte does: halve the page and ask again; later pages keep the new size.
                if limit <= 1:
                    raise
                limit = self._limits[endpoint] = limit // 2
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
        return self.parse("ads", self._pages("ads", {"fields": AD_FIELDS})).ads

    def fetch_creatives(self) -> list[CreativeRecord]:
        pages = self._pages("adcreatives", {"fields": CREATIVE_FIELDS})
        return self.parse("adcreatives", pages).creatives

    def fetch_daily_metrics(self, since: dt.date, until: dt.date) -> list[DailyMetricRecord]:
        params = {
            "level": "ad",
            "time_increment": 1,
            "time_range": json.dumps({"since": since.isoformat(), "until": until.isoformat()}),
            "fields": INSIGHT_FIELDS,
        }
        return self.parse("insights", self._pages("insights", params)).metrics

    # Parsing -------------------------------------------------------------------------------

    def parse_payload(self, endpoint: str, payload: Any) -> Parsed:
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
