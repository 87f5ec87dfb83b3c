"""A lead reading an analyst's brief sees a read-only banner; the board's brief picker tells
briefs of the same title apart by their date and node."""

from __future__ import annotations

import datetime as dt
import re

from django.conf import settings
from django.urls import reverse

from creatives.models import CreativeImage
from generation.models import Brief
from library import boards
from tests.web.briefs.helpers import _brief

BANNER = re.compile(
    r'<div class="read-only-banner"[^>]*data-testid="read-only-banner".*?</div>', re.S
)


def _spanish(client, user):
    client.force_login(user)
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "es"
    return client


def test_a_lead_reading_an_analysts_brief_sees_a_read_only_banner_above_the_title(
    client, lead, brief
):
    html = _spanish(client, lead).get(reverse("brief_detail", args=[brief.pk])).content.decode()

    banner = BANNER.search(html)
    assert banner, "no read-only banner"
    assert 'role="status"' in banner.group()
    assert "Solo lectura" in banner.group()
    assert brief.owner.get_username() in banner.group() or brief.owner.first_name in banner.group()
    assert html.index("read-only-banner") < html.index("<h1")


def test_the_analyst_who_owns_the_brief_sees_no_banner(client, analyst, brief):
    html = _spanish(client, analyst).get(reverse("brief_detail", args=[brief.pk])).content.decode()

    assert "read-only-banner" not in html


def test_the_brief_picker_shows_each_briefs_date_and_node(client, analyst, node, brief):
    twin = _brief(analyst, node)
    Brief.objects.filter(pk=twin.pk).update(created_at=brief.created_at - dt.timedelta(days=3))
    board = boards.board_create(owner=analyst, name="Favoritas")
    boards.board_add(board, image_id=CreativeImage.objects.first().pk)

    html = _spanish(client, analyst).get(reverse("board_detail", args=[board.pk])).content.decode()

    options = re.findall(r"<option [^>]*>(.*?)</option>", html)
    assert len(options) == 2
    assert len(set(options)) == 2, options
    for option in options:
        assert "Wompi" in option
        assert re.search(r"\d{1,2} \w+ \d{4}", option), option
