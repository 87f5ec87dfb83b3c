"""Creative images: fetched within limits, a failure recorded on the creative and retried."""

from __future__ import annotations

import pytest

from creatives.models import CreativeImageSlot
from ingestion.images import ImageFetchError, image_fetch
from ingestion.models import ImageFetchFailure, IngestionRun
from tests.fakes.server import FakePlatform, FakeServer, noisy_png
from tests.ingestion.conftest import sync


@pytest.fixture
def image_server():
    with FakeServer(FakePlatform(token="unused")) as server:
        yield server


def fetch(url: str, *, hosts=("127.0.0.1",), max_bytes=20_000) -> bytes:
    return image_fetch(url, allowed_hosts=list(hosts), max_bytes=max_bytes, timeout=5)


def test_an_allowed_host_serves_the_image_bytes(image_server):
    data = fetch(f"{image_server.url}/images/a.png")

    assert data.startswith(b"\x89PNG")


def test_a_host_outside_the_allowlist_is_refused_before_any_download(image_server):
    url = image_server.url.replace("127.0.0.1", "localhost") + "/images/a.png"

    with pytest.raises(ImageFetchError, match="'localhost' is not in the image host allowlist"):
        fetch(url)
    assert image_server.platform.image_downloads == 0


def test_a_wildcard_pattern_allows_the_platform_cdn_hosts():
    from ingestion.images import host_allowed

    patterns = ["*.fbcdn.net", "scontent*.xx.fbcdn.net", "media.licdn.com"]
    assert host_allowed("scontent-bog1-1.xx.fbcdn.net", patterns)
    assert host_allowed("MEDIA.LICDN.COM", patterns)
    assert not host_allowed("fbcdn.net.evil.example", patterns)
    assert not host_allowed("licdn.com", patterns)


@pytest.mark.parametrize("url", ["ftp://127.0.0.1/a.png", "file:///etc/passwd", "data:image/png,"])
def test_only_http_and_https_addresses_are_fetched(url):
    with pytest.raises(ImageFetchError, match="Only http and https"):
        fetch(url)


def test_an_image_over_the_byte_cap_is_refused(image_server):
    image_server.platform.broken_images["big.png"] = "big"

    with pytest.raises(ImageFetchError, match="above the limit of 20,000"):
        fetch(f"{image_server.url}/images/big.png")


def test_a_page_that_is_not_an_image_is_refused(image_server):
    image_server.platform.broken_images["page.png"] = "html"

    with pytest.raises(ImageFetchError, match="served text/html, not an image"):
        fetch(f"{image_server.url}/images/page.png")


def image_name(fake, index: int) -> str:
    return fake.history.creatives[index].image_path.removeprefix("/images/")


def test_broken_images_are_recorded_and_tried_again_by_the_next_run(
    fake_meta, meta_account, settings
):
    settings.INGEST_IMAGE_MAX_BYTES = 20_000
    fake_meta.broken_images = {
        image_name(fake_meta, 0): "big",
        image_name(fake_meta, 1): "bomb",
        image_name(fake_meta, 2): "html",
        image_name(fake_meta, 3): "missing",
    }

    first = sync(meta_account)

    assert first.status == IngestionRun.Status.SUCCEEDED, first.error
    assert (first.images_stored, first.images_failed) == (10, 4)
    failures = {
        f.creative.external_id: (f.attempts, f.error)
        for f in ImageFetchFailure.objects.select_related("creative")
    }
    creatives = [c.id for c in fake_meta.history.creatives]
    big = len(noisy_png())
    assert failures[creatives[0]] == (1, f"The image is {big:,} bytes, above the limit of 20,000.")
    assert failures[creatives[1]][1].startswith("The image is too large to decode safely")
    assert failures[creatives[2]][1] == "The address served text/html, not an image."
    assert failures[creatives[3]][1] == "The image address answered HTTP 404."

    fake_meta.broken_images = {image_name(fake_meta, 0): "big"}
    second = sync(meta_account)

    assert (second.images_stored, second.images_failed) == (3, 1)
    assert list(ImageFetchFailure.objects.values_list("creative__external_id", "attempts")) == [
        (creatives[0], 2)
    ]

    fake_meta.broken_images = {}
    third = sync(meta_account)

    assert (third.images_stored, third.images_failed) == (1, 0)
    assert ImageFetchFailure.objects.count() == 0
    assert CreativeImageSlot.objects.filter(creative__platform="meta").count() == 14
