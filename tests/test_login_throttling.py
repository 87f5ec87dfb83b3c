"""Login throttling (django-axes): after a few failures a username is locked from that address.

The security review logged in with the right password after 30 wrong ones in 23 s. Now, after
AXES_FAILURE_LIMIT failures for a username from one client address, that pair is locked for the
cool-off: the right password does not sign in, and the page says why and for how long, in
Spanish unless English was chosen. The admin's login counts the same way. Behind a reverse proxy
(YENNI_PROXY_COUNT) the client's address is the one the proxy saw, and a forged
X-Forwarded-For from a direct client changes nothing.
"""

from __future__ import annotations

import datetime as dt

import pytest
from axes.models import AccessAttempt
from django.conf import settings
from django.urls import reverse
from django.utils import timezone
from pytest_django.asserts import assertContains

LIMIT = 3
WRONG = {"username": "andres_analyst", "password": "nope"}
RIGHT = {"username": "andres_analyst", "password": "s3cret-pass"}
LOCKED_ES = (
    "Demasiados intentos fallidos: el ingreso de esta cuenta desde esta dirección queda "
    "bloqueado durante 15 minutos."
)
LOCKED_EN = "Too many failed attempts: this account cannot log in from this address for 15 minutes."


@pytest.fixture(autouse=True)
def small_limit(settings):
    settings.AXES_FAILURE_LIMIT = LIMIT
    settings.AXES_COOLOFF_TIME = dt.timedelta(minutes=15)


def _fail(client, times: int, url: str = "/accounts/login/", **extra) -> None:
    """Log in with a wrong password `times` times; the last failure allowed locks at once."""
    for attempt in range(1, times + 1):
        response = client.post(url, {**WRONG, "next": "/"}, **extra)
        # The form again ("not correct"); the failure that reaches the limit gets the lockout.
        assert response.status_code == (429 if attempt >= LIMIT else 200)


def _signed_in(client) -> bool:
    return "_auth_user_id" in client.session


def test_the_right_password_after_the_limit_is_refused_with_a_spanish_message(client, analyst):
    _fail(client, LIMIT)

    response = client.post(reverse("login"), RIGHT)

    assert response.status_code == 429
    assert response["Retry-After"] == "900"
    assertContains(response, LOCKED_ES, status_code=429)
    assertContains(response, '<html lang="es">', status_code=429)
    assert not _signed_in(client)


def test_the_lockout_message_is_in_english_after_choosing_english(client, analyst):
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    _fail(client, LIMIT)

    response = client.post(reverse("login"), RIGHT)

    assertContains(response, LOCKED_EN, status_code=429)
    assert not _signed_in(client)


def test_failures_below_the_limit_still_let_the_right_password_in(client, analyst):
    _fail(client, LIMIT - 1)

    response = client.post(reverse("login"), RIGHT)

    assert response.status_code == 302
    assert _signed_in(client)


def test_a_successful_login_starts_the_count_again(client, analyst):
    _fail(client, LIMIT - 1)
    client.post(reverse("login"), RIGHT)
    client.post(reverse("logout"))
    _fail(client, LIMIT - 1)

    response = client.post(reverse("login"), RIGHT)

    assert response.status_code == 302
    assert _signed_in(client)


def test_the_account_opens_again_after_the_cool_off(client, analyst):
    _fail(client, LIMIT)
    AccessAttempt.objects.update(attempt_time=timezone.now() - dt.timedelta(minutes=16))

    response = client.post(reverse("login"), RIGHT)

    assert response.status_code == 302
    assert _signed_in(client)


def test_the_lock_holds_one_username_from_one_address(client, analyst, lead):
    _fail(client, LIMIT)

    other_user = client.post(
        reverse("login"), {"username": "lucia_lead", "password": "s3cret-pass"}
    )
    client.post(reverse("logout"))
    other_address = client.post(reverse("login"), RIGHT, REMOTE_ADDR="10.1.2.3")

    assert other_user.status_code == 302
    assert other_address.status_code == 302


def test_the_admin_login_is_locked_too(client, lead):
    for _attempt in range(LIMIT):
        client.post("/admin/login/", {"username": "lucia_lead", "password": "nope"})

    response = client.post(
        "/admin/login/", {"username": "lucia_lead", "password": "s3cret-pass", "next": "/admin/"}
    )

    assert response.status_code == 429
    assertContains(response, "bloqueado durante 15 minutos", status_code=429)
    assert not _signed_in(client)


def test_failures_on_the_admin_and_the_site_add_up(client, lead):
    client.post("/admin/login/", {"username": "lucia_lead", "password": "nope"})
    for _attempt in range(LIMIT - 1):
        client.post(reverse("login"), {"username": "lucia_lead", "password": "nope"})

    response = client.post(reverse("login"), {"username": "lucia_lead", "password": "s3cret-pass"})

    assert response.status_code == 429


def test_without_a_proxy_a_forged_forwarded_address_does_not_escape_the_lock(client, analyst):
    _fail(client, LIMIT, HTTP_X_FORWARDED_FOR="203.0.113.1")

    response = client.post(reverse("login"), RIGHT, HTTP_X_FORWARDED_FOR="203.0.113.99")

    assert response.status_code == 429
    assert set(AccessAttempt.objects.values_list("ip_address", flat=True)) == {"127.0.0.1"}


def test_behind_one_proxy_each_client_address_counts_on_its_own(client, analyst, settings):
    settings.YENNI_PROXY_COUNT = 1
    # The proxy appends the address it saw; anything before it is whatever the client sent.
    _fail(client, LIMIT, HTTP_X_FORWARDED_FOR="198.51.100.7, 203.0.113.1")

    same = client.post(reverse("login"), RIGHT, HTTP_X_FORWARDED_FOR="10.9.9.9, 203.0.113.1")
    other = client.post(reverse("login"), RIGHT, HTTP_X_FORWARDED_FOR="203.0.113.2")

    assert same.status_code == 429
    assert other.status_code == 302
    assert set(AccessAttempt.objects.values_list("ip_address", flat=True)) == {"203.0.113.1"}


def test_a_malformed_forwarded_address_falls_back_to_the_connection(client, analyst, settings):
    settings.YENNI_PROXY_COUNT = 1

    _fail(client, 1, HTTP_X_FORWARDED_FOR="not-an-ip\x00")

    assert list(AccessAttempt.objects.values_list("ip_address", flat=True)) == ["127.0.0.1"]


@pytest.mark.parametrize(
    "headers",
    [
        {"HTTP_USER_AGENT": "Mozilla\x00/5.0"},
        {"HTTP_ACCEPT": "text/html\x00"},
    ],
)
def test_nul_bytes_in_the_request_headers_are_no_server_error(client, analyst, headers):
    failed = client.post(reverse("login"), {**WRONG, "next": "/\x00"}, **headers)
    right = client.post(reverse("login"), RIGHT, **headers)

    assert failed.status_code == 200
    assert right.status_code == 302
