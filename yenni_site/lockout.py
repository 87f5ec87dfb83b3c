"""Login throttling with django-axes: the page a locked-out login gets, and clean records.

After AXES_FAILURE_LIMIT failed logins for a username from one client address (the site's login
and the admin's alike), that pair is locked for AXES_COOLOFF_TIME: even the right password does
not sign in. settings.py has the settings; docs/running.md says how to unlock an account.
"""

from __future__ import annotations

from axes.handlers.database import AxesDatabaseHandler
from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render


def locked_out(
    request: HttpRequest, original_response: HttpResponse | None = None, credentials=None
) -> HttpResponse:
    """429 with the reason and how long to wait, in the page's language (Spanish by default)."""
    cool_off = settings.AXES_COOLOFF_TIME
    seconds = int(cool_off.total_seconds())
    response = render(
        request,
        "registration/locked_out.html",
        {"minutes": max(1, round(seconds / 60)), "try_again_url": request.path},
        status=429,
    )
    response["Retry-After"] = str(seconds)
    return response


# Request headers axes stores with each attempt and login. PostgreSQL refuses a NUL byte in text,
# so one in a header would turn a failed login into a 500.
_STORED_HEADERS = ("axes_user_agent", "axes_http_accept", "axes_path_info")


class AxesHandler(AxesDatabaseHandler):
    """Axes' database handler, storing headers without NUL bytes (it cleans only form data)."""

    def user_login_failed(self, sender, credentials: dict, request=None, **kwargs):
        _clean(request)
        return super().user_login_failed(sender, credentials, request, **kwargs)

    def user_logged_in(self, sender, request, user, **kwargs):
        _clean(request)
        return super().user_logged_in(sender, request, user, **kwargs)

    def user_logged_out(self, sender, request, user, **kwargs):
        _clean(request)
        return super().user_logged_out(sender, request, user, **kwargs)


def _clean(request) -> None:
    for name in _STORED_HEADERS:
        value = getattr(request, name, None)
        if isinstance(value, str) and "\x00" in value:
            setattr(request, name, value.replace("\x00", "0x00"))
