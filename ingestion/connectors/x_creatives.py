"""X creatives: a promoted tweet's copy, card and pictures made into one CreativeRecord.

Plain Python. A tweet (`GET accounts/{id}/tweets`) holds the body (`full_text`) and names its
card by `card_uri`; the card (`GET accounts/{id}/cards`) holds the headline and the landing
page in its components, and its media by `media_key`; `media_library/{media_key}` gives the
media's URL — for a video, its thumbnail (`poster_media_url`), never the video itself. Cards
made before v8 ("legacy") have no components: their copy and picture URL are plain fields.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from ingestion.connectors.records import CreativeRecord

# An ad's name: the tweet's first words, cut at a whole word before this many characters.
AD_NAME_LENGTH = 80
LINK = re.compile(r"https?://\S+")


@dataclass(frozen=True)
class XCard:
    """What Yenni keeps of a card: its copy, where it leads, and its media."""

    name: str = ""
    title: str = ""
    landing_url: str = ""
    call_to_action: str = ""
    media_keys: tuple[str, ...] = ()
    # Legacy cards give their picture's URL directly, without a media key.
    image_urls: tuple[str, ...] = ()


def card_parse(row: dict[str, Any]) -> XCard:
    """Read one card of `GET accounts/{id}/cards` (with components, or a legacy one)."""
    components = row.get("components")
    if components is None:
        return _legacy_card_parse(row)
    title, call_to_action, destination = "", "", None
    keys: list[str] = []
    for component in components:
        kind = component.get("type")
        if kind == "MEDIA" and component.get("media_key"):
            keys.append(component["media_key"])
        elif kind == "SWIPEABLE_MEDIA":
            keys += component.get("media_keys") or []
        elif kind == "DETAILS":
            title = title or component.get("title") or ""
            destination = destination or component.get("destination")
        elif kind == "BUTTON":
            call_to_action = call_to_action or (component.get("label") or {}).get("value", "")
            destination = destination or component.get("destination")
    return XCard(
        name=row.get("name") or "",
        title=title,
        landing_url=_destination_url(destination or {}),
        call_to_action=call_to_action,
        media_keys=tuple(dict.fromkeys(keys)),
    )


def _legacy_card_parse(row: dict[str, Any]) -> XCard:
    pictures = (row.get(name) for name in ("image", "wide_app_image", "video_poster_url"))
    return XCard(
        name=row.get("name") or "",
        title=row.get("website_title") or row.get("title") or "",
        landing_url=row.get("website_dest_url")
        or row.get("website_url")
        or _destination_url({"type": "APP", **row}),
        call_to_action=row.get("app_cta") or "",
        image_urls=tuple(dict.fromkeys(url for url in pictures if url)),
    )


def _destination_url(destination: dict[str, Any]) -> str:
    """The page a card leads to: a website, or the app's store page (Google Play first)."""
    if destination.get("type") == "WEBSITE":
        return destination.get("url") or ""
    if destination.get("type") == "APP":
        if destination.get("googleplay_app_id"):
            return (
                f"https://play.google.com/store/apps/details?id={destination['googleplay_app_id']}"
            )
        if destination.get("ios_app_store_identifier"):
            return f"https://apps.apple.com/app/id{destination['ios_app_store_identifier']}"
    return ""


def media_picture_url(row: dict[str, Any]) -> str:
    """The picture of a media library item: an image's URL, or a video's or GIF's thumbnail."""
    if row.get("media_type") == "IMAGE" or str(row.get("media_category", "")).endswith("IMAGE"):
        return row.get("media_url") or ""
    return row.get("poster_media_url") or ""


def tweet_id(row: dict[str, Any]) -> str:
    return str(row.get("id_str") or row.get("tweet_id") or row["id"])


def tweet_text(row: dict[str, Any]) -> str:
    return row.get("full_text") or row.get("text") or ""


def creative_build(
    tweet: dict[str, Any], card: XCard | None, pictures: dict[str, str]
) -> CreativeRecord:
    """One creative from a tweet, its card (when it has one) and the media keys' pictures.

    The headline is the card's title (a tweet has none of its own), the body the tweet's
    text; the card's pictures come first, then the tweet's own media (whose URL is a picture
    even for a video: X gives the thumbnail there).
    """
    card = card or XCard()
    entities = tweet.get("extended_entities") or tweet.get("entities") or {}
    tweet_pictures = [
        m.get("media_url_https") or m.get("media_url") for m in entities.get("media") or []
    ]
    links = [u.get("expanded_url") for u in (tweet.get("entities") or {}).get("urls") or []]
    found = [*card.image_urls, *(pictures.get(key, "") for key in card.media_keys), *tweet_pictures]
    return CreativeRecord(
        external_id=tweet_id(tweet),
        name=card.name,
        headline=card.title,
        body=tweet_text(tweet),
        call_to_action=card.call_to_action,
        landing_url=card.landing_url or next((u for u in links if u), ""),
        image_urls=tuple(dict.fromkeys(url for url in found if url)),
    )


def ad_name(text: str, fallback: str = "") -> str:
    """Name a promoted tweet as X Ads Manager lists it: by the first words of its tweet.

    The first line without its links, cut at a whole word before AD_NAME_LENGTH characters;
    `fallback` (the card's name) when the tweet has no words.
    """
    lines = [" ".join(LINK.sub(" ", line).split()) for line in text.splitlines()]
    first = next((line for line in lines if line), "")
    if len(first) > AD_NAME_LENGTH:
        first = first[: AD_NAME_LENGTH - 1].rsplit(" ", 1)[0].rstrip(" ,.;:-") + "…"
    return first or fallback
