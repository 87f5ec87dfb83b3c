"""Read facts from image bytes: content hash, perceptual hash, size and format.

Plain Python (Pillow, ImageHash): no Django, so ingestion and the demo share it and tests need
no database.
"""

from __future__ import annotations

import hashlib
import io
import warnings
from dataclasses import dataclass

import imagehash
from PIL import Image

# Decompression bombs: a small file that decodes to billions of pixels is refused.
DEFAULT_MAX_PIXELS = 40_000_000
ACCEPTED_FORMATS = {"JPEG", "PNG", "WEBP", "GIF"}
EXTENSIONS = {"JPEG": "jpg", "PNG": "png", "WEBP": "webp", "GIF": "gif"}


class ImageRejected(ValueError):
    """The bytes are not an image Yenni can store; the message says why in plain words."""


@dataclass(frozen=True)
class ImageFacts:
    sha256: str
    phash: str
    width: int
    height: int
    format: str
    byte_size: int

    @property
    def extension(self) -> str:
        return EXTENSIONS[self.format]

    @property
    def storage_name(self) -> str:
        # Fan out by hash prefix so no folder (or S3 prefix) grows to millions of entries.
        return f"images/{self.sha256[:2]}/{self.sha256[2:4]}/{self.sha256}.{self.extension}"


def read_image_facts(data: bytes, *, max_pixels: int = DEFAULT_MAX_PIXELS) -> ImageFacts:
    """Decode `data` fully and return its facts, or raise ImageRejected."""
    if not data:
        raise ImageRejected("The file is empty.")
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(io.BytesIO(data)) as probe:
                fmt = (probe.format or "").upper()
                width, height = probe.size
                if fmt not in ACCEPTED_FORMATS:
                    raise ImageRejected(
                        f"Unsupported image format {fmt or 'unknown'}; use JPEG, PNG, WebP or GIF."
                    )
                if width * height > max_pixels:
                    raise ImageRejected(
                        f"The image has {width}×{height} pixels, above the limit of "
                        f"{max_pixels:,} pixels."
                    )
                probe.verify()
            # verify() leaves the image unusable; decode a second time to be sure the pixels load.
            with Image.open(io.BytesIO(data)) as image:
                image.load()
                phash = str(imagehash.phash(image.convert("RGB")))
    except ImageRejected:
        raise
    except (Image.DecompressionBombError, Image.DecompressionBombWarning) as exc:
        raise ImageRejected(f"The image is too large to decode safely: {exc}") from exc
    except Exception as exc:  # Pillow raises many types for broken files
        raise ImageRejected(f"The file is not a readable image ({exc}).") from exc
    return ImageFacts(
        sha256=hashlib.sha256(data).hexdigest(),
        phash=phash,
        width=width,
        height=height,
        format=fmt,
        byte_size=len(data),
    )


def phash_distance(a: str, b: str) -> int:
    """Return the number of differing bits between two 16-hex-digit perceptual hashes."""
    return (int(a, 16) ^ int(b, 16)).bit_count()
