"""Write the one-sentence reason a reference was chosen, in the active language.

"CTR 2.1 % (1.8–2.4 %) on 240k impressions over 34 days; 3rd of 312 wompi traffic pieces"
Plain Python: the figures come in, a string goes out. A brief stores the sentence in both
languages, so the ranking calls `reason` once under `translation.override("es")` and once under
`override("en")`.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.utils.translation import gettext, pgettext_lazy
from django.utils.translation import gettext_lazy as _

from campaigns import figures
from campaigns.ranking.metrics import METRICS, Model
from campaigns.ranking.pieces import PieceFigures
from campaigns.ranking.scoring import Estimate

# How a reason names the pieces of an objective: "312 wompi traffic pieces" / "312 piezas de
# tráfico de wompi". In context, as Spanish puts a "de" before each.
OBJECTIVE_WORDS = {
    "awareness": pgettext_lazy("pieces of this objective", "awareness"),
    "traffic": pgettext_lazy("pieces of this objective", "traffic"),
    "engagement": pgettext_lazy("pieces of this objective", "engagement"),
    "leads": pgettext_lazy("pieces of this objective", "leads"),
    "conversion": pgettext_lazy("pieces of this objective", "conversion"),
    "other": pgettext_lazy("pieces of this objective", "other-objective"),
}

# What each figure is called: reasons and shortfall messages share it.
FIGURE_WORDS = {
    "impressions": _("impressions"),
    "clicks": _("clicks"),
    "spend": _("spend"),
    "leads": _("leads"),
    "conversions": _("conversions"),
    # Shorter than the pages' "reproducciones de video": the reason names the rate just before.
    "video_views": pgettext_lazy("a ranking reason's volume", "video views"),
    "engagements": _("engagements"),
}


def figure_word(figure: str) -> str:
    return str(FIGURE_WORDS.get(figure, figure))


@dataclass(frozen=True)
class ReasonContext:
    node_name: str
    objective: str
    position: int
    ranked: int
    currency: str


def _volume(metric: str, piece: PieceFigures) -> tuple[float, str]:
    spec = METRICS[metric]
    if spec.model is Model.SHARE:
        return piece.value(spec.denominator), spec.denominator
    if spec.model is Model.YIELD:
        return piece.spend, "spend"
    return piece.value(spec.numerator), spec.numerator


def reason(metric: str, estimate: Estimate, piece: PieceFigures, ctx: ReasonContext) -> str:
    """Return the reason sentence in the active language."""
    volume, volume_field = _volume(metric, piece)
    if volume_field == "spend":
        # An amount, not a count: "COP 12,0 M de inversión" / "COP 12.0M spend".
        amount = gettext("{amount} spend").format(
            amount=figures.compact_money(volume, ctx.currency)
        )
    else:
        amount = f"{figures.compact(volume)} {figure_word(volume_field)}"
    return gettext(
        "{metric} {point} ({interval}) on {amount} over {days} days; "
        "{position} of {ranked} {node} {objective} pieces"
    ).format(
        metric=METRICS[metric].label,
        point=figures.metric(metric, estimate.point, ctx.currency),
        interval=figures.interval(metric, estimate.lower, estimate.upper, ctx.currency),
        amount=amount,
        days=piece.days,
        position=figures.ordinal(ctx.position),
        ranked=ctx.ranked,
        node=ctx.node_name,
        objective=OBJECTIVE_WORDS.get(ctx.objective, ctx.objective),
    )
