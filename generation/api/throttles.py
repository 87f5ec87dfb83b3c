"""The API's rate limits: DRF's anon and user throttles, with their rates read on each request.

DRF's own classes copy the rates once, when they are imported, so a changed setting (a test's
override) would not reach them. Past a rate the API answers 429 with Retry-After (seconds).
The rates are settings (YENNI_API_RATE_ANON, YENNI_API_RATE_USER); the client address is the
one yenni_site/client_ip.py describes (REST_FRAMEWORK["NUM_PROXIES"]).
"""

from __future__ import annotations

from rest_framework import throttling
from rest_framework.settings import api_settings


class _RateFromSettings:
    scope: str

    def get_rate(self) -> str | None:
        return api_settings.DEFAULT_THROTTLE_RATES.get(self.scope)


class AnonRateThrottle(_RateFromSettings, throttling.AnonRateThrottle):
    """Requests without a valid token or session, per client address."""


class UserRateThrottle(_RateFromSettings, throttling.UserRateThrottle):
    """A signed-in user's requests, token and session together."""


class FailedTokenThrottle(_RateFromSettings, throttling.SimpleRateThrottle):
    """Wrong tokens, per client address, at the anonymous rate.

    DRF authenticates before it throttles, so a request with a wrong token is refused (401)
    before any throttle sees it; the token authentication counts those refusals here instead.
    """

    scope = "anon"

    def get_cache_key(self, request, view) -> str:
        return self.cache_format % {"scope": "failed-token", "ident": self.get_ident(request)}
