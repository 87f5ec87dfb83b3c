"""A reason shows the figure the order reads: each piece's value with 80 % certainty, "at least"
for what is better higher, "at most" for a cost (issue 15: reasons a marketer can check)."""

from __future__ import annotations

from django.utils import translation

from campaigns.ranking.pieces import PieceFigures
from campaigns.ranking.reasons import ReasonContext, reason
from campaigns.ranking.scoring import Estimate, RuleSpec, rank_pieces

CTX = ReasonContext(node_name="Wompi", objective="traffic", position=2, ranked=5, currency="COP")
PIECE = PieceFigures(
    image_id=1,
    phash="0" * 16,
    impressions=20_000,
    clicks=450,
    spend=4_700_000.0,
    conversions=450,
    days=5,
)


def _reason(metric: str, language: str, estimate: Estimate) -> str:
    with translation.override(language):
        return reason(metric, estimate, PIECE, CTX)


def test_a_ctr_reason_says_the_least_it_is_with_80_percent_certainty_in_both_languages():
    estimate = Estimate(
        point=0.0221,
        lower=0.0209,
        upper=0.0236,
        observed=0.0225,
        goodness=1.2,
        cautious=0.0214,
        certainty=0.8,
    )

    assert _reason("ctr", "en", estimate) == (
        "CTR 2.2 % (450 clicks / 20k impressions) over 5 days; estimate 2.2 % (2.1–2.4 %), "
        "at least 2.1 % with 80 % certainty; 2nd of 5 Wompi traffic pieces"
    )
    assert _reason("ctr", "es", estimate) == (
        "CTR 2,2 % (450 clics / 20 mil impresiones) en 5 días; estimado 2,2 % (2,1–2,4 %), "
        "al menos 2,1 % con 80 % de certeza; 2.º de 5 piezas de tráfico de Wompi"
    )


def test_a_cost_reason_says_the_most_it_costs_with_80_percent_certainty_in_both_languages():
    estimate = Estimate(
        point=10_600.0,
        lower=10_000.0,
        upper=11_300.0,
        observed=10_444.0,
        goodness=1.1,
        cautious=10_950.0,
        certainty=0.8,
    )

    assert _reason("cost_per_conversion", "en", estimate) == (
        "cost per conversion COP 10,444 (COP 4.7M spend / 450 conversions) over 5 days; "
        "estimate COP 10,600 (COP 10,000–11,300), at most COP 10,950 with 80 % certainty; "
        "2nd of 5 Wompi traffic pieces"
    )
    assert _reason("cost_per_conversion", "es", estimate) == (
        "costo por conversión COP 10.444 (COP 4,7 M de inversión / 450 conversiones) en 5 días; "
        "estimado COP 10.600 (COP 10.000–11.300), como máximo COP 10.950 con 80 % de certeza; "
        "2.º de 5 piezas de tráfico de Wompi"
    )


def test_an_estimate_without_a_cautious_figure_leaves_the_clause_out():
    estimate = Estimate(point=0.0221, lower=0.0209, upper=0.0236, observed=0.0225, goodness=1.2)

    assert "certainty" not in _reason("ctr", "en", estimate)
    assert "certeza" not in _reason("ctr", "es", estimate)


def test_a_ranked_references_reason_carries_the_figure_its_order_reads():
    pieces = [
        PieceFigures(
            image_id=i, phash=f"{i:016x}", impressions=20_000, clicks=200 + 20 * i, days=30
        )
        for i in range(1, 9)
    ]
    result = rank_pieces(pieces, RuleSpec(metric="ctr", top_n=2, within_platform=False))
    first = result.references[0].estimate

    with translation.override("en"):
        sentence = reason("ctr", first, result.references[0].piece, CTX)

    assert f"at least {first.cautious * 100:.1f} % with 80 % certainty" in sentence
