"""The brief page's cached sections: a change shows on the very next request (issue 17 item 1).

Each test first loads the page, so its sections are in the cache, then changes one thing the
page shows and loads it again. Several changes are written with QuerySet.update(), which
leaves updated_at alone, so a key that leaned on timestamps would fail them.
"""

# The brief page's fixtures live in tests/web/briefs/conftest.py; imported here, pytest sees
# them, and every test that names one "redefines" it for ruff.
# ruff: noqa: F811

from __future__ import annotations

import re
import time
from datetime import timedelta

import pytest
from django.conf import settings
from django.core.cache import cache
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone
from pytest_django.asserts import assertContains, assertNotContains

from generation.briefs import page_cache, services
from generation.models import Brief, BriefReference, GeneratedImage, PromptVersion
from generation.sharing import links as sharing
from tests.web.briefs.conftest import brief, en, node, other_analyst  # noqa: F401 (fixtures)
from tests.web.briefs.helpers import _batch, _png, _refs

SECTIONS = [
    f"generation/partials/brief_{name}.html"
    for name in ("head", "references", "prompt", "generate", "batches", "share_section")
]


@pytest.fixture(autouse=True)
def empty_cache():
    cache.clear()
    page_cache.local_clear()
    yield
    cache.clear()
    page_cache.local_clear()


def _page(client, brief):
    response = client.get(reverse("brief_detail", args=[brief.pk]))
    assert response.status_code == 200
    return response


def _rendered(response) -> list[str]:
    return [name for name in SECTIONS if name in {t.name for t in response.templates}]


def test_every_section_is_rendered_once_then_served_from_the_cache(en, brief):
    en.force_login(brief.owner)

    first = _page(en, brief)
    second = _page(en, brief)

    assert _rendered(first) == SECTIONS
    assert _rendered(second) == []
    assert _without_tokens(second) == _without_tokens(first)


def test_a_worker_serves_the_sections_it_already_read_from_its_own_memory(en, brief, monkeypatch):
    en.force_login(brief.owner)
    first = _page(en, brief)
    asked = []
    shared = page_cache.default_cache

    class Counting:
        def get_many(self, keys):
            asked.append(list(keys))
            return shared.get_many(keys)

        def set_many(self, values, timeout=None):
            return shared.set_many(values, timeout=timeout)

    monkeypatch.setattr(page_cache, "default_cache", Counting())
    cache.clear()  # the shared copy gone: only this process's can serve the page

    second = _page(en, brief)

    assert _rendered(second) == []
    assert asked == []
    assert _without_tokens(second) == _without_tokens(first)


def test_a_change_shows_on_the_next_request_even_from_a_worker_that_kept_the_old_sections(
    en, brief
):
    en.force_login(brief.owner)
    _page(en, brief)
    services.prompt_version_edit(
        brief, positive="Mujer sonriendo en Cartagena", negative="", author=brief.owner
    )

    response = _page(en, brief)

    assertContains(response, "Mujer sonriendo en Cartagena")


def test_excluding_a_reference_shows_on_the_next_request(en, brief):
    en.force_login(brief.owner)
    _page(en, brief)
    image_id = _refs(brief)[0]

    en.post(reverse("brief_reference", args=[brief.pk, image_id]), {"action": "exclude"})
    response = _page(en, brief)

    assertContains(response, "1 excluded reference")
    assertContains(response, 'data-testid="include"', count=1)
    assertContains(response, 'data-testid="exclude"', count=3)


def test_a_reference_rewritten_in_place_shows_on_the_next_request(en, brief):
    en.force_login(brief.owner)
    _page(en, brief)

    BriefReference.objects.filter(brief=brief, image_id=_refs(brief)[0]).update(
        reason_en="Chosen again under the new rule"
    )
    response = _page(en, brief)

    assertContains(response, "Chosen again under the new rule", count=2)  # card and alt text


def test_a_new_ranking_message_shows_on_the_next_request(en, brief):
    en.force_login(brief.owner)
    _page(en, brief)

    Brief.objects.filter(pk=brief.pk).update(
        ranking={**brief.ranking, "message_en": "Ranked again with last week's results"}
    )
    response = _page(en, brief)

    assertContains(response, "Ranked again with last week&#x27;s results")


def test_a_prompt_edit_and_a_restore_show_on_the_next_request(en, brief):
    en.force_login(brief.owner)
    _page(en, brief)

    en.post(
        reverse("brief_prompt_edit", args=[brief.pk]),
        {"positive": "a shopkeeper smiling at her phone", "negative": "blurry"},
    )
    edited = _page(en, brief)
    en.post(reverse("brief_prompt_restore", args=[brief.pk, 1]))
    restored = _page(en, brief)

    assertContains(edited, "Version 2")
    assertContains(edited, "a shopkeeper smiling at her phone")
    assertContains(restored, "Version 3")
    assertContains(restored, "restored from version 1")


def test_a_prompt_changed_in_place_shows_on_the_next_request(en, brief):
    en.force_login(brief.owner)
    _page(en, brief)

    PromptVersion.objects.filter(brief=brief).update(positive="market stall at dawn")
    response = _page(en, brief)

    assertContains(response, "market stall at dawn")


def test_new_images_in_a_batch_show_on_the_next_request(en, brief):
    batch = _batch(brief, images=1)
    en.force_login(brief.owner)
    assertContains(_page(en, brief), 'data-testid="generated-image"', count=1)

    image = GeneratedImage(batch=batch, index=1, seed=batch.seed + 1, width=8, height=8)
    image.file.save("late.png", _png_file(), save=True)
    _batch(brief, images=2, seed=555)
    response = _page(en, brief)

    assertContains(response, 'data-testid="generated-image"', count=4)
    assertContains(response, 'data-testid="batch"', count=2)


def test_a_pick_shows_on_the_next_request_in_the_batch_and_the_share_section(en, brief):
    image = _batch(brief, images=2).images.order_by("index").first()
    en.force_login(brief.owner)
    assertContains(_page(en, brief), 'data-testid="share-no-picks-yet"')

    en.post(reverse("image_pick", args=[brief.pk, image.pk]), {"picked": "true"})
    response = _page(en, brief)

    assertContains(response, 'data-testid="pick" aria-pressed="true"', count=1)
    assertNotContains(response, 'data-testid="share-no-picks-yet"')


def test_a_new_share_link_shows_on_the_next_request(en, brief):
    en.force_login(brief.owner)
    assertContains(_page(en, brief), "No share links yet.")

    sharing.share_link_create(brief=brief, agency="Agencia Nueva", days=5)
    response = _page(en, brief)

    assertContains(response, 'data-testid="share-row"', count=1)
    assertContains(response, "Agencia Nueva")


def test_switching_the_language_shows_the_page_in_the_other_language(en, brief):
    en.force_login(brief.owner)
    assertContains(_page(en, brief), "Rank again")

    en.cookies[settings.LANGUAGE_COOKIE_NAME] = "es"
    response = _page(en, brief)

    assertContains(response, "Rehacer el ranking")
    assertNotContains(response, "Rank again")


def test_a_reader_who_may_not_change_the_brief_never_gets_the_owners_buttons(
    en, brief, other_analyst, settings
):
    # A teammate: sees the brief, may not change it, and is no more staff than the owner.
    settings.YENNI_ANALYSTS_SEE_TEAM = True
    en.force_login(brief.owner)
    assertContains(_page(en, brief), 'data-testid="pin"', count=4)

    en.force_login(other_analyst)
    as_teammate = _page(en, brief)
    en.force_login(brief.owner)
    as_owner = _page(en, brief)

    assertContains(as_teammate, 'data-testid="read-only-banner"')
    for button in ("pin", "exclude", "rerank", "save-prompt", "generate", "create-share"):
        assertNotContains(as_teammate, f'data-testid="{button}"')
    assertContains(as_owner, 'data-testid="pin"', count=4)
    assertNotContains(as_owner, 'data-testid="read-only-banner"')


def test_the_operators_note_shown_to_staff_is_not_served_to_an_analyst(en, brief):
    owner = brief.owner
    owner.is_staff = True
    owner.save()
    en.force_login(owner)
    assertContains(_page(en, brief), 'data-testid="generation-operator-note"')

    owner.is_staff = False
    owner.save()
    response = _page(en, brief)

    assertContains(response, 'data-testid="generation-off"')
    assertNotContains(response, 'data-testid="generation-operator-note"')


def test_a_cached_form_carries_the_token_of_the_browser_that_reads_it(brief):
    first, second = Client(enforce_csrf_checks=True), Client(enforce_csrf_checks=True)
    for client in (first, second):
        client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
        client.force_login(brief.owner)
    _page(first, brief)

    page = _page(second, brief)
    answer = second.post(
        reverse("brief_reference", args=[brief.pk, _refs(brief)[0]]),
        {"action": "pin", "csrfmiddlewaretoken": _csrf(page)},
    )

    assert answer.status_code == 302
    assert page_cache.csrf_placeholder() not in page.content.decode()
    assert BriefReference.objects.get(brief=brief, image_id=_refs(brief)[0]).pinned is True


def test_the_page_costs_the_same_queries_with_one_or_many_of_everything_cached_or_not(en, brief):
    _batch(brief, images=1)
    en.force_login(brief.owner)
    small = _counted(en, brief)

    for n in range(5):
        _batch(brief, images=3, seed=n)
        services.prompt_version_edit(
            brief, positive=f"version {n}", negative="", author=brief.owner
        )
        sharing.share_link_create(brief=brief, agency=f"Agencia {n}", days=5)
    services.brief_reference_mark(brief, image_id=_refs(brief)[0], excluded=True)
    large = _counted(en, brief)

    assert small == large
    cold, warm = small
    # On PostgreSQL a page whose sections are all cached reads one digest of its rows
    # instead of the rows themselves: fewer queries, never more.
    assert warm <= cold


def _counted(client, brief) -> tuple[int, int]:
    """Queries of the page with its sections not yet cached, then cached."""
    counts = []
    for _ in range(2):
        with CaptureQueriesContext(connection) as queries:
            _page(client, brief)
        counts.append(len(queries.captured_queries))
    return counts[0], counts[1]


def _csrf(response) -> str:
    return re.search(rb'name="csrfmiddlewaretoken" value="([^"]+)"', response.content)[1].decode()


def _without_tokens(response) -> bytes:
    return re.sub(rb'name="csrfmiddlewaretoken" value="[^"]+"', b"", response.content)


def _png_file():
    from django.core.files.base import ContentFile

    return ContentFile(_png(size=(8, 8)))


ON_POSTGRES = settings.DATABASES["default"]["ENGINE"].endswith("postgresql")


@pytest.mark.postgres_only
@pytest.mark.skipif(not ON_POSTGRES, reason="the rows' digest is PostgreSQL's")
def test_on_postgresql_a_cached_page_reads_one_digest_instead_of_its_rows(en, brief):
    _settled(_batch(brief, images=2))
    sharing.share_link_create(brief=brief, agency="Agencia Nueva", days=5)
    en.force_login(brief.owner)
    _page(en, brief)

    with CaptureQueriesContext(connection) as queries:
        response = _page(en, brief)

    assert _rendered(response) == []
    # Session, the user with their groups, the brief with its rows' digest (the test cache is
    # in memory).
    assert len(queries.captured_queries) == 3
    assertContains(response, 'data-testid="generated-image"', count=2)


@pytest.mark.postgres_only
@pytest.mark.skipif(not ON_POSTGRES, reason="the rows' digest is PostgreSQL's")
def test_on_postgresql_each_change_shows_through_the_digest(en, brief):
    image = _settled(_batch(brief, images=2)).images.order_by("index").first()
    en.force_login(brief.owner)
    _page(en, brief)

    GeneratedImage.objects.filter(pk=image.pk).update(picked=True)
    picked = _page(en, brief)
    BriefReference.objects.filter(brief=brief, image_id=_refs(brief)[0]).update(excluded=True)
    excluded = _page(en, brief)
    PromptVersion.objects.filter(brief=brief).update(positive="market stall at dawn")
    edited = _page(en, brief)
    link, _token = sharing.share_link_create(brief=brief, agency="Agencia Nueva", days=5)
    # A link that expires a second from now: time alone, no row change, makes it "expired".
    type(link).objects.filter(pk=link.pk).update(expires_at=timezone.now() + timedelta(seconds=1))
    linked = _page(en, brief)
    time.sleep(1.2)
    expired = _page(en, brief)

    assertContains(picked, 'data-testid="pick" aria-pressed="true"', count=1)
    assertNotContains(picked, 'data-testid="share-no-picks-yet"')
    assertContains(excluded, "1 excluded reference")
    assertContains(edited, "market stall at dawn")
    assertContains(linked, "Agencia Nueva")
    assertContains(linked, "status-active")
    assertContains(expired, "status-expired")


def _settled(batch):
    """The batch's job finished an hour ago: past the minutes the page lists recent jobs."""
    from generation.models import ModelJob

    hour_ago = batch.job.finished_at - timedelta(hours=1)
    ModelJob.objects.filter(pk=batch.job_id).update(queued_at=hour_ago, finished_at=hour_ago)
    return batch


@pytest.mark.postgres_only
@pytest.mark.skipif(not ON_POSTGRES, reason="the rows' digest is PostgreSQL's")
def test_on_postgresql_a_change_between_the_digest_and_the_rows_is_never_cached_as_the_old(
    en, brief
):
    image = _settled(_batch(brief, images=2)).images.order_by("index").first()
    en.force_login(brief.owner)
    picked = _change_after_the_first_digest(
        lambda: GeneratedImage.objects.filter(pk=image.pk).update(picked=True)
    )

    # The digest is read before the pick, the rows after it: the page shows the pick...
    with connection.execute_wrapper(picked):
        during = _page(en, brief)
    # ...and once the pick is undone the rows are as the digest read them: the page must not
    # serve what was rendered with the pick under that digest's keys.
    GeneratedImage.objects.filter(pk=image.pk).update(picked=False)
    after = _page(en, brief)

    assertContains(during, 'data-testid="pick" aria-pressed="true"', count=1)
    assertNotContains(after, 'data-testid="pick" aria-pressed="true"')
    assertContains(after, 'data-testid="share-no-picks-yet"')


def _change_after_the_first_digest(change):
    """A query wrapper that makes `change` right after the page's first digest query."""
    done = []

    def wrapper(execute, sql, params, many, context):
        result = execute(sql, params, many, context)
        if not done and "md5(" in sql:
            done.append(True)
            change()
        return result

    return wrapper


# A cache that does not answer (Redis down, the cache table missing) must cost the rendering,
# never the page: before the sections were cached the page did not use the cache at all.
UNREACHABLE_CACHES = {
    "default": {
        "BACKEND": "django.core.cache.backends.redis.RedisCache",
        "LOCATION": "redis://127.0.0.1:1/0",
    }
}
MISSING_TABLE_CACHES = {
    "default": {
        "BACKEND": "django.core.cache.backends.db.DatabaseCache",
        "LOCATION": "no_such_cache_table",
    }
}


@pytest.mark.parametrize("caches", [UNREACHABLE_CACHES, MISSING_TABLE_CACHES])
def test_a_cache_that_fails_still_serves_the_whole_brief_page(en, brief, caches, settings):
    en.force_login(brief.owner)
    expected = _page(en, brief)

    settings.CACHES = caches
    page_cache.local_clear()  # this process's copies gone too: only the failing cache is left
    response = _page(en, brief)

    assert _rendered(response) == SECTIONS
    assert _without_tokens(response) == _without_tokens(expected)
