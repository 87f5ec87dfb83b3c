"""Fake platform servers and the settings that point ingestion at them."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from contextlib import contextmanager
from zoneinfo import ZoneInfo

import pytest
from django.db.models import Sum
from django.utils import timezone

from campaigns.models import AdAccount, DailyMetric
from ingestion.models import IngestionRun
from ingestion.services import ingestion_run_account
from tests.factories import make_account
from tests.fakes.google_ads import GOOGLE_OBJECTIVES, FakeGoogleAds
from tests.fakes.history import history_build
from tests.fakes.linkedin import LINKEDIN_OBJECTIVES, FakeLinkedIn
from tests.fakes.meta import FakeMeta
from tests.fakes.server import FakeServer
from tests.fakes.x import X_OBJECTIVES, FakeX

META_TOKEN = "meta-test-token-6f1c"


def account_yesterday(account: AdAccount) -> dt.date:
    return timezone.now().astimezone(ZoneInfo(account.time_zone)).date() - dt.timedelta(days=1)


def catalog_totals(account: AdAccount) -> dict[str, tuple[int, int, int, float]]:
    """Per ad external id: (impressions, clicks, spend micros, conversions) in the catalog."""
    rows = (
        DailyMetric.objects.filter(ad__campaign__account=account)
        .values("ad__external_id")
        .annotate(
            impressions=Sum("impressions"),
            clicks=Sum("clicks"),
            spend=Sum("spend_micros"),
            conversions=Sum("conversions"),
        )
    )
    return {
        row["ad__external_id"]: (
            row["impressions"],
            row["clicks"],
            row["spend"],
            float(row["conversions"]),
        )
        for row in rows
    }


def sync(account: AdAccount, **kwargs) -> IngestionRun:
    run = IngestionRun.objects.create(account=account, **kwargs)
    return ingestion_run_account(run=run)


@contextmanager
def _serving(settings, platform, name: str, base_path: str) -> Iterator[None]:
    """Serve the fake platform on 127.0.0.1 and point ingestion's base URL for it there.

    The URL has no version: the connector adds the one in use (INGEST_API_VERSIONS).
    """
    with FakeServer(platform) as server:
        settings.INGEST_API_URLS = {**settings.INGEST_API_URLS, name: f"{server.url}{base_path}"}
        yield


@pytest.fixture
def ingest_settings(settings, media_storage):
    """Tiny waits, the fake servers' host allowed for images, an alert recipient."""
    settings.INGEST_WAIT_SCALE = 0.0002
    settings.INGEST_IMAGE_HOSTS = [*settings.INGEST_IMAGE_HOSTS, "127.0.0.1"]
    # The fake servers' images are on loopback, which image downloads refuse unless allowed.
    settings.INGEST_IMAGE_ALLOWED_NETWORKS = ["127.0.0.1/32"]
    settings.INGEST_ALERT_EMAILS = ["ops@example.co"]
    settings.INGEST_CHUNK_DAYS = 7
    settings.INGEST_BACKFILL_DAYS = 63
    settings.INGEST_PAGE_SIZE = 100
    settings.INGEST_MAX_RETRIES = 5
    settings.INGEST_SECRETS_FILE = ""
    return settings


@pytest.fixture
def meta_account(db, monkeypatch):
    account = make_account(platform="meta", external_id="act_1001", name="Tu360 Compras Meta")
    monkeypatch.setenv("YENNI_TOKEN_META_ACT_1001", META_TOKEN)
    return account


@pytest.fixture
def fake_meta(ingest_settings, meta_account):
    """A fake Graph API with 7 campaigns, 14 ads and creatives and 63 days to yesterday."""
    history = history_build(end=account_yesterday(meta_account), days=63)
    platform = FakeMeta(
        history, account_id="act_1001", token=META_TOKEN, page_size=3, insights_page_size=40
    )
    with _serving(ingest_settings, platform, "meta", ""):
        yield platform


GOOGLE_TOKEN = "google-test-token-9a2d"


@pytest.fixture
def google_account(db, monkeypatch):
    account = make_account(
        platform="google_ads", external_id="123-456-7890", name="Wompi Google", currency="USD"
    )
    monkeypatch.setenv("YENNI_TOKEN_GOOGLE_ADS_123_456_7890", GOOGLE_TOKEN)
    return account


@pytest.fixture
def fake_google(ingest_settings, google_account):
    """A fake Google Ads API with 7 campaigns, 14 ads and 63 days to yesterday."""
    history = history_build(
        end=account_yesterday(google_account),
        days=63,
        objectives=GOOGLE_OBJECTIVES,
        id_base=7100000000,
        seed=2,
    )
    platform = FakeGoogleAds(history, customer_id="1234567890", token=GOOGLE_TOKEN, page_size=3)
    with _serving(ingest_settings, platform, "google_ads", ""):
        yield platform


LINKEDIN_TOKEN = "linkedin-test-token-33c1"


@pytest.fixture
def linkedin_account(db, monkeypatch):
    account = make_account(platform="linkedin", external_id="508000111", name="Tu360 LinkedIn")
    monkeypatch.setenv("YENNI_TOKEN_LINKEDIN_508000111", LINKEDIN_TOKEN)
    return account


@pytest.fixture
def fake_linkedin(ingest_settings, linkedin_account):
    """A fake LinkedIn API with 7 campaigns, 14 creatives and 63 days to yesterday."""
    history = history_build(
        end=account_yesterday(linkedin_account),
        days=63,
        objectives=LINKEDIN_OBJECTIVES,
        id_base=600000000,
        seed=3,
    )
    platform = FakeLinkedIn(history, account_id="508000111", token=LINKEDIN_TOKEN, page_size=3)
    with _serving(ingest_settings, platform, "linkedin", "/rest"):
        yield platform


X_TOKEN = "x-test-token-77aa"


@pytest.fixture
def x_account(db, monkeypatch):
    account = make_account(platform="x", external_id="18ce54d4x5t", name="Wompi X")
    monkeypatch.setenv("YENNI_TOKEN_X_18CE54D4X5T", X_TOKEN)
    return account


@pytest.fixture
def fake_x(ingest_settings, x_account):
    """A fake X Ads API with 7 campaigns, 14 promoted tweets and 63 days to yesterday."""
    history = history_build(
        end=account_yesterday(x_account), days=63, objectives=X_OBJECTIVES, id_base=900000, seed=4
    )
    platform = FakeX(history, account_id="18ce54d4x5t", token=X_TOKEN, page_size=3)
    with _serving(ingest_settings, platform, "x", ""):
        yield platform
