"""The default rules' rationales, seeded in English by campaigns/0004, read in the page's language.

A seeded rationale is kept as its English source text and shown through gettext while a lead
has not rewritten it; a lead's own text is shown as written, in whatever language it was typed.
"""

from __future__ import annotations

import pytest
from django.conf import settings
from django.urls import reverse
from django.utils import translation

from campaigns.models import RankingRule
from campaigns.services import ranking_rule_save

CONVERSION_ES = (
    "Las ventas son escasas: una pieza necesita tráfico real antes de que su costo por venta "
    "signifique algo."
)
CONVERSION_EN = (
    "Sales are rare: a piece needs real traffic before its cost per sale means anything."
)


@pytest.fixture
def lead_client(client, lead):
    client.force_login(lead)
    return client


def _change_page(client, rule: RankingRule, language: str):
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = language
    return client.get(reverse("admin:campaigns_rankingrule_change", args=[rule.pk]))


def _posted(rule: RankingRule, **changes) -> dict:
    """The change form as a browser posts it, with `changes` on top."""
    data = {
        "node": "",
        "objective": rule.objective,
        "active": "on",
        "rationale": rule.rationale,
        "metric": rule.metric,
        "tie_break_metric": rule.tie_break_metric,
        "within_platform": "on",
        "half_life_days": "",
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


def test_every_seeded_rationale_reads_in_spanish_on_a_spanish_page(db):
    with translation.override("es"):
        shown = {
            r.objective: r.rationale_in_page_language for r in RankingRule.objects.filter(node=None)
        }

    assert shown == {
        "awareness": "El reconocimiento paga por ser visto: ganan las mil impresiones más baratas.",
        "traffic": (
            "El tráfico paga por visitas: el CTR mide la atracción propia de la pieza en todas "
            "las plataformas."
        ),
        "engagement": "La interacción se mide en interacciones por impresión.",
        "leads": (
            "Un lead es el resultado que se paga; el mínimo de clics deja fuera las piezas que "
            "nunca tuvieron oportunidad."
        ),
        "conversion": CONVERSION_ES,
        "other": (
            "Una medida neutral hasta que un líder de mercadeo asigne el objetivo de la campaña."
        ),
    }


def test_the_admin_form_shows_the_seeded_rationale_in_the_page_language(lead_client):
    rule = RankingRule.objects.get(node=None, objective="conversion")

    spanish = _change_page(lead_client, rule, "es")
    english = _change_page(lead_client, rule, "en")

    assert spanish.context["adminform"].form["rationale"].value() == CONVERSION_ES
    assert CONVERSION_EN not in spanish.content.decode()
    assert english.context["adminform"].form["rationale"].value() == CONVERSION_EN


def test_saving_a_seeded_rule_in_spanish_keeps_its_rationale_bilingual(lead_client):
    rule = RankingRule.objects.get(node=None, objective="conversion")
    lead_client.cookies[settings.LANGUAGE_COOKIE_NAME] = "es"
    url = reverse("admin:campaigns_rankingrule_change", args=[rule.pk])

    response = lead_client.post(url, _posted(rule, rationale=CONVERSION_ES, top_n=5))

    assert response.status_code == 302
    rule.refresh_from_db()
    assert (rule.top_n, rule.rationale) == (5, CONVERSION_EN)
    # The version records only the change the lead made, not a rationale "rewritten" in Spanish.
    assert rule.versions.get(version=rule.version).changes == {"top_n": [4, 5]}
    assert english_text(lead_client, rule) == CONVERSION_EN


def english_text(client, rule: RankingRule) -> str:
    return _change_page(client, rule, "en").context["adminform"].form["rationale"].value()


def test_a_rationale_a_lead_wrote_is_shown_as_written_in_both_languages(lead_client, lead):
    rule = RankingRule.objects.get(node=None, objective="conversion")
    rule.rationale = "Compras: el costo por venta manda."
    ranking_rule_save(rule=rule, user=lead)

    for language in ("es", "en"):
        form = _change_page(lead_client, rule, language).context["adminform"].form
        assert form["rationale"].value() == "Compras: el costo por venta manda."


def test_the_history_names_each_change_and_a_seeded_rationale_in_the_page_language(
    lead_client, lead
):
    rule = RankingRule.objects.get(node=None, objective="conversion")
    rule.rationale = "Compras: el costo por venta manda."
    rule.top_n = 5
    rule.within_platform = False
    rule.metric = "cpc"
    ranking_rule_save(rule=rule, user=lead)

    html = _change_page(lead_client, rule, "es").content.decode()

    assert f"por qué esta regla: {CONVERSION_ES} → Compras: el costo por venta manda." in html
    assert "número de referencias: 4 → 5" in html
    assert "comparar dentro de cada plataforma: Sí → No" in html
    assert "métrica de éxito: Costo por conversión → CPC (costo por clic)" in html
    assert "rationale:" not in html and "top_n:" not in html


def test_every_label_of_the_rule_form_starts_with_a_capital_in_both_languages(lead_client):
    rule = RankingRule.objects.get(node=None, objective="traffic")

    spanish = _change_page(lead_client, rule, "es").content.decode()
    english = _change_page(lead_client, rule, "en").content.decode()

    # The platforms field is the form's own, not the model's: the admin does not capitalise it.
    assert "Plataformas que cuentan:</label>" in spanish
    assert "Platforms counted:</label>" in english
