"""What the browser tests share: Debian's Chromium, the tiny image model, a screenshot folder.

The browser is the system package (`apt-get install chromium`), never `playwright install`,
which downloads its own build and cannot run on machines without internet access.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING

import pytest
from django.core.servers.basehttp import WSGIServer

# The tiny random SDXL as the image model, shared with the generation tests.
from tests.generation.tiny_sdxl import tiny_image_model, tiny_sdxl_dir  # noqa: F401 (fixtures)

if TYPE_CHECKING:
    from playwright.sync_api import Browser

CHROMIUM = Path("/usr/bin/chromium")
# Headless, no sandbox (CI runs as root, where Chromium refuses its sandbox) and no calls home:
# the test must not reach the network or slow down on first-run and update checks.
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
]
SCREENSHOTS = Path(__file__).resolve().parents[2] / "var" / "screenshots"


def _chromium_or_skip() -> Path:
    """The browser's path; without it the test fails in CI and is skipped on a laptop."""
    if os.access(CHROMIUM, os.X_OK):
        return CHROMIUM
    message = f"{CHROMIUM} is missing. Install it with: sudo apt-get install -y chromium"
    if os.environ.get("CI") == "true":
        pytest.fail(f"{message} (CI must run the browser test, so it fails rather than skips)")
    pytest.skip(message)


@pytest.fixture(scope="session")
def chromium() -> Path:
    """The browser's path. Session-scoped, and listed first by a test, so it is checked before
    the live server starts and the tiny model is built."""
    return _chromium_or_skip()


@contextmanager
def launched(chromium: Path) -> Iterator[Browser]:
    """A headless Chromium for the length of the block.

    Not a fixture on purpose: Playwright's sync API keeps an asyncio loop marked as running on
    this thread while it is started, and Django then refuses every ORM call here
    (SynchronousOnlyOperation), pytest-django's database setup and teardown included. So a test
    writes its data first, drives the browser inside this block, and checks the database after.
    """
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        instance = playwright.chromium.launch(
            executable_path=str(chromium), args=CHROMIUM_ARGS, headless=True
        )
        try:
            yield instance
        finally:
            instance.close()


@pytest.fixture
def screenshots() -> Path:
    """var/screenshots/ in the repository: ignored by git, kept after the run to look at."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    return SCREENSHOTS


class _OneRequestAtATime(WSGIServer):
    """Django's live server, answering one request at a time.

    On the in-memory SQLite test database every request thread of the live server shares one
    connection: a page whose images the browser fetches in parallel ran two `atomic()` blocks
    on it at once (the library's thumbnails, created on first request), which left it inside
    a transaction ("pop from empty list" in one request, then every later migration test of
    that worker refused by SQLite's schema editor). Django closes each connection when its
    server is not threaded, so a browser's parallel fetches simply queue.
    """

    def __init__(self, *args, connections_override=None, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.connections_override = connections_override


@pytest.fixture(scope="session", autouse=True)
def live_server_one_request_at_a_time_on_sqlite() -> Iterator[None]:
    from django.conf import settings
    from django.test.testcases import LiveServerThread

    if not settings.DATABASES["default"]["ENGINE"].endswith("sqlite3"):
        yield
        return
    threaded = LiveServerThread.server_class
    LiveServerThread.server_class = _OneRequestAtATime
    try:
        yield
    finally:
        LiveServerThread.server_class = threaded
