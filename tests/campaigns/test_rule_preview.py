"""A lead previews an edited ranking rule before saving it (issue 15 item 5).

The rule's change page has a Preview button: it posts the edited form, and the page shows what
the edited rule would pick beside what the saved rule picks, with nothing saved.
"""

from __future__ import annotations

import datetime as dt
import random

import pytest
from django.conf import settings
from django.urls import reverse

from campaigns.models import Campaign, Objective, RankingRule, RankingRuleVersion
from campaigns.rollups import image_rollup_refresh
from campaigns.services import ranking_rule_save
from creatives.models import CreativeImage
from tests.factories import (
    make_account,
    make_ad,
    make_campaign,
    make_creative,
    make_image,
    make_metric,
    make_node,
)

DAY = dt.date(2026, 10, 5)  # a Monday, inside every rule's window until late 2027


def _piece(campaign: Campaign, n: int, *, impressions: int, clicks: int) -> CreativeImage:
    image = make_image()
    # The tiny test images are flat colours whose perceptual hashes collide; give each its own.
    CreativeImage.objects.filter(pk=image.pk).update(
        phash=f"{random.Random(n).getrandbits(64):016x}"
    )
    image.refresh_from_db()
    ad = make_ad(campaign=campaign, creative=make_creative(images=[image]))
    make_metric(ad=ad, date=DAY, impressions=impressions, clicks=clicks)
    return image


@pytest.fixture
def wompi(db, media_storage, lead):
    """Wompi's own traffic rule with a fixed 1,000-impression minimum, a solid ordinary piece
    and a sparse piece that is truly better but under the minimum."""
    node = make_node(name="Wompi", slug="wompi")
    campaign = make_campaign(
        account=make_account(platform="meta", default_node=node),
        node=node,
        objective=Objective.TRAFFIC,
        start_date=DAY,
        end_date=DAY,
    )
    rule = RankingRule(
        node=node,
        objective="traffic",
        metric="ctr",
        minimums_mode="absolute",
        min_impressions=1_000,
        top_n=2,
    )
    ranking_rule_save(rule=rule, user=lead)
    solid = _piece(campaign, 1, impressions=5_000, clicks=100)
    sparse = _piece(campaign, 2, impressions=600, clicks=60)
    image_rollup_refresh()
    return rule, solid, sparse


def _posted(rule: RankingRule, **changes) -> dict:
    """The change form as a browser posts it, with `changes` on top."""
    data = {
        "node": rule.node_id,
        "objective": rule.objective,
        "active": "on",
        "rationale": rule.rationale,
        "metric": rule.metric,
        "tie_break_metric": rule.tie_break_metric,
        "within_platform": "on",
        "half_life_days": "",
        "minimums_mode": rule.minimums_mode,
        "min_share_of_median": rule.min_share_of_median,
        "min_impressions": rule.min_impressions,
        "min_spend": "0",
        "min_clicks": rule.min_clicks,
        "min_conversions": "0",
        "window_days": rule.window_days,
        "top_n": rule.top_n,
        "versions-TOTAL_FORMS": "0",
        "versions-INITIAL_FORMS": "0",
        "versions-MIN_NUM_FORMS": "0",
        "versions-MAX_NUM_FORMS": "1000",
    }
    data.update(changes)
    return data


def _stored(rule: RankingRule) -> tuple:
    """Everything a preview must leave alone: the rule's row and its versions."""
    row = RankingRule.objects.filter(pk=rule.pk).values().get()
    return row, list(RankingRuleVersion.objects.filter(rule=rule).values())


def _picked(preview: dict) -> list[CreativeImage]:
    return [row["image"] for row in preview["rows"]]


def test_a_lead_previews_the_edited_rule_beside_the_saved_one_and_nothing_is_saved(
    client, lead, wompi
):
    rule, solid, sparse = wompi
    before = _stored(rule)
    client.force_login(lead)
    url = reverse("admin:campaigns_rankingrule_change", args=[rule.pk])

    response = client.post(
        url, _posted(rule, minimums_mode="scaled", min_share_of_median="5", _preview="1")
    )

    assert response.status_code == 200
    assert _picked(response.context["preview"]) == [solid]
    assert _picked(response.context["edited_preview"]) == [sparse, solid]
    # The form still shows the lead's edits, ready to save.
    shown = response.context["adminform"].form
    assert (shown.instance.minimums_mode, shown.instance.min_share_of_median) == ("scaled", 5)
    assert 'value="scaled" id="id_minimums_mode_0" checked' in response.content.decode()
    assert _stored(rule) == before
    assert RankingRuleVersion.objects.filter(rule=rule).count() == 1


def test_saving_after_a_preview_applies_the_change_as_one_new_version(client, lead, wompi):
    rule, _, sparse = wompi
    client.force_login(lead)
    url = reverse("admin:campaigns_rankingrule_change", args=[rule.pk])
    edited = _posted(rule, minimums_mode="scaled", min_share_of_median="5")
    client.post(url, {**edited, "_preview": "1"})

    response = client.post(url, edited)

    assert response.status_code == 302
    latest = RankingRuleVersion.objects.filter(rule=rule).first()
    assert (latest.version, latest.changed_by, latest.changes) == (
        2,
        lead,
        {"minimums_mode": ["absolute", "scaled"]},
    )
    page = client.get(url)
    assert _picked(page.context["preview"])[0] == sparse


def test_a_preview_of_an_invalid_form_shows_the_error_and_saves_nothing(client, lead, wompi):
    rule, _, _ = wompi
    before = _stored(rule)
    client.force_login(lead)
    url = reverse("admin:campaigns_rankingrule_change", args=[rule.pk])

    response = client.post(url, _posted(rule, min_share_of_median="250", _preview="1"))

    assert response.status_code == 200
    assert response.context["adminform"].form.errors["min_share_of_median"] == [
        "Asegúrese de que este valor es menor o igual a 100."
    ]
    assert "edited_preview" not in response.context
    assert _stored(rule) == before


def test_someone_without_admin_access_cannot_preview_and_nothing_is_saved(client, analyst, wompi):
    rule, _, _ = wompi
    before = _stored(rule)
    client.force_login(analyst)
    url = reverse("admin:campaigns_rankingrule_change", args=[rule.pk])

    response = client.post(url, _posted(rule, minimums_mode="scaled", _preview="1"))

    assert response.status_code == 302
    assert response["Location"].startswith(reverse("admin:login"))
    assert _stored(rule) == before


def test_the_preview_button_reads_previsualizar_on_a_spanish_page(client, lead, wompi):
    rule, _, _ = wompi
    client.force_login(lead)
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "es"

    response = client.get(reverse("admin:campaigns_rankingrule_change", args=[rule.pk]))

    assert '<input type="submit" name="_preview" value="Previsualizar">' in (
        response.content.decode()
    )
    assert "edited_preview" not in response.context


def test_the_rule_list_names_a_scaled_rules_minimums_as_its_share_of_the_median(
    client, lead, wompi
):
    client.force_login(lead)
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "es"

    response = client.get(reverse("admin:campaigns_rankingrule_changelist"))

    html = response.content.decode()
    # The six seeded defaults are scaled; Wompi's own rule keeps its fixed 1,000 impressions.
    assert html.count("5 % de las impresiones de la pieza mediana") == 6
    assert "1.000 impresiones" in html
