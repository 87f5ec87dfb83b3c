"""The agency's share page, its images and its download pack, reached with the token only."""

from __future__ import annotations

import datetime as dt
import io
import json
import random
import secrets
import zipfile
from html.parser import HTMLParser

import pytest
from django.core.files.base import ContentFile
from django.urls import reverse
from django.utils import timezone
from django.utils.html import escape

from campaigns.models import Objective
from campaigns.rollups import image_rollup_refresh
from creatives.models import CreativeImage
from creatives.services import creative_image_store
from generation.briefs import services
from generation.models import Brief, GeneratedImage, ImageBatch, ModelJob, ShareLink
from generation.sharing import links as sharing
from generation.sharing import pack
from tests.factories import (
    make_account,
    make_ad,
    make_campaign,
    make_creative,
    make_metric,
    make_node,
    make_png,
)

DAY = dt.date(2026, 10, 5)


# --- building a shared brief ---------------------------------------------------------------


def _catalog(node_name: str = "Wompi", slug: str = "wompi") -> None:
    """Five past pieces of one node with enough traffic to rank."""
    node = make_node(name=node_name, slug=slug)
    campaign = make_campaign(
        account=make_account(default_node=node),
        node=node,
        objective=Objective.TRAFFIC,
        start_date=dt.date(2026, 9, 1),
        end_date=dt.date(2026, 10, 31),
    )
    for n in range(1, 6):
        image, _ = creative_image_store(
            data=make_png(width=48, height=32, seed=9000 + n), seen_on=DAY
        )
        # Tiny flat PNGs share a perceptual hash; distinct ones keep them five pieces.
        CreativeImage.objects.filter(pk=image.pk).update(
            phash=f"{random.Random(n).getrandbits(64):016x}"
        )
        ad = make_ad(campaign=campaign, creative=make_creative(images=[image]))
        for offset in range(5):
            make_metric(
                ad=ad,
                date=DAY + dt.timedelta(days=offset),
                impressions=4_000,
                clicks=40 + 10 * n,
            )
    image_rollup_refresh()


def _brief(owner, *, slug: str = "wompi", title: str = "Links de pago") -> Brief:
    from campaigns.models import Node

    return services.brief_create(
        owner=owner,
        node=Node.objects.get(slug=slug),
        objective=Objective.TRAFFIC,
        title=title,
        description="Emprendedora recibiendo pagos con el celular",
        audience="Emprendedores jóvenes",
        tone="cercano y alegre",
    )


def _batch(brief: Brief, *, seed: int, count: int = 4, picked=()) -> list[GeneratedImage]:
    """A finished batch with real PNG files, as the generate job leaves it."""
    job = ModelJob.objects.create(
        kind=ModelJob.Kind.GENERATE, backend="sdxl", brief=brief, status=ModelJob.Status.SUCCEEDED
    )
    batch = ImageBatch.objects.create(
        brief=brief,
        job=job,
        prompt_version=brief.latest_prompt,
        image_count=count,
        seed=seed,
        steps=2,
        width=24,
        height=16,
        model_id="tiny-sdxl",
    )
    images = []
    for index in range(count):
        image = GeneratedImage(batch=batch, index=index, seed=seed + index, width=24, height=16)
        image.file.save(
            f"brief{brief.pk}-{seed}-{index}.png",
            ContentFile(make_png(width=24, height=16, seed=seed + index)),
        )
        images.append(image)
    for index in picked:
        services.generated_image_pick(images[index], picked=True)
    return images


@pytest.fixture
def brief(db, media_storage, analyst) -> Brief:
    _catalog()
    return _brief(analyst)


@pytest.fixture
def images(brief) -> list[GeneratedImage]:
    """Four generated images, of which the analyst picked the second and the fourth."""
    return _batch(brief, seed=1000, picked=(1, 3))


def _share(brief: Brief, **options) -> tuple[ShareLink, str]:
    options.setdefault("agency", "Agencia Norte")
    options.setdefault("days", 7)
    return sharing.share_link_create(brief=brief, **options)


def _page(client, token: str, **params):
    return client.get(reverse("share_page", args=[token]), params)


class _Tags(HTMLParser):
    """Collect every start tag with its attributes."""

    def __init__(self) -> None:
        super().__init__()
        self.tags: list[tuple[str, dict[str, str]]] = []

    def handle_starttag(self, tag, attrs) -> None:
        self.tags.append((tag, {name: value or "" for name, value in attrs}))

    def find(self, tag: str, **attrs) -> list[dict[str, str]]:
        return [
            found
            for name, found in self.tags
            if name == tag and all(found.get(k.replace("_", "-")) == v for k, v in attrs.items())
        ]


def _tags(response) -> _Tags:
    parser = _Tags()
    parser.feed(response.content.decode())
    return parser


def _zip(response) -> zipfile.ZipFile:
    return zipfile.ZipFile(io.BytesIO(b"".join(response.streaming_content)))


def _file_bytes(field) -> bytes:
    with field.storage.open(field.name, "rb") as handle:
        return handle.read()


# --- the page ------------------------------------------------------------------------------


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


# --- counting views ------------------------------------------------------------------------


def test_each_page_view_is_counted_and_images_and_the_pack_are_not(client, brief, images):
    link, token = _share(brief)
    reference = brief.references.filter(excluded=False).first()

    _page(client, token)
    link.refresh_from_db()
    first_view = link.last_viewed_at
    assert link.view_count == 1
    assert first_view is not None

    assert client.get(reverse("share_image", args=[token, images[1].pk])).status_code == 200
    assert (
        client.get(reverse("share_reference_image", args=[token, reference.image_id])).status_code
        == 200
    )
    assert client.get(reverse("share_pack", args=[token])).status_code == 200
    link.refresh_from_db()
    assert link.view_count == 1
    assert link.last_viewed_at == first_view

    _page(client, token, lang="en")
    link.refresh_from_db()
    assert link.view_count == 2
    assert link.last_viewed_at > first_view


# --- images ---------------------------------------------------------------------------------


def test_a_picked_image_is_served_with_its_stored_bytes(client, brief, images):
    _link, token = _share(brief)

    response = client.get(reverse("share_image", args=[token, images[3].pk]))

    assert response.status_code == 200
    assert response["Content-Type"] == "image/png"
    assert response["Cache-Control"] == "private, no-store"
    assert response["X-Robots-Tag"] == "noindex, nofollow"
    assert b"".join(response.streaming_content) == _file_bytes(images[3].file)


def test_an_unpicked_image_of_the_brief_is_not_served(client, brief, images):
    _link, token = _share(brief)

    response = client.get(reverse("share_image", args=[token, images[0].pk]))

    assert response.status_code == 404
    assert _tags(response).find("section", data_testid="link-unknown") != []


def test_a_picked_image_of_another_brief_is_not_served(client, brief, images, analyst):
    other = _brief(analyst, title="Otra")
    others = _batch(other, seed=8000, picked=(0,))
    _link, token = _share(brief)

    response = client.get(reverse("share_image", args=[token, others[0].pk]))

    assert response.status_code == 404


def test_an_image_unpicked_after_sharing_stops_being_served(client, brief, images):
    _link, token = _share(brief)
    services.generated_image_pick(images[1], picked=False)

    response = client.get(reverse("share_image", args=[token, images[1].pk]))

    assert response.status_code == 404


def test_a_kept_reference_image_is_served_with_its_stored_bytes(client, brief):
    _link, token = _share(brief)
    reference = brief.references.filter(excluded=False).select_related("image").first()

    response = client.get(reverse("share_reference_image", args=[token, reference.image_id]))

    assert response.status_code == 200
    assert response["Content-Type"] == "image/png"
    assert b"".join(response.streaming_content) == _file_bytes(reference.image.file)


def test_an_excluded_reference_image_is_not_served(client, brief):
    _link, token = _share(brief)
    dropped = brief.references.order_by("order").first()
    services.brief_reference_mark(brief, image_id=dropped.image_id, excluded=True)

    response = client.get(reverse("share_reference_image", args=[token, dropped.image_id]))

    assert response.status_code == 404


def test_a_past_image_that_is_not_a_reference_of_the_brief_is_not_served(client, brief):
    _link, token = _share(brief)
    stranger, _ = creative_image_store(data=make_png(seed=424242), seen_on=DAY)

    response = client.get(reverse("share_reference_image", args=[token, stranger.pk]))

    assert response.status_code == 404


def test_images_need_an_active_link_too(client, brief, images):
    link, token = _share(brief)
    reference = brief.references.filter(excluded=False).first()
    sharing.share_link_revoke(link)

    picked = client.get(reverse("share_image", args=[token, images[1].pk]))
    past = client.get(reverse("share_reference_image", args=[token, reference.image_id]))
    forged = client.get(reverse("share_image", args=["x" * 43, images[1].pk]))

    assert (picked.status_code, past.status_code, forged.status_code) == (410, 410, 404)


# --- the pack -------------------------------------------------------------------------------


def test_the_pack_holds_the_picked_images_the_brief_page_and_the_evidence(client, brief, images):
    _link, token = _share(brief)
    kept = list(brief.references.filter(excluded=False).order_by("-pinned", "order"))

    response = client.get(reverse("share_pack", args=[token]), {"lang": "en"})

    assert response.status_code == 200
    assert response["Content-Type"] == "application/zip"
    assert response["Content-Disposition"] == (
        f'attachment; filename="yenni-brief-{brief.pk}-links-de-pago.zip"'
    )
    assert response["Cache-Control"] == "private, no-store"
    archive = _zip(response)
    assert archive.testzip() is None
    image_names = [f"images/01-seed{images[1].seed}.png", f"images/02-seed{images[3].seed}.png"]
    reference_names = [
        f"references/{rank:02d}-image{ref.image_id}.png" for rank, ref in enumerate(kept, 1)
    ]
    assert archive.namelist() == ["brief.html", "evidence.json", *image_names, *reference_names]
    assert archive.read(image_names[0]) == _file_bytes(images[1].file)
    assert archive.read(image_names[1]) == _file_bytes(images[3].file)
    assert archive.read(reference_names[0]) == _file_bytes(kept[0].image.file)

    page = archive.read("brief.html").decode()
    for name in [*image_names, *reference_names]:
        assert f'src="{name}"' in page
    assert "Links de pago" in page
    assert "<link" not in page and "<script" not in page and 'src="/' not in page


def test_the_evidence_lists_the_brief_references_prompt_and_image_settings(client, brief, images):
    _link, token = _share(brief)
    prompt = brief.latest_prompt

    archive = _zip(client.get(reverse("share_pack", args=[token]), {"lang": "en"}))
    evidence = json.loads(archive.read("evidence.json"))

    assert set(evidence) == {
        "brief",
        "agency",
        "show_figures",
        "language",
        "ranking",
        "references",
        "prompt",
        "images",
        "generated_at",
    }
    assert evidence["brief"]["id"] == brief.pk
    assert evidence["brief"]["title"] == "Links de pago"
    assert evidence["brief"]["node"] == "Wompi"
    assert evidence["brief"]["objective"] == "traffic"
    assert evidence["brief"]["audience"] == "Emprendedores jóvenes"
    assert evidence["agency"] == "Agencia Norte"
    assert evidence["ranking"]["rule_version"] == brief.ranking_rule_version
    assert evidence["ranking"]["rule_id"] == brief.ranking_rule_id
    assert evidence["prompt"] == {
        "version": prompt.number,
        "positive": prompt.positive,
        "negative": prompt.negative,
        "source": prompt.source,
        "model_id": prompt.model_id,
        "created_at": prompt.created_at.isoformat(),
    }
    assert [i["seed"] for i in evidence["images"]] == [images[1].seed, images[3].seed]
    batch = evidence["images"][0]["batch"]
    assert batch["seeds"] == [1000, 1001, 1002, 1003]
    assert (batch["guidance_scale"], batch["steps"], batch["model_id"]) == (7.0, 2, "tiny-sdxl")
    assert batch["prompt_version"] == prompt.number
    assert dt.datetime.fromisoformat(evidence["generated_at"]) <= timezone.now()


def test_the_evidence_leaves_figures_out_unless_the_link_shows_them(client, brief, images):
    _hidden_link, hidden = _share(brief, show_figures=False)
    _shown_link, shown = _share(brief, show_figures=True)
    first = brief.references.order_by("order").first()

    hidden_pack = _zip(client.get(reverse("share_pack", args=[hidden]), {"lang": "en"}))
    shown_pack = _zip(client.get(reverse("share_pack", args=[shown]), {"lang": "en"}))

    without = json.loads(hidden_pack.read("evidence.json"))["references"]
    with_figures = json.loads(shown_pack.read("evidence.json"))["references"]
    assert set(without[0]) == {
        "rank",
        "image_id",
        "file",
        "pinned",
        "platforms",
        "metric",
        "reason",
    }
    assert without[0]["reason"] == "Among the best traffic pieces of Wompi, ranked by CTR."
    assert set(with_figures[0]) == {
        "rank",
        "image_id",
        "file",
        "pinned",
        "platforms",
        "metric",
        "reason",
        "reason_es",
        "reason_en",
        "estimate",
        "interval",
        "figures",
    }
    assert with_figures[0]["reason_en"] == first.reason_en
    assert with_figures[0]["figures"] == first.figures
    assert first.reason_en not in hidden_pack.read("brief.html").decode()
    assert first.reason_en in shown_pack.read("brief.html").decode()


def test_a_picked_image_missing_from_storage_is_left_out_of_the_pack(client, brief, images):
    _link, token = _share(brief)
    images[1].file.storage.delete(images[1].file.name)

    archive = _zip(client.get(reverse("share_pack", args=[token])))

    names = archive.namelist()
    assert f"images/01-seed{images[1].seed}.png" not in names
    assert f"images/02-seed{images[3].seed}.png" in names
    evidence = json.loads(archive.read("evidence.json"))
    assert [i["file"] for i in evidence["images"]] == [None, f"images/02-seed{images[3].seed}.png"]


def test_the_pack_can_be_written_to_a_file_without_a_request(brief, images, tmp_path):
    link, _token = _share(brief)
    target = tmp_path / "pack.zip"

    with target.open("wb") as handle:
        pack.pack_write(handle, link, language="es")

    archive = zipfile.ZipFile(target)
    assert archive.namelist()[:4] == [
        "brief.html",
        "evidence.json",
        f"images/01-seed{images[1].seed}.png",
        f"images/02-seed{images[3].seed}.png",
    ]
    assert json.loads(archive.read("evidence.json"))["language"] == "es"
    link.refresh_from_db()
    assert link.view_count == 0


# --- links that do not work -----------------------------------------------------------------


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
    assert [link["href"] for link in tags.find("link", rel="stylesheet")] == [
        "/static/css/share.css"
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
