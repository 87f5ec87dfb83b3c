"""The agency's share page, cached under a digest of what it shows: a change shows at once.

Each test opens the page once, so its HTML is in the cache, changes one thing the page shows
(several with QuerySet.update(), which bumps no timestamp) and opens it again.
"""

# The share page's fixtures live in tests/web/share/conftest.py; imported here, pytest sees
# them, and every test that names one "redefines" it for ruff.
# ruff: noqa: F811

from __future__ import annotations

import pytest
from django.core.cache import cache
from django.urls import reverse
from pytest_django.asserts import assertContains, assertNotContains

from generation.briefs import services
from generation.models import BriefReference, GeneratedImage, PromptVersion, ShareLink
from tests.web.share.conftest import brief, images  # noqa: F401 (fixtures)
from tests.web.share.helpers import _batch, _page, _share


@pytest.fixture(autouse=True)
def empty_cache():
    cache.clear()
    yield
    cache.clear()


def _rendered(response) -> bool:
    return "share/page.html" in {t.name for t in response.templates}


def test_the_page_is_rendered_once_then_served_from_the_cache_and_every_view_counted(
    client, brief, images
):
    link, token = _share(brief)

    first = _page(client, token)
    second = _page(client, token)

    assert (first.status_code, second.status_code) == (200, 200)
    assert _rendered(first) is True
    assert _rendered(second) is False
    assert second.content == first.content
    assert second["Cache-Control"] == "private, no-store"
    assert ShareLink.objects.get(pk=link.pk).view_count == 2


def test_a_new_pick_shows_on_the_next_view(client, brief, images):
    _link, token = _share(brief)
    assertContains(_page(client, token), 'data-testid="shared-image"', count=2)

    services.generated_image_pick(images[0], picked=True)
    response = _page(client, token)

    assertContains(response, 'data-testid="shared-image"', count=3)
    assertContains(response, f'data-testid="shared-image" data-image-id="{images[0].pk}"')


def test_an_unpick_written_in_place_shows_on_the_next_view(client, brief, images):
    _link, token = _share(brief)
    _page(client, token)

    GeneratedImage.objects.filter(pk=images[1].pk).update(picked=False)
    response = _page(client, token)

    assertContains(response, 'data-testid="shared-image"', count=1)
    assertNotContains(response, f'data-testid="shared-image" data-image-id="{images[1].pk}"')


def test_a_new_batch_and_a_new_prompt_version_show_on_the_next_view(client, brief, images):
    _link, token = _share(brief)
    _page(client, token)

    _batch(brief, seed=5000, picked=(0,))
    services.prompt_version_edit(
        brief, positive="a shopkeeper smiling at her phone", negative="", author=brief.owner
    )
    response = _page(client, token)

    assertContains(response, 'data-testid="shared-image"', count=3)
    assertContains(response, "a shopkeeper smiling at her phone")


def test_a_prompt_changed_in_place_shows_on_the_next_view(client, brief, images):
    _link, token = _share(brief)
    _page(client, token)

    PromptVersion.objects.filter(brief=brief).update(positive="market stall at dawn")
    response = _page(client, token)

    assertContains(response, "market stall at dawn")


def test_a_reference_excluded_in_place_leaves_the_page_on_the_next_view(client, brief, images):
    _link, token = _share(brief)
    first = brief.references.filter(excluded=False).order_by("order").first()
    shown = f'data-testid="shared-reference" data-image-id="{first.image_id}"'
    assertContains(_page(client, token), shown)

    BriefReference.objects.filter(pk=first.pk).update(excluded=True)
    response = _page(client, token)

    assertNotContains(response, shown)


def test_the_other_language_and_another_links_token_are_never_served_from_one_cached_page(
    client, brief, images
):
    _first, token = _share(brief)
    _second, other_token = _share(brief, agency="Agencia Sur")
    spanish = _page(client, token)

    english = _page(client, token, lang="en")
    other = _page(client, other_token)

    assert spanish["Content-Language"] == "es"
    assertContains(english, '<html lang="en"')
    assertContains(other, "Agencia Sur")
    assertContains(other, reverse("share_pack", args=[other_token]))
    assertNotContains(other, token)


def test_a_link_switched_to_show_figures_shows_them_on_the_next_view(client, brief, images):
    link, token = _share(brief)
    assertNotContains(_page(client, token), 'data-testid="figures"')

    ShareLink.objects.filter(pk=link.pk).update(show_figures=True)
    response = _page(client, token)

    assertContains(response, 'data-testid="figures"')


def test_a_new_prompt_version_alone_shows_on_the_next_view(client, brief, images):
    _link, token = _share(brief)
    _page(client, token)

    services.prompt_version_edit(
        brief, positive="a baker paying with a phone", negative="", author=brief.owner
    )
    response = _page(client, token)

    assertContains(response, "a baker paying with a phone")


def test_a_cache_that_does_not_answer_still_serves_the_page_and_counts_the_view(
    client, brief, images, settings
):
    link, token = _share(brief)
    expected = _page(client, token)

    settings.CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": "redis://127.0.0.1:1/0",
        }
    }
    response = _page(client, token)

    assert response.status_code == 200
    assert _rendered(response) is True
    assert response.content == expected.content
    assert ShareLink.objects.get(pk=link.pk).view_count == 2
