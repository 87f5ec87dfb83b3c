"""X creatives from the fake API: card copy and images, ad names, deleted promoted tweets."""

from __future__ import annotations

import dataclasses
import hashlib

from campaigns.models import Ad, DailyMetric
from creatives.models import Creative, CreativeImageSlot
from ingestion.connectors.records import Parsed
from ingestion.connectors.x import XConnector
from ingestion.models import ImageFetchFailure, IngestionRun
from tests.fakes.x import PLAY_APP_ID, creative_kind, image_key
from tests.ingestion.conftest import sync

PLAY_URL = f"https://play.google.com/store/apps/details?id={PLAY_APP_ID}"


def expected_copy(fake_x, c) -> tuple[str, str, str, str, str]:
    """(name, headline, body, call to action, landing URL) the catalog should hold for `c`."""
    kind = creative_kind(fake_x.history, c.id)
    if kind.endswith("WEBSITE"):
        return (c.name, c.headline, c.body, "", c.landing_url)
    if kind.endswith("APP"):
        return (c.name, "", c.body, "INSTALL", PLAY_URL)
    return ("", "", f"{c.body} https://t.co/x{c.id[-4:]}", "", c.landing_url)


def served_image(fake_x, c) -> bytes:
    """The bytes the fake serves at the creative's picture (a video's thumbnail included)."""
    return fake_x.image(c.image_path.removeprefix("/images/")).body


def test_every_kind_of_ad_stores_its_picture_bytes_linked_to_its_creative(fake_x, x_account):
    run = sync(x_account)

    assert run.status == IngestionRun.Status.SUCCEEDED, run.error
    kinds = {creative_kind(fake_x.history, c.id) for c in fake_x.history.creatives}
    assert kinds == {
        "IMAGE_WEBSITE",
        "VIDEO_WEBSITE",
        "IMAGE_APP",
        "VIDEO_APP",
        "TWEET_IMAGE",
        "LEGACY_WEBSITE",
    }
    for c in fake_x.history.creatives:
        slots = CreativeImageSlot.objects.filter(creative__platform="x", creative__external_id=c.id)
        [slot] = slots.select_related("image")
        expected = served_image(fake_x, c)
        with slot.image.file.open("rb") as stored:
            assert stored.read() == expected, creative_kind(fake_x.history, c.id)
        assert slot.image.sha256 == hashlib.sha256(expected).hexdigest()
        assert slot.image.source_url == f"{fake_x.base_url}{c.image_path}"
    assert ImageFetchFailure.objects.count() == 0
    assert run.images_failed == 0


def test_a_video_card_stores_the_videos_thumbnail_and_never_downloads_the_video(fake_x, x_account):
    sync(x_account)

    videos = [
        c
        for c in fake_x.history.creatives
        if creative_kind(fake_x.history, c.id) in ("VIDEO_WEBSITE", "VIDEO_APP")
    ]
    assert len(videos) == 5
    stored = CreativeImageSlot.objects.filter(
        creative__external_id__in=[c.id for c in videos]
    ).values_list("image__source_url", flat=True)
    assert sorted(stored) == sorted(f"{fake_x.base_url}{c.image_path}" for c in videos)
    # 14 pictures and nothing else: no .mp4 was fetched.
    assert fake_x.image_downloads == 14


def test_the_headline_comes_from_the_card_the_body_from_the_tweet(fake_x, x_account):
    sync(x_account)

    found = {
        c.external_id: (c.name, c.headline, c.body, c.call_to_action, c.landing_url)
        for c in Creative.objects.filter(platform="x")
    }
    assert found == {c.id: expected_copy(fake_x, c) for c in fake_x.history.creatives}


def test_each_ad_is_named_by_the_first_words_of_its_tweet(fake_x, x_account):
    sync(x_account)

    names = dict(Ad.objects.filter(campaign__account=x_account).values_list("external_id", "name"))
    by_creative = {c.id: c for c in fake_x.history.creatives}
    # The link X appends to a tweet without a card is not part of the name.
    assert names == {a.id: by_creative[a.creative_id].body for a in fake_x.history.ads}


def test_a_deleted_promoted_tweet_reads_deleted_and_keeps_its_history(fake_x, x_account):
    history = fake_x.history
    history.ads[3] = dataclasses.replace(history.ads[3], removed=True)
    deleted = history.ads[3]

    run = sync(x_account)

    assert run.status == IngestionRun.Status.SUCCEEDED, run.error
    statuses = dict(
        Ad.objects.filter(campaign__account=x_account).values_list("external_id", "status")
    )
    assert statuses[deleted.id] == "DELETED"
    assert {s for ad_id, s in statuses.items() if ad_id != deleted.id} == {"ACTIVE"}
    assert DailyMetric.objects.filter(ad__external_id=deleted.id).count() == len(
        [m for m in history.metrics if m.ad_id == deleted.id]
    )
    assert Ad.objects.get(external_id=deleted.id).creative.external_id == deleted.creative_id


def test_a_media_item_gone_from_the_library_leaves_only_that_creative_without_a_picture(
    fake_x, x_account
):
    first = fake_x.history.creatives[0]
    fake_x.missing_media = {image_key(first)}

    run = sync(x_account)

    assert run.status == IngestionRun.Status.SUCCEEDED, run.error
    assert not CreativeImageSlot.objects.filter(creative__external_id=first.id).exists()
    assert CreativeImageSlot.objects.filter(creative__platform="x").count() == 13
    creative = Creative.objects.get(platform="x", external_id=first.id)
    assert (creative.headline, creative.landing_url) == (first.headline, first.landing_url)


def test_a_second_sync_downloads_no_picture_again(fake_x, x_account):
    sync(x_account)
    downloads = fake_x.image_downloads

    again = sync(x_account)

    assert again.status == IngestionRun.Status.SUCCEEDED, again.error
    assert (again.images_stored, fake_x.image_downloads) == (0, downloads)


def _tweet(tweet_id: str, text: str, card: str | None = None) -> dict:
    return {"id_str": tweet_id, "full_text": text, "card_uri": card, "entities": {"urls": []}}


def test_a_long_spanish_tweet_names_its_ad_by_whole_words_and_keeps_every_accent():
    connector = XConnector(account_id="18ce54d4x5t")
    text = (
        "¡Ábrela hoy! Tu cuenta de ahorros sin cuota de manejo y con transferencias "
        "gratis a cualquier banco del país https://t.co/AbC123\nSegunda línea"
    )
    connector.parse("tweets", [{"data": [_tweet("77", text)]}])
    promoted = {"data": [{"id": "pt7", "line_item_id": "li1", "tweet_id": "77"}]}

    [ad] = connector.resolve(connector.parse("promoted_tweets", [promoted])).ads

    assert ad.name == (
        "¡Ábrela hoy! Tu cuenta de ahorros sin cuota de manejo y con transferencias…"
    )


def test_a_tweet_whose_card_did_not_come_back_keeps_the_tweets_own_copy():
    connector = XConnector(account_id="18ce54d4x5t")
    parsed = connector.parse(
        "tweets", [{"data": [_tweet("78", "Crédito de libre inversión", "card://404")]}]
    )
    connector.parse("cards", [{"data": [], "next_cursor": None}])

    [creative] = connector.resolve(Parsed(creatives=parsed.creatives)).creatives

    assert (creative.headline, creative.body, creative.image_urls) == (
        "",
        "Crédito de libre inversión",
        (),
    )


def test_a_carousel_keeps_every_picture_in_order_and_an_ios_app_leads_to_the_app_store():
    connector = XConnector(account_id="18ce54d4x5t")
    parsed = connector.parse(
        "tweets", [{"data": [_tweet("79", "Desliza y elige tu tarjeta", "card://79")]}]
    )
    card = {
        "card_uri": "card://79",
        "name": "Carrusel tarjetas",
        "components": [
            {"type": "SWIPEABLE_MEDIA", "media_keys": ["3_1", "13_2"]},
            {
                "type": "BUTTON",
                "label": {"type": "ENUM", "value": "OPEN"},
                "destination": {"type": "APP", "ios_app_store_identifier": "1462911120"},
            },
        ],
    }
    connector.parse("cards", [{"data": [card]}])
    image = {"media_key": "3_1", "media_type": "IMAGE", "media_url": "https://pbs.twimg.com/a.jpg"}
    video = {
        "media_key": "13_2",
        "media_type": "VIDEO",
        "media_url": "https://video.twimg.com/b.mp4",
        "poster_media_url": "https://pbs.twimg.com/b.jpg",
    }
    connector.parse("media_library", [{"data": image}, {"data": video}])

    [creative] = connector.resolve(Parsed(creatives=parsed.creatives)).creatives

    assert (creative.name, creative.call_to_action, creative.landing_url) == (
        "Carrusel tarjetas",
        "OPEN",
        "https://apps.apple.com/app/id1462911120",
    )
    assert creative.image_urls == ("https://pbs.twimg.com/a.jpg", "https://pbs.twimg.com/b.jpg")
