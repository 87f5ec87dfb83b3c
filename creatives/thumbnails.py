"""Small WebP copies of library images, made once and stored beside the original.

The library grid shows dozens of images at a time; sending the 1080 px originals would cost
megabytes per page. A thumbnail is made the first time anyone asks for it (or in bulk with
`thumbnails_make_missing`), written to the default storage next to its image
(`images/ab/cd/<sha256>.thumb320.webp`) and recorded in `ImageThumbnail`, so the next request
reads the row instead of asking the storage (an S3 HEAD) whether the file exists.
"""

from __future__ import annotations

import io
import logging
from collections.abc import Iterable

from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.db import IntegrityError, transaction
from PIL import Image, ImageOps

from creatives.models import CreativeImage, ImageThumbnail

log = logging.getLogger(__name__)

LONG_SIDE = 320  # px: two columns of a phone grid at 2× density, five of a laptop's at 1×
QUALITY = 75  # WebP quality: flat graphics and photos both stay clean at this size
BULK_CHUNK = 200


class ThumbnailError(ValueError):
    """The image's stored file cannot be read or decoded."""


def thumbnail_size(width: int, height: int, *, long_side: int = LONG_SIDE) -> tuple[int, int]:
    """The thumbnail's size for an image: long side `long_side`, never larger than the image."""
    if width <= 0 or height <= 0:
        return long_side, long_side
    scale = min(1.0, long_side / max(width, height))
    return max(1, round(width * scale)), max(1, round(height * scale))


def thumbnail_name(image: CreativeImage) -> str:
    stem = image.file.name.rsplit(".", 1)[0]
    return f"{stem}.thumb{LONG_SIDE}.webp"


def render_thumbnail(data: bytes) -> tuple[bytes, int, int]:
    """Encode a WebP thumbnail of the image bytes; returns the bytes and its size."""
    try:
        with Image.open(io.BytesIO(data)) as source:
            # JPEG decodes straight at a fraction of its size: far less work for a 320 px copy.
            source.draft("RGB", (LONG_SIDE, LONG_SIDE))
            # A GIF opens on its first frame; a camera photo turns upright by its EXIF tag.
            picture = ImageOps.exif_transpose(source)
            has_alpha = picture.mode in ("RGBA", "LA") or (
                picture.mode == "P" and "transparency" in picture.info
            )
            picture = picture.convert("RGBA" if has_alpha else "RGB")
            picture.thumbnail((LONG_SIDE, LONG_SIDE), Image.Resampling.LANCZOS)
            out = io.BytesIO()
            picture.save(out, format="WEBP", quality=QUALITY, method=4)
            return out.getvalue(), picture.width, picture.height
    except Exception as exc:  # Pillow raises many types for broken files
        raise ThumbnailError(f"The image could not be decoded for a thumbnail ({exc}).") from exc


def thumbnail_ensure(image: CreativeImage) -> ImageThumbnail:
    """The image's thumbnail row, making and storing the WebP first when there is none.

    Raises ThumbnailError when the original is missing or unreadable.
    """
    existing = ImageThumbnail.objects.filter(image=image).first()
    if existing is not None:
        return existing
    try:
        with image.file.open("rb") as handle:
            data = handle.read()
    except (OSError, ValueError) as exc:
        raise ThumbnailError(f"The image file could not be read: {exc}") from exc
    webp, width, height = render_thumbnail(data)
    name = thumbnail_name(image)
    # A file without a row is left from a crash or a race: it may be partial, so write it anew
    # (same name, same bytes: a concurrent writer produces the identical file).
    if default_storage.exists(name):
        default_storage.delete(name)
    saved = default_storage.save(name, ContentFile(webp))
    try:
        with transaction.atomic():
            return ImageThumbnail.objects.create(
                image=image, file=saved, width=width, height=height, byte_size=len(webp)
            )
    except IntegrityError:
        # Another request made it at the same moment: keep its row, drop our extra file.
        if saved != name:
            default_storage.delete(saved)
        return ImageThumbnail.objects.get(image=image)


def thumbnails_make_missing(
    *, image_ids: Iterable[int] | None = None, on_progress=None
) -> tuple[int, dict[int, str]]:
    """Make every missing thumbnail (all images, or those ids); returns (made, failed).

    A broken image is recorded in `failed` and the others go on. `on_progress(count)` is
    called after each chunk.
    """
    todo = CreativeImage.objects.filter(thumbnail__isnull=True).order_by("pk")
    if image_ids is not None:
        todo = todo.filter(pk__in=list(image_ids))
    ids = list(todo.values_list("pk", flat=True))
    made = 0
    failed: dict[int, str] = {}
    for start in range(0, len(ids), BULK_CHUNK):
        chunk = CreativeImage.objects.filter(pk__in=ids[start : start + BULK_CHUNK])
        for image in chunk:
            try:
                thumbnail_ensure(image)
                made += 1
            except ThumbnailError as exc:
                failed[image.pk] = str(exc)
                log.warning("Thumbnail for image %s failed: %s", image.pk, exc)
        if on_progress is not None:
            on_progress(min(start + BULK_CHUNK, len(ids)))
    return made, failed
