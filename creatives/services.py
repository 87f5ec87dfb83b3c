"""Workflows that write to the asset library."""

from __future__ import annotations

import datetime as dt

from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.db import IntegrityError, transaction

from creatives.imaging import DEFAULT_MAX_PIXELS, ImageFacts, read_image_facts
from creatives.models import CreativeImage


def creative_image_store(
    *,
    data: bytes,
    source_url: str = "",
    seen_on: dt.date | None = None,
    max_pixels: int = DEFAULT_MAX_PIXELS,
    facts: ImageFacts | None = None,
) -> tuple[CreativeImage, bool]:
    """Store an image once by content and return it, with whether it was new.

    Raises creatives.imaging.ImageRejected for bytes that are not a safe, readable image.
    """
    facts = facts or read_image_facts(data, max_pixels=max_pixels)
    image = CreativeImage.objects.filter(sha256=facts.sha256).first()
    if image is None:
        # The file goes first: a row never points to a missing file. Same name for same bytes,
        # so a retry after a crash reuses the stored file instead of writing a copy.
        if not default_storage.exists(facts.storage_name):
            saved = default_storage.save(facts.storage_name, ContentFile(data))
        else:
            saved = facts.storage_name
        try:
            with transaction.atomic():
                image = CreativeImage.objects.create(
                    sha256=facts.sha256,
                    file=saved,
                    phash=facts.phash,
                    width=facts.width,
                    height=facts.height,
                    format=facts.format,
                    byte_size=facts.byte_size,
                    source_url=source_url,
                    first_seen=seen_on,
                    last_seen=seen_on,
                )
            return image, True
        except IntegrityError:
            # Another worker stored the same bytes at the same moment: use its row.
            image = CreativeImage.objects.get(sha256=facts.sha256)
    if seen_on is not None:
        creative_image_mark_seen(image=image, seen_on=seen_on)
    return image, False


def creative_image_mark_seen(*, image: CreativeImage, seen_on: dt.date) -> None:
    """Widen an image's first/last seen dates to include `seen_on`."""
    changed = []
    if image.first_seen is None or seen_on < image.first_seen:
        image.first_seen = seen_on
        changed.append("first_seen")
    if image.last_seen is None or seen_on > image.last_seen:
        image.last_seen = seen_on
        changed.append("last_seen")
    if changed:
        image.save(update_fields=changed)
