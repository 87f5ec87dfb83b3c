"""Write the one-sentence reason a reference was chosen, in the active language.

"CTR 2.5 % (500 clicks / 20k impressions) over 34 days; estimate 2.4 % (2.1–2.7 %), at least
2.3 % with 80 % certainty; 2.5 % vs Meta’s typical 2.0 % in Wompi: 25 % higher; 3rd of 312
Wompi traffic pieces"

A marketer can check every figure in it: the first is the piece's own (spend ÷ conversions,
clicks ÷ impressions), with what it is made of; the shrunk estimate and its likely range are
labelled as an estimate, with the figure the order reads (what the piece reaches with 80 %
certainty: at least that rate, at most that cost); the typical figure is the one the ranking
compared the piece with (its platform's when the rule compares within each platform, else the
node's), so a dearer piece ranked above a cheaper one on another platform says why; the place
is the order shown.
Plain Python: the figures come in, a string goes out. A brief stores the sentence in both
languages, so the ranking calls `reason` once under `translation.override("es")` and once under
`override("en")`.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.utils.translation import gettext, ngettext, npgettext, pgettext, pgettext_lazy
from django.utils.translation import gettext_lazy as _

from campaigns import figures
from campaigns.ranking.metrics import METRICS, ratio_terms
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
    # The place shown: the reference's order in the brief (1, 2, 3, 4, no gaps).
    position: int
    ranked: int
    currency: str
    # The names of the platforms whose typical figure the piece was compared with ("Google
    # Ads"); empty: the node's own typical figure.
    compared_with: tuple[str, ...] = ()


def _count(figure: str, value: float) -> str:
    """A count with its word in the number's grammar: "1 conversion", "1 conversión", "20k
    impressions" (figures' own helpers where they print compactly)."""
    if figure == "impressions":
        return figures.count_of_impressions(value, compact=True)
    if figure == "clicks":
        return figures.count_of_clicks(value, compact=True)
    if figure == "conversions":
        return figures.count_of_conversions(value, compact=True)
    # Fractions (a platform's attributed share) are plural in both languages: "1,5 leads".
    n = int(value) if value == int(value) else 2
    if figure == "leads":
        words = ngettext("%(n)s lead", "%(n)s leads", n)
    elif figure == "link_clicks":
        words = ngettext("%(n)s link click", "%(n)s link clicks", n)
    elif figure == "video_views":
        # Shorter than the pages' "reproducciones de video": the reason names the rate before.
        words = npgettext("a ranking reason's volume", "%(n)s video view", "%(n)s video views", n)
    elif figure == "engagements":
        words = ngettext("%(n)s engagement", "%(n)s engagements", n)
    else:
        return f"{figures.compact(value)} {figure_word(figure)}"
    return words % {"n": figures.compact(value)}


def _amount(figure: str, value: float, currency: str) -> str:
    """A volume with its word: "20k impressions", "1 conversion", "COP 4.7M spend"."""
    if figure in ("spend", "conversion_value"):
        # An amount, not a count: "COP 12,0 M de inversión" / "COP 12.0M spend".
        words = gettext("{amount} spend") if figure == "spend" else gettext("{amount} in sales")
        return words.format(amount=figures.compact_money(value, currency))
    return _count(figure, value)


def _made_of(metric: str, piece: PieceFigures, currency: str) -> str:
    """What the observed figure is the ratio of: "COP 4.7M spend / 450 conversions"."""
    top, bottom, _scale = ratio_terms(metric)
    return (
        f"{_amount(top, piece.value(top), currency)} / "
        f"{_amount(bottom, piece.value(bottom), currency)}"
    )


def _joined(names: tuple[str, ...]) -> str:
    if len(names) == 1:
        return names[0]
    return gettext("{first} and {last}").format(first=", ".join(names[:-1]), last=names[-1])


def _owner(name: str) -> str:
    """Whose typical figure: English's "Meta’s", "Google Ads’"; Spanish's "Meta".

    A typographic apostrophe: pages print it as it is, where "'" becomes "&#x27;".
    """
    if name.endswith("s"):
        return pgettext("whose typical figure, a name ending in s", "{name}’").format(name=name)
    return pgettext("whose typical figure", "{name}’s").format(name=name)


def _difference(metric: str, shown: float, typical: float) -> str:
    """How far the shown figure is from the typical one, in the metric's good direction."""
    spec = METRICS[metric]
    change = shown / typical - 1
    percent = round(abs(change) * 100)
    if percent == 0:
        return gettext("the same")
    text = f"{figures.number(percent)} %"
    if spec.higher_is_better:
        words = gettext("{percent} higher") if change > 0 else gettext("{percent} lower")
    else:
        words = gettext("{percent} cheaper") if change < 0 else gettext("{percent} more expensive")
    return words.format(percent=text)


def comparison(metric: str, shown: float, typical: float, ctx: ReasonContext) -> str:
    """ "COP 34,704 vs Google Ads’ typical COP 52,000 in Wompi: 33 % cheaper"."""
    values = {
        "value": figures.metric(metric, shown, ctx.currency),
        "typical": figures.metric(metric, typical, ctx.currency),
        "node": ctx.node_name,
        "difference": _difference(metric, shown, typical),
    }
    if ctx.compared_with:
        return gettext("{value} vs {owner} typical {typical} in {node}: {difference}").format(
            owner=_owner(_joined(ctx.compared_with)), **values
        )
    return gettext("{value} vs {owner} typical {typical}: {difference}").format(
        owner=_owner(ctx.node_name), **values
    )


def _cautious(metric: str, estimate: Estimate, currency: str) -> str:
    """ "at least 2.3 % with 80 % certainty" / "at most COP 11,300 with 80 % certainty": the
    figure the order reads (the estimate's `cautious`)."""
    values = {
        "value": figures.metric(metric, estimate.cautious, currency),
        "certainty": f"{figures.number(round(estimate.certainty * 100))} %",
    }
    if METRICS[metric].higher_is_better:
        return gettext("at least {value} with {certainty} certainty").format(**values)
    return gettext("at most {value} with {certainty} certainty").format(**values)


def reason(metric: str, estimate: Estimate, piece: PieceFigures, ctx: ReasonContext) -> str:
    """Return the reason sentence in the active language."""
    spec = METRICS[metric]
    observed = estimate.observed
    if observed is not None:
        shown = observed
        own = gettext("{metric} {observed} ({made_of})").format(
            metric=spec.label,
            observed=figures.metric(metric, observed, ctx.currency),
            made_of=_made_of(metric, piece, ctx.currency),
        )
    else:
        # A cost with no events yet has no figure of its own: compare the estimate.
        shown = estimate.point
        _top, bottom, _scale = ratio_terms(metric)
        own = gettext("{metric}: no {figure} yet ({amount})").format(
            metric=spec.label,
            figure=figure_word(bottom),
            amount=_amount(spec.denominator, piece.value(spec.denominator), ctx.currency),
        )
    days = ngettext("over {days} day", "over {days} days", piece.days).format(days=piece.days)
    shrunk = gettext("estimate {point} ({interval})").format(
        point=figures.metric(metric, estimate.point, ctx.currency),
        interval=figures.interval(metric, estimate.lower, estimate.upper, ctx.currency),
    )
    if estimate.cautious is not None and estimate.certainty is not None:
        shrunk = f"{shrunk}, {_cautious(metric, estimate, ctx.currency)}"
    parts = [f"{own} {days}", shrunk]
    if estimate.typical:
        parts.append(comparison(metric, shown, estimate.typical, ctx))
    parts.append(
        gettext("{position} of {ranked} {node} {objective} pieces").format(
            position=figures.ordinal(ctx.position),
            ranked=ctx.ranked,
            node=ctx.node_name,
            objective=OBJECTIVE_WORDS.get(ctx.objective, ctx.objective),
        )
    )
    return "; ".join(parts)
