"""The agency's share page: what it shows, to whom, in which language."""

from __future__ import annotations

from django.urls import reverse
from django.utils import translation
from django.utils.html import escape

from campaigns import figures
from creatives.services import creative_image_store
from generation.briefs import services
from tests.factories import (
    make_png,
)
from tests.web.share.helpers import DAY, _batch, _brief, _page, _share, _tags


def test_the_page_shows_the_brief_and_exactly_the_picked_images(client, brief, images):
    _link, token = _share(brief)

    response = _page(client, token)

    assert response.status_code == 200
    tags = _tags(response)
    shown = tags.find("figure", data_testid="shared-image")
    assert [int(f["data-image-id"]) for f in shown] == [images[1].pk, images[3].pk]
    html = response.content.decode()
    for unpicked in (images[0], images[2]):
        assert reverse("share_image", args=[token, unpicked.pk]) not in html
    assert "Links de pago" in html
    assert "Emprendedora recibiendo pagos con el celular" in html
    assert "Emprendedores jóvenes" in html
    assert "cercano y alegre" in html
    assert '<dd data-testid="brief-node">Wompi</dd>' in html
    assert '<dd data-testid="brief-objective">Tráfico</dd>' in html
    prompt = brief.latest_prompt
    assert escape(prompt.positive) in html
    assert escape(prompt.negative) in html
    pack = tags.find("a", data_testid="download-pack")
    assert [a["href"] for a in pack] == [reverse("share_pack", args=[token]) + "?lang=es"]


def test_picked_images_of_every_batch_show_with_the_newest_batch_first(client, brief, images):
    newer = _batch(brief, seed=2000, picked=(0,))
    _link, token = _share(brief)

    tags = _tags(_page(client, token))

    shown = tags.find("figure", data_testid="shared-image")
    assert [int(f["data-image-id"]) for f in shown] == [newer[0].pk, images[1].pk, images[3].pk]


def test_a_brief_with_no_picked_image_says_so_instead_of_showing_any(client, brief):
    _batch(brief, seed=3000, picked=())
    _link, token = _share(brief)

    response = _page(client, token, lang="en")

    assert _tags(response).find("figure", data_testid="shared-image") == []
    assert "No images have been chosen yet." in response.content.decode()


def test_the_references_show_with_their_images_in_rank_order(client, brief):
    _link, token = _share(brief)
    kept = list(brief.references.filter(excluded=False).order_by("-pinned", "order"))

    tags = _tags(_page(client, token))

    rows = tags.find("li", data_testid="shared-reference")
    assert len(kept) == 4  # the ranking keeps four of the five pieces
    assert [int(r["data-image-id"]) for r in rows] == [ref.image_id for ref in kept]
    sources = [img["src"] for img in tags.find("img") if "/references/" in img["src"]]
    assert sources == [reverse("share_reference_image", args=[token, ref.image_id]) for ref in kept]


def test_an_excluded_reference_is_not_shown(client, brief):
    dropped = brief.references.order_by("order").first()
    services.brief_reference_mark(brief, image_id=dropped.image_id, excluded=True)
    _link, token = _share(brief)

    response = _page(client, token)

    ids = [
        int(r["data-image-id"]) for r in _tags(response).find("li", data_testid="shared-reference")
    ]
    assert dropped.image_id not in ids
    assert len(ids) == 3


def test_a_pinned_past_image_the_ranking_did_not_choose_shows_as_the_analysts_choice(client, brief):
    extra, _ = creative_image_store(data=make_png(seed=515151), seen_on=DAY)
    services.brief_reference_mark(brief, image_id=extra.pk, pinned=True)
    _link, token = _share(brief, show_figures=True)

    response = _page(client, token, lang="en")

    tags = _tags(response)
    rows = tags.find("li", data_testid="shared-reference")
    assert int(rows[0]["data-image-id"]) == extra.pk
    html = response.content.decode()
    first_row = html.split('data-testid="shared-reference"')[1]
    assert "Chosen as a reference for this brief." not in first_row
    assert "Chosen by the analyst." in first_row
    assert 'data-testid="figures"' not in first_row  # nothing measured for it
    assert len(tags.find("dl", data_testid="figures")) == 4


def test_figures_are_hidden_when_the_link_does_not_show_them(client, brief):
    _link, token = _share(brief, show_figures=False)
    first = brief.references.order_by("order").first()

    html = _page(client, token, lang="en").content.decode()

    assert 'data-testid="figures"' not in html
    # The ranking's own reasons quote estimates and volumes, so they stay out too.
    assert first.reason_en not in html
    assert first.reason_es not in html
    assert "Impressions" not in html
    assert "Among the best traffic pieces of Wompi, ranked by CTR." in html


def test_figures_show_when_the_link_allows_them(client, brief):
    _link, token = _share(brief, show_figures=True)
    refs = list(brief.references.order_by("order"))

    response = _page(client, token, lang="en")

    html = response.content.decode()
    assert len(_tags(response).find("dl", data_testid="figures")) == len(refs) == 4
    for ref in refs:
        assert ref.reason_en in html
        # The figure is the piece's own (clicks ÷ impressions); the estimate is labelled.
        with translation.override("en"):
            own = figures.metric(ref.metric, ref.figures["clicks"] / ref.figures["impressions"])
            estimate = figures.metric(ref.metric, ref.estimate)
            interval = figures.interval(ref.metric, ref.interval_low, ref.interval_high)
        assert (
            f'<dd>{own} <span class="share-muted">(estimate {estimate}; likely range '
            f"{interval})</span></dd>"
        ) in html
    assert "<dt>Impressions</dt><dd>20,000</dd>" in html
    assert "<dt>Days running</dt><dd>5</dd>" in html


def test_the_page_is_private_and_not_indexed(client, brief, images):
    _link, token = _share(brief)

    response = _page(client, token)

    assert response["X-Robots-Tag"] == "noindex, nofollow"
    assert response["Referrer-Policy"] == "no-referrer"
    assert response["Cache-Control"] == "private, no-store"
    assert "frame-ancestors 'none'" in response["Content-Security-Policy"]
    assert _tags(response).find("meta", name="robots") == [
        {"name": "robots", "content": "noindex,nofollow"}
    ]
    # No session, no CSRF cookie: the agency's browser keeps nothing of the app.
    assert response.cookies == {}


def test_the_page_links_only_to_itself(client, brief, images):
    _link, token = _share(brief, show_figures=True)
    own = reverse("share_page", args=[token])

    tags = _tags(_page(client, token))

    hrefs = [a["href"] for a in tags.find("a")]
    assert hrefs  # the language toggle, the pack, the full-size images, the skip link
    for href in hrefs:
        assert href.startswith((own, "?lang=", "#")), href
    for link in tags.find("link"):
        assert link["href"].startswith("/static/"), link
    for img in tags.find("img"):
        assert img["src"].startswith((own, "/static/")), img
    assert [name for name, _attrs in tags.tags if name in {"form", "script", "iframe"}] == []


def test_the_page_shows_nothing_of_another_brief(client, brief, images, analyst):
    other = _brief(analyst, title="Otra campaña secreta")
    others = _batch(other, seed=5000, picked=(0, 1))
    _link, token = _share(brief)

    html = _page(client, token).content.decode()

    assert "Otra campaña secreta" not in html
    for image in others:
        assert f"/images/{image.pk}/" not in html


def test_the_page_uses_as_many_queries_with_many_picked_images_as_with_one(
    client, brief, django_assert_num_queries
):
    _batch(brief, seed=6000, picked=(0,))
    _link, token = _share(brief)
    with django_assert_num_queries(5):
        _page(client, token)

    _batch(brief, seed=7000, picked=(0, 1, 2, 3))
    with django_assert_num_queries(5):
        _page(client, token)


def test_the_page_is_in_spanish_by_default_and_english_when_asked(client, brief, images):
    _link, token = _share(brief, show_figures=True)
    first = brief.references.order_by("order").first()

    spanish = _page(client, token)
    english = _page(client, token, lang="en")

    assert _tags(spanish).find("html")[0]["lang"] == "es"
    assert spanish["Content-Language"] == "es"
    assert first.reason_es in spanish.content.decode()
    assert "Tráfico" in spanish.content.decode()
    assert _tags(english).find("html")[0]["lang"] == "en"
    assert english["Content-Language"] == "en"
    english_html = english.content.decode()
    assert first.reason_en in english_html
    assert '<dd data-testid="brief-objective">Traffic</dd>' in english_html
    assert "Download the pack" in english_html
    toggle = {a["hreflang"]: a for a in _tags(english).find("a") if a.get("hreflang")}
    assert toggle["es"]["href"] == "?lang=es"
    assert toggle["en"]["href"] == "?lang=en"
    assert toggle["en"]["aria-current"] == "true"
    assert "aria-current" not in toggle["es"]


def test_an_unknown_language_falls_back_to_spanish(client, brief):
    _link, token = _share(brief)

    response = _page(client, token, lang="fr")

    assert _tags(response).find("html")[0]["lang"] == "es"


def test_a_browser_asking_for_english_still_gets_spanish_without_lang(client, brief):
    _link, token = _share(brief)

    response = client.get(reverse("share_page", args=[token]), HTTP_ACCEPT_LANGUAGE="en")

    assert _tags(response).find("html")[0]["lang"] == "es"


def test_the_share_page_only_answers_get(client, brief):
    link, token = _share(brief)

    response = client.post(reverse("share_page", args=[token]))

    assert response.status_code == 405
    link.refresh_from_db()
    assert link.view_count == 0
