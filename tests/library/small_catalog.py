"""Small catalogs for the creative and insights page tests: images, a signed-in client, charts."""

from __future__ import annotations

import datetime as dt
import io
import json
import random
import re

from django.utils import timezone
from PIL import Image

from creatives.models import CreativeImage

TODAY = timezone.localdate()
FIRST_DAY = TODAY - dt.timedelta(days=40)


def jpeg(colour: tuple[int, int, int], size=(96, 64)) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", size, colour).save(buffer, format="JPEG")
    return buffer.getvalue()


def image_of(n: int, size=(96, 64)) -> CreativeImage:
    """A flat JPEG of its own colour, seen on FIRST_DAY, with a perceptual hash of its own."""
    from creatives.services import creative_image_store

    image, _ = creative_image_store(
        data=jpeg(((n * 53) % 256, (120 + n * 7) % 256, (n * 11) % 256), size), seen_on=FIRST_DAY
    )
    # Flat colours share a perceptual hash; distinct hashes keep every piece its own piece.
    CreativeImage.objects.filter(pk=image.pk).update(
        phash=f"{random.Random(1000 + n).getrandbits(64):016x}"
    )
    image.refresh_from_db()
    return image


def login(client, user):
    client.force_login(user)
    return client


def chart_data(response, element_id: str) -> dict:
    match = re.search(
        rf'<script id="{element_id}" type="application/json">(.*?)</script>',
        response.content.decode(),
        re.S,
    )
    assert match, f"no {element_id} blob in the page"
    return json.loads(match.group(1))
