"""Addresses and shortcuts the API tests share: a brief's URL, a generate call, a finished batch."""

from __future__ import annotations

import io

from django.utils import timezone
from PIL import Image
from rest_framework.test import APIClient

from generation.briefs import services
from generation.models import Brief, GeneratedImage, ImageBatch, ModelJob

BRIEFS = "/api/v1/briefs/"


def _brief_url(brief: Brief, action: str = "") -> str:
    return f"{BRIEFS}{brief.pk}/{action}"


def _generate(api: APIClient, brief: Brief, capture, **fields):
    """POST generate/ and run the queued job, as the broker would after the commit."""
    with capture(execute=True):
        response = api.post(_brief_url(brief, "generate/"), fields, format="json")
    return response


def _finished_batch(brief: Brief, images: int = 2) -> ImageBatch:
    """A batch whose job succeeded, with real PNG files, without running a model."""
    from django.core.files.base import ContentFile

    batch = services.batch_queue(brief, seed=7, image_count=images)
    ModelJob.objects.filter(pk=batch.job_id).update(
        status=ModelJob.Status.SUCCEEDED, finished_at=timezone.now()
    )
    for index in range(images):
        buffer = io.BytesIO()
        Image.new("RGB", (8, 8), (index, 0, 0)).save(buffer, format="PNG")
        row = GeneratedImage(batch=batch, index=index, seed=7 + index, width=8, height=8)
        row.file.save(f"b{batch.pk}-{index}.png", ContentFile(buffer.getvalue()))
    return batch
