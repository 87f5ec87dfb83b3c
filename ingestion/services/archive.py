"""The raw archive: every response body a connector received, gzipped, by the day it came.

Names read `raw/platform=…/account=…/year=…/month=…/day=…/<time>-<n>-<endpoint>.json.gz`;
the writer and the readers below are the only code that knows this layout.
"""

from __future__ import annotations

import datetime as dt
import gzip
import itertools
import re

from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.utils import timezone

from ingestion.connectors.base import ArchiveWriter

SUFFIX = ".json.gz"


def _safe(part: str) -> str:
    return re.sub(r"[^A-Za-z0-9_.-]", "_", part)


def archive_folder(*, platform: str, account_id: str) -> str:
    return f"raw/platform={_safe(platform)}/account={_safe(account_id)}"


def _day_folder(folder: str, day: dt.date) -> str:
    return f"{folder}/year={day:%Y}/month={day:%m}/day={day:%d}"


def archive_writer(*, platform: str, account_id: str) -> ArchiveWriter:
    """Return a function that stores each response body gzipped, by the day it was fetched."""
    counter = itertools.count(1)
    folder = archive_folder(platform=platform, account_id=account_id)

    def write(endpoint: str, body: bytes) -> None:
        now = timezone.now().astimezone(dt.UTC)
        name = (
            f"{_day_folder(folder, now)}/"
            f"{now:%Y%m%dT%H%M%S%fZ}-{next(counter):05d}-{_safe(endpoint)}{SUFFIX}"
        )
        default_storage.save(name, ContentFile(gzip.compress(body, mtime=0)))

    return write


def archived_files(*, folder: str, date_from: dt.date, date_to: dt.date) -> list[str]:
    """Return the archive's files fetched between two days (UTC), in the order they came."""
    names = []
    day = date_from
    while day <= date_to:
        path = _day_folder(folder, day)
        if default_storage.exists(path):
            _dirs, files = default_storage.listdir(path)
            names += [f"{path}/{name}" for name in sorted(files) if name.endswith(SUFFIX)]
        day += dt.timedelta(days=1)
    return names


def archived_endpoint(name: str) -> str:
    """Return the endpoint an archived file answered (what its parser is chosen by)."""
    return name.rsplit("/", 1)[1].split("-", 2)[2].removesuffix(SUFFIX)


def archived_body(name: str) -> bytes:
    with default_storage.open(name, "rb") as handle:
        return gzip.decompress(handle.read())
