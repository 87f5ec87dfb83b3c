"""The library grid's pages: 24 cards a page and a real link to each page, filters kept."""

from __future__ import annotations

import html as html_lib
import re

from django.urls import reverse

from library import selectors as library_selectors
from tests.library.test_library_pages import analyst_client, shelf  # noqa: F401 (fixtures)


def _page_links(html: str) -> dict[str, str]:
    nav = re.search(r'<nav class="lib-pager".*?</nav>', html, re.S).group()
    links = re.findall(r'<a [^>]*href="([^"]+)"[^>]*data-testid="library-page"[^>]*>(\d+)</a>', nav)
    return {number: html_lib.unescape(href) for href, number in links}


def test_a_library_page_holds_24_cards():
    assert library_selectors.PAGE_SIZE == 24


def test_each_page_has_its_own_link_that_keeps_the_filters(shelf, analyst_client):  # noqa: F811
    response = analyst_client.get(reverse("library"), {"sort": "clicks", "page_size": 2})

    html = response.content.decode()
    links = _page_links(html)
    assert sorted(links) == ["2", "3"]  # the current page is not a link
    assert 'aria-current="page"' in html
    for number, href in links.items():
        assert "sort=clicks" in href and "page_size=2" in href and f"page={number}" in href
    second = analyst_client.get(links["2"].replace("&amp;", "&"))
    assert second.status_code == 200
    assert second.context["result"].number == 2
