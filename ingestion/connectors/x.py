"""X (Twitter) Ads API v12: campaigns, line items, promoted tweets, tweets, cards, daily stats.

A promoted tweet is what runs, so it is the ad; its tweet, card and media make the creative
(ingestion/connectors/x_creatives.py). The objective sits on the line items of a campaign
(they all share it). Stats are synchronous calls of at most 20 entity ids and 7 days, in whole
hours of the account's time zone, with one value a day per metric (or null). Conversions come
per type, and every type is kept on the record; which count as the day's conversions is the
account's choice (campaigns/conversions.py, default YENNI_X_CONVERSION_METRICS).
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import logging
import time
from typing import Any
from zoneinfo import ZoneInfo

import requests

from ingestion.connectors.base import AuthError, Connector, ConnectorError, PartialDay
from ingestion.connectors.records import (
    AdRecord,
    CampaignRecord,
    CreativeRecord,
    DailyMetricRecord,
    Parsed,
    to_int,
)
from ingestion.connectors.x_creatives import (
    XCard,
    ad_name,
    card_parse,
    creative_build,
    media_picture_url,
    tweet_id,
    tweet_text,
)

logger = logging.getLogger(__name__)

METRIC_GROUPS = "ENGAGEMENT,BILLING,VIDEO,WEB_CONVERSION"
# X answers MOBILE_CONVERSION only alone, and it matters only to app campaigns ("Metrics by
# Objective" in the X Ads docs), so it is asked apart and only for their promoted tweets.
MOBILE_GROUP = "MOBILE_CONVERSION"
APP_OBJECTIVES = {"APP_INSTALLS", "APP_ENGAGEMENTS"}
MAX_IDS = 20
MAX_DAYS = 7
BATCH = 200  # tweet_ids and card_uris per call
AUTH_CODES = {"UNAUTHORIZED_ACCESS", "INVALID_ACCESS_TOKEN", "EXPIRED_ACCESS_TOKEN"}


def _at(values: Any, index: int) -> int:
    if not isinstance(values, list) or index >= len(values):
        return 0
    return to_int(values[index])


def _conversions_of_day(metrics: dict[str, Any], index: int) -> tuple[dict, dict]:
    """Every conversion type in a stats `metrics` object on day `index`: counts, sale amounts."""
    counts: dict[str, float] = {}
    values: dict[str, int] = {}
    for name, found in metrics.items():
        if not name.startswith(("conversion_", "mobile_conversion_")):
            continue
        if not isinstance(found, dict):
            raise TypeError(f"{name} is not an object of arrays")
        if "metric" in found:
            counts[name] = _at(found["metric"], index)
        else:
            counts[name] = _at(found.get("post_view"), index) + _at(
                found.get("post_engagement"), index
            )
        values[name] = _at(found.get("sale_amount"), index)
    return counts, values


def _mobile_type(name: str) -> bool:
    """A type of the MOBILE_CONVERSION answer (asked apart, for app ads)."""
    return name.startswith("mobile_conversion_")


def _web_type(name: str) -> bool:
    """A type of the web stats answer (the WEB_CONVERSION group)."""
    return not _mobile_type(name)


def _date(value: str | None) -> dt.date | None:
    return dt.datetime.fromisoformat(value.replace("Z", "+00:00")).date() if value else None


def _status(row: dict[str, Any]) -> str:
    # A deleted entity keeps its last entity_status (PAUSED, mostly); the flag says the truth.
    return "DELETED" if row.get("deleted") else row.get("entity_status", "")


class XConnector(Connector):
    platform = "x"
    token_help = (
        "Authorise Yenni again in X Ads and set the new token as YENNI_TOKEN_X_<ACCOUNT ID> (or "
        "YENNI_X_ACCESS_TOKEN), then run `python manage.py ingest --platform x`."
    )

    def __init__(self, **kwargs: Any):
        super().__init__(**kwargs)
        # What responses taught, by id: replay parses the same bodies and resolves at the end.
        self._line_items: dict[str, dict[str, Any]] | None = None
        self._tweets: dict[str, dict[str, Any]] = {}
        self._cards: dict[str, XCard] = {}
        self._pictures: dict[str, str] = {}  # media key → picture URL
        self._mobile: dict[tuple[str, dt.date], tuple[dict, dict]] = {}
        # The ad-days each kind of stats answer covered (every ad asked, every day of it),
        # and the records that hold only one kind's half of their day (see metrics_partial).
        self._web_covered: set[tuple[str, dt.date]] = set()
        self._mobile_covered: set[tuple[str, dt.date]] = set()
        self._partial: dict[tuple[str, dt.date], PartialDay] = {}
        self._promoted: list[AdRecord] | None = None
        self._ads: list[AdRecord] | None = None
        self._creatives: list[CreativeRecord] | None = None

    @property
    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.options.get("time_zone") or "UTC")

    def error_for(self, response: requests.Response) -> ConnectorError:
        try:
            errors = response.json().get("errors") or [{}]
            code = str(errors[0].get("code", ""))
            message = str(errors[0].get("message", ""))[:300]
        except (ValueError, TypeError, AttributeError, IndexError):
            code, message = "", ""
        status = response.status_code
        if status == 401 or code in AUTH_CODES:
            return self.auth_error(f"{code or status}: {message}")
        if status == 429:
            wait = None
            reset = response.headers.get("x-account-rate-limit-reset") or response.headers.get(
                "x-rate-limit-reset"
            )
            if reset and reset.isdigit():
                wait = max(int(reset) - time.time(), 1.0)
            return ConnectorError(
                f"X rate limit reached ({code or 'TOO_MANY_REQUESTS'})",
                retryable=True,
                wait_seconds=wait,
            )
        return ConnectorError(
            f"X answered HTTP {status} ({code or 'no code'}: {message or 'no message'})",
            retryable=status >= 500,
        )

    def _list(
        self, endpoint: str, params: dict[str, Any] | None = None, *, limit: int = 1000
    ) -> list[Any]:
        url = f"{self.base_url}/accounts/{self.account_id}/{endpoint}"
        pages, cursor = [], ""
        while True:
            query = {**(params or {}), "count": min(self.page_size, limit), "with_deleted": "true"}
            if cursor:
                query["cursor"] = cursor
            page = self.request("GET", url, endpoint=endpoint, params=query)
            pages.append(page)
            cursor = page.get("next_cursor") or ""
            if not cursor:
                return pages

    def _line_item_map(self) -> dict[str, dict[str, Any]]:
        if self._line_items is None:
            self._line_items = {}
            self.parse("line_items", self._list("line_items"))
        return self._line_items

    def resolve(self, parsed: Parsed) -> Parsed:
        """Complete what one response cannot say alone.

        Campaigns get their line items' objective; ads their campaign (not line item) and a
        name from their tweet; creatives their card's copy and pictures; metrics the mobile
        conversions asked apart.
        """
        items = self._line_items or {}
        objectives: dict[str, str] = {}
        for item in items.values():
            objectives.setdefault(item["campaign_id"], item.get("objective", ""))
        return Parsed(
            campaigns=[
                dataclasses.replace(c, objective_raw=objectives.get(c.external_id, ""))
                for c in parsed.campaigns
            ],
            ads=[self._ad_resolved(ad, items) for ad in parsed.ads],
            creatives=[self._creative_resolved(c) for c in parsed.creatives],
            metrics=self._metrics_resolved(parsed.metrics),
        )

    def _ad_resolved(self, ad: AdRecord, items: dict[str, dict[str, Any]]) -> AdRecord:
        tweet = self._tweets.get(ad.creative_external_id) or {}
        card = self._cards.get(tweet.get("card_uri") or "")
        return dataclasses.replace(
            ad,
            campaign_external_id=items.get(ad.campaign_external_id, {}).get("campaign_id", ""),
            name=ad.name or ad_name(tweet_text(tweet), card.name if card else ""),
        )

    def _creative_resolved(self, creative: CreativeRecord) -> CreativeRecord:
        tweet = self._tweets.get(creative.external_id)
        if tweet is None:
            return creative
        return creative_build(tweet, self._cards.get(tweet.get("card_uri") or ""), self._pictures)

    # Catalog ---------------------------------------------------------------------------------

    def fetch_campaigns(self) -> list[CampaignRecord]:
        campaigns = self.parse("campaigns", self._list("campaigns")).campaigns
        self._line_item_map()
        return self.resolve(Parsed(campaigns=campaigns)).campaigns

    def _promoted_tweets(self) -> list[AdRecord]:
        """The promoted tweets as listed, deleted ones included; line items not yet resolved."""
        if self._promoted is None:
            self._promoted = self.parse("promoted_tweets", self._list("promoted_tweets")).ads
            self._line_item_map()
        return self._promoted

    def fetch_ads(self) -> list[AdRecord]:
        if self._ads is None:
            self.fetch_creatives()  # an ad's name comes from its tweet
            self._ads = self.resolve(Parsed(ads=self._promoted_tweets())).ads
        return self._ads

    def fetch_creatives(self) -> list[CreativeRecord]:
        """Read the promoted tweets' tweets, then their cards, then the cards' media."""
        if self._creatives is not None:
            return self._creatives
        ids = list(dict.fromkeys(ad.creative_external_id for ad in self._promoted_tweets()))
        url = f"{self.base_url}/accounts/{self.account_id}/tweets"
        tweets: list[CreativeRecord] = []
        for start in range(0, len(ids), BATCH):
            params = {
                "tweet_ids": ",".join(ids[start : start + BATCH]),
                "tweet_type": "PUBLISHED",
                "count": BATCH,
                "trim_user": "true",
            }
            page = self.request("GET", url, endpoint="tweets", params=params)
            tweets += self.parse("tweets", [page]).creatives
        uris = list(
            dict.fromkeys(t["card_uri"] for t in self._tweets.values() if t.get("card_uri"))
        )
        for start in range(0, len(uris), BATCH):
            params = {
                "card_uris": ",".join(uris[start : start + BATCH]),
                "include_legacy_cards": "true",
            }
            self.parse("cards", self._list("cards", params, limit=BATCH))
        keys = dict.fromkeys(key for card in self._cards.values() for key in card.media_keys)
        for key in keys:
            self._media_fetch(key)
        self._creatives = self.resolve(Parsed(creatives=tweets)).creatives
        return self._creatives

    def _media_fetch(self, key: str) -> None:
        """Learn the picture of one media key; a media item X no longer gives is skipped.

        A picture must never fail the run (as a failed download does not): the creative is
        kept with its copy and whatever other pictures it has.
        """
        url = f"{self.base_url}/accounts/{self.account_id}/media_library/{key}"
        try:
            self.parse("media_library", [self.request("GET", url, endpoint="media_library")])
        except AuthError:
            raise
        except ConnectorError as exc:
            logger.warning("X %s: media %s skipped: %s", self.account_label, key, exc.message)

    # Daily metrics ---------------------------------------------------------------------------

    def fetch_daily_metrics(self, since: dt.date, until: dt.date) -> list[DailyMetricRecord]:
        ids = [ad.external_id for ad in self.fetch_ads()]
        app_ids = self._app_ad_ids()
        records: list[DailyMetricRecord] = []
        self._stats_reset()
        day = since
        while day <= until:
            last = min(until, day + dt.timedelta(days=MAX_DAYS - 1))
            for i in range(0, len(ids), MAX_IDS):
                payload = self._stats(ids[i : i + MAX_IDS], day, last, METRIC_GROUPS)
                records += self.parse("stats", [payload]).metrics
            for i in range(0, len(app_ids), MAX_IDS):
                payload = self._stats(app_ids[i : i + MAX_IDS], day, last, MOBILE_GROUP)
                self.parse("mobile_stats", [payload])
            day = last + dt.timedelta(days=1)
        records = self.resolve(Parsed(metrics=records)).metrics
        self._stats_reset()
        return records

    def _stats_reset(self) -> None:
        self._mobile = {}
        self._web_covered, self._mobile_covered, self._partial = set(), set(), {}

    def metrics_partial(self) -> dict[tuple[str, dt.date], PartialDay]:
        return dict(self._partial)

    def _app_ad_ids(self) -> list[str]:
        """The promoted tweets of app campaigns: the only ones asked for mobile conversions."""
        items = self._line_item_map()
        return [
            ad.external_id
            for ad in self._promoted_tweets()
            if (items.get(ad.campaign_external_id) or {}).get("objective") in APP_OBJECTIVES
        ]

    def _stats(self, ids: list[str], first: dt.date, last: dt.date, groups: str) -> Any:
        start = dt.datetime.combine(first, dt.time(), tzinfo=self.zone)
        end = dt.datetime.combine(last + dt.timedelta(days=1), dt.time(), tzinfo=self.zone)
        params = {
            "entity": "PROMOTED_TWEET",
            "entity_ids": ",".join(ids),
            "start_time": start.isoformat(),
            "end_time": end.isoformat(),
            "granularity": "DAY",
            "placement": "ALL_ON_TWITTER",
            "metric_groups": groups,
        }
        endpoint = "mobile_stats" if groups == MOBILE_GROUP else "stats"
        url = f"{self.base_url}/stats/accounts/{self.account_id}"
        return self.request("GET", url, endpoint=endpoint, params=params)

    def _metrics_resolved(self, metrics: list[DailyMetricRecord]) -> list[DailyMetricRecord]:
        """Add the mobile conversions, asked apart, to each day's record.

        A day with mobile conversions but no other figure (attributed after the ad stopped)
        becomes a record of its own.

        A replay of some UTC days can hold a chunk's web stats without its mobile stats, or
        the reverse (a chunk read across midnight): such a record holds one half of its day,
        and the replay keeps the stored other half (metrics_partial): a record without the
        mobile answer keeps the stored mobile types, one with only the mobile answer keeps the
        stored delivery figures and web types. An app ad's day is whole with both answers.
        """
        resolved, seen = [], set()
        self._partial = {}
        for record in metrics:
            key = (record.ad_external_id, record.date)
            seen.add(key)
            counts, values = self._mobile.get(key, ({}, {}))
            resolved.append(
                self._with_conversions(
                    record,
                    {**record.conversions_by_type, **counts},
                    {**record.conversion_values_by_type, **values},
                )
            )
            if key not in self._mobile_covered:
                self._partial[key] = PartialDay(keeps_type=_mobile_type)
        for (ad_id, day), (counts, values) in sorted(self._mobile.items()):
            if (ad_id, day) not in seen and any(counts.values()):
                resolved.append(
                    self._with_conversions(DailyMetricRecord(ad_id, day), counts, values)
                )
                if (ad_id, day) not in self._web_covered:
                    self._partial[(ad_id, day)] = PartialDay(delivery=False, keeps_type=_web_type)
        return resolved

    def _with_conversions(
        self, record: DailyMetricRecord, counts: dict, values: dict
    ) -> DailyMetricRecord:
        # Every type, counted or not: the store sums the ones the account chose.
        return dataclasses.replace(
            record,
            conversions_by_type=counts,
            conversion_values_by_type=values,
            reports_conversion_types=True,
        )

    # Parsing -------------------------------------------------------------------------------

    def parse_payload(self, endpoint: str, payload: Any) -> Parsed:
        rows = payload["data"]
        if endpoint == "media_library":
            self._pictures[rows["media_key"]] = media_picture_url(rows)
            return Parsed()
        if not isinstance(rows, list):
            raise TypeError("data is not a list")
        if endpoint == "campaigns":
            return Parsed(campaigns=[self._campaign(row) for row in rows])
        if endpoint == "promoted_tweets":
            # The line item stands in for the campaign until resolve maps it.
            return Parsed(
                ads=[
                    AdRecord(
                        external_id=row["id"],
                        campaign_external_id=row["line_item_id"],
                        status=_status(row),
                        creative_external_id=str(row["tweet_id"]),
                    )
                    for row in rows
                ]
            )
        if endpoint == "tweets":
            self._tweets.update((tweet_id(row), row) for row in rows)
            return Parsed(creatives=[creative_build(row, None, {}) for row in rows])
        if endpoint == "cards":
            self._cards.update((row["card_uri"], card_parse(row)) for row in rows)
            return Parsed()
        if endpoint == "stats":
            return Parsed(metrics=self._metrics(payload))
        if endpoint == "mobile_stats":
            self._mobile_learn(payload)
            return Parsed()
        if endpoint == "line_items":
            if self._line_items is None:
                self._line_items = {}
            for row in rows:
                self._line_items[row["id"]] = row
            return Parsed()
        raise ValueError(f"unknown endpoint {endpoint}")

    def _campaign(self, row: dict[str, Any]) -> CampaignRecord:
        return CampaignRecord(
            external_id=row["id"],
            name=row.get("name", ""),
            status=_status(row),
            start_date=_date(row.get("start_time")),
            end_date=_date(row.get("end_time")),
        )

    def _days(self, payload: dict[str, Any]) -> tuple[dt.date, int]:
        """The first day of a stats response (account time zone) and how many days it holds."""
        start = dt.datetime.fromisoformat(
            payload["request"]["params"]["start_time"].replace("Z", "+00:00")
        )
        return start.astimezone(self.zone).date(), int(payload.get("time_series_length") or 0)

    def _metrics(self, payload: dict[str, Any]) -> list[DailyMetricRecord]:
        first_day, length = self._days(payload)
        records = []
        for entity in payload["data"]:
            self._web_covered.update(
                (entity["id"], first_day + dt.timedelta(days=i)) for i in range(length)
            )
            for segment in entity.get("id_data") or []:
                metrics = segment.get("metrics") or {}
                for i in range(length):
                    values = {
                        "impressions": _at(metrics.get("impressions"), i),
                        "clicks": _at(metrics.get("clicks"), i),
                        "link_clicks": _at(metrics.get("url_clicks"), i),
                        "spend_micros": _at(metrics.get("billed_charge_local_micro"), i),
                        "video_views": _at(metrics.get("video_total_views"), i),
                        "engagements": _at(metrics.get("engagements"), i),
                    }
                    counts, worth = _conversions_of_day(metrics, i)
                    if not any(values.values()) and not any(counts.values()):
                        continue  # a day with only nulls: the ad did not run
                    record = DailyMetricRecord(
                        ad_external_id=entity["id"], date=first_day + dt.timedelta(days=i), **values
                    )
                    records.append(self._with_conversions(record, counts, worth))
        return records

    def _mobile_learn(self, payload: dict[str, Any]) -> None:
        """Keep a MOBILE_CONVERSION response's counts by (ad, day) until resolve adds them."""
        first_day, length = self._days(payload)
        for entity in payload["data"]:
            self._mobile_covered.update(
                (entity["id"], first_day + dt.timedelta(days=i)) for i in range(length)
            )
            for segment in entity.get("id_data") or []:
                metrics = segment.get("metrics") or {}
                for i in range(length):
                    key = (entity["id"], first_day + dt.timedelta(days=i))
                    self._mobile[key] = _conversions_of_day(metrics, i)
