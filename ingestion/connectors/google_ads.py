"""Google Ads API (REST): campaigns, ads with their copy and images, daily per-ad metrics.

Entity lists page through `googleAds:search` (nextPageToken); daily metrics come from
`googleAds:searchStream`, whose reply is a JSON array of batches. int64 values arrive as
strings, doubles as numbers, and fields equal to zero are left out.

Daily metrics take two queries per chunk of days: the ad-day totals, and the conversions split
by conversion action (GAQL refuses impressions, clicks or cost beside that segment). Each day's
record carries both: `conversions_by_type["conversions"]` is Google's primary total
(metrics.conversions, what bidding counts) and every other key is a conversion action by its
name with its all_conversions, so secondary actions are there too.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
import re
from dataclasses import dataclass, field
from typing import Any

import requests

from ingestion.connectors.base import (
    AccountCheck,
    Connector,
    ConnectorError,
    PartialDay,
    PlatformError,
    PlatformErrorItem,
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

# Fields of the supported versions (v23–v26, ingestion/connectors/versions.py): v23 replaced
# campaign.start_date/end_date with start_date_time/end_date_time ("yyyy-MM-dd HH:mm:ss"); the
# old names answer 400 INVALID_ARGUMENT, queryError UNRECOGNIZED_FIELD.
CAMPAIGN_QUERY = (
    "SELECT campaign.id, campaign.name, campaign.status, campaign.advertising_channel_type, "
    "campaign.advertising_channel_sub_type, campaign.bidding_strategy_type, "
    "campaign.start_date_time, campaign.end_date_time FROM campaign"
)
# Removed ads are read too: their history must land on them, with their copy and image.
AD_QUERY = (
    "SELECT campaign.id, ad_group.id, ad_group_ad.ad.id, ad_group_ad.ad.name, ad_group_ad.ad.type, "
    "ad_group_ad.status, ad_group_ad.ad.final_urls, "
    "ad_group_ad.ad.responsive_search_ad.headlines, "
    "ad_group_ad.ad.responsive_search_ad.descriptions, "
    "ad_group_ad.ad.responsive_display_ad.headlines, "
    "ad_group_ad.ad.responsive_display_ad.long_headline, "
    "ad_group_ad.ad.responsive_display_ad.descriptions, "
    "ad_group_ad.ad.responsive_display_ad.marketing_images, "
    "ad_group_ad.ad.responsive_display_ad.call_to_action_text, "
    "ad_group_ad.ad.image_ad.image_url FROM ad_group_ad"
)
ASSET_QUERY = (
    "SELECT asset.resource_name, asset.image_asset.full_size.url, "
    "asset.image_asset.full_size.width_pixels, asset.image_asset.full_size.height_pixels "
    "FROM asset WHERE asset.type = 'IMAGE'"
)
METRIC_QUERY = (
    "SELECT segments.date, campaign.id, ad_group.id, ad_group_ad.ad.id, metrics.impressions, "
    "metrics.clicks, metrics.cost_micros, metrics.conversions, metrics.conversions_value, "
    "metrics.all_conversions, metrics.view_through_conversions, metrics.engagements, "
    "metrics.video_trueview_views, customer.currency_code FROM ad_group_ad "
    "WHERE segments.date BETWEEN '{since}' AND '{until}'"
)
# The same ad-days split by conversion action. Beside segments.conversion_action Google accepts
# conversion metrics only (anything else: queryError
# PROHIBITED_SEGMENT_WITH_METRIC_IN_SELECT_OR_WHERE_CLAUSE), hence a query of its own. Rows of
# all-zero metrics are not sent; removed ads are not filtered out, so their conversions stay.
ACTION_METRIC_QUERY = (
    "SELECT segments.date, campaign.id, ad_group_ad.ad.id, segments.conversion_action, "
    "segments.conversion_action_name, metrics.conversions, metrics.conversions_value, "
    "metrics.all_conversions, metrics.all_conversions_value FROM ad_group_ad "
    "WHERE segments.date BETWEEN '{since}' AND '{until}'"
)
# The key of Google's primary total in conversions_by_type: metrics.conversions, the actions
# whose include_in_conversions_metric is on. The account's default counted type.
PRIMARY_TOTAL = "conversions"
# The cheapest question about an account: one row of the customer resource (ingest --check).
CHECK_QUERY = (
    "SELECT customer.id, customer.descriptive_name, customer.currency_code, customer.status "
    "FROM customer LIMIT 1"
)
RETRYABLE_STATUSES = {"RESOURCE_EXHAUSTED", "RESOURCE_TEMPORARILY_EXHAUSTED", "UNAVAILABLE"}


def _duration_seconds(value: str | None) -> float | None:
    """Read a protobuf Duration as JSON ("30s", "1.5s") in seconds."""
    match = re.fullmatch(r"(\d+(?:\.\d+)?)s", value or "")
    return float(match.group(1)) if match else None


def _texts(items: list[dict[str, Any]] | None) -> list[str]:
    return [item.get("text", "") for item in items or [] if item.get("text")]


def _an_action(name: str) -> bool:
    """A conversion type of the per-action answer: every one but the primary total."""
    return name != PRIMARY_TOTAL


def _date(value: str | None) -> dt.date | None:
    if not value:
        return None
    try:
        return dt.date.fromisoformat(value[:10])
    except ValueError:
        return None


@dataclass
class _DayActions:
    """One ad-day's conversions by action, as one per-action response gave them."""

    campaign_id: str = ""
    counts: dict[str, float] = field(default_factory=dict)
    values: dict[str, int] = field(default_factory=dict)
    # The sum of the rows' metrics.conversions: the primary total, for an ad-day that the
    # totals query did not answer.
    primary: float = 0.0
    primary_value: int = 0


def _action_key(segments: dict[str, Any]) -> str:
    """The action's name as the marketing team sees it in Google Ads.

    A renamed action starts a new key from the day it is read under its new name; an action
    without a name is keyed by its resource name's last part ("conversionActions/123"), and
    one named like the primary total gets its id added so the two never mix.
    """
    resource = str(segments.get("conversionAction", ""))
    name = str(segments.get("conversionActionName") or "").strip()
    ident = "/".join(resource.split("/")[-2:])
    if not name:
        return ident or "conversionActions/?"
    return f"{name} ({ident})" if name == PRIMARY_TOTAL else name


class GoogleAdsConnector(Connector):
    platform = "google_ads"
    token_help = (
        "Sign in again with the Google account that manages it, get a new OAuth token with the "
        'adwords scope (or a refresh token as {"client_id", "client_secret", '
        '"refresh_token"}) and set it as YENNI_TOKEN_GOOGLE_ADS_<ACCOUNT ID> (or '
        "YENNI_GOOGLE_ADS_ACCESS_TOKEN), then run `python manage.py ingest --platform google_ads`."
    )

    def __init__(self, **kwargs: Any):
        super().__init__(**kwargs)
        self._image_urls: dict[str, str] | None = None
        self._ad_pages: list[Any] | None = None
        self._access_token: str | None = None
        # (ad id, day) → its conversions by action, from the per-action responses parsed since
        # the last reset; `resolve` adds them to the day records.
        self._actions: dict[tuple[str, dt.date], _DayActions] = {}
        self._pairs_reset()

    def _pairs_reset(self) -> None:
        """Forget which answers came in pairs (see `_pairs_follow`)."""
        # The ad-days of the last totals answer, until the per-action answer that follows it.
        self._totals_waiting: set[tuple[str, dt.date]] | None = None
        # Ad-days any totals answer gave since the reset.
        self._totals_seen: set[tuple[str, dt.date]] = set()
        # Ad-days whose record holds only its half of the day (a replay of part of a chunk).
        self._partial: dict[tuple[str, dt.date], PartialDay] = {}

    def access_token(self) -> str:
        """The OAuth access token: the token itself, or one got from a refresh token.

        A token that is a JSON object {"client_id", "client_secret", "refresh_token"} is
        exchanged once per run, since Google access tokens last an hour.
        """
        if self._access_token is None:
            if self.token.lstrip().startswith("{"):
                self._access_token = self._refresh(json.loads(self.token))
            else:
                self._access_token = self.token
        return self._access_token

    def _refresh(self, credentials: dict[str, str]) -> str:
        url = self.options.get("oauth_token_url") or "https://oauth2.googleapis.com/token"
        form = {
            "grant_type": "refresh_token",
            "client_id": credentials.get("client_id", ""),
            "client_secret": credentials.get("client_secret", ""),
            "refresh_token": credentials.get("refresh_token", ""),
        }
        try:
            response = self.session.post(url, data=form, timeout=self.timeout)
        except requests.RequestException as exc:
            raise ConnectorError(
                f"Google's token service did not answer ({type(exc).__name__})", retryable=True
            ) from exc
        if response.status_code in (400, 401):
            try:
                detail = response.json().get("error", "")
            except ValueError:
                detail = ""
            raise self.auth_error(
                f"the refresh token was refused: {detail or response.status_code}"
            )
        if response.status_code != 200:
            raise ConnectorError(
                f"Google's token service answered HTTP {response.status_code}",
                retryable=response.status_code >= 500,
            )
        return response.json()["access_token"]

    @property
    def customer_id(self) -> str:
        return re.sub(r"\D", "", self.account_id)

    def auth_headers(self) -> dict[str, str]:
        headers = {"Authorization": f"Bearer {self.access_token()}"}
        # Optional since developer tokens were sunset on 2026-09-09; sent when configured.
        if self.options.get("developer_token"):
            headers["developer-token"] = self.options["developer_token"]
        if self.options.get("login_customer_id"):
            headers["login-customer-id"] = re.sub(r"\D", "", self.options["login_customer_id"])
        return headers

    def error_body_parse(self, status: int, body: Any) -> PlatformError:
        """Google's error model: status, message, and GoogleAdsFailure errors in details."""
        error = (body[0] if isinstance(body, list) else body)["error"]
        items, request_id = [], ""
        for detail in error.get("details") or []:
            request_id = request_id or str(detail.get("requestId", ""))
            for item in detail.get("errors") or []:
                # errorCode is a one-key object: {"queryError": "UNRECOGNIZED_FIELD"}.
                codes = " ".join(f"{k} {v}" for k, v in (item.get("errorCode") or {}).items())
                items.append(PlatformErrorItem(codes, str(item.get("message", ""))[:300]))
        return PlatformError(
            http_status=status,
            status=str(error.get("status", "")),
            message=str(error.get("message", ""))[:300],
            trace_id=request_id,
            errors=tuple(items),
        )

    def error_for(self, response: requests.Response) -> ConnectorError:
        detail = self.error_detail(response)
        try:
            body = response.json()
            details = (body[0] if isinstance(body, list) else body)["error"].get("details") or []
        except (ValueError, KeyError, TypeError, IndexError, AttributeError):
            details = []
        code, status = response.status_code, detail.status
        if code == 401 or status == "UNAUTHENTICATED":
            return self.auth_error(detail.summary(), platform_error=detail)
        if code == 403 or status == "PERMISSION_DENIED":
            return ConnectorError(
                f"Google Ads refused access to account {self.account_label} ({detail.summary()})."
                " Give the signed-in user access to the account, or set the manager account as "
                "login_customer_id in the secrets file (YENNI_INGEST_SECRETS_FILE).",
                retryable=False,
                detail=detail,
            )
        if code == 404:
            # Every path Yenni calls exists in the versions it supports: a 404 is the version.
            return self.version_error(detail)
        if code == 429 or status in RETRYABLE_STATUSES:
            return ConnectorError(
                f"Google Ads quota exhausted ({detail.summary()})",
                retryable=True,
                wait_seconds=self._retry_delay(details),
                detail=detail,
            )
        return ConnectorError(
            f"Google Ads answered {detail.summary()}", retryable=code >= 500, detail=detail
        )

    def _retry_delay(self, details: list[dict[str, Any]]) -> float | None:
        delays = []
        for detail in details:
            for error in detail.get("errors") or []:
                quota = (error.get("details") or {}).get("quotaErrorDetails") or {}
                seconds = _duration_seconds(quota.get("retryDelay"))
                if seconds is not None:
                    delays.append(seconds)
            seconds = _duration_seconds(detail.get("retryDelay"))  # google.rpc.RetryInfo
            if seconds is not None:
                delays.append(seconds)
        return max(delays) if delays else None

    def _url(self, method: str) -> str:
        return f"{self.base_url}/customers/{self.customer_id}/googleAds:{method}"

    def _search(self, endpoint: str, query: str) -> list[Any]:
        pages, token = [], ""
        while True:
            body = {"query": query, **({"pageToken": token} if token else {})}
            page = self.request("POST", self._url("search"), endpoint=endpoint, json_body=body)
            pages.append(page)
            token = page.get("nextPageToken", "") if isinstance(page, dict) else ""
            if not token:
                return pages

    def fetch_campaigns(self) -> list[CampaignRecord]:
        return self.parse("campaigns", self._search("campaigns", CAMPAIGN_QUERY)).campaigns

    def _ads_pages(self) -> list[Any]:
        if self._ad_pages is None:
            self._ad_pages = self._search("ads", AD_QUERY)
        return self._ad_pages

    def fetch_ads(self) -> list[AdRecord]:
        return self.parse("ads", self._ads_pages()).ads

    def fetch_creatives(self) -> list[CreativeRecord]:
        """Google has no creative object: each ad's copy and images make one."""
        creatives = self.parse("ads", self._ads_pages()).creatives
        if any(url.startswith("customers/") for c in creatives for url in c.image_urls):
            urls = self._asset_urls()
            creatives = [
                dataclasses.replace(
                    c,
                    image_urls=tuple(
                        urls.get(ref, "") if ref.startswith("customers/") else ref
                        for ref in c.image_urls
                        if not ref.startswith("customers/") or urls.get(ref)
                    ),
                )
                for c in creatives
            ]
        return creatives

    def _asset_urls(self) -> dict[str, str]:
        if self._image_urls is None:
            self._image_urls = {}
            for page in self._search("assets", ASSET_QUERY):
                for row in page.get("results") or []:
                    asset = row["asset"]
                    url = ((asset.get("imageAsset") or {}).get("fullSize") or {}).get("url")
                    if url:
                        self._image_urls[asset["resourceName"]] = url
        return self._image_urls

    def account_check(self) -> AccountCheck:
        page = self.request(
            "POST",
            self._url("search"),
            endpoint="account_check",
            json_body={"query": CHECK_QUERY},
        )
        customer = ((page.get("results") or [{}])[0]).get("customer") or {}
        return AccountCheck(
            name=customer.get("descriptiveName", ""),
            status=customer.get("status", ""),
            currency=customer.get("currencyCode", ""),
        )

    def fetch_daily_metrics(self, since: dt.date, until: dt.date) -> list[DailyMetricRecord]:
        """Two calls: the ad-day totals, then the same days by conversion action."""
        days = {"since": since.isoformat(), "until": until.isoformat()}
        totals = self._stream("metrics", METRIC_QUERY.format(**days))
        by_action = self._stream("metrics_by_action", ACTION_METRIC_QUERY.format(**days))
        self._actions = {}
        self._pairs_reset()
        try:
            metrics = self.parse("metrics", [totals]).metrics
            self.parse("metrics_by_action", [by_action])
            return self.resolve(Parsed(metrics=metrics)).metrics
        finally:
            self._actions = {}
            self._pairs_reset()

    def _stream(self, endpoint: str, query: str) -> Any:
        return self.request(
            "POST", self._url("searchStream"), endpoint=endpoint, json_body={"query": query}
        )

    def resolve(self, parsed: Parsed) -> Parsed:
        """Add each ad-day's conversions by action to its record (also after a replay)."""
        self._totals_unpaired()
        return dataclasses.replace(parsed, metrics=self._metrics_resolved(parsed.metrics))

    def metrics_partial(self) -> dict[tuple[str, dt.date], PartialDay]:
        return dict(self._partial)

    # Which answers came in pairs -------------------------------------------------------------
    # A chunk's totals answer is followed at once by its per-action answer: in a sync, and in
    # the archive, where bodies are read in the order they were fetched. A replay of some UTC
    # days can hold one without the other (a chunk read across midnight, a run killed between
    # the two calls): a record then knows only its half of the day, and the replay keeps the
    # other half as stored (PartialDay).

    def _pairs_follow(self, endpoint: str, keys: set[tuple[str, dt.date]]) -> None:
        """Note a parsed answer and the ad-days it gave, in the order answers are parsed."""
        if endpoint == "metrics_by_action":
            paired = self._totals_waiting is not None
            self._totals_waiting = None
            for key in keys:
                if paired:
                    self._partial.pop(key, None)
                elif key not in self._totals_seen:
                    # Its totals are in a body not replayed: keep the stored delivery.
                    self._partial[key] = PartialDay(delivery=False)
            return
        self._totals_unpaired()
        if endpoint == "metrics":
            for key in keys:
                self._partial.pop(key, None)
            self._totals_seen |= keys
            self._totals_waiting = set(keys)

    def _totals_unpaired(self) -> None:
        """The last totals answer got no per-action answer: keep its ad-days' stored actions."""
        if self._totals_waiting is None:
            return
        for key in self._totals_waiting:
            self._partial[key] = PartialDay(keeps_type=_an_action)
        self._totals_waiting = None

    def _metrics_resolved(self, metrics: list[DailyMetricRecord]) -> list[DailyMetricRecord]:
        """Records with their actions; an ad-day with actions but no totals row gets its own.

        The totals row gives the primary total (metrics.conversions); such an ad-day takes the
        sum of its action rows' metrics.conversions instead, every other figure zero.
        """
        resolved, seen = [], set()
        for record in metrics:
            key = (record.ad_external_id, record.date)
            seen.add(key)
            day = self._actions.get(key)
            if day is not None:
                record = dataclasses.replace(
                    record,
                    conversions_by_type={**record.conversions_by_type, **day.counts},
                    conversion_values_by_type={**record.conversion_values_by_type, **day.values},
                )
            resolved.append(record)
        for (ad_id, date), day in sorted(self._actions.items()):
            if (ad_id, date) not in seen:
                resolved.append(
                    DailyMetricRecord(
                        ad_external_id=ad_id,
                        date=date,
                        campaign_external_id=day.campaign_id,
                        conversions=day.primary,
                        conversion_value_micros=day.primary_value,
                        conversions_by_type={PRIMARY_TOTAL: day.primary, **day.counts},
                        conversion_values_by_type={
                            PRIMARY_TOTAL: day.primary_value,
                            **day.values,
                        },
                    )
                )
        return resolved

    # Parsing -------------------------------------------------------------------------------

    def parse_payload(self, endpoint: str, payload: Any) -> Parsed:
        if endpoint in ("metrics", "metrics_by_action"):
            if not isinstance(payload, list):
                raise TypeError("a searchStream reply is a list of batches")
            rows = [row for batch in payload for row in batch.get("results") or []]
            if endpoint == "metrics_by_action":
                self._pairs_follow(endpoint, self._actions_read(rows))
                return Parsed()
            parsed = self._metrics(rows)
            self._pairs_follow(endpoint, {(r.ad_external_id, r.date) for r in parsed.metrics})
            return parsed
        self._pairs_follow(endpoint, set())
        rows = payload.get("results") or []
        if endpoint == "campaigns":
            return self._campaigns(rows)
        if endpoint == "ads":
            return self._ads(rows)
        if endpoint == "assets":
            return Parsed()
        raise ValueError(f"unknown endpoint {endpoint}")

    def _campaigns(self, rows: list[dict[str, Any]]) -> Parsed:
        records = []
        for row in rows:
            campaign = row["campaign"]
            channel = campaign.get("advertisingChannelType", "")
            strategy = campaign.get("biddingStrategyType", "")
            records.append(
                CampaignRecord(
                    external_id=str(campaign["id"]),
                    name=campaign.get("name", ""),
                    # "CHANNEL - STRATEGY": Google has no objective field (campaigns.objectives).
                    objective_raw=" - ".join(part for part in (channel, strategy) if part),
                    status=campaign.get("status", ""),
                    # "2026-03-01 00:00:00" in the account's time zone: the date is its start.
                    start_date=_date(campaign.get("startDateTime")),
                    end_date=_date(campaign.get("endDateTime")),
                )
            )
        return Parsed(campaigns=records)

    def _ads(self, rows: list[dict[str, Any]]) -> Parsed:
        parsed = Parsed()
        for row in rows:
            ad_group_ad = row["adGroupAd"]
            ad = ad_group_ad["ad"]
            ad_id = str(ad["id"])
            display = ad.get("responsiveDisplayAd") or {}
            search = ad.get("responsiveSearchAd") or {}
            headlines = _texts(display.get("headlines")) or _texts(search.get("headlines"))
            long_headline = (display.get("longHeadline") or {}).get("text", "")
            descriptions = _texts(display.get("descriptions")) or _texts(search.get("descriptions"))
            images = [image.get("asset", "") for image in display.get("marketingImages") or []]
            if (ad.get("imageAd") or {}).get("imageUrl"):
                images.append(ad["imageAd"]["imageUrl"])
            parsed.ads.append(
                AdRecord(
                    external_id=ad_id,
                    campaign_external_id=str(row["campaign"]["id"]),
                    name=ad.get("name", ""),
                    status=ad_group_ad.get("status", ""),
                    creative_external_id=ad_id,
                )
            )
            parsed.creatives.append(
                CreativeRecord(
                    external_id=ad_id,
                    name=ad.get("name", ""),
                    headline=long_headline or (headlines[0] if headlines else ""),
                    body=descriptions[0] if descriptions else "",
                    call_to_action=display.get("callToActionText", ""),
                    landing_url=(ad.get("finalUrls") or [""])[0],
                    image_urls=tuple(dict.fromkeys(url for url in images if url)),
                )
            )
        return parsed

    def _metrics(self, rows: list[dict[str, Any]]) -> Parsed:
        records = []
        for row in rows:
            metrics = row.get("metrics") or {}
            clicks = to_int(metrics.get("clicks"))
            conversions = to_float(metrics.get("conversions"))
            value = to_micros(metrics.get("conversionsValue"))
            record = DailyMetricRecord(
                ad_external_id=str(row["adGroupAd"]["ad"]["id"]),
                campaign_external_id=str((row.get("campaign") or {}).get("id", "")),
                date=dt.date.fromisoformat(row["segments"]["date"]),
                impressions=to_int(metrics.get("impressions")),
                clicks=clicks,
                # A Google Ads click is a click through to the final URL.
                link_clicks=clicks,
                spend_micros=to_int(metrics.get("costMicros")),
                conversions=conversions,
                conversion_value_micros=value,
                video_views=to_int(metrics.get("videoTrueviewViews")),
                engagements=to_int(metrics.get("engagements")),
                conversions_by_type={PRIMARY_TOTAL: conversions},
                conversion_values_by_type={PRIMARY_TOTAL: value},
            )
            # A day read again drops the actions an earlier read gave it: the per-action
            # response that follows this one says what the day has now (replay reads both in
            # the order they were fetched).
            self._actions.pop((record.ad_external_id, record.date), None)
            records.append(record)
        return Parsed(metrics=records)

    def _actions_read(self, rows: list[dict[str, Any]]) -> set[tuple[str, dt.date]]:
        """Keep one per-action response's conversions, by ad-day, replacing earlier reads;
        return the ad-days it gave."""
        read: dict[tuple[str, dt.date], _DayActions] = {}
        for row in rows:
            segments = row["segments"]
            key = (str(row["adGroupAd"]["ad"]["id"]), dt.date.fromisoformat(segments["date"]))
            day = read.setdefault(
                key, _DayActions(campaign_id=str((row.get("campaign") or {}).get("id", "")))
            )
            metrics = row.get("metrics") or {}
            name = _action_key(segments)
            # Two rows of one name (an action of the manager account named like one of the
            # account's own) add up.
            day.counts[name] = day.counts.get(name, 0.0) + to_float(metrics.get("allConversions"))
            day.values[name] = day.values.get(name, 0) + to_micros(
                metrics.get("allConversionsValue")
            )
            day.primary += to_float(metrics.get("conversions"))
            day.primary_value += to_micros(metrics.get("conversionsValue"))
        self._actions.update(read)
        return set(read)
