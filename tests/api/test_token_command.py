"""The api_token command: a token for an analyst or a lead, rotated on demand."""

from __future__ import annotations

import re

import pytest
from django.contrib.auth.models import User
from django.core.management import CommandError, call_command
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from tests.api.helpers import BRIEFS


def test_the_command_prints_a_token_that_opens_the_api(api_for, analyst, capsys):
    call_command("api_token", "andres_analyst")
    first = capsys.readouterr().out.strip()
    call_command("api_token", "andres_analyst")
    second = capsys.readouterr().out.strip()

    assert first == second == Token.objects.get(user=analyst).key
    assert re.fullmatch(r"[0-9a-f]{40}", first)
    api = APIClient()
    api.credentials(HTTP_AUTHORIZATION=f"Token {first}")
    assert api.get(BRIEFS).status_code == 200


def test_rotating_the_token_stops_the_old_one_at_once(analyst, capsys):
    call_command("api_token", "andres_analyst")
    old = capsys.readouterr().out.strip()

    call_command("api_token", "andres_analyst", "--rotate")
    new = capsys.readouterr().out.strip()

    assert new != old
    assert Token.objects.get(user=analyst).key == new
    api = APIClient()
    api.credentials(HTTP_AUTHORIZATION=f"Token {old}")
    assert api.get(BRIEFS).status_code == 401


def test_a_lead_gets_a_token_too(lead, capsys):
    call_command("api_token", "lucia_lead")

    assert capsys.readouterr().out.strip() == Token.objects.get(user=lead).key


@pytest.mark.parametrize(
    ("username", "message"),
    [
        (
            "otto_outsider",
            "otto_outsider is neither an analyst nor a marketing lead, so the API would refuse "
            "the token. Add the user to the Analysts or Marketing leads group first.",
        ),
        ("nobody", "There is no user named 'nobody'."),
    ],
)
def test_the_command_refuses_users_the_api_would_refuse(outsider, username, message):
    with pytest.raises(CommandError) as raised:
        call_command("api_token", username)

    assert str(raised.value) == message
    assert not Token.objects.exists()


def test_the_command_refuses_a_deactivated_analyst(analyst):
    User.objects.filter(pk=analyst.pk).update(is_active=False)

    with pytest.raises(CommandError) as raised:
        call_command("api_token", "andres_analyst")

    assert str(raised.value) == "andres_analyst is deactivated; reactivate the account first."
