"""A reason's "X / Y" part counts in the singular when a count is 1 (issue 15 follow-up)."""

from __future__ import annotations

import pytest
from django.utils import translation

from campaigns.ranking.pieces import PieceFigures
from campaigns.ranking.reasons import ReasonContext, reason
from campaigns.ranking.scoring import Estimate

CTX = ReasonContext(node_name="Wompi", objective="conversion", position=1, ranked=5, currency="COP")


def _one_of_each() -> PieceFigures:
    return PieceFigures(
        image_id=1,
        phash="0" * 16,
        impressions=1,
        clicks=1,
        link_clicks=1,
        spend=48_000.0,
        conversions=1,
        leads=1,
        video_views=1,
        engagements=1,
        days=1,
    )


def _reason(metric: str, language: str, estimate: Estimate) -> str:
    with translation.override(language):
        return reason(metric, estimate, _one_of_each(), CTX)


COST = Estimate(point=60_000.0, lower=40_000.0, upper=90_000.0, observed=48_000.0, goodness=1.0)
RATE = Estimate(point=0.5, lower=0.2, upper=0.8, observed=1.0, goodness=1.0)


def test_one_conversion_reads_conversion_and_conversion_in_spanish():
    assert _reason("cost_per_conversion", "en", COST) == (
        "cost per conversion COP 48,000 (COP 48k spend / 1 conversion) over 1 day; estimate "
        "COP 60,000 (COP 40,000–90,000); 1st of 5 Wompi conversion pieces"
    )
    assert _reason("cost_per_conversion", "es", COST) == (
        "costo por conversión COP 48.000 (COP 48 mil de inversión / 1 conversión) en 1 día; "
        "estimado COP 60.000 (COP 40.000–90.000); 1.º de 5 piezas de conversión de Wompi"
    )


@pytest.mark.parametrize(
    ("metric", "english", "spanish"),
    [
        ("ctr", "(1 click / 1 impression)", "(1 clic / 1 impresión)"),
        ("link_ctr", "(1 link click / 1 impression)", "(1 clic en el enlace / 1 impresión)"),
        ("conversion_rate", "(1 conversion / 1 click)", "(1 conversión / 1 clic)"),
        ("engagement_rate", "(1 engagement / 1 impression)", "(1 interacción / 1 impresión)"),
        ("video_view_rate", "(1 video view / 1 impression)", "(1 reproducción / 1 impresión)"),
    ],
)
def test_counts_of_one_in_a_rate_reason_are_singular(metric, english, spanish):
    assert english in _reason(metric, "en", RATE)
    assert spanish in _reason(metric, "es", RATE)


def test_one_lead_and_many_leads_keep_their_numbers():
    assert "(COP 48k spend / 1 lead)" in _reason("cost_per_lead", "en", COST)
    many = PieceFigures(image_id=2, phash="0" * 16, spend=4_800_000.0, leads=12_000, days=30)
    with translation.override("es"):
        text = reason("cost_per_lead", COST, many, CTX)
    assert "(COP 4,8 M de inversión / 12 mil leads) en 30 días;" in text
