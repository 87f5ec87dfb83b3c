"""The catalog side of the end-to-end test: accounts of the world, the catalog read back in the
truth's shape, the runs' figures. Runs in the test process and in its `manage.py` subprocesses.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.core.files.storage import default_storage
from django.db.models import Count

from campaigns.models import Ad, AdAccount, DailyMetric
from creatives.models import CreativeImageSlot
from ingestion.models import IngestionRun
from ingestion.services import account_yesterday
from tests.factories import make_account
from tests.fakes.world import DAYS, ROW, SPECS, TYPES, picture_digest


def accounts_create() -> list[AdAccount]:
    """One active account per platform, as the world's specs name them."""
    return [
        make_account(platform=spec.slug, external_id=spec.account_id, name=spec.name)
        for spec in SPECS
    ]


def _pictures(creative_id: int | None) -> list[str]:
    if creative_id is None:
        return []
    slots = CreativeImageSlot.objects.filter(creative_id=creative_id).select_related("image")
    pictures = []
    for slot in slots.order_by("position"):
        with default_storage.open(slot.image.file.name) as file:
            pictures.append(picture_digest(file.read()))
    return pictures


def catalog_read() -> dict[str, Any]:
    """Every account's ads as the truth file shapes them: status, pictures, and days by offset."""
    platforms: dict[str, Any] = {}
    for account in AdAccount.objects.select_related("platform").order_by("pk"):
        start = account_yesterday(account=account) - dt.timedelta(days=DAYS - 1)
        ads: dict[str, Any] = {}
        for ad in Ad.objects.filter(campaign__account=account).select_related("campaign"):
            ads[ad.external_id] = {
                "campaign": ad.campaign.external_id,
                "status": ad.status,
                "removed": ad.status in ("REMOVED", "DELETED"),
                "images": _pictures(ad.creative_id),
                "days": {},
            }
        rows = DailyMetric.objects.filter(ad__campaign__account=account).values_list(
            "ad__external_id", "date", *ROW, TYPES
        )
        for ad_id, date, *figures, types in rows:
            figures[3] = float(figures[3])
            # {type: [count, value micros]}, or None when the day reported no type.
            ads[ad_id]["days"][f"{(date - start).days:02d}"] = [*figures, types or {}]
        platforms[account.platform.slug] = {"account": account.external_id, "ads": ads}
    return platforms


def duplicate_rows() -> int:
    """(ad, day) pairs with more than one daily metric row."""
    return (
        DailyMetric.objects.values("ad_id", "date").annotate(n=Count("id")).filter(n__gt=1).count()
    )


def runs_read() -> list[dict[str, Any]]:
    """Every ingestion run, oldest first, with what the figures need."""
    return [
        {
            "pk": run.pk,
            "platform": run.account.platform.slug,
            "status": run.status,
            "error": run.error,
            "api_calls": run.api_calls,
            "waits": run.throttle_waits,
            "waited": run.waited_seconds,
            "images": run.images_stored,
            "seconds": run.duration.total_seconds() if run.duration else 0.0,
        }
        for run in IngestionRun.objects.select_related("account__platform").order_by("pk")
    ]


def differences(expected: Any, actual: Any, *, path: str = "", limit: int = 15) -> list[str]:
    """Where two nested values differ, as 'path: expected … got …' lines (at most `limit`)."""
    found: list[str] = []

    def walk(want: Any, got: Any, where: str) -> None:
        if len(found) >= limit:
            return
        if isinstance(want, dict) and isinstance(got, dict):
            for key in sorted(set(want) | set(got)):
                if key not in got:
                    found.append(f"{where}/{key}: missing from the catalog")
                elif key not in want:
                    found.append(f"{where}/{key}: in the catalog, not in the truth: {got[key]!r}")
                else:
                    walk(want[key], got[key], f"{where}/{key}")
                if len(found) >= limit:
                    return
        elif want != got:
            found.append(f"{where}: expected {want!r}, got {got!r}")

    walk(expected, actual, path)
    return found
