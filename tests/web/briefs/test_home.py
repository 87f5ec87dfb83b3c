"""Home: the user's briefs with their thumbnails, a page at a time."""

from __future__ import annotations

from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from pytest_django.asserts import assertContains, assertNotContains

from campaigns.models import Objective
from generation.briefs import services
from generation.briefs.selectors import brief_thumbnails
from generation.models import Brief, ModelJob
from tests.factories import make_catalog
from tests.web.briefs.helpers import _batch, _brief


def test_home_lists_the_analysts_own_briefs_newest_first_with_their_thumbnails(
    en, analyst, other_analyst, node
):
    older = _brief(analyst, node, title="Primero")
    newer = _brief(analyst, node, title="Segundo", objective=Objective.LEADS)
    _brief(other_analyst, node, title="De Olga")
    en.force_login(analyst)

    response = en.get(reverse("home"))

    assert response.status_code == 200
    rows = response.context["rows"]
    assert [row.brief.title for row in rows] == ["Segundo", "Primero"]
    assert [row.status for row in rows] == ["prompt", "prompt"]
    top_images = list(
        older.references.order_by("-pinned", "order").values_list("image_id", flat=True)
    )[:4]
    assert [t.url for t in rows[1].thumbnails] == [
        reverse("library_image_file", args=[pk]) for pk in top_images
    ]
    assertContains(response, 'data-testid="brief-card"', count=2)
    assertContains(response, 'data-testid="new-brief"', count=1)
    assertContains(response, f'href="{reverse("brief_new")}"')
    assertContains(response, '<h2 id="briefs-title">My briefs</h2>', html=False)
    assertContains(response, "Prompt ready", count=2)
    assertContains(response, "<span>Leads</span>", html=False)
    assertContains(response, "<span>Traffic</span>", html=False)
    assertNotContains(response, "De Olga")
    assertNotContains(response, reverse("brief_detail", args=[newer.pk + 1]))


def test_home_shows_a_lead_every_brief_with_its_owner(en, lead, analyst, other_analyst, node):
    _brief(analyst, node, title="De Andrés")
    _brief(other_analyst, node, title="De Olga")
    en.force_login(lead)

    response = en.get(reverse("home"))

    assert [row.brief.title for row in response.context["rows"]] == ["De Olga", "De Andrés"]
    assertContains(response, "All briefs")
    assertContains(response, "by andres_analyst")
    assertContains(response, "by olga_other")


def test_home_names_the_objective_in_spanish_by_default(client, analyst, node):
    _brief(analyst, node)
    client.force_login(analyst)

    response = client.get(reverse("home"))

    assertContains(response, "<span>Tráfico</span>", html=False)


def test_thumbnails_prefer_picked_images_then_the_latest_batch_then_the_references(analyst, node):
    with_picks, with_batch, plain = (_brief(analyst, node, title=t) for t in "ABC")
    first = _batch(with_picks, images=3)
    services.generated_image_pick(first.images.get(index=2), picked=True)
    _batch(with_batch, images=2, seed=1)
    latest = _batch(with_batch, images=4, seed=50)
    _batch(with_batch, status=ModelJob.Status.FAILED, seed=90)  # newest, but made no images

    found = brief_thumbnails([with_picks.pk, with_batch.pk, plain.pk])

    def file_url(image):
        return reverse("generated_image_file", args=[image.pk])

    assert [t.url for t in found[with_picks.pk]] == [file_url(first.images.get(index=2))]
    assert [t.url for t in found[with_batch.pk]] == [
        file_url(image) for image in latest.images.order_by("index")
    ]
    references = plain.references.order_by("order").values_list("image_id", flat=True)[:4]
    assert [t.url for t in found[plain.pk]] == [
        reverse("library_image_file", args=[pk]) for pk in references
    ]


def test_home_shows_twenty_briefs_a_page(en, analyst, node):
    for n in range(21):
        Brief.objects.create(
            owner=analyst,
            node=node,
            objective=Objective.TRAFFIC,
            title=f"B{n:02d}",
            description="x",
        )
    en.force_login(analyst)

    first = en.get(reverse("home"))
    second = en.get(reverse("home"), {"page": 2})

    assert len(first.context["rows"]) == 20
    assert [row.brief.title for row in second.context["rows"]] == ["B00"]
    assertContains(first, "Page 1 of 2")
    assertContains(first, 'href="?page=2"')


def test_home_tells_an_outsider_politely_there_is_no_access_to_briefs(en, outsider):
    en.force_login(outsider)

    response = en.get(reverse("home"))

    assert response.status_code == 200
    assertContains(response, "Your account has no access to briefs.")
    assertNotContains(response, 'data-testid="new-brief"')
    assert "rows" not in response.context


def test_home_shows_an_outsider_only_the_no_access_message_not_the_catalog_totals(en, outsider):
    # The catalog's counts (creatives, campaigns, ads by node) are the marketing team's
    # figures, as confidential as the library that refuses an outsider.
    make_catalog()
    en.force_login(outsider)

    response = en.get(reverse("home"))

    assert response.status_code == 200
    assertContains(response, "Your account has no access to briefs.")
    assertNotContains(response, "Ad history available")
    assertNotContains(response, 'class="stats"')
    assertNotContains(response, "Campaigns by node and objective")
    assert "summary" not in response.context


def test_home_still_shows_an_analyst_the_catalog_totals(en, analyst):
    make_catalog()
    en.force_login(analyst)

    response = en.get(reverse("home"))

    assertContains(response, "Ad history available")
    assertContains(response, "Campaigns by node and objective")
    assert response.context["summary"].campaigns == 3


def test_home_costs_the_same_queries_with_two_briefs_or_twenty(
    en, analyst, node, django_assert_max_num_queries
):
    en.force_login(analyst)
    for title in ("A", "B"):
        _batch(_brief(analyst, node, title=title), images=2)
    # Session, user, six for the ad history, groups, count, page, and at most three for the
    # thumbnails (picked, latest batch, references).
    with django_assert_max_num_queries(14), CaptureQueriesContext(connection) as small:
        assert en.get(reverse("home")).status_code == 200

    for n in range(18):
        brief = _brief(analyst, node, title=f"More {n}")
        batch = _batch(brief, images=2)
        if n % 2:
            services.generated_image_pick(batch.images.first(), picked=True)
    with django_assert_max_num_queries(14), CaptureQueriesContext(connection) as large:
        response = en.get(reverse("home"))

    assert len(response.context["rows"]) == 20
    assert len(large.captured_queries) == len(small.captured_queries)
