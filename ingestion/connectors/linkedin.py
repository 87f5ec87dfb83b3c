"""LinkedIn Marketing API (rest/, versioned): campaigns, creatives with their posts, analytics.

A LinkedIn creative is what runs, so each one is both an ad and a creative in Yenni. Copy and
image come from the post the creative references, read once and again only when the creative's
lastModifiedAt moves (or after REREAD_DAYS). Daily analytics are requested per creative, at most
20 fields a call (chunks merged by creative and day), with the Rest.li syntax sent exactly as
written; a URL that would be too long goes as a POST with X-HTTP-Method-Override. The version
travels in the LinkedIn-Version header (ingestion/connectors/versions.py).
"""

from __future__ import annotations

import datetime as dt
from typing import Any
from urllib.parse import quote, urlencode

import requests

from campaigns.conversions import LINKEDIN_TYPES
from ingestion.connectors.base import (
    AccountCheck,
    AuthError,
    Connector,
    ConnectorError,
    PlatformError,
    VersionError,
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

CAMPAIGN_STATUSES = "List(ACTIVE,PAUSED,ARCHIVED,COMPLETED,CANCELED,DRAFT,PENDING_DELETION)"
# What Yenni reads from adAnalytics, besides dateRange and pivotValues (sent with every chunk):
# the delivery figures, the conversion value, and every result type of LINKEDIN_TYPES.
METRIC_FIELDS = (
    "impressions",
    "clicks",
    "landingPageClicks",
    "costInLocalCurrency",
    "conversionValueInLocalCurrency",
    "videoViews",
    "totalEngagements",
    *LINKEDIN_TYPES,
)
# LinkedIn gives one conversion value for all website conversions: it goes with their total.
VALUE_TYPE = "externalWebsiteConversions"
AUTH_CODES = {"INVALID_ACCESS_TOKEN", "EXPIRED_ACCESS_TOKEN", "REVOKED_ACCESS_TOKEN"}
AUTH_SERVICE_CODES = {65600, 65601, 65602}
# A version LinkedIn no longer (or not yet) answers; a third-party catalogue says HTTP 426.
VERSION_CODES = {"NONEXISTENT_VERSION", "VERSION_MISSING"}
# A post can be edited without its creative's lastModifiedAt moving: read it again this often.
REREAD_DAYS = 30


def urn_id(urn: str | int) -> str:
    """Return the last part of a URN: "urn:li:sponsoredCreative:123" → "123"."""
    return str(urn).rsplit(":", 1)[-1]


def _epoch_date(ms: int | None) -> dt.date | None:
    return dt.datetime.fromtimestamp(ms / 1000, tz=dt.UTC).date() if ms else None


def _restli_date(day: dt.date) -> str:
    return f"(year:{day.year},month:{day.month},day:{day.day})"


class LinkedInConnector(Connector):
    platform = "linkedin"
    token_help = (
        "Authorise Yenni again in LinkedIn (scopes r_ads and r_ads_reporting) and set the new "
        "token as YENNI_TOKEN_LINKEDIN_<ACCOUNT ID> (or YENNI_LINKEDIN_ACCESS_TOKEN), then run "
        "`python manage.py ingest --platform linkedin`."
    )
    # LinkedIn refuses more than 20 fields in one adAnalytics call.
    max_fields = 20
    creatives_per_call = 20
    # Past this many characters a GET goes as a tunnelled POST (LinkedIn answers 414 otherwise).
    max_url_length = 4000

    def __init__(self, **kwargs: Any):
        super().__init__(**kwargs)
        self._creative_rows: list[dict[str, Any]] | None = None
        self.today = dt.datetime.now(dt.UTC).date()

    def auth_headers(self) -> dict[str, str]:
        return {
            "Authorization": f"Bearer {self.token}",
            "LinkedIn-Version": self.version,
            "X-Restli-Protocol-Version": "2.0.0",
        }

    def error_body_parse(self, status: int, body: Any) -> PlatformError:
        """Rest.li's error body: {"status", "serviceErrorCode", "code", "message"}."""
        return PlatformError(
            http_status=status,
            status=str(body.get("code", "")),
            code=str(body.get("serviceErrorCode", "")),
            message=str(body.get("message", ""))[:300],
        )

    def error_for(self, response: requests.Response) -> ConnectorError:
        detail = self.error_detail(response)
        status, code = response.status_code, detail.status
        service_code = int(detail.code) if detail.code.isdigit() else 0
        if status == 401 or code in AUTH_CODES or service_code in AUTH_SERVICE_CODES:
            return self.auth_error(detail.summary(), platform_error=detail)
        if code in VERSION_CODES or status == 426:
            return self.version_error(detail)
        if status == 429:
            # LinkedIn sends no Retry-After: exponential backoff decides.
            return ConnectorError(
                f"LinkedIn rate limit reached ({detail.summary()})", retryable=True, detail=detail
            )
        return ConnectorError(
            f"LinkedIn answered {detail.summary()}", retryable=status >= 500, detail=detail
        )

    def _get(self, path: str, query: str, *, endpoint: str, headers: dict | None = None) -> Any:
        url = f"{self.base_url}/{path}"
        if len(url) + len(query) + 1 > self.max_url_length:
            return self.request(
                "POST",
                url,
                endpoint=endpoint,
                data=query,
                headers={
                    **(headers or {}),
                    "X-HTTP-Method-Override": "GET",
                    "Content-Type": "application/x-www-form-urlencoded",
                },
            )
        url = f"{url}?{query}" if query else url
        return self.request("GET", url, endpoint=endpoint, headers=headers)

    def _finder(self, path: str, query: str, *, endpoint: str, headers: dict | None = None):
        pages, token = [], ""
        while True:
            page_query = f"{query}&pageSize={self.page_size}"
            if token:
                page_query += "&" + urlencode({"pageToken": token})
            page = self._get(path, page_query, endpoint=endpoint, headers=headers)
            pages.append(page)
            token = (page.get("metadata") or {}).get("nextPageToken") or ""
            if not token:
                return pages

    @property
    def account_number(self) -> str:
        return urn_id(self.account_id)

    def fetch_campaigns(self) -> list[CampaignRecord]:
        pages = self._finder(
            f"adAccounts/{self.account_number}/adCampaigns",
            f"q=search&search=(status:(values:{CAMPAIGN_STATUSES}))",
            endpoint="campaigns",
        )
        return self.parse("campaigns", pages).campaigns

    def _creative_pages(self) -> list[Any]:
        if self._creative_rows is None:
            self._creative_rows = self._finder(
                f"adAccounts/{self.account_number}/creatives",
                "q=criteria",
                endpoint="creatives",
                headers={"X-RestLi-Method": "FINDER"},
            )
        return self._creative_rows

    def fetch_ads(self) -> list[AdRecord]:
        return self.parse("creatives", self._creative_pages()).ads

    def account_check(self) -> AccountCheck:
        body = self._get(f"adAccounts/{self.account_number}", "", endpoint="account_check")
        return AccountCheck(
            name=body.get("name", ""),
            status=body.get("status", ""),
            currency=body.get("currency", ""),
        )

    def fetch_creatives(self) -> list[CreativeRecord]:
        """Each new or changed creative's copy and image from the post it references.

        A creative whose lastModifiedAt is the one in options["creative_versions"] (what the
        last run read, less creatives the catalog lost or whose image failed) is skipped: its
        post and image are not read again, and the catalog keeps what it has. Unreadable
        (deleted, hidden) posts give a creative without copy.
        """
        known = self.options.get("creative_versions") or {}
        records = []
        for page in self._creative_pages():
            for row in page.get("elements") or []:
                creative_id = urn_id(row["id"])
                modified = row.get("lastModifiedAt") or row.get("createdAt") or 0
                if self._unchanged(known.get(creative_id), modified):
                    self.creative_versions[creative_id] = known[creative_id]
                    continue
                reference = (row.get("content") or {}).get("reference", "")
                post = self._post(reference) if reference else None
                records.append(self._creative_from_post(creative_id, post or {}))
                self.creative_versions[creative_id] = {
                    "modified": modified,
                    "read": self.today.isoformat(),
                }
        return records

    def _unchanged(self, known: Any, modified: int) -> bool:
        if not isinstance(known, dict) or not modified or known.get("modified") != modified:
            return False
        try:
            read = dt.date.fromisoformat(known.get("read", ""))
        except (TypeError, ValueError):
            return False
        return (self.today - read).days < REREAD_DAYS

    def _creative_from_post(self, creative_id: str, post: dict[str, Any]) -> CreativeRecord:
        media = (post.get("content") or {}).get("media") or {}
        image_urls: tuple[str, ...] = ()
        if str(media.get("id", "")).startswith("urn:li:image:"):
            image = self._optional(f"images/{quote(media['id'], safe='')}", "images")
            if image and image.get("downloadUrl"):
                image_urls = (image["downloadUrl"],)
        return CreativeRecord(
            external_id=creative_id,
            name=media.get("title", ""),
            headline=media.get("title", ""),
            body=post.get("commentary", ""),
            call_to_action=post.get("contentCallToActionLabel", ""),
            landing_url=post.get("contentLandingPage", ""),
            image_urls=image_urls,
        )

    def _post(self, urn: str) -> dict[str, Any] | None:
        return self._optional(f"posts/{quote(urn, safe='')}", "posts")

    def _optional(self, path: str, endpoint: str) -> dict[str, Any] | None:
        """GET something a creative points to; deleted or hidden posts (403/404) give None."""
        try:
            return self._get(path, "", endpoint=endpoint)
        except ConnectorError as exc:
            gone = exc.detail is not None and exc.detail.http_status in (403, 404)
            if gone and not isinstance(exc, AuthError | VersionError):
                return None
            raise

    def fetch_daily_metrics(self, since: dt.date, until: dt.date) -> list[DailyMetricRecord]:
        creative_ids = [ad.external_id for ad in self.fetch_ads()]
        size = self.max_fields - 2
        chunks = [METRIC_FIELDS[i : i + size] for i in range(0, len(METRIC_FIELDS), size)]
        merged: dict[tuple[str, str], dict[str, Any]] = {}
        for start in range(0, len(creative_ids), self.creatives_per_call):
            batch = creative_ids[start : start + self.creatives_per_call]
            urns = ",".join(quote(f"urn:li:sponsoredCreative:{i}", safe="") for i in batch)
            for fields in chunks:
                query = (
                    "q=analytics&pivot=(value:CREATIVE)&timeGranularity=(value:DAILY)"
                    f"&dateRange=(start:{_restli_date(since)},end:{_restli_date(until)})"
                    f"&creatives=List({urns})&fields=dateRange,pivotValues,{','.join(fields)}"
                )
                payload = self._get("adAnalytics", query, endpoint="analytics")
                for row in payload.get("elements") or []:
                    start_day = row["dateRange"]["start"]
                    key = (
                        row["pivotValues"][0],
                        f"{start_day['year']}-{start_day['month']}-{start_day['day']}",
                    )
                    merged.setdefault(key, {}).update(row)
        return self.parse("analytics", [{"elements": list(merged.values())}]).metrics

    # Parsing -------------------------------------------------------------------------------

    def parse_payload(self, endpoint: str, payload: Any) -> Parsed:
        rows = payload.get("elements") if endpoint != "posts" else [payload]
        if not isinstance(rows, list):
            raise TypeError("elements is not a list")
        if endpoint == "campaigns":
            return Parsed(campaigns=[self._campaign(row) for row in rows])
        if endpoint == "creatives":
            parsed = Parsed()
            for row in rows:
                creative_id = urn_id(row["id"])
                parsed.ads.append(
                    AdRecord(
                        external_id=creative_id,
                        campaign_external_id=urn_id(row["campaign"]),
                        name=row.get("name", ""),
                        status=row.get("intendedStatus", ""),
                        creative_external_id=creative_id,
                    )
                )
            return parsed
        if endpoint == "analytics":
            return Parsed(metrics=[self._metric(row) for row in rows])
        if endpoint in ("posts", "images"):
            # Copy and images are read while syncing; a replay keeps what the catalog has.
            return Parsed()
        raise ValueError(f"unknown endpoint {endpoint}")

    def _campaign(self, row: dict[str, Any]) -> CampaignRecord:
        schedule = row.get("runSchedule") or {}
        start, end = _epoch_date(schedule.get("start")), _epoch_date(schedule.get("end"))
        return CampaignRecord(
            external_id=urn_id(row["id"]),
            name=row.get("name", ""),
            objective_raw=row.get("objectiveType", ""),
            status=row.get("status", ""),
            start_date=start,
            end_date=end,
        )

    def _metric(self, row: dict[str, Any]) -> DailyMetricRecord:
        day = row["dateRange"]["start"]
        return DailyMetricRecord(
            ad_external_id=urn_id(row["pivotValues"][0]),
            date=dt.date(day["year"], day["month"], day["day"]),
            impressions=to_int(row.get("impressions")),
            clicks=to_int(row.get("clicks")),
            link_clicks=to_int(row.get("landingPageClicks")),
            spend_micros=to_micros(row.get("costInLocalCurrency")),
            video_views=to_int(row.get("videoViews")),
            engagements=to_int(row.get("totalEngagements")),
            # Every result field read; which count as conversions and leads is the account's
            # choice, applied when the rows are stored (campaigns/conversions.py).
            conversions_by_type={name: to_float(row.get(name)) for name in LINKEDIN_TYPES},
            conversion_values_by_type={
                VALUE_TYPE: to_micros(row.get("conversionValueInLocalCurrency"))
            },
            reports_conversion_types=True,
        )
