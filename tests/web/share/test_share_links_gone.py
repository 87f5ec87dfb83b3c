"""Links that do not work: expired, revoked, unknown, forged."""

from __future__ import annotations

import datetime as dt
import secrets

from django.urls import reverse
from django.utils import timezone

from generation.models import ShareLink
from generation.sharing import links as sharing
from tests.web.share.helpers import _page, _share, _tags


def test_an_expired_link_shows_a_friendly_gone_page(client, brief, images):
    link, token = _share(brief)
    ShareLink.objects.filter(pk=link.pk).update(expires_at=timezone.now() - dt.timedelta(minutes=1))

    response = _page(client, token, lang="en")

    assert response.status_code == 410
    html = response.content.decode()
    assert _tags(response).find("section", data_testid="link-gone") != []
    assert "This link is no longer available" in html
    assert "ask the person who shared it for a new one" in html
    assert "Links de pago" not in html
    assert response["X-Robots-Tag"] == "noindex, nofollow"
    link.refresh_from_db()
    assert link.view_count == 0


def test_a_revoked_link_shows_the_gone_page_and_its_pack_is_gone_too(client, brief, images):
    link, token = _share(brief)
    sharing.share_link_revoke(link)

    page = _page(client, token, lang="en")
    pack = client.get(reverse("share_pack", args=[token]))

    assert (page.status_code, pack.status_code) == (410, 410)
    assert "The person who shared this brief has withdrawn the link." in page.content.decode()
    assert _tags(pack).find("section", data_testid="link-gone") != []


def test_an_unknown_token_gets_a_styled_not_found_page(client, db):
    response = _page(client, "not-a-real-token", lang="en")

    assert response.status_code == 404
    tags = _tags(response)
    assert tags.find("section", data_testid="link-unknown") != []
    # The share page's own styles on the shared tokens; nothing of the app's pages.
    assert [link["href"] for link in tags.find("link", rel="stylesheet")] == [
        "/static/css/base.css",
        "/static/css/share.css",
    ]
    assert "We can't find this link" in response.content.decode()
    assert response["X-Robots-Tag"] == "noindex, nofollow"


def test_a_forged_token_of_the_right_length_is_not_found(client, brief, images):
    link, token = _share(brief)
    forged = secrets.token_urlsafe(sharing.TOKEN_BYTES)
    assert len(forged) == len(token) and forged != token

    responses = [
        _page(client, forged),
        client.get(reverse("share_pack", args=[forged])),
        client.get(reverse("share_image", args=[forged, images[1].pk])),
    ]

    assert [r.status_code for r in responses] == [404, 404, 404]
    link.refresh_from_db()
    assert link.view_count == 0
