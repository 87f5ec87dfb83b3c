"""The images of creatives: downloaded once by URL, stored once by content, failures kept."""

from __future__ import annotations

import logging

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from creatives.imaging import ImageRejected
from creatives.models import Creative, CreativeImage, CreativeImageSlot
from creatives.services import creative_image_store
from creatives.signals import images_added
from ingestion.connectors.records import CreativeRecord
from ingestion.images import ImageFetchError, image_fetch
from ingestion.models import ImageFetchFailure, IngestionRun

logger = logging.getLogger(__name__)


def images_new_queue_description(*, image_ids: list[int]) -> None:
    """Announce new images; the generation app queues their describe job (see creatives.signals)."""
    if image_ids:
        images_added.send(sender=IngestionRun, image_ids=list(image_ids))


def creative_images_sync(
    *, creatives: dict[str, Creative], records: list[CreativeRecord], run: IngestionRun
) -> list[int]:
    """Download and attach the images of creatives that lack them; return new image ids.

    A URL already stored is not downloaded again; a failure is recorded on the creative
    (ImageFetchFailure) and tried again by the next run. Never raises for an image.
    """
    today = timezone.localdate()
    slots = {
        (slot.creative_id, slot.position): slot.image.source_url
        for slot in CreativeImageSlot.objects.filter(
            creative__in=list(creatives.values())
        ).select_related("image")
    }
    new_ids: list[int] = []
    for record in records:
        creative = creatives.get(record.external_id)
        if creative is None:
            continue
        for position, url in enumerate(record.image_urls):
            if slots.get((creative.pk, position)) == url:
                continue
            try:
                image = CreativeImage.objects.filter(source_url=url).first()
                if image is None:
                    data = image_fetch(
                        url,
                        allowed_hosts=settings.INGEST_IMAGE_HOSTS,
                        allowed_networks=settings.INGEST_IMAGE_ALLOWED_NETWORKS,
                        max_bytes=settings.INGEST_IMAGE_MAX_BYTES,
                        timeout=settings.INGEST_IMAGE_TIMEOUT_SECONDS,
                    )
                    image, created = creative_image_store(
                        data=data,
                        source_url=url[:2000],
                        seen_on=today,
                        max_pixels=settings.INGEST_IMAGE_MAX_PIXELS,
                    )
                    if created:
                        new_ids.append(image.pk)
                        run.images_stored += 1
            except Exception as exc:  # an image must never fail the run
                if not isinstance(exc, ImageFetchError | ImageRejected):
                    logger.exception("Image %s of creative %s failed", position, creative.pk)
                _image_failure_record(creative=creative, position=position, url=url, error=exc)
                run.images_failed += 1
                continue
            with transaction.atomic():
                CreativeImageSlot.objects.update_or_create(
                    creative=creative, position=position, defaults={"image": image}
                )
                ImageFetchFailure.objects.filter(creative=creative, position=position).delete()
            slots[(creative.pk, position)] = url
    if new_ids:
        transaction.on_commit(lambda: images_new_queue_description(image_ids=new_ids))
    return new_ids


def _image_failure_record(*, creative: Creative, position: int, url: str, error: Exception):
    failure, created = ImageFetchFailure.objects.get_or_create(
        creative=creative,
        position=position,
        defaults={"url": url[:2000], "error": str(error)[:2000]},
    )
    if not created:
        failure.url = url[:2000]
        failure.error = str(error)[:2000]
        failure.attempts += 1
        failure.save(update_fields=["url", "error", "attempts", "last_tried_at"])
