"""creative_image_store keeps one file per content and refuses what is not a safe image."""

from __future__ import annotations

import datetime as dt
import io
import struct
import zlib

import pytest
from django.core.files.storage import default_storage
from PIL import Image

from creatives.imaging import ImageRejected
from creatives.models import CreativeImage
from creatives.services import creative_image_store
from tests.factories import make_png

pytestmark = pytest.mark.usefixtures("media_storage")


def stored_files() -> list[str]:
    """Every file under the storage's images folder, as storage names."""
    found = []

    def walk(folder: str) -> None:
        folders, files = default_storage.listdir(folder)
        found.extend(f"{folder}/{name}" for name in files)
        for name in folders:
            walk(f"{folder}/{name}")

    if default_storage.exists("images"):
        walk("images")
    return sorted(found)


def png_header_claiming(width: int, height: int) -> bytes:
    """A PNG whose header announces width×height pixels, followed by almost no pixel data."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        body = kind + data
        return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body))

    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(b"\x00" * 16))
        + chunk(b"IEND", b"")
    )


def test_the_same_bytes_are_stored_once(db):
    data = make_png(width=16, height=9)

    first, first_created = creative_image_store(data=data)
    second, second_created = creative_image_store(data=data)

    assert (first_created, second_created) == (True, False)
    assert second.pk == first.pk
    assert CreativeImage.objects.count() == 1
    sha = first.sha256
    assert stored_files() == [f"images/{sha[:2]}/{sha[2:4]}/{sha}.png"]
    assert (first.width, first.height, first.format, first.byte_size) == (16, 9, "PNG", len(data))


def test_seen_dates_widen_to_every_sighting(db):
    data = make_png()

    image, _ = creative_image_store(data=data, seen_on=dt.date(2024, 3, 10))
    creative_image_store(data=data, seen_on=dt.date(2024, 3, 1))
    creative_image_store(data=data, seen_on=dt.date(2024, 3, 20))
    creative_image_store(data=data, seen_on=dt.date(2024, 3, 15))
    creative_image_store(data=data)

    image.refresh_from_db()
    assert (image.first_seen, image.last_seen) == (dt.date(2024, 3, 1), dt.date(2024, 3, 20))


def test_bytes_that_are_not_an_image_are_refused_and_nothing_is_stored(db):
    with pytest.raises(ImageRejected, match=r"^The file is not a readable image \(cannot identify"):
        creative_image_store(data=b"<html>not an image</html>")

    assert not CreativeImage.objects.exists()
    assert stored_files() == []


def test_an_empty_file_is_refused(db):
    with pytest.raises(ImageRejected) as error:
        creative_image_store(data=b"")

    assert str(error.value) == "The file is empty."


def test_an_image_format_outside_the_list_is_refused(db):
    buffer = io.BytesIO()
    Image.new("RGB", (4, 4), (10, 20, 30)).save(buffer, format="BMP")

    with pytest.raises(ImageRejected) as error:
        creative_image_store(data=buffer.getvalue())

    assert str(error.value) == "Unsupported image format BMP; use JPEG, PNG, WebP or GIF."


def test_an_image_above_the_pixel_cap_is_refused_from_its_header(db):
    bomb = png_header_claiming(4000, 3000)

    with pytest.raises(ImageRejected) as error:
        creative_image_store(data=bomb, max_pixels=1_000_000)

    assert str(error.value) == (
        "The image has 4000×3000 pixels, above the limit of 1,000,000 pixels."
    )
    assert not CreativeImage.objects.exists()
    assert stored_files() == []


def test_a_real_image_just_under_the_cap_is_accepted(db):
    image, created = creative_image_store(data=make_png(width=20, height=10), max_pixels=200)

    assert created is True
    assert (image.width, image.height) == (20, 10)
