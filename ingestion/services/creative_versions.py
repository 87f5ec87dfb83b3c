"""Creatives read once: what a run remembers of each creative's version, and what it trusts.

A connector whose creatives carry a version (LinkedIn's lastModifiedAt) skips the post and
image of every creative whose version has not moved since the last run. The memory lives on
the account's bookmark. A creative is remembered only once the catalog holds all of it: with
the catalog's transaction when it has no picture to download, otherwise only after its
pictures are stored or their failure recorded (`creative_versions_settle`). A run killed
between the catalog and the pictures leaves the creatives whose pictures it missed
unremembered, so the next run reads their posts again and downloads them.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from creatives.models import Creative
from ingestion.connectors.base import Connector
from ingestion.models import ImageFetchFailure, SyncBookmark


def creative_versions_known(*, bookmark: SyncBookmark, platform: str) -> dict[str, Any]:
    """The remembered versions a run may trust: only creatives the catalog still holds whole.

    A creative deleted from the catalog, or whose image failed (it must be fetched again, and
    LinkedIn's image URLs expire), is read again.
    """
    remembered = bookmark.creative_versions or {}
    if not remembered:
        return {}
    held = set(
        Creative.objects.filter(platform=platform, external_id__in=list(remembered)).values_list(
            "external_id", flat=True
        )
    )
    failed = set(
        ImageFetchFailure.objects.filter(
            creative__platform=platform, creative__external_id__in=list(held)
        ).values_list("creative__external_id", flat=True)
    )
    return {key: value for key, value in remembered.items() if key in held - failed}


def creative_versions_remember(
    *, bookmark: SyncBookmark, connector: Connector, pending: Iterable[str] = ()
) -> None:
    """Save what the connector read of each creative, less those whose pictures are `pending`.

    Call in the catalog's transaction, with the creatives read this run that have pictures to
    download: they are remembered by `creative_versions_settle` once their pictures are.
    """
    waiting = set(pending)
    versions = {
        key: value for key, value in connector.creative_versions.items() if key not in waiting
    }
    if versions == (bookmark.creative_versions or {}):
        return
    bookmark.creative_versions = versions
    bookmark.save(update_fields=["creative_versions", "updated_at"])


def creative_versions_settle(
    *, bookmark: SyncBookmark, connector: Connector, creative_ids: Iterable[str]
) -> None:
    """Remember creatives whose pictures are now stored, or failed (and so read again)."""
    settled = {
        key: connector.creative_versions[key]
        for key in creative_ids
        if key in connector.creative_versions
    }
    remembered = bookmark.creative_versions or {}
    if all(remembered.get(key) == value for key, value in settled.items()):
        return
    bookmark.creative_versions = {**remembered, **settled}
    bookmark.save(update_fields=["creative_versions", "updated_at"])
