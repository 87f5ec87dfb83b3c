"""The api_token command: a new token shown once and stored hashed; rotate and revoke.

Tokens used to sit in clear in authtoken_token, so reading the database (or a backup) opened
the API as every user. Now the database holds a SHA-512 digest and the first 15 characters.
"""

from __future__ import annotations

import hashlib
import re

import pytest
from django.contrib.auth.models import User
from django.core.management import CommandError, call_command
from django.db import connection
from django.utils import timezone
from knox.models import AuthToken
from rest_framework.test import APIClient

from tests.api.helpers import BRIEFS


def _issue(capsys, *args) -> tuple[str, str]:
    call_command("api_token", *args)
    captured = capsys.readouterr()
    return captured.out.strip(), captured.err.strip()


def _api(token: str) -> APIClient:
    api = APIClient()
    api.credentials(HTTP_AUTHORIZATION=f"Token {token}", HTTP_ACCEPT_LANGUAGE="en")
    return api


def test_the_command_prints_a_new_token_once_and_it_opens_the_api(analyst, capsys):
    token, note = _issue(capsys, "andres_analyst")

    assert re.fullmatch(r"[0-9a-f]{64}", token)
    assert note.startswith("Shown once: Yenni keeps only a hash of this token. It works until ")
    assert _api(token).get(BRIEFS).status_code == 200


def test_the_database_keeps_a_digest_of_the_token_never_the_token(analyst, capsys):
    token, _note = _issue(capsys, "andres_analyst")

    row = AuthToken.objects.get(user=analyst)
    assert row.digest == hashlib.sha512(token.encode()).hexdigest()
    assert row.token_key == token[:15]
    with connection.cursor() as cursor:
        cursor.execute("SELECT * FROM knox_authtoken")
        stored = " ".join(str(value) for row in cursor.fetchall() for value in row)
    assert token not in stored


def test_a_user_may_hold_several_tokens_and_each_works(analyst, capsys):
    first, _note = _issue(capsys, "andres_analyst")
    second, _note = _issue(capsys, "andres_analyst")

    assert first != second
    assert _api(first).get(BRIEFS).status_code == 200
    assert _api(second).get(BRIEFS).status_code == 200


def test_rotating_stops_the_old_tokens_at_once(analyst, capsys):
    old, _note = _issue(capsys, "andres_analyst")

    new, _note = _issue(capsys, "andres_analyst", "--rotate")

    assert _api(old).get(BRIEFS).status_code == 401
    assert _api(new).get(BRIEFS).status_code == 200
    assert AuthToken.objects.filter(user=analyst).count() == 1


def test_revoking_stops_every_token_and_issues_none(analyst, capsys):
    first, _note = _issue(capsys, "andres_analyst")
    second, _note = _issue(capsys, "andres_analyst")

    out, note = _issue(capsys, "andres_analyst", "--revoke")

    assert out == ""
    assert note == "Revoked 2 token(s) of andres_analyst."
    assert _api(first).get(BRIEFS).status_code == 401
    assert _api(second).get(BRIEFS).status_code == 401


def test_a_token_works_for_the_days_asked_and_then_stops(analyst, capsys):
    token, _note = _issue(capsys, "andres_analyst", "--days", "7")

    row = AuthToken.objects.get(user=analyst)
    assert (row.expiry - timezone.now()).days == 6  # 7 days less the moments since
    AuthToken.objects.filter(pk=row.pk).update(
        expiry=timezone.now() - timezone.timedelta(seconds=1)
    )
    assert _api(token).get(BRIEFS).status_code == 401
    assert not AuthToken.objects.exists()  # knox deletes an expired token when it is used


def test_a_token_lasts_ninety_days_by_default(analyst, capsys):
    _issue(capsys, "andres_analyst")

    row = AuthToken.objects.get(user=analyst)
    assert (row.expiry - timezone.now()).days == 89


def test_a_lead_gets_a_token_too(lead, capsys):
    token, _note = _issue(capsys, "lucia_lead")

    assert _api(token).get(BRIEFS).status_code == 200


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (
            ["otto_outsider"],
            "otto_outsider is neither an analyst nor a marketing lead, so the API would refuse "
            "the token. Add the user to the Analysts or Marketing leads group first.",
        ),
        (["nobody"], "There is no user named 'nobody'."),
        (["andres_analyst", "--days", "0"], "--days must be between 1 and 3650."),
        (
            ["andres_analyst", "--revoke", "--rotate"],
            "--revoke issues no token: use it without --rotate or --days.",
        ),
    ],
)
def test_the_command_refuses_what_would_not_work(outsider, analyst, args, message):
    with pytest.raises(CommandError) as raised:
        call_command("api_token", *args)

    assert str(raised.value) == message
    assert not AuthToken.objects.exists()


def test_the_command_refuses_a_deactivated_analyst(analyst):
    User.objects.filter(pk=analyst.pk).update(is_active=False)

    with pytest.raises(CommandError) as raised:
        call_command("api_token", "andres_analyst")

    assert str(raised.value) == "andres_analyst is deactivated; reactivate the account first."


@pytest.mark.parametrize(
    "header",
    [
        "Token " + "0" * 64,
        "Token 0123456789abcdef",
        "Token " + "a\x00b" * 10,
        "Token " + "é" * 64,
        "Token " + "0" * 10_000,
    ],
)
def test_a_wrong_or_malformed_token_is_a_401_never_a_500(analyst, capsys, header):
    _issue(capsys, "andres_analyst")
    api = APIClient()
    api.credentials(HTTP_AUTHORIZATION=header, HTTP_ACCEPT_LANGUAGE="en")

    response = api.get(BRIEFS)

    assert response.status_code == 401
    assert response.json() == {"detail": "Invalid token."}
