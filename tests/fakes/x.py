"""A fake X Ads API v12 serving an AccountHistory: cursors, entities, cards, media, daily stats.

Shapes follow the v12 reference (PLATFORM_APIS.md §4): promoted tweets link a line item to a
tweet; a tweet names its card by `card_uri`; a card's components name their media by
`media_key`; `media_library/{media_key}` gives the media's URL (a video's thumbnail is its
`poster_media_url`). Each creative of the history is rendered as one kind of ad (see KINDS).
Deleted promoted tweets are listed only with `with_deleted=true`, still PAUSED, `deleted: true`.
"""

from __future__ import annotations

import datetime as dt
import json
import time
from collections.abc import Callable
from typing import Any
from zoneinfo import ZoneInfo

from tests.fakes.history import AccountHistory, FakeCreative, FakeMetric
from tests.fakes.server import FailurePlan, FakePlatform, FakeRequest, FakeResponse

X_OBJECTIVES = ("WEBSITE_CLICKS", "ENGAGEMENTS", "REACH", "VIDEO_VIEWS", "APP_INSTALLS")
APP_OBJECTIVES = {"APP_INSTALLS", "APP_ENGAGEMENTS"}
METRIC_GROUPS = {"ENGAGEMENT", "BILLING", "VIDEO", "MEDIA", "WEB_CONVERSION", "MOBILE_CONVERSION"}
WEB_CONVERSIONS = (
    "conversion_purchases",
    "conversion_sign_ups",
    "conversion_site_visits",
    "conversion_downloads",
    "conversion_custom",
)
# The creative at index n of the history is rendered as KINDS[n % len(KINDS)]. LEGACY_WEBSITE is
# a card made before v8 (no components), returned only with include_legacy_cards=true.
KINDS = (
    "IMAGE_WEBSITE",
    "VIDEO_WEBSITE",
    "IMAGE_APP",
    "VIDEO_APP",
    "TWEET_IMAGE",
    "LEGACY_WEBSITE",
)
PLAY_APP_ID = "co.wompi.billetera"
MP4 = b"\x00\x00\x00\x18ftypmp42\x00\x00\x00\x00mp42isom" + b"\x00" * 64

ConversionSplit = Callable[[FakeMetric, str], dict[str, int]]


def x_conversions(m: FakeMetric, objective: str) -> dict[str, int]:
    """X's conversion types of one ad-day, as the fake serves them (the truth tests compare to).

    Purchases, sign-ups and custom add up to the history's `conversions` (what Yenni counts by
    default); site visits and downloads come on top; ads of app campaigns add mobile types.
    """
    sign_ups, custom = m.conversions // 2, m.conversions // 4
    found = {
        "conversion_purchases": m.conversions - sign_ups - custom,
        "conversion_sign_ups": sign_ups,
        "conversion_custom": custom,
        "conversion_site_visits": m.clicks // 10,
        "conversion_downloads": m.video_views % 5,
    }
    if objective in APP_OBJECTIVES:
        found["mobile_conversion_installs"] = m.link_clicks // 20
        found["mobile_conversion_sign_ups"] = m.impressions // 1000
    return found


def creative_kind(history: AccountHistory, creative_id: str) -> str:
    index = next(i for i, c in enumerate(history.creatives) if c.id == creative_id)
    return KINDS[index % len(KINDS)]


def card_uri(c: FakeCreative) -> str:
    return f"card://7{c.id}"


def image_key(c: FakeCreative) -> str:
    return f"3_8{c.id}"


def video_key(c: FakeCreative) -> str:
    return f"13_9{c.id}"


def video_path(c: FakeCreative) -> str:
    return c.image_path.removesuffix(".png") + ".mp4"


def _error(status: int, code: str, message: str) -> FakeResponse:
    body = {"errors": [{"code": code, "message": message}], "request": {"params": {}}}
    return FakeResponse(status, json.dumps(body).encode())


def _parse_time(value: str) -> dt.datetime:
    return dt.datetime.fromisoformat(value.replace("Z", "+00:00"))


class FakeX(FakePlatform):
    def __init__(
        self,
        history: AccountHistory,
        *,
        account_id: str = "18ce54d4x5t",
        token: str = "x-test-token",
        time_zone: str = "America/Bogota",
        page_size: int = 3,
        reset_seconds: int = 60,
        failures: FailurePlan | None = None,
    ):
        super().__init__(token=token, failures=failures)
        self.history = history
        self.account_id = account_id
        self.zone = ZoneInfo(time_zone)
        self.page_size = page_size
        self.reset_seconds = reset_seconds
        # How a day's conversions split into X's types; tests may swap it.
        self.conversion_split: ConversionSplit = x_conversions
        # Media keys that answer 404 (media removed from the library).
        self.missing_media: set[str] = set()
        # The query of every stats call answered, in order.
        self.stats_requests: list[dict[str, str]] = []

    def auth_error_response(self, request: FakeRequest) -> FakeResponse:
        return _error(401, "UNAUTHORIZED_ACCESS", "This request is not properly authenticated")

    def throttle_response(self, request: FakeRequest) -> FakeResponse:
        response = _error(429, "TOO_MANY_REQUESTS", "Rate limit exceeded")
        response.headers = {
            "x-rate-limit-limit": "250",
            "x-rate-limit-remaining": "0",
            "x-rate-limit-reset": str(int(time.time()) + self.reset_seconds),
        }
        return response

    def server_error_response(self, request: FakeRequest) -> FakeResponse:
        return _error(503, "SERVICE_UNAVAILABLE", "Service unavailable")

    def image(self, name: str) -> FakeResponse:
        if name.endswith(".mp4"):  # a video file: what media_url of a VIDEO points at
            self.image_downloads += 1
            return FakeResponse(200, MP4, "video/mp4")
        return super().image(name)

    # Routing ----------------------------------------------------------------------------------

    def answer(self, request: FakeRequest) -> FakeResponse:
        path = request.path.removeprefix("/12/")
        account = f"accounts/{self.account_id}/"
        if path == f"stats/{account.rstrip('/')}":
            return self._stats(request.query)
        if not path.startswith(account):
            return _error(404, "NOT_FOUND", f"No route for {request.path}")
        entity = path.removeprefix(account)
        query = request.query
        if entity.startswith("media_library/"):
            return self._media(entity.removeprefix("media_library/"))
        if entity == "tweets":
            return self._tweets(query)
        if entity == "cards":
            return self._cards(query)
        if entity == "campaigns":
            rows = [self._campaign(c) for c in self.history.campaigns]
        elif entity == "line_items":
            rows = [self._line_item(c) for c in self.history.campaigns]
        elif entity == "promoted_tweets":
            with_deleted = query.get("with_deleted") == "true"
            rows = [
                self._promoted_tweet(a) for a in self.history.ads if with_deleted or not a.removed
            ]
        else:
            return _error(404, "NOT_FOUND", f"No route for {request.path}")
        return self._page(rows, query, limit=1000)

    def _page(self, rows: list[dict[str, Any]], query: dict[str, str], *, limit: int):
        asked = int(query.get("count") or 200)
        if not 1 <= asked <= limit:
            return _error(400, "INVALID_PARAMETER", f"count must be between 1 and {limit}")
        count = min(self.page_size, asked)
        offset = int(query.get("cursor") or 0)
        more = offset + count < len(rows)
        return self._json(
            {
                "data": rows[offset : offset + count],
                "next_cursor": str(offset + count) if more else None,
            }
        )

    def _json(self, body: dict[str, Any]) -> FakeResponse:
        body.setdefault("request", {"params": {"account_id": self.account_id}})
        return FakeResponse(200, json.dumps(body).encode())

    # Entities ---------------------------------------------------------------------------------

    def _campaign(self, c) -> dict[str, Any]:
        return {
            "id": c.id,
            "name": c.name,
            "entity_status": c.status,
            "start_time": f"{c.start_date.isoformat()}T05:00:00Z" if c.start_date else None,
            "end_time": None,
            "currency": "COP",
            "deleted": False,
        }

    def _line_item(self, c) -> dict[str, Any]:
        return {
            "id": f"li{c.id}",
            "campaign_id": c.id,
            "objective": c.objective,
            "name": c.name,
            "deleted": False,
        }

    def _promoted_tweet(self, a) -> dict[str, Any]:
        return {
            "id": a.id,
            "line_item_id": f"li{a.campaign_id}",
            "tweet_id": a.creative_id,
            # X keeps the last status of a deleted promoted tweet: it reads PAUSED.
            "entity_status": "PAUSED" if a.removed else "ACTIVE",
            "approval_status": "ACCEPTED",
            "deleted": a.removed,
        }

    def _tweets(self, query: dict[str, str]) -> FakeResponse:
        if query.get("tweet_type") not in ("DRAFT", "PUBLISHED", "SCHEDULED"):
            return _error(400, "INVALID_PARAMETER", "tweet_type is required")
        wanted = query.get("tweet_ids", "").split(",")
        if len(wanted) > 200:
            return _error(400, "INVALID_PARAMETER", "At most 200 tweet_ids")
        rows = [self._tweet(c) for c in self.history.creatives if c.id in wanted]
        return self._json({"data": rows, "next_cursor": None})

    def _tweet(self, c: FakeCreative) -> dict[str, Any]:
        kind = creative_kind(self.history, c.id)
        row: dict[str, Any] = {
            "id": int(c.id),
            "id_str": c.id,
            "full_text": c.body,
            "card_uri": None,
            "entities": {"hashtags": [], "symbols": [], "user_mentions": [], "urls": []},
        }
        if kind == "TWEET_IMAGE":  # no card: the picture and the link live in the tweet
            short = f"https://t.co/x{c.id[-4:]}"
            row["full_text"] = f"{c.body} {short}"
            row["entities"]["urls"] = [{"url": short, "expanded_url": c.landing_url}]
            row["entities"]["media"] = [
                {"type": "photo", "media_url_https": f"{self.base_url}{c.image_path}"}
            ]
        else:
            row["card_uri"] = card_uri(c)
        return row

    def _cards(self, query: dict[str, str]) -> FakeResponse:
        uris = [u for u in query.get("card_uris", "").split(",") if u]
        if len(uris) > 200:
            return _error(400, "INVALID_PARAMETER", "At most 200 card_uris")
        legacy = query.get("include_legacy_cards") == "true"
        rows = []
        for c in self.history.creatives:
            kind = creative_kind(self.history, c.id)
            if kind == "TWEET_IMAGE" or (uris and card_uri(c) not in uris):
                continue
            if kind == "LEGACY_WEBSITE":
                if legacy:
                    rows.append(self._legacy_card(c))
            else:
                rows.append(self._card(c, kind))
        return self._page(rows, query, limit=200)

    def _card(self, c: FakeCreative, kind: str) -> dict[str, Any]:
        media_key = video_key(c) if kind.startswith("VIDEO") else image_key(c)
        components: list[dict[str, Any]] = [{"type": "MEDIA", "media_key": media_key}]
        if kind.endswith("WEBSITE"):
            components.append(
                {
                    "type": "DETAILS",
                    "title": c.headline,
                    "destination": {"type": "WEBSITE", "url": c.landing_url},
                }
            )
        else:
            components.append(
                {
                    "type": "BUTTON",
                    "label": {"type": "ENUM", "value": "INSTALL"},
                    "destination": {
                        "type": "APP",
                        "country_code": "CO",
                        "googleplay_app_id": PLAY_APP_ID,
                        "ios_app_store_identifier": "1462911120",
                    },
                }
            )
        return {
            "name": c.name,
            "components": components,
            "card_uri": card_uri(c),
            "id": card_uri(c).removeprefix("card://"),
            "card_type": kind,
            "created_at": "2025-01-10T15:00:00Z",
            "updated_at": "2025-01-10T15:00:00Z",
            "deleted": False,
        }

    def _legacy_card(self, c: FakeCreative) -> dict[str, Any]:
        return {
            "name": c.name,
            "website_title": c.headline,
            "website_url": f"https://t.co/w{c.id[-4:]}",
            "website_dest_url": c.landing_url,
            "website_display_url": "example.co",
            "image": f"{self.base_url}{c.image_path}",
            "image_display_height": "418",
            "image_display_width": "800",
            "card_uri": card_uri(c),
            "id": f"5{c.id[-4:]}",
            "card_type": "WEBSITE",
            "created_at": "2019-03-01T15:00:00Z",
            "updated_at": "2019-03-01T15:00:00Z",
            "deleted": False,
        }

    def _media(self, media_key: str) -> FakeResponse:
        for c in self.history.creatives:
            if media_key in self.missing_media:
                break
            if media_key == image_key(c):
                data = {"media_type": "IMAGE", "media_category": "TWEET_IMAGE"}
                data["media_url"] = f"{self.base_url}{c.image_path}"
            elif media_key == video_key(c):
                data = {"media_type": "VIDEO", "media_category": "AMPLIFY_VIDEO", "duration": 15015}
                data["media_url"] = f"{self.base_url}{video_path(c)}"
                data["poster_media_url"] = f"{self.base_url}{c.image_path}"
            else:
                continue
            data |= {
                "media_key": media_key,
                "name": c.name,
                "file_name": c.image_path.rsplit("/", 1)[1],
                "media_status": "TRANSCODE_COMPLETED",
                "tweeted": True,
                "deleted": False,
            }
            return self._json({"data": data})
        return _error(404, "NOT_FOUND", f"Media {media_key} not found")

    # Stats ------------------------------------------------------------------------------------

    def _stats(self, query: dict[str, str]) -> FakeResponse:
        self.stats_requests.append(dict(query))
        ids = query.get("entity_ids", "").split(",")
        if len(ids) > 20:
            return _error(400, "INVALID_PARAMETER", "At most 20 entity_ids")
        groups = [g for g in query.get("metric_groups", "").split(",") if g]
        if not groups or set(groups) - METRIC_GROUPS:
            return _error(400, "INVALID_PARAMETER", f"Unknown metric_groups {groups}")
        if "MOBILE_CONVERSION" in groups and len(groups) > 1:
            return _error(400, "INVALID_PARAMETER", "MOBILE_CONVERSION must be requested alone")
        start, end = _parse_time(query["start_time"]), _parse_time(query["end_time"])
        if start.minute or start.second or end.minute or end.second:
            return _error(400, "INVALID_TIME_WINDOW", "Times must be whole hours")
        days = round((end - start).total_seconds() / 86400)
        if days > 7:
            return _error(400, "INVALID_TIME_WINDOW", "At most 7 days per synchronous call")
        first = start.astimezone(self.zone).date()
        by_key = {(m.ad_id, m.date): m for m in self.history.metrics}
        data = []
        for ad_id in ids:
            series = [by_key.get((ad_id, first + dt.timedelta(days=i))) for i in range(days)]
            metrics = self._entity_metrics(series, set(groups))
            data.append({"id": ad_id, "id_data": [{"segment": None, "metrics": metrics}]})
        return self._json(
            {
                "data_type": "stats",
                "time_series_length": days,
                "data": data,
                "request": {"params": {**query, "entity_ids": ids, "metric_groups": groups}},
            }
        )

    def _entity_metrics(self, series: list[FakeMetric | None], groups: set[str]) -> dict:
        def values(pick: Callable[[FakeMetric], int]) -> list[int | None] | None:
            found = [pick(m) if m else None for m in series]
            return found if any(v is not None for v in found) else None

        metrics: dict[str, Any] = {}
        if "ENGAGEMENT" in groups:
            metrics["impressions"] = values(lambda m: m.impressions)
            metrics["clicks"] = values(lambda m: m.clicks)
            metrics["url_clicks"] = values(lambda m: m.link_clicks)
            metrics["engagements"] = values(lambda m: m.engagements)
        if "BILLING" in groups:
            metrics["billed_charge_local_micro"] = values(lambda m: m.spend_micros)
        if "VIDEO" in groups:
            metrics["video_total_views"] = values(lambda m: m.video_views)
        split = self._split
        if "WEB_CONVERSION" in groups:
            for name in WEB_CONVERSIONS:
                count = values(lambda m, n=name: split(m).get(n, 0))
                worth = values(lambda m: m.conversion_value_micros)
                metrics[name] = {
                    "metric": count,
                    "post_view": values(lambda m, n=name: split(m).get(n, 0) // 3),
                    "post_engagement": values(
                        lambda m, n=name: split(m).get(n, 0) - split(m).get(n, 0) // 3
                    ),
                    # Assisted conversions are not conversions of this ad: never counted.
                    "assisted": values(lambda m, n=name: split(m).get(n, 0) + 7),
                    "order_quantity": count,
                    "sale_amount": worth if name == "conversion_purchases" else None,
                }
        if "MOBILE_CONVERSION" in groups:
            for name in ("mobile_conversion_installs", "mobile_conversion_sign_ups"):
                # No "metric" here: a mobile count is post_view + post_engagement.
                metrics[name] = {
                    "post_view": values(lambda m, n=name: split(m).get(n, 0) // 3),
                    "post_engagement": values(
                        lambda m, n=name: split(m).get(n, 0) - split(m).get(n, 0) // 3
                    ),
                    "assisted": values(lambda m, n=name: split(m).get(n, 0) + 5),
                    "order_quantity": None,
                    "sale_amount": None,
                }
        return metrics

    def _split(self, m: FakeMetric) -> dict[str, int]:
        objective = next(c.objective for c in self.history.campaigns if c.id == m.campaign_id)
        return self.conversion_split(m, objective)
