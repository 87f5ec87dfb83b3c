"""Share links from the brief page: create, list, revoke."""

from __future__ import annotations

import datetime as dt

import pytest
from django.urls import reverse
from django.utils import timezone
from pytest_django.asserts import assertContains, assertNotContains, assertRedirects

from generation.models import ShareLink
from generation.sharing import links as sharing
from tests.web.briefs.helpers import _brief


def test_creating_a_share_link_shows_its_address_once_then_only_lists_it(en, brief):
    en.force_login(brief.owner)

    response = en.post(
        reverse("brief_share", args=[brief.pk]),
        # Nothing is picked on this brief: sharing it anyway is confirmed (issue 14 item 7).
        {"agency": "  Agencia Norte ", "days": "7", "show_figures": "on", "confirm_no_picks": "1"},
    )

    assert response.status_code == 200
    link = ShareLink.objects.get()
    url = response.context["new_url"]
    token = url.removeprefix("http://testserver/s/").removesuffix("/")
    assert url == f"http://testserver{reverse('share_page', args=[token])}"
    assert sharing.share_link_resolve(token) == link
    assert (link.agency, link.show_figures, link.created_by) == ("Agencia Norte", True, brief.owner)
    assert round((link.expires_at - link.created_at).total_seconds() / 86400) == 7
    assertContains(response, f'value="{url}"', count=1)
    assertContains(response, 'data-testid="share-url"', count=1)
    assertContains(response, 'data-testid="copy-share"', count=1)
    assertContains(response, "Copy it now: this is the only time Yenni shows it.")
    assertContains(response, "Link created for Agencia Norte.")
    assertContains(response, 'data-testid="share-row"', count=1)

    again = en.get(reverse("brief_share", args=[brief.pk]))
    page = en.get(reverse("brief_detail", args=[brief.pk]))

    for later in (again, page):
        assertNotContains(later, token)
        assertNotContains(later, 'data-testid="share-url"')
        assertContains(later, 'data-testid="share-row"', count=1)
        assertContains(later, "an address cannot be shown again")
        assertContains(later, '<span class="status status-active">active</span>', html=True)


def test_share_links_list_their_views_expiry_and_status(en, brief):
    sharing.share_link_create(brief=brief, agency="Activa", days=3)
    expired, _ = sharing.share_link_create(brief=brief, agency="Vencida", days=1)
    ShareLink.objects.filter(pk=expired.pk).update(expires_at=timezone.now() - dt.timedelta(days=1))
    revoked, token = sharing.share_link_create(brief=brief, agency="Revocada", days=3)
    sharing.share_link_open(token)
    sharing.share_link_revoke(revoked)
    en.force_login(brief.owner)

    response = en.get(reverse("brief_share", args=[brief.pk]))

    assertContains(response, 'data-testid="share-row"', count=3)
    assertContains(response, '<span class="status status-active">active</span>', html=True)
    assertContains(response, '<span class="status status-expired">expired</span>', html=True)
    assertContains(response, '<span class="status status-revoked">revoked</span>', html=True)
    assertContains(response, 'data-testid="revoke"', count=1)  # only the active link
    # The two links nobody opened.
    assertContains(response, '<span class="muted">never</span>', count=2, html=True)


def test_revoking_a_link_stops_it_and_removes_its_button(en, brief):
    link, token = sharing.share_link_create(brief=brief, agency="Agencia Sur", days=5)
    en.force_login(brief.owner)

    response = en.post(reverse("share_revoke", args=[brief.pk, link.pk]))

    assertRedirects(
        response, reverse("brief_share", args=[brief.pk]), fetch_redirect_response=False
    )
    link.refresh_from_db()
    assert link.is_revoked
    with pytest.raises(sharing.ShareLinkGone):
        sharing.share_link_resolve(token)
    page = en.get(reverse("brief_share", args=[brief.pk]))
    assertContains(page, "The link for Agencia Sur no longer opens.")
    assertNotContains(page, 'data-testid="revoke"')


def test_a_link_of_another_brief_cannot_be_revoked_through_this_one(en, analyst, node, brief):
    other = _brief(analyst, node, title="Otro")
    link, _ = sharing.share_link_create(brief=other, agency="Agencia", days=5)
    en.force_login(analyst)

    response = en.post(reverse("share_revoke", args=[brief.pk, link.pk]))

    assert response.status_code == 404
    link.refresh_from_db()
    assert link.is_revoked is False


@pytest.mark.parametrize(
    ("data", "errors"),
    [
        ({"agency": " ", "days": "14"}, {"agency": ["Name the agency the link is for."]}),
        ({"agency": "A", "days": "0"}, {"days": ["A link lasts between 1 and 90 days."]}),
        ({"agency": "A", "days": "91"}, {"days": ["A link lasts between 1 and 90 days."]}),
        ({"agency": "A", "days": ""}, {"days": ["Say how many days the link lasts (1 to 90)."]}),
        (
            {"agency": "a" * 121, "days": "3"},
            {"agency": ["Keep the agency's name under 120 characters."]},
        ),
    ],
)
def test_a_bad_share_form_creates_no_link_and_says_why(en, brief, data, errors):
    en.force_login(brief.owner)

    response = en.post(reverse("brief_share", args=[brief.pk]), data)

    assert response.status_code == 200
    assert response.context["share_form"].errors == errors
    assert response.context["new_url"] == ""
    assert not ShareLink.objects.exists()


def test_the_share_form_lasts_the_configured_days_by_default(en, brief, settings):
    settings.YENNI_SHARE_DAYS = 21
    en.force_login(brief.owner)

    response = en.get(reverse("brief_share", args=[brief.pk]))

    assertContains(response, 'name="days" value="21"')
    assertContains(response, 'data-testid="create-share"')
