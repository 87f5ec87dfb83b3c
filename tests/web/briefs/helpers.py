"""Building briefs, catalogs and batches for the brief page tests."""

from __future__ import annotations

import datetime as dt
import io
import random

from django.core.files.base import ContentFile
from django.utils import timezone
from PIL import Image

from campaigns.models import Objective
from creatives.models import CreativeImage
from generation.briefs import services
from generation.models import Brief, GeneratedImage, ImageBatch, ModelJob

TODAY = timezone.localdate()


FIRST_DAY = TODAY - dt.timedelta(days=40)


PIECES = 6


def _jpeg(colour: tuple[int, int, int], size=(96, 64)) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", size, colour).save(buffer, format="JPEG")
    return buffer.getvalue()


def _png(size=(80, 80), colour=(20, 200, 40), fmt="PNG") -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", size, colour).save(buffer, format=fmt)
    return buffer.getvalue()


def _image(n: int) -> CreativeImage:
    from creatives.services import creative_image_store

    image, _ = creative_image_store(data=_jpeg((230, (120 + n * 7) % 256, 30)), seen_on=FIRST_DAY)
    # Flat colours share a perceptual hash; distinct hashes keep every piece its own reference.
    CreativeImage.objects.filter(pk=image.pk).update(
        phash=f"{random.Random(n).getrandbits(64):016x}"
    )
    return image


def _brief(owner, node, **fields) -> Brief:
    values = {
        "owner": owner,
        "node": node,
        "objective": Objective.TRAFFIC,
        "title": "Links de pago",
        "description": "Emprendedora recibiendo pagos con el celular",
        "audience": "Emprendedores jóvenes",
        "tone": "cercano y alegre",
    }
    values.update(fields)
    return services.brief_create(**values)


def _batch(brief: Brief, *, status=ModelJob.Status.SUCCEEDED, images: int = 0, **fields):
    """A batch as a finished (or queued) job leaves it, with `images` stored PNGs."""
    finished = status in ModelJob.FINISHED
    job = ModelJob.objects.create(
        kind=ModelJob.Kind.GENERATE,
        backend="sdxl",
        brief=brief,
        status=status,
        finished_at=timezone.now() if finished else None,
        **{k: v for k, v in fields.items() if k in {"error", "how_to_fix", "stage", "queued_at"}},
    )
    batch = ImageBatch.objects.create(
        brief=brief,
        job=job,
        prompt_version=brief.latest_prompt,
        seed=fields.get("seed", 100),
        image_count=max(images, 1),
        guidance_scale=7.0,
    )
    for index in range(images):
        row = GeneratedImage(batch=batch, index=index, seed=batch.seed + index, width=8, height=8)
        row.file.save(f"b{batch.pk}-{index}.png", ContentFile(_png(size=(8, 8))), save=True)
    return batch


def _refs(brief: Brief) -> list[int]:
    return list(brief.references.order_by("order").values_list("image_id", flat=True))
