"""X (Twitter) Ads API v12: campaigns, line items, promoted tweets, tweets, daily stats.

A promoted tweet is what runs, so it is the ad; the tweet is its creative. The objective sits
on the line items of a campaign (they all share it). Stats are synchronous calls of at most 20
entity ids and 7 days, in whole hours of the account's time zone, with one value a day per
metric (or null).
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import time
from typing import Any
from zoneinfo import ZoneInfo

import requests

from ingestion.connectors.base import Connector, ConnectorError
from ingestion.connectors.records import (
    AdRecord,
    CampaignRecord,
    CreativeRecord,
    DailyMetricRecord,
    Parsed,
    to_int,
)

METRIC_GROUPS = "ENGAGEMENT,BILLING,VIDEO,WEB_CONVERSION"
MAX_IDS = 20
MAX_DAYS = 7
AUTH_CODES = {"UNAUTHORIZED_ACCESS", "INVALID_ACCESS_TOKEN", "EXPIRED_ACCESS_TOKEN"}


def _series(metrics: dict[str, Any], name: str, index: int) -> int:
    values = metrics.get(name)
    if isinstance(values, dict):  # conversion metrics nest their series under "metric"
        values = values.get("metric")
    if not values or index >= len(values):
        return 0
    return to_int(values[index])


def _sale_amount(metrics: dict[str, Any], index: int) -> int:
    values = (metrics.get("conversion_purchases") or {}).get("sale_amount")
    if not values or index >= len(values):
        return 0
    return to_int(values[index])


def _date(value: str | None) -> dt.date | None:
    return dt.datetime.fromisoformat(value.replace("Z", "+00:00")).date() if value else None


class XConnector(Connector):
    platform = "x"
    token_help = (
        "Authorise Yenni again in X Ads and set the new token as YENNI_TOKEN_X_<ACCOUNT ID> (or "
        "YENNI_X_ACCESS_TOKEN), then run `python manage.py ingest --platform x`."
    )

    def __init__(self, **kwargs: Any):
        super().__init__(**kwargs)
        self._line_items: dict[str, dict[str, Any]] | None = None
        self._ads: list[AdRecord] | None = None

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

    def _list(self, endpoint: str, params: dict[str, Any] | None = None) -> list[Any]:
        url = f"{self.base_url}/accounts/{self.account_id}/{endpoint}"
        pages, cursor = [], ""
        while True:
            query = {**(params or {}), "count": min(self.page_size, 1000), "with_deleted": "true"}
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
        """Give campaigns their line items' objective and ads their campaign (not line item)."""
        items = self._line_items or {}
        objectives: dict[str, str] = {}
        for item in items.values():
            objectives.setdefault(item["campaign_id"], item.get("objective", ""))
        return Parsed(
            campaigns=[
                dataclasses.replace(c, objective_raw=objectives.get(c.external_id, ""))
                for c in parsed.campaigns
            ],
            ads=[
                dataclasses.replace(
                    ad,
                    campaign_external_id=items.get(ad.campaign_external_id, {}).get(
                        "campaign_id", ""
                    ),
                )
                for ad in parsed.ads
            ],
            creatives=parsed.creatives,
            metrics=parsed.metrics,
        )

    def fetch_campaigns(self) -> list[CampaignRecord]:
        campaigns = self.parse("campaigns", self._list("campaigns")).campaigns
        self._line_item_map()
        return self.resolve(Parsed(campaigns=campaigns)).campaigns

    def fetch_ads(self) -> list[AdRecord]:
        if self._ads is None:
            ads = self.parse("promoted_tweets", self._list("promoted_tweets")).ads
            self._line_item_map()
            self._ads = self.resolve(Parsed(ads=ads)).ads
        return self._ads

    def fetch_creatives(self) -> list[CreativeRecord]:
        tweet_ids = list(dict.fromkeys(ad.creative_external_id for ad in self.fetch_ads()))
        url = f"{self.base_url}/accounts/{self.account_id}/tweets"
        creatives = []
        for start in range(0, len(tweet_ids), 100):
            batch = ",".join(tweet_ids[start : start + 100])
            params = {"tweet_ids": batch, "tweet_type": "PUBLISHED", "count": 100}
            page = self.request("GET", url, endpoint="tweets", params=params)
            creatives += self.parse("tweets", [page]).creatives
        return creatives

    def fetch_daily_metrics(self, since: dt.date, until: dt.date) -> list[DailyMetricRecord]:
        ids = [ad.external_id for ad in self.fetch_ads()]
        url = f"{self.base_url}/stats/accounts/{self.account_id}"
        records = []
        day = since
        while day <= until:
            last = min(until, day + dt.timedelta(days=MAX_DAYS - 1))
            start = dt.datetime.combine(day, dt.time(), tzinfo=self.zone)
            end = dt.datetime.combine(last + dt.timedelta(days=1), dt.time(), tzinfo=self.zone)
            for i in range(0, len(ids), MAX_IDS):
                params = {
                    "entity": "PROMOTED_TWEET",
                    "entity_ids": ",".join(ids[i : i + MAX_IDS]),
                    "start_time": start.isoformat(),
                    "end_time": end.isoformat(),
                    "granularity": "DAY",
                    "placement": "ALL_ON_TWITTER",
                    "metric_groups": METRIC_GROUPS,
                }
                payload = self.request("GET", url, endpoint="stats", params=params)
                records += self.parse("stats", [payload]).metrics
            day = last + dt.timedelta(days=1)
        return records

    # Parsing -------------------------------------------------------------------------------

    def parse_payload(self, endpoint: str, payload: Any) -> Parsed:
        rows = payload["data"]
        if not isinstance(rows, list):
            raise TypeError("data is not a list")
        if endpoint == "campaigns":
            return Parsed(
                campaigns=[
                    CampaignRecord(
                        external_id=row["id"],
                        name=row.get("name", ""),
                        status=row.get("entity_status", ""),
                        start_date=_date(row.get("start_time")),
                        end_date=_date(row.get("end_time")),
                    )
                    for row in rows
                ]
            )
        if endpoint == "promoted_tweets":
            # The line item stands in for the campaign until fetch_ads resolves it.
            return Parsed(
                ads=[
                    AdRecord(
                        external_id=row["id"],
                        campaign_external_id=row["line_item_id"],
                        status=row.get("entity_status", ""),
                        creative_external_id=str(row["tweet_id"]),
                    )
                    for row in rows
                ]
            )
        if endpoint == "tweets":
            return Parsed(creatives=[self._creative(row) for row in rows])
        if endpoint == "stats":
            return Parsed(metrics=self._metrics(payload))
        if endpoint == "line_items":
            if self._line_items is None:
                self._line_items = {}
            for row in rows:
                self._line_items[row["id"]] = row
            return Parsed()
        raise ValueError(f"unknown endpoint {endpoint}")

    def _creative(self, row: dict[str, Any]) -> CreativeRecord:
        text = row.get("full_text") or row.get("text") or ""
        entities = row.get("extended_entities") or row.get("entities") or {}
        images = [m.get("media_url_https") for m in entities.get("media") or []]
        urls = [u.get("expanded_url") for u in (row.get("entities") or {}).get("urls") or []]
        return CreativeRecord(
            external_id=str(row.get("id_str") or row.get("tweet_id") or row["id"]),
            headline=text.split("\n", 1)[0][:200],
            body=text,
            landing_url=next((u for u in urls if u), ""),
            image_urls=tuple(dict.fromkeys(url for url in images if url)),
        )

    def _metrics(self, payload: dict[str, Any]) -> list[DailyMetricRecord]:
        start = dt.datetime.fromisoformat(
            payload["request"]["params"]["start_time"].replace("Z", "+00:00")
        )
        first_day = start.astimezone(self.zone).date()
        length = int(payload.get("time_series_length") or 0)
        records = []
        for entity in payload["data"]:
            for segment in entity.get("id_data") or []:
                metrics = segment.get("metrics") or {}
                for i in range(length):
                    values = {
                        "impressions": _series(metrics, "impressions", i),
                        "clicks": _series(metrics, "clicks", i),
                        "link_clicks": _series(metrics, "url_clicks", i),
                        "spend_micros": _series(metrics, "billed_charge_local_micro", i),
                        "conversions": float(_series(metrics, "conversion_purchases", i)),
                        "conversion_value_micros": _sale_amount(metrics, i),
                        "video_views": _series(metrics, "video_total_views", i),
                        "engagements": _series(metrics, "engagements", i),
                    }
                    if not any(values.values()):
                        continue  # a day with only nulls: the ad did not run
                    records.append(
                        DailyMetricRecord(
                            ad_external_id=entity["id"],
                            date=first_day + dt.timedelta(days=i),
                            **values,
                        )
                    )
        return records
