"""Link checkers and chat previews: HEAD answers like GET, and neither counts as a view."""

from __future__ import annotations

import pytest
from django.urls import reverse

from generation.sharing.previews import PREVIEW_AGENTS, is_link_preview
from tests.web.share.helpers import _share

BROWSER = (
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/131.0.0.0 Safari/537.36"
)
PREVIEWS = [
    "Slackbot-LinkExpanding 1.0 (+https://api.slack.com/robots)",
    "facebookexternalhit/1.1 (+http://www.facebook.com/externalhit_uatext.php)",
    "WhatsApp/2.23.20.0 A",
    "TelegramBot (like TwitterBot)",
    "Twitterbot/1.0",
    "LinkedInBot/1.0 (compatible; Mozilla/5.0; Apache-HttpClient +http://www.linkedin.com)",
    "Mozilla/5.0 (compatible; Discordbot/2.0; +https://discordapp.com)",
    "Mozilla/5.0 (compatible; Google-PageRenderer; +https://developers.google.com/)",
    "Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)",
    "Mozilla/5.0 (Windows NT 6.1; WOW64) SkypeUriPreview Preview/0.5",
    # iMessage fetches previews as Facebook's and Twitter's robots at once.
    "Mozilla/5.0 (Macintosh) AppleWebKit/601.2.4 facebookexternalhit/1.1 Facebot Twitterbot/1.0",
    "Mozilla/5.0 (Macintosh) AppleWebKit/605.1.15 (KHTML, like Gecko) Applebot/0.1",
]


def _views(link) -> int:
    link.refresh_from_db()
    return link.view_count


def test_head_on_the_page_answers_like_get_without_a_body_or_a_view(client, brief, images):
    link, token = _share(brief)
    url = reverse("share_page", args=[token])

    head = client.head(url, HTTP_USER_AGENT=BROWSER)

    assert _views(link) == 0
    get = client.get(url, HTTP_USER_AGENT=BROWSER)
    assert _views(link) == 1
    assert head.status_code == get.status_code == 200
    assert head.content == b""
    assert int(head["Content-Length"]) == len(get.content) > 0
    for name in (
        "Content-Type",
        "Cache-Control",
        "Content-Security-Policy",
        "X-Robots-Tag",
        "Referrer-Policy",
        "Content-Language",
    ):
        assert head[name] == get[name], name


def test_head_on_an_image_and_the_pack_answers_like_get_without_a_body(client, brief, images):
    link, token = _share(brief)

    for url in (
        reverse("share_image", args=[token, images[1].pk]),
        reverse("share_pack", args=[token]),
    ):
        head = client.head(url)
        get = client.get(url)

        assert head.status_code == get.status_code == 200, url
        assert b"".join(head.streaming_content) == b""
        assert head["Content-Type"] == get["Content-Type"]
        assert head["Cache-Control"] == "private, no-store"
        assert head.get("Content-Length") == get.get("Content-Length")
        assert head.get("Content-Disposition") == get.get("Content-Disposition")
    assert _views(link) == 0


def test_head_on_an_unknown_link_answers_404_without_a_body(client, db):
    response = client.head(reverse("share_page", args=["no-such-token"]))

    assert response.status_code == 404
    assert response.content == b""


@pytest.mark.parametrize("agent", PREVIEWS)
def test_a_link_preview_robot_is_served_the_page_but_not_counted(client, brief, images, agent):
    link, token = _share(brief)

    response = client.get(reverse("share_page", args=[token]), HTTP_USER_AGENT=agent)

    assert response.status_code == 200
    assert brief.title.encode() in response.content
    assert _views(link) == 0


def test_a_browser_is_counted_once_per_view_beside_previews(client, brief, images):
    link, token = _share(brief)
    url = reverse("share_page", args=[token])

    client.get(url, HTTP_USER_AGENT=PREVIEWS[0])
    client.get(url, HTTP_USER_AGENT=BROWSER)
    client.head(url, HTTP_USER_AGENT=BROWSER)
    client.get(url, HTTP_USER_AGENT=PREVIEWS[2])
    client.get(url, HTTP_USER_AGENT=BROWSER)

    assert _views(link) == 2


def test_a_request_without_a_user_agent_counts_as_a_view(client, brief, images):
    link, token = _share(brief)

    client.get(reverse("share_page", args=[token]))

    assert _views(link) == 1


def test_the_agent_list_matches_without_regard_to_case():
    assert is_link_preview("SLACKBOT-LINKEXPANDING 1.0")
    assert not is_link_preview(BROWSER)
    assert not is_link_preview("")
    assert all(is_link_preview(agent) for agent in PREVIEW_AGENTS)
