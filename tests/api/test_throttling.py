"""API rate limits: past the user rate, or the anonymous rate of wrong tokens, a 429 with
Retry-After.

The rates are settings (YENNI_API_RATE_USER, YENNI_API_RATE_ANON); the suite runs with huge
ones and these tests set small ones. Counts live in the cache, so each test starts with it empty.
"""

from __future__ import annotations

import pytest
from django.core.cache import cache
from knox.models import AuthToken
from rest_framework.test import APIClient

from tests.api.helpers import BRIEFS


@pytest.fixture(autouse=True)
def small_rates(settings):
    settings.REST_FRAMEWORK = {
        **settings.REST_FRAMEWORK,
        "DEFAULT_THROTTLE_RATES": {"anon": "3/minute", "user": "2/minute"},
    }
    cache.clear()
    yield
    cache.clear()


def test_a_user_past_the_rate_gets_429_with_retry_after(api_for, analyst):
    api = api_for(analyst)

    answers = [api.get(BRIEFS) for _request in range(3)]

    assert [answer.status_code for answer in answers] == [200, 200, 429]
    assert 1 <= int(answers[2]["Retry-After"]) <= 60
    assert answers[2].json()["detail"].startswith("Request was throttled.")


def test_each_user_has_a_rate_of_their_own(api_for, analyst, lead):
    mine, theirs = api_for(analyst), api_for(lead)

    for _request in range(2):
        mine.get(BRIEFS)

    assert mine.get(BRIEFS).status_code == 429
    assert theirs.get(BRIEFS).status_code == 200


def test_the_throttle_message_speaks_spanish_by_default(analyst):
    api = APIClient()
    api.credentials(HTTP_AUTHORIZATION=f"Token {AuthToken.objects.create(user=analyst)[1]}")

    for _request in range(2):
        api.get(BRIEFS)
    response = api.get(BRIEFS)

    assert response.status_code == 429
    assert response.json()["detail"].startswith("Solicitud fue regulada")


def test_wrong_tokens_past_the_anonymous_rate_get_429_and_a_right_token_still_works(
    api_for, analyst
):
    guesser = api_for(None)
    guesser.credentials(HTTP_AUTHORIZATION="Token " + "0" * 64, HTTP_ACCEPT_LANGUAGE="en")

    answers = [guesser.get(BRIEFS).status_code for _request in range(4)]
    right = api_for(analyst).get(BRIEFS)

    assert answers == [401, 401, 401, 429]
    assert right.status_code == 200
