"""The raw archive: bodies stored as received with a checksum, secrets kept out of the request
record, and a replay that refuses what it cannot trust."""

from __future__ import annotations

import datetime as dt
import gzip
import io
import json
import re

import pytest
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.core.management import CommandError, call_command

from campaigns.models import Campaign, DailyMetric
from campaigns.objectives import map_objective
from ingestion.models import IngestionRun
from ingestion.services import ingestion_replay
from ingestion.services.archive import body_redacted, request_redacted
from tests.fakes.history import history_build
from tests.fakes.meta import FakeMeta
from tests.ingestion.conftest import _serving, account_yesterday, catalog_totals, sync


def archive_tree(root: str) -> list[str]:
    found: list[str] = []

    def walk(folder: str) -> None:
        folders, files = default_storage.listdir(folder)
        found.extend(f"{folder}/{name}" for name in files)
        for name in folders:
            walk(f"{folder}/{name}")

    if default_storage.exists(root):
        walk(root)
    return sorted(found)


def bodies_of(account) -> list[str]:
    return archive_tree(f"raw/platform=meta/account={account.external_id}")


def manifests_of(account) -> list[str]:
    return archive_tree(f"raw/_manifests/platform=meta/account={account.external_id}")


def replay_today(account) -> IngestionRun:
    today = dt.datetime.now(dt.UTC).date()
    return ingestion_replay(account=account, date_from=today - dt.timedelta(days=1), date_to=today)


@pytest.fixture
def meta_with_token(ingest_settings, meta_account, monkeypatch, request):
    """The fake Graph API with the token given by the test's `token` parameter."""
    token = request.param
    monkeypatch.setenv("YENNI_TOKEN_META_ACT_1001", token)
    history = history_build(end=account_yesterday(meta_account), days=63)
    platform = FakeMeta(
        history, account_id="act_1001", token=token, page_size=3, insights_page_size=40
    )
    with _serving(ingest_settings, platform, "meta", ""):
        yield platform


@pytest.mark.parametrize("meta_with_token", ["a", "OUTCOME", "1"], indirect=True)
def test_a_token_that_is_a_common_substring_is_replayed_to_exact_objectives_and_totals(
    meta_with_token, meta_account
):
    fake = meta_with_token
    sync(meta_account)
    Campaign.objects.filter(account=meta_account).delete()  # campaigns, ads, metrics

    replay = replay_today(meta_account)

    assert (replay.status, replay.error) == (IngestionRun.Status.SUCCEEDED, "")
    objectives = dict(
        Campaign.objects.filter(account=meta_account).values_list("external_id", "objective_raw")
    )
    assert objectives == {c.id: c.objective for c in fake.history.campaigns}
    assert sorted(Campaign.objects.values_list("objective", flat=True)) == sorted(
        map_objective("meta", c.objective) for c in fake.history.campaigns
    )
    assert catalog_totals(meta_account) == fake.history.totals_by_ad()


def test_bodies_are_stored_as_received_and_the_request_without_its_token(fake_meta, meta_account):
    from tests.ingestion.conftest import META_TOKEN

    sync(meta_account)

    bodies, manifests = bodies_of(meta_account), manifests_of(meta_account)
    assert len(bodies) == len(manifests) == fake_meta.calls
    for body_name, manifest_name in zip(bodies, manifests, strict=True):
        body = gzip.decompress(default_storage.open(body_name).read())
        text = default_storage.open(manifest_name).read().decode()
        manifest = json.loads(text)
        assert META_TOKEN not in text
        assert META_TOKEN.encode() not in body
        assert manifest["request"]["headers"]["Authorization"] == "REDACTED"
        assert manifest["request"]["method"] == "GET"
        assert manifest["request"]["url"].startswith(f"{fake_meta.base_url}/v26.0/act_1001/")
        assert manifest["status"] == 200
        assert manifest["bytes"] == len(body)
        # Only a paging URL's access_token is ever replaced in a body, and it is counted.
        assert manifest["redacted_in_body"] == body.count(b"access_token=REDACTED")
        assert manifest_name.rsplit("/", 1)[1] == body_name.rsplit("/", 1)[1].replace(
            ".json.gz", ".json"
        )


def tamper(name: str, old: bytes, new: bytes) -> None:
    body = gzip.decompress(default_storage.open(name).read())
    assert old in body
    default_storage.delete(name)
    default_storage.save(name, ContentFile(gzip.compress(body.replace(old, new, 1))))


def test_a_tampered_archive_is_refused_and_nothing_is_written(fake_meta, meta_account):
    sync(meta_account)
    DailyMetric.objects.all().delete()
    insights = next(name for name in bodies_of(meta_account) if name.endswith("-insights.json.gz"))
    tamper(insights, b'"impressions": "', b'"impressions": "9')

    replay = replay_today(meta_account)

    assert replay.status == IngestionRun.Status.FAILED
    assert replay.finished_at is not None
    assert replay.error.startswith(
        f"Replay refused: 1 of {len(bodies_of(meta_account))} archived responses between "
    )
    assert f"{insights}: its checksum does not match its manifest" in replay.error
    assert "python manage.py ingest --platform meta --account act_1001 --since " in replay.error
    assert DailyMetric.objects.count() == 0
    assert not IngestionRun.objects.filter(status=IngestionRun.Status.RUNNING).exists()


def test_an_archive_written_before_checksums_is_refused_by_the_command(fake_meta, meta_account):
    sync(meta_account)
    # The old format: bodies whose token was replaced as text, and no manifest beside them.
    for name in manifests_of(meta_account):
        default_storage.delete(name)
    DailyMetric.objects.all().delete()
    today = dt.datetime.now(dt.UTC).date()

    with pytest.raises(CommandError) as caught:
        call_command(
            "ingest_replay",
            "--platform=meta",
            "--account=act_1001",
            f"--from={today}",
            f"--to={today}",
            stdout=io.StringIO(),
        )

    assert "no manifest: it was archived before Yenni kept checksums" in str(caught.value)
    assert re.search(
        r"; and \d+ more\. Fetch these days from the platform again", str(caught.value)
    )
    assert DailyMetric.objects.count() == 0
    assert list(IngestionRun.objects.filter(kind="replay").values_list("status", flat=True)) == [
        "failed"
    ]


def test_a_manifest_that_does_not_parse_is_refused(fake_meta, meta_account):
    sync(meta_account)
    first = manifests_of(meta_account)[0]
    default_storage.delete(first)
    default_storage.save(first, ContentFile(b'{"format": 2, "sha25'))

    replay = replay_today(meta_account)

    assert replay.status == IngestionRun.Status.FAILED
    assert "its manifest cannot be read" in replay.error


# Redaction, piece by piece ----------------------------------------------------------------


def test_only_secret_parameters_of_urls_in_a_body_are_replaced_and_every_other_byte_kept():
    body = (
        b'{"data":[{"objective":"OUTCOME_SALES","name":"Cuotas sin inter\\u00e9s a"}],'
        b'"paging":{"next":"https:\\/\\/graph.facebook.com\\/v26.0\\/act_1\\/ads?'
        b'fields=id%2Cname&access_token=a&limit=3&after=QVFI"}}'
    )

    redacted, count = body_redacted(body)

    assert count == 1
    assert redacted == body.replace(b"access_token=a&", b"access_token=REDACTED&")


def test_a_body_without_secret_parameters_is_kept_byte_for_byte():
    body = b'{"results":[{"campaign":{"name":"token=a"},"metrics":{"costMicros":"1"}}],' + (
        b'"nextPageToken":"CAES","url":"https://tpc.googlesyndication.com/x.png?key_id=1"}'
    )

    assert body_redacted(body) == (body, 0)


def test_the_request_record_keeps_what_was_asked_and_drops_the_secrets():
    record = request_redacted(
        method="POST",
        url="https://googleads.googleapis.com/v26/customers/123/googleAds:search?key=AIza1&x=1",
        headers={
            "Authorization": "Bearer ya29.secret",
            "developer-token": "dev-token-1",
            "login-customer-id": "1112223333",
            "User-Agent": "python-requests/2.34",
        },
    )

    assert record == {
        "method": "POST",
        "url": "https://googleads.googleapis.com/v26/customers/123/googleAds:search?key=REDACTED&x=1",
        "headers": {
            "Authorization": "REDACTED",
            "developer-token": "REDACTED",
            "login-customer-id": "1112223333",
            "User-Agent": "python-requests/2.34",
        },
    }


def test_a_secret_after_an_escaped_ampersand_is_replaced_and_the_body_still_reads_the_same():
    body = (
        b'{"data":[{"body":"Di \\"s\\u00ed\\" a tu cuota"}],'
        b'"paging":{"next":"https://graph.facebook.com/v26.0/act_1/ads?limit=3\\u0026'
        b'access_token=EAAB%2Fx\\u0026after=QVFI"}}'
    )

    redacted, count = body_redacted(body)

    assert count == 1
    assert b"EAAB" not in redacted
    before, after = json.loads(body), json.loads(redacted)
    assert after["data"] == before["data"]
    assert after["paging"]["next"] == (
        "https://graph.facebook.com/v26.0/act_1/ads?limit=3&access_token=REDACTED&after=QVFI"
    )
