"""`ingest --check`: one cheap call per active account, the version in use, what to do."""

from __future__ import annotations

import datetime as dt
import io
import json
import re

import pytest
from django.core.management import CommandError, call_command

from campaigns.models import Campaign
from ingestion.models import IngestionRun, SyncBookmark
from ingestion.services.checks import account_check
from tests.fakes.server import FailurePlan, FakeRequest, FakeResponse


def check(*args: str) -> str:
    out = io.StringIO()
    call_command("ingest", "--check", *args, stdout=out)
    return out.getvalue()


def check_failing(*args: str, match: str) -> str:
    out = io.StringIO()
    with pytest.raises(CommandError, match=match):
        call_command("ingest", "--check", *args, stdout=out)
    return out.getvalue()


def serve_x_account(fake_x) -> None:
    """Give the X fake the `GET accounts/{id}` route the check asks (X Ads API v12 shape)."""
    answer = fake_x.answer

    def with_account(request: FakeRequest) -> FakeResponse:
        if request.path == f"/12/accounts/{fake_x.account_id}":
            body = {
                "request": {"params": {"account_id": fake_x.account_id}},
                "data": {
                    "id": fake_x.account_id,
                    "name": "Wompi Colombia X",
                    "timezone": "America/Bogota",
                    "approval_status": "ACCEPTED",
                    "deleted": False,
                },
            }
            return FakeResponse(200, json.dumps(body).encode())
        return answer(request)

    fake_x.answer = with_account


def test_the_check_says_for_each_account_its_version_and_that_the_token_works(
    fake_meta, fake_google, fake_linkedin, fake_x
):
    serve_x_account(fake_x)

    output = check()

    assert output.splitlines() == [
        "[1/4] google_ads “Wompi Google” (Google Ads 123-456-7890) · API v26 · ok: token works; "
        "reads “Wompi Colombia” (ENABLED, COP)",
        "[2/4] linkedin “Tu360 LinkedIn” (LinkedIn 508000111) · API 202611 · ok: token works; "
        "reads “Tu360 Compras LinkedIn” (ACTIVE, COP)",
        "[3/4] meta “Tu360 Compras Meta” (Meta act_1001) · API v26.0 · ok: token works; reads "
        "“Tu360 Compras” (ACTIVE, COP)",
        "[4/4] x “Wompi X” (X 18ce54d4x5t) · API 12 · ok: token works; reads “Wompi Colombia X” "
        "(ACCEPTED)",
    ]
    # One call each, and nothing written: no run, no bookmark, no catalog.
    assert [p.calls for p in (fake_google, fake_linkedin, fake_meta, fake_x)] == [1, 1, 1, 1]
    assert fake_meta.last_request.path == "/v26.0/act_1001"
    assert fake_meta.last_request.query == {"fields": "id,name,account_status,currency"}
    assert fake_linkedin.last_request.path == "/rest/adAccounts/508000111"
    assert not IngestionRun.objects.exists()
    assert not SyncBookmark.objects.exists()
    assert not Campaign.objects.exists()


@pytest.mark.parametrize(
    ("fixture", "platform", "account", "refusal", "advice"),
    [
        (
            "fake_meta",
            "meta",
            "“Tu360 Compras Meta” (Meta act_1001)",
            "HTTP 400 OAuthException code 190 (subcode 463): Error validating access token: "
            "Session has expired on Tuesday, 10-Nov-26. (trace id AbCdEf123)",
            "Create a new system-user token with ads_read in Meta Business Settings and set it "
            "as YENNI_TOKEN_META_ACT_1001 (or YENNI_META_ACCESS_TOKEN), then run `python "
            "manage.py ingest --platform meta`.",
        ),
        (
            "fake_google",
            "google_ads",
            "“Wompi Google” (Google Ads 123-456-7890)",
            "HTTP 401 UNAUTHENTICATED: Request had invalid authentication credentials. Expected "
            "OAuth 2 access token, login cookie or other valid authentication credential.",
            "Sign in again with the Google account that manages it, get a new OAuth token with "
            'the adwords scope (or a refresh token as {"client_id", "client_secret", '
            '"refresh_token"}) and set it as YENNI_TOKEN_GOOGLE_ADS_123_456_7890 (or '
            "YENNI_GOOGLE_ADS_ACCESS_TOKEN), then run `python manage.py ingest --platform "
            "google_ads`.",
        ),
        (
            "fake_linkedin",
            "linkedin",
            "“Tu360 LinkedIn” (LinkedIn 508000111)",
            "HTTP 401 EXPIRED_ACCESS_TOKEN code 65600: The token used in the request has expired",
            "Authorise Yenni again in LinkedIn (scopes r_ads and r_ads_reporting) and set the "
            "new token as YENNI_TOKEN_LINKEDIN_508000111 (or YENNI_LINKEDIN_ACCESS_TOKEN), then "
            "run `python manage.py ingest --platform linkedin`.",
        ),
    ],
)
def test_an_expired_token_fails_the_check_in_the_platforms_words_with_what_to_do(
    db, request, fixture, platform, account, refusal, advice
):
    # `db` named here, not only through getfixturevalue: pytest-django orders tests by the
    # fixtures they name, and a test it thinks needs no database runs after the transactional
    # ones, which flush the rows the migrations wrote (platforms, groups).
    fake = request.getfixturevalue(fixture)
    fake.failures = FailurePlan(expired_token=True)

    output = check_failing(match=re.escape(f"1 of 1 accounts failed the check: {account}"))

    version = {"meta": "v26.0", "google_ads": "v26", "linkedin": "202611"}[platform]
    assert output.splitlines() == [
        f"[1/1] {platform} {account} · API {version} · FAILED: token refused: {refusal}",
        f"    What to do: {advice}",
    ]
    assert fake.calls == 1


def test_a_sunset_version_fails_the_check_before_calling_and_names_the_setting(
    fake_google, settings
):
    settings.INGEST_API_VERSIONS = {**settings.INGEST_API_VERSIONS, "google_ads": "v22"}

    output = check_failing(match="1 of 1 accounts failed the check")

    assert output.splitlines() == [
        "[1/1] google_ads “Wompi Google” (Google Ads 123-456-7890) · API v22 · FAILED: Google "
        "Ads API v22 was sunset on 2026-10-07 (YENNI_GOOGLE_ADS_API_VERSION=v22). Set "
        "YENNI_GOOGLE_ADS_API_VERSION to a current version (v23, v24, v25, v26) or leave it "
        "empty for Yenni's default."
    ]
    assert fake_google.calls == 0


def test_a_version_the_platform_stopped_answering_fails_the_check_with_its_404(fake_linkedin):
    fake_linkedin.today = dt.date(2027, 11, 20)

    output = check_failing(match="1 of 1 accounts failed the check")

    assert (
        "· API 202611 · FAILED: LinkedIn Marketing API does not answer version 202611 (HTTP "
        in (output)
    )
    assert "404 NONEXISTENT_VERSION: Requested version 202611 is not active). It may be " in output
    assert "sunset: set YENNI_LINKEDIN_API_VERSION to a current version (" in output
    assert fake_linkedin.calls == 1


def test_a_token_without_the_permission_fails_the_check_saying_what_to_grant(fake_meta):
    fake_meta.missing_permission = 200

    output = check_failing(match="1 of 1 accounts failed the check")

    assert output.splitlines() == [
        "[1/1] meta “Tu360 Compras Meta” (Meta act_1001) · API v26.0 · FAILED: The Meta token of "
        "account “Tu360 Compras Meta” (Meta act_1001) lacks a permission (HTTP 400 "
        "OAuthException code 200: (#200) Ad account owner has NOT grant ads_management or "
        "ads_read permission (trace id AbCdEf123)). Give the system user ads_read on this ad "
        "account."
    ]


def test_a_missing_token_fails_the_check_saying_where_to_set_it(fake_meta, monkeypatch):
    monkeypatch.delenv("YENNI_TOKEN_META_ACT_1001")

    output = check_failing(match="1 of 1 accounts failed the check")

    assert "· API v26.0 · FAILED: No meta token for account “Tu360 Compras Meta” (Meta " in output
    assert "Set YENNI_TOKEN_META_ACT_1001 (or YENNI_META_ACCESS_TOKEN)" in output
    assert fake_meta.calls == 0


def test_one_failing_account_does_not_hide_the_others(fake_meta, fake_google):
    fake_google.failures = FailurePlan(expired_token=True)

    output = check_failing(match="1 of 2 accounts failed the check: “Wompi Google”")

    assert "[1/2] google_ads “Wompi Google” (Google Ads 123-456-7890) · API v26 · FAILED" in output
    assert "[2/2] meta “Tu360 Compras Meta” (Meta act_1001) · API v26.0 · ok" in output


def test_the_check_of_one_platform_asks_only_its_accounts(fake_meta, fake_google):
    output = check("--platform=meta")

    assert output.startswith("[1/1] meta ")
    assert (fake_meta.calls, fake_google.calls) == (1, 0)


def test_a_working_version_near_its_sunset_is_noted(fake_meta, meta_account, settings):
    settings.INGEST_API_VERSIONS = {**settings.INGEST_API_VERSIONS, "meta": "v25.0"}

    result = account_check(account=meta_account, today=dt.date(2027, 1, 4))

    assert (result.ok, result.version) == (True, "v25.0")
    assert result.advice == (
        "Meta Marketing answers v25.0 until 2027-02-23 (50 days): set YENNI_META_API_VERSION to "
        "a newer version (v26.0) or leave it empty for Yenni's default, v26.0."
    )


def test_since_has_no_meaning_with_check(db):
    with pytest.raises(CommandError, match="--since has no meaning with --check"):
        call_command("ingest", "--check", "--since=2026-01-01", stdout=io.StringIO())


def test_the_check_without_a_matching_account_says_so(db):
    with pytest.raises(CommandError, match="No active account with a connector matches"):
        call_command("ingest", "--check", "--account=act_404", stdout=io.StringIO())
