"""Creatives read once: what a run remembers of each creative's version, and what it trusts.

A connector whose creatives carry a version (LinkedIn's lastModifiedAt) skips the post and
image of every creative whose version has not moved since the last run. The memory lives on
the account's bookmark and is saved with the catalog, in the same transaction, so it never
claims a creative the catalog does not hold.
"""

from __future__ import annotations

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


def creative_versions_remember(*, bookmark: SyncBookmark, connector: Connector) -> None:
    """Save what the connector read of each creative; call in the catalog's transaction."""
    if connector.creative_versions == (bookmark.creative_versions or {}):
        return
    bookmark.creative_versions = connector.creative_versions
    bookmark.save(update_fields=["creative_versions", "updated_at"])
