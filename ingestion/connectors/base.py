"""The HTTP client every platform connector shares: retries, waits, the raw archive.

Plain Python (requests), no Django: the services hand a connector its settings, token and an
archive writer, so the same code talks to the real APIs and to the fake servers in tests.
"""

from __future__ import annotations

import datetime as dt
import http.client
import itertools
import json
import logging
import random
import re
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

import requests
import urllib3.exceptions

from ingestion.connectors.records import (
    AdRecord,
    CampaignRecord,
    CreativeRecord,
    DailyMetricRecord,
    Parsed,
)
from ingestion.connectors.versions import VersionRefused, versions_of

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class Exchange:
    """One successful call, for the raw archive: the request as sent, the body as received.

    The archive (ingestion/services/archive.py) keeps the secrets of the request out of what it
    stores; the body is never rewritten as text, so a token that is also a common word cannot
    corrupt it.
    """

    endpoint: str
    method: str
    url: str
    headers: dict[str, str]
    status: int
    body: bytes

    @classmethod
    def of(cls, endpoint: str, response: requests.Response) -> Exchange:
        request = response.request
        return cls(
            endpoint=endpoint,
            method=request.method or "",
            url=request.url or "",
            headers=dict(request.headers),
            status=response.status_code,
            body=response.content,
        )


# Written for every successful response, before it is parsed.
ArchiveWriter = Callable[[Exchange], None]

# A body that stopped before its end: the connection dropped mid-body (a proxy, a platform
# front end). requests wraps urllib3's ProtocolError/IncompleteRead in ChunkedEncodingError.
BROKEN_BODY_ERRORS = (
    requests.exceptions.ChunkedEncodingError,
    requests.exceptions.ContentDecodingError,
    urllib3.exceptions.ProtocolError,
    http.client.IncompleteRead,
)
# A long wait is slept in slices of this many seconds, with a heartbeat between.
HEARTBEAT_SLICE_SECONDS = 30.0


@dataclass(frozen=True)
class PlatformErrorItem:
    code: str
    message: str = ""


@dataclass(frozen=True)
class PlatformError:
    """What a platform's error body says, in its own words, for the run, the alert and --check.

    Each connector reads its platform's shape into it (`Connector.error_body_parse`): Google's
    status and GoogleAdsFailure errors[].errorCode, Meta's error.code/error_subcode/fbtrace_id,
    LinkedIn's code/serviceErrorCode, X's errors[].code.
    """

    http_status: int
    status: str = ""  # Google's status, LinkedIn's and X's code, Meta's error type
    code: str = ""  # Meta's error.code, LinkedIn's serviceErrorCode
    subcode: str = ""  # Meta's error_subcode
    message: str = ""
    trace_id: str = ""  # Meta's fbtrace_id, Google's requestId
    errors: tuple[PlatformErrorItem, ...] = ()

    def summary(self) -> str:
        """One line: "HTTP 400 INVALID_ARGUMENT: … — queryError UNRECOGNIZED_FIELD: …"."""
        head = f"HTTP {self.http_status}"
        if self.status:
            head += f" {self.status}"
        if self.code:
            head += f" code {self.code}"
        if self.subcode:
            head += f" (subcode {self.subcode})"
        text = f"{head}: {self.message or 'no message'}"
        for item in self.errors[:5]:
            text += f" — {item.code}: {item.message}" if item.message else f" — {item.code}"
        if len(self.errors) > 5:
            text += f" — and {len(self.errors) - 5} more errors"
        if self.trace_id:
            text += f" (trace id {self.trace_id})"
        return text


def body_excerpt(body: bytes, limit: int = 200) -> str:
    """The start of a body that is not the platform's JSON (a proxy's page), on one line."""
    text = body[: limit * 4].decode("utf-8", errors="replace")
    text = re.sub(r"<[^>]*>", " ", text)
    return " ".join(text.split())[:limit]


class ConnectorError(Exception):
    """A platform call failed; `retryable` says whether trying again later can help."""

    # Set by Connector.request: the endpoint it called, and the tries made when it gave up.
    endpoint = ""
    tries = 0

    def __init__(
        self,
        message: str,
        *,
        retryable: bool = False,
        wait_seconds: float | None = None,
        detail: PlatformError | None = None,
    ):
        super().__init__(message)
        self.message = message
        self.retryable = retryable
        # The wait the platform asked for, in seconds (None: use exponential backoff).
        self.wait_seconds = wait_seconds
        # The platform's own words, when it sent an error body.
        self.detail = detail


class AuthError(ConnectorError):
    """The token is missing, expired or revoked: the account's run stops at once."""

    def __init__(self, message: str, *, detail: PlatformError | None = None):
        super().__init__(message, retryable=False, detail=detail)


class VersionError(ConnectorError):
    """The API version or address is not one the platform answers: a setting must change."""

    def __init__(self, message: str, *, detail: PlatformError | None = None):
        super().__init__(message, retryable=False, detail=detail)


@dataclass(frozen=True)
class AccountCheck:
    """What the platform says of an account when asked its cheapest question (`ingest --check`)."""

    name: str = ""
    status: str = ""
    currency: str = ""


def _no_type(name: str) -> bool:
    return False


@dataclass(frozen=True)
class PartialDay:
    """What a replayed ad-day record does not say, because the archive held only part of it.

    Some platforms answer one day in two calls (Google: the totals, then the conversions by
    action). A replay reads the bodies archived on the days asked, and a chunk read just
    before midnight (UTC) has them on two days: replaying one gives records that know only its
    part. The replay keeps the stored row's other part: its delivery figures (impressions,
    clicks, spend…) when `delivery` is False, and its conversion types that `keeps_type`
    accepts, so a half never zeroes or drops what the other half stored.
    """

    delivery: bool = True
    keeps_type: Callable[[str], bool] = _no_type


@dataclass
class CallStats:
    api_calls: int = 0
    waits: int = 0
    waited_seconds: float = 0.0


class Connector:
    """Base of the platform connectors: subclasses say how to page, parse and read errors."""

    platform = ""
    # Where the operator renews the token; named in the message of an AuthError.
    token_help = ""

    def __init__(
        self,
        *,
        account_id: str,
        account_label: str = "",
        token: str = "",
        base_url: str = "",
        archive: ArchiveWriter | None = None,
        timeout: float = 60,
        max_retries: int = 5,
        max_wait_seconds: float = 1800,
        wait_scale: float = 1.0,
        page_size: int = 500,
        options: dict[str, Any] | None = None,
        sleep: Callable[[float], None] = time.sleep,
        version: str = "",
        today: dt.date | None = None,
    ):
        self.account_id = account_id
        self.account_label = account_label or account_id
        self.token = token
        # The API version in use: the pinned one (YENNI_<PLATFORM>_API_VERSION) or the default;
        # `base_url` is the platform's address without it (ingestion/connectors/versions.py).
        self.versions = versions_of(self.platform)
        self.version = ""
        self.base_url = base_url.rstrip("/")
        if self.versions is not None:
            try:
                today = today or dt.datetime.now(dt.UTC).date()
                self.version = self.versions.resolve(version, today=today)
                self.base_url = self.versions.api_url(self.base_url, self.version)
            except VersionRefused as exc:
                raise VersionError(str(exc)) from exc
        self.archive = archive
        self.timeout = timeout
        self.max_retries = max_retries
        self.max_wait_seconds = max_wait_seconds
        self.wait_scale = wait_scale
        self.page_size = page_size
        self.options = options or {}
        self.sleep = sleep
        self.stats = CallStats()
        self.session = requests.Session()
        # What to remember of each creative read this run (LinkedIn: its lastModifiedAt), so
        # the next run skips unchanged ones; given back as options["creative_versions"].
        self.creative_versions: dict[str, Any] = {}
        # Called before every call and during long waits: the run's proof of life (the sync
        # service sets it; it raises when another run took this one over).
        self.heartbeat: Callable[[], None] = lambda: None

    # What subclasses implement -----------------------------------------------------------

    def auth_headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token}"}

    def error_for(self, response: requests.Response) -> ConnectorError:
        """Turn a non-2xx response into a ConnectorError (platform-specific)."""
        detail = self.error_detail(response)
        retryable = response.status_code >= 500 or response.status_code == 429
        return ConnectorError(
            f"{self.platform} answered {detail.summary()}", retryable=retryable, detail=detail
        )

    def error_body_parse(self, status: int, body: Any) -> PlatformError:
        """Read the platform's error body (decoded JSON) in its own words; subclasses know how.

        May raise on a body of another shape: `error_detail` falls back to the raw text.
        """
        raise ValueError("no parser for this platform's error bodies")

    def error_detail(self, response: requests.Response) -> PlatformError:
        """The platform's own account of a failed call; never raises."""
        try:
            return self.error_body_parse(response.status_code, response.json())
        except (ValueError, KeyError, TypeError, AttributeError, IndexError):
            return PlatformError(
                http_status=response.status_code, message=body_excerpt(response.content)
            )

    def version_error(self, detail: PlatformError) -> VersionError:
        """The platform does not answer the version in use: say which setting to change."""
        versions = self.versions
        assert versions is not None
        current = ", ".join(versions.supported(today=dt.datetime.now(dt.UTC).date()))
        return VersionError(
            f"{versions.label} API does not answer version {self.version} ({detail.summary()}). "
            f"It may be sunset: set {versions.version_setting} to a current version ({current}), "
            "or update Yenni.",
            detail=detail,
        )

    def parse_payload(self, endpoint: str, payload: Any) -> Parsed:
        """Parse one response body of `endpoint` into records (also used by replay)."""
        raise NotImplementedError

    def resolve(self, parsed: Parsed) -> Parsed:
        """Complete records that need other responses (X: objectives from line items).

        Replay calls it once on everything parsed from the archive.
        """
        return parsed

    def metrics_partial(self) -> dict[tuple[str, dt.date], PartialDay]:
        """After `resolve` in a replay: the (ad id, day) records that hold only part of their
        day, because the body that answers the rest was not among those parsed."""
        return {}

    def fetch_campaigns(self) -> list[CampaignRecord]:
        raise NotImplementedError

    def fetch_ads(self) -> list[AdRecord]:
        raise NotImplementedError

    def fetch_creatives(self) -> list[CreativeRecord]:
        raise NotImplementedError

    def fetch_daily_metrics(self, since: dt.date, until: dt.date) -> list[DailyMetricRecord]:
        raise NotImplementedError

    def account_check(self) -> AccountCheck:
        """Ask the platform's cheapest endpoint about the account; raise ConnectorError if refused.

        This default is X Ads' `GET accounts/{id}` (`{"data": {"name", "approval_status"}}`);
        the other connectors ask their own.
        """
        body = self.request(
            "GET", f"{self.base_url}/accounts/{self.account_id}", endpoint="account_check"
        )
        data = body.get("data") or {}
        return AccountCheck(name=data.get("name", ""), status=data.get("approval_status", ""))

    # Shared machinery ----------------------------------------------------------------------

    def parse(self, endpoint: str, payloads: Iterable[Any]) -> Parsed:
        parsed = Parsed()
        for payload in payloads:
            try:
                parsed.extend(self.parse_payload(endpoint, payload))
            except ConnectorError:
                raise
            except (KeyError, TypeError, ValueError, AttributeError) as exc:
                raise ConnectorError(
                    f"{self.platform} sent a {endpoint} response of an unexpected shape "
                    f"({type(exc).__name__}: {exc})",
                    retryable=False,
                ) from exc
        return parsed

    def token_advice(self) -> str:
        """Where to renew the token, with the variable spelled out for this account."""
        # As credentials.token_variable_names spells it (it imports this module).
        key = re.sub(r"[^A-Z0-9]", "_", self.account_id.upper())
        return self.token_help.replace("<ACCOUNT ID>", key)

    def auth_error(self, detail: str, *, platform_error: PlatformError | None = None) -> AuthError:
        return AuthError(
            f"The {self.platform} token of account {self.account_label} was refused ({detail}). "
            f"{self.token_advice()}",
            detail=platform_error,
        )

    def backoff_seconds(self, attempt: int) -> float:
        """Exponential backoff with full jitter: up to 2, 4, 8… seconds."""
        return random.uniform(0.5, 1.0) * (2 ** (attempt + 1))

    def request(
        self,
        method: str,
        url: str,
        *,
        endpoint: str,
        params: dict[str, Any] | list[tuple[str, Any]] | None = None,
        json_body: Any = None,
        data: dict[str, Any] | None = None,
        headers: dict[str, str] | None = None,
    ) -> Any:
        """Call the platform, retrying what can be retried, and return the decoded JSON body."""
        for attempt in itertools.count():
            self.heartbeat()
            self.stats.api_calls += 1
            outcome = self._send(
                method,
                url,
                endpoint=endpoint,
                params=params,
                json=json_body,
                data=data,
                headers=headers,
            )
            if not isinstance(outcome, ConnectorError):
                return outcome
            outcome.endpoint = outcome.endpoint or endpoint
            self._wait_to_retry(outcome, attempt)

    def _send(
        self, method: str, url: str, *, endpoint: str, headers: dict[str, str] | None, **kwargs
    ) -> Any:
        """Call once; return the decoded body, or the ConnectorError that says what went wrong."""
        try:
            response = self.session.request(
                method,
                url,
                headers={**self.auth_headers(), **(headers or {})},
                timeout=self.timeout,
                **kwargs,
            )
        except (requests.Timeout, requests.ConnectionError) as exc:
            return ConnectorError(
                f"{self.platform} did not answer {endpoint} ({type(exc).__name__})",
                retryable=True,
            )
        except BROKEN_BODY_ERRORS as exc:
            # Like a timeout: the next try usually gets the whole body.
            return ConnectorError(
                f"{self.platform} cut off the {endpoint} response before its end "
                f"({type(exc).__name__})",
                retryable=True,
            )
        if not 200 <= response.status_code < 300:
            return self.error_for(response)
        body = response.content
        if self.archive is not None:
            self.archive(Exchange.of(endpoint, response))
        try:
            payload = json.loads(body)
        except ValueError:
            payload = None
        if payload is None:
            # A body cut short or an error page from a proxy: worth another try.
            return ConnectorError(
                f"{self.platform} sent a {endpoint} body that is not valid JSON "
                f"({len(body)} bytes)",
                retryable=True,
            )
        self._pause_if_asked(response)
        return payload

    def _wait_to_retry(self, error: ConnectorError, attempt: int) -> None:
        """Wait before the next try: the platform's own wait, else exponential backoff.

        Raise `error` when it cannot be retried or the tries are spent, and a retryable error
        when the wait would pass the run's ceiling (the next run continues from the bookmark).
        """
        if not error.retryable or attempt >= self.max_retries:
            error.tries = attempt + 1
            if error.retryable:
                error.message = f"{error.message}; gave up after {attempt + 1} tries"
                error.args = (error.message,)
            raise error
        wait = error.wait_seconds
        wait = (wait if wait is not None else self.backoff_seconds(attempt)) * self.wait_scale
        if self.stats.waited_seconds + wait > self.max_wait_seconds:
            ceiling = ConnectorError(
                f"{error.message}; waiting {wait:.0f} s more would pass this run's ceiling of "
                f"{self.max_wait_seconds:.0f} s (YENNI_INGEST_MAX_WAIT_SECONDS). The next run "
                "continues from the bookmark.",
                retryable=True,
            )
            ceiling.endpoint, ceiling.tries = error.endpoint, attempt + 1
            raise ceiling
        logger.info(
            "%s %s: %s; waiting %.2f s (try %d)",
            self.platform,
            self.account_label,
            error.message,
            wait,
            attempt + 1,
        )
        self._wait(wait)

    def _wait(self, seconds: float) -> None:
        self.stats.waits += 1
        self.stats.waited_seconds += seconds
        # Meta's regain time can be many minutes: sleep in slices and beat between, so the
        # run is not taken for dead while it waits.
        while True:
            self.heartbeat()
            step = min(seconds, HEARTBEAT_SLICE_SECONDS)
            self.sleep(step)
            seconds -= step
            if seconds <= 0:
                return

    def pause_after(self, response: requests.Response) -> float | None:
        """Seconds to rest after a successful call, when its usage headers say so."""
        return None

    def _pause_if_asked(self, response: requests.Response) -> None:
        pause = self.pause_after(response)
        if not pause:
            return
        wait = pause * self.wait_scale
        if self.stats.waited_seconds + wait > self.max_wait_seconds:
            return  # past the ceiling: carry on, and let a throttle error end the run if one comes
        logger.info("%s %s: usage is high; resting %.2f s", self.platform, self.account_label, wait)
        self._wait(wait)


def url_without_params(url: str, names: set[str]) -> str:
    """Return `url` without the query parameters in `names` (tokens never travel in URLs)."""
    parts = urlsplit(url)
    query = [(k, v) for k, v in parse_qsl(parts.query, keep_blank_values=True) if k not in names]
    return urlunsplit(parts._replace(query=urlencode(query)))


def url_with_param(url: str, name: str, value: str) -> str:
    """Return `url` with the query parameter `name` set to `value`."""
    parts = urlsplit(url)
    query = [(k, v) for k, v in parse_qsl(parts.query, keep_blank_values=True) if k != name]
    return urlunsplit(parts._replace(query=urlencode([*query, (name, value)])))
