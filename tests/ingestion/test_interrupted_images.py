"""A sync that dies while it downloads pictures: the next run fetches the ones it missed.

The process is "killed" in-process: the second picture download raises an exception no
handler catches (as SIGKILL leaves the database), and the dead run is then taken over by the
next one through its stale heartbeat, as `manage.py ingest` restarted would.
"""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from creatives.models import CreativeImageSlot
from ingestion.models import ImageFetchFailure, IngestionRun, SyncBookmark
from ingestion.services import connector_for_account
from ingestion.services import creative_images as creative_images_module
from ingestion.services import sync as sync_module
from tests.ingestion.conftest import sync


class Killed(BaseException):
    """Stands for SIGKILL: no `except Exception` of the run sees it."""


def killed_at_picture(monkeypatch, nth: int) -> None:
    """Make the nth picture download of this process die before it answers."""
    real = creative_images_module.image_fetch
    calls = {"n": 0}

    def fetch(*args, **kwargs):
        calls["n"] += 1
        if calls["n"] == nth:
            raise Killed
        return real(*args, **kwargs)

    monkeypatch.setattr(creative_images_module, "image_fetch", fetch)


def pictures_expected(account) -> set[tuple[str, int]]:
    """(creative id, position) of every picture the platform gives, read with no memory."""
    connector = connector_for_account(account=account, bookmark=SyncBookmark(account=account))
    return {
        (record.external_id, position)
        for record in connector.fetch_creatives()
        for position, _url in enumerate(record.image_urls)
    }


def pictures_stored(platform: str) -> set[tuple[str, int]]:
    return set(
        CreativeImageSlot.objects.filter(creative__platform=platform).values_list(
            "creative__external_id", "position"
        )
    )


def interrupted_then_restarted(account, monkeypatch) -> tuple[IngestionRun, IngestionRun]:
    """A sync killed at its second picture, then the next sync, which takes the dead one over."""
    with monkeypatch.context() as patched, pytest.raises(Killed):
        killed_at_picture(patched, nth=2)
        sync(account)
    dead = IngestionRun.objects.get(account=account)
    assert dead.status == IngestionRun.Status.RUNNING  # what a kill leaves
    IngestionRun.objects.filter(pk=dead.pk).update(
        heartbeat_at=timezone.now() - dt.timedelta(hours=1)
    )
    restarted = sync(account)
    dead.refresh_from_db()
    return dead, restarted


@pytest.mark.parametrize(
    ("slug", "fake"),
    [
        ("linkedin", "fake_linkedin"),
        ("x", "fake_x"),
        ("meta", "fake_meta"),
        ("google_ads", "fake_google"),
    ],
)
def test_pictures_a_killed_sync_did_not_download_are_fetched_by_the_next_run(
    db, request, monkeypatch, slug, fake
):
    request.getfixturevalue(fake)
    account = request.getfixturevalue(f"{'google' if slug == 'google_ads' else slug}_account")

    dead, restarted = interrupted_then_restarted(account, monkeypatch)

    assert dead.status == IngestionRun.Status.FAILED
    assert restarted.status == IngestionRun.Status.SUCCEEDED, restarted.error
    assert not ImageFetchFailure.objects.exists()
    expected = pictures_expected(account)
    assert len(expected) > 2
    assert pictures_stored(slug) == expected


def test_a_linkedin_creative_is_remembered_as_read_only_once_its_pictures_are_settled(
    fake_linkedin, linkedin_account, monkeypatch
):
    """The killed run remembers the creatives of the slices whose pictures it finished."""
    monkeypatch.setattr(sync_module, "IMAGE_SLICE", 5)
    with monkeypatch.context() as patched, pytest.raises(Killed):
        killed_at_picture(patched, nth=7)  # the second picture of the second slice
        sync(linkedin_account)

    remembered = SyncBookmark.objects.get(account=linkedin_account).creative_versions or {}
    stored = {creative for creative, _position in pictures_stored("linkedin")}
    assert len(stored) == 6
    assert len(remembered) == 5
    assert set(remembered) < stored


def test_a_restart_reads_again_only_the_linkedin_creatives_whose_pictures_were_missed(
    fake_linkedin, linkedin_account, monkeypatch
):
    monkeypatch.setattr(sync_module, "IMAGE_SLICE", 5)
    with monkeypatch.context() as patched, pytest.raises(Killed):
        killed_at_picture(patched, nth=7)
        sync(linkedin_account)
    IngestionRun.objects.update(heartbeat_at=timezone.now() - dt.timedelta(hours=1))

    restarted = sync(linkedin_account)

    assert restarted.status == IngestionRun.Status.SUCCEEDED, restarted.error
    # 3 pages of campaigns, 5 of creatives, a post and an image for each of the 9 creatives
    # of the unfinished slices, a call a week (9 weeks: the dead run saved no day).
    assert restarted.api_calls == 3 + 5 + 9 * 2 + 9
    # The sixth picture was stored before the kill: found by its address, not downloaded.
    assert restarted.images_stored == 8
    assert len(pictures_stored("linkedin")) == 14
    third = sync(linkedin_account)
    assert third.api_calls == 3 + 5
    assert len(SyncBookmark.objects.get(account=linkedin_account).creative_versions) == 14
