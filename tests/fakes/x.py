"""A fake X Ads API v12 serving an AccountHistory: cursors, entities and daily stats arrays."""

from __future__ import annotations

import datetime as dt
import json
import time
from typing import Any
from zoneinfo import ZoneInfo

from tests.fakes.history import AccountHistory
from tests.fakes.server import FailurePlan, FakePlatform, FakeRequest, FakeResponse

X_OBJECTIVES = ("WEBSITE_CLICKS", "ENGAGEMENTS", "REACH", "VIDEO_VIEWS")


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

    def answer(self, request: FakeRequest) -> FakeResponse:
        path = request.path.removeprefix("/12/")
        account = f"accounts/{self.account_id}/"
        if path == f"stats/{account.rstrip('/')}":
            return self._stats(request.query)
        if not path.startswith(account):
            return _error(404, "NOT_FOUND", f"No route for {request.path}")
        entity = path.removeprefix(account)
        if entity == "campaigns":
            rows = [self._campaign(c) for c in self.history.campaigns]
        elif entity == "line_items":
            rows = [self._line_item(c) for c in self.history.campaigns]
        elif entity == "promoted_tweets":
            rows = [self._promoted_tweet(a) for a in self.history.ads]
        elif entity == "tweets":
            wanted = request.query.get("tweet_ids", "").split(",")
            if len(wanted) > 200:
                return _error(400, "INVALID_PARAMETER", "At most 200 tweet_ids")
            rows = [self._tweet(c) for c in self.history.creatives if c.id in wanted]
            return self._json({"data": rows, "next_cursor": None})
        else:
            return _error(404, "NOT_FOUND", f"No route for {request.path}")
        count = min(self.page_size, int(request.query.get("count") or 200))
        offset = int(request.query.get("cursor") or 0)
        more = offset + count < len(rows)
        return self._json(
            {
                "data": rows[offset : offset + count],
                "next_cursor": str(offset + count) if more else None,
                "total_count": len(rows),
            }
        )

    def _json(self, body: dict[str, Any]) -> FakeResponse:
        body.setdefault("request", {"params": {"account_id": self.account_id}})
        return FakeResponse(200, json.dumps(body).encode())

    def _campaign(self, c) -> dict[str, Any]:
        return {
            "id": c.id,
            "name": c.name,
            "entity_status": c.status,
            "start_time": f"{c.start_date.isoformat()}T05:00:00Z" if c.start_date else None,
            "end_time": None,
            "currency": "COP",
        }

    def _line_item(self, c) -> dict[str, Any]:
        return {"id": f"li{c.id}", "campaign_id": c.id, "objective": c.objective, "name": c.name}

    def _promoted_tweet(self, a) -> dict[str, Any]:
        return {
            "id": a.id,
            "line_item_id": f"li{a.campaign_id}",
            "tweet_id": a.creative_id,
            "entity_status": "ACTIVE",
        }

    def _tweet(self, c) -> dict[str, Any]:
        return {
            "id_str": c.id,
            "tweet_id": c.id,
            "full_text": f"{c.headline}\n{c.body}",
            "entities": {
                "urls": [{"expanded_url": c.landing_url}],
                "media": [{"media_url_https": f"{self.base_url}{c.image_path}"}],
            },
        }

    def _stats(self, query: dict[str, str]) -> FakeResponse:
        ids = query.get("entity_ids", "").split(",")
        if len(ids) > 20:
            return _error(400, "INVALID_PARAMETER", "At most 20 entity_ids")
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

            def values(name, series=series):
                found = [getattr(m, name) if m else None for m in series]
                return found if any(v is not None for v in found) else None

            data.append(
                {
                    "id": ad_id,
                    "id_data": [
                        {
                            "segment": None,
                            "metrics": {
                                "impressions": values("impressions"),
                                "clicks": values("clicks"),
                                "url_clicks": values("link_clicks"),
                                "engagements": values("engagements"),
                                "billed_charge_local_micro": values("spend_micros"),
                                "video_total_views": values("video_views"),
                                "conversion_purchases": {
                                    "metric": values("conversions"),
                                    "sale_amount": values("conversion_value_micros"),
                                },
                            },
                        }
                    ],
                }
            )
        return self._json(
            {
                "data_type": "stats",
                "time_series_length": days,
                "data": data,
                "request": {"params": {**query, "entity_ids": ids}},
            }
        )
