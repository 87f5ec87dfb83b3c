"""API versions and platform error bodies, without a server: the table and the parsers."""

from __future__ import annotations

import datetime as dt
import json
import re

import pytest
import requests

from ingestion.connectors.base import ConnectorError, VersionError
from ingestion.connectors.google_ads import GoogleAdsConnector
from ingestion.connectors.linkedin import LinkedInConnector
from ingestion.connectors.meta import MetaConnector
from ingestion.connectors.versions import VERSIONS, VersionRefused

TODAY = dt.date(2026, 12, 6)


def response(status: int, body: bytes) -> requests.Response:
    answer = requests.Response()
    answer.status_code = status
    answer._content = body
    return answer


def test_each_platform_defaults_to_a_version_it_still_answers():
    assert {slug: v.resolve("", today=TODAY) for slug, v in VERSIONS.items()} == {
        "meta": "v26.0",
        "google_ads": "v26",
        "linkedin": "202611",
        "x": "12",
    }


def test_linkedin_lists_the_last_twelve_months_not_yet_sunset():
    assert VERSIONS["linkedin"].supported(today=TODAY) == [
        "202512",
        "202601",
        "202602",
        "202603",
        "202604",
        "202605",
        "202606",
        "202607",
        "202608",
        "202609",
        "202610",
        "202611",
    ]
    # 202512 is answered until 2026-12-15.
    assert VERSIONS["linkedin"].supported(today=dt.date(2026, 12, 15))[0] == "202601"


def test_a_release_newer_than_the_table_may_be_tried_but_not_an_unknown_older_one():
    meta = VERSIONS["meta"]

    assert meta.resolve("v27.0", today=TODAY) == "v27.0"
    with pytest.raises(VersionRefused) as refused:
        meta.resolve("v23.0", today=TODAY)
    assert str(refused.value) == (
        "Meta Marketing API version 'v23.0' is not one Yenni knows (YENNI_META_API_VERSION). "
        "Current versions: v25.0, v26.0; leave it empty for Yenni's default, v26.0."
    )


@pytest.mark.parametrize(
    ("pinned", "message"),
    [
        (
            "202701",
            "LinkedIn Marketing API version 202701 is not out yet (YENNI_LINKEDIN_API_VERSION).",
        ),
        ("2026-11", "LinkedIn Marketing API version '2026-11' is not one Yenni knows"),
        ("202511", "LinkedIn Marketing API 202511 was sunset on 2026-11-15"),
    ],
)
def test_a_linkedin_version_not_answered_today_is_refused_saying_why(pinned, message):
    with pytest.raises(VersionRefused, match=re.escape(message)):
        VERSIONS["linkedin"].resolve(pinned, today=TODAY)


def test_this_months_linkedin_version_may_be_pinned_before_the_table_lists_it():
    assert VERSIONS["linkedin"].resolve("202612", today=TODAY) == "202612"


def test_the_version_goes_in_the_path_except_for_linkedin_where_it_is_a_header():
    assert MetaConnector(account_id="act_1", base_url="https://graph.facebook.com/").base_url == (
        "https://graph.facebook.com/v26.0"
    )
    linkedin = LinkedInConnector(account_id="1", base_url="https://api.linkedin.com/rest")
    assert (linkedin.base_url, linkedin.auth_headers()["LinkedIn-Version"]) == (
        "https://api.linkedin.com/rest",
        "202611",
    )


def test_a_connector_with_a_refused_version_cannot_be_built():
    with pytest.raises(VersionError, match="Google Ads API v21 was sunset on 2026-08-05"):
        GoogleAdsConnector(account_id="1", version="v21", base_url="https://example.co")


def test_every_error_of_a_google_ads_failure_is_kept_with_the_request_id():
    failure = {
        "@type": "type.googleapis.com/google.ads.googleads.v26.errors.GoogleAdsFailure",
        "errors": [
            {"errorCode": {"queryError": "UNRECOGNIZED_FIELD"}, "message": "Unrecognized a."},
            {"errorCode": {"queryError": "PROHIBITED_FIELD_IN_SELECT_CLAUSE"}, "message": "b."},
        ],
        "requestId": "rq-9",
    }
    body = {
        "error": {
            "code": 400,
            "status": "INVALID_ARGUMENT",
            "message": "Bad.",
            "details": [failure],
        }
    }

    error = GoogleAdsConnector(account_id="1").error_for(response(400, json.dumps(body).encode()))

    assert (type(error), error.retryable) == (ConnectorError, False)
    assert error.message == (
        "Google Ads answered HTTP 400 INVALID_ARGUMENT: Bad. — queryError UNRECOGNIZED_FIELD: "
        "Unrecognized a. — queryError PROHIBITED_FIELD_IN_SELECT_CLAUSE: b. (trace id rq-9)"
    )


def test_a_proxys_page_instead_of_the_platforms_json_is_told_in_one_line_and_retried():
    page = b"<html><head><title>502</title></head><body><h1>Bad   Gateway</h1></body></html>"

    error = MetaConnector(account_id="act_1").error_for(response(502, page))

    assert (error.message, error.retryable) == ("Meta answered HTTP 502: 502 Bad Gateway", True)


def test_a_linkedin_426_for_an_old_version_names_the_setting():
    body = {
        "status": 426,
        "code": "NONEXISTENT_VERSION",
        "message": "Requested version 202410 is not active",
    }
    connector = LinkedInConnector(account_id="1")

    error = connector.error_for(response(426, json.dumps(body).encode()))

    assert isinstance(error, VersionError)
    assert "set YENNI_LINKEDIN_API_VERSION to a current version" in error.message


def test_a_deleted_linkedin_post_is_a_404_with_its_detail_not_a_version_problem():
    body = {"status": 404, "code": "NOT_FOUND", "message": "Post not found"}

    error = LinkedInConnector(account_id="1").error_for(response(404, json.dumps(body).encode()))

    assert (type(error), error.detail.http_status) == (ConnectorError, 404)
    assert error.message == "LinkedIn answered HTTP 404 NOT_FOUND: Post not found"
