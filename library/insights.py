"""Reads for the insights page: a node × objective's pieces under its rule, and what they share.

Everything here starts from `full_ranking`: the same pieces, window, gates and order as a brief's
ranking (campaigns.ranking), but every piece that passes the gates is kept, in order, without
the diversity filter that thins a brief's references. The creative page reads it too.

The attribute figures are associations between what the describe model saw and how pieces did,
not effects: pieces with people may also have run in better months or on better audiences.
They are computed as a pooled ratio of sums (Σ clicks / Σ impressions for CTR), so large pieces
weigh as much as their evidence, with a delta-method interval that treats pieces, not
impressions, as the sampling unit (impressions of one piece are not independent draws).
"""

from __future__ import annotations

import datetime as dt
import math
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field

import numpy as np
from django.conf import settings
from django.db.models import Sum
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from campaigns.models import ImageWeeklyRollup, Node, Objective, RankingRule
from campaigns.ranking.metrics import METRICS, MetricSpec, Model
from campaigns.ranking.reasons import compact, format_interval, format_metric
from campaigns.ranking.scoring import PieceFigures, rank_pieces
from campaigns.ranking.selectors import (
    NoRuleError,
    node_objective_pairs,
    ranking_rule_for,
    rule_pieces,
    rule_spec,
)
from creatives.models import CreativeImage, ImageDescription
from generation.briefs.selectors import page_language

# A piece is in the top (bottom) tier when it ranks in the best (worst) fifth of the pieces that
# pass the rule's gates; the library uses the same cut.
TIER_SHARE = 0.2
# An attribute value needs this many pieces before its figure is shown: fewer pieces make an
# interval so wide (or a ratio so lucky) that it would only mislead.
MIN_PIECES = 10
# Two-sided 95 %: the normal quantile used by the Wilson and delta-method intervals.
Z95 = 1.959963984540054
TOP_PIECES = 6
MAX_BINS = 20


# --- the full ranking -----------------------------------------------------------------------


@dataclass(frozen=True)
class RankedPiece:
    """One piece that passed the gates, at its place in the rule's order (1 = best)."""

    image_id: int  # the image the piece is shown as
    member_image_ids: tuple[int, ...]  # its near-copies folded in, itself included
    position: int
    estimate: float
    lower: float
    upper: float
    observed: float | None  # the piece's own raw figure (None: a cost with no events yet)
    figures: PieceFigures


@dataclass(frozen=True)
class FullRanking:
    node: Node
    objective: str
    rule: RankingRule
    window_start: dt.date
    window_end: dt.date
    considered: int
    pieces: list[RankedPiece]  # every piece that passed the gates, best first
    considered_image_ids: frozenset[int]
    # Read from the prebuilt window totals, which keep each piece under its first image only
    # (its near-copies are not among the members); else from the weekly rollup, folded here.
    from_window_totals: bool = False

    @property
    def spec(self) -> MetricSpec:
        return METRICS[self.rule.metric]

    @property
    def passed(self) -> int:
        return len(self.pieces)

    def tier(self, position: int) -> str:
        return tier_of(position, self.passed)

    def find(self, image: CreativeImage) -> RankedPiece | None:
        """The piece this image counts in: itself, or the near-copy group it was folded into."""
        wanted = {image.pk, image.near_duplicate_of_id} - {None}
        for piece in self.pieces:
            if wanted & {piece.image_id, *piece.member_image_ids}:
                return piece
        return None

    def counts(self, image: CreativeImage) -> bool:
        """Whether the image had results in the rule's window (passing the gates or not)."""
        return bool({image.pk, image.near_duplicate_of_id} & self.considered_image_ids)


def tier_of(position: int, passed: int) -> str:
    """Return "top", "middle" or "bottom": the best and worst fifths, at least one piece each.

    The library's tier filter (library.selectors) uses this function, so a piece shows
    the same tier on both pages.
    """
    band = max(1, round(passed * TIER_SHARE))
    if position <= band:
        return "top"
    if position > passed - band:
        return "bottom"
    return "middle"


def full_ranking(
    *, node: Node, objective: str, rule: RankingRule | None = None, as_of: dt.date | None = None
) -> FullRanking:
    """Rank every piece of the node and objective under its rule (raises NoRuleError).

    Reads the same tables as `brief_ranking` (the prebuilt window totals when they hold the
    rule's window, else the weekly rollup), so positions here match a brief's reasons.
    """
    rule = rule or ranking_rule_for(node=node, objective=objective)
    window_end = as_of or timezone.localdate()
    window_start = window_end - dt.timedelta(days=rule.window_days - 1)
    pieces_in, from_window_totals = rule_pieces(
        rule=rule, node=node, objective=objective, as_of=window_end
    )
    if from_window_totals:
        considered_ids = frozenset(int(i) for i in pieces_in.image_ids)
    else:
        considered_ids = frozenset(p.image_id for p in pieces_in)
    count = len(pieces_in)
    # Every piece, and no diversity filter (a distance of -1 never matches): the insights
    # need the whole order, not a visibly varied handful.
    result = rank_pieces(
        pieces_in,
        rule_spec(rule, top_n=max(count, 1)),
        fold=not from_window_totals,
        diverse_distance=-1,
    )
    pieces = [
        RankedPiece(
            image_id=ref.piece.image_id,
            member_image_ids=ref.piece.members,
            position=ref.position,
            estimate=ref.estimate.point,
            lower=ref.estimate.lower,
            upper=ref.estimate.upper,
            observed=ref.estimate.observed,
            figures=ref.piece,
        )
        for ref in result.references
    ]
    return FullRanking(
        node=node,
        objective=objective,
        rule=rule,
        window_start=window_start,
        window_end=window_end,
        considered=result.considered,
        pieces=pieces,
        considered_image_ids=considered_ids,
        from_window_totals=from_window_totals,
    )


# --- pooled figures ---------------------------------------------------------------------------


def ratio_parts(spec: MetricSpec, figures: PieceFigures) -> tuple[float, float]:
    """The (top, bottom) of the metric as a ratio of sums: CTR = clicks / impressions,
    CPM = 1000 × spend / impressions, ROAS = value / spend."""
    if spec.model is Model.COST:
        return spec.scale * figures.spend, figures.value(spec.numerator)
    return figures.value(spec.numerator), figures.value(spec.denominator)


def pooled(rows: Iterable[tuple[float, float]]) -> float | None:
    """Σ top / Σ bottom: the metric of a group of pieces taken as one."""
    top = bottom = 0.0
    for a, b in rows:
        top += a
        bottom += b
    return top / bottom if bottom > 0 else None


def wilson_interval(successes: float, trials: float, z: float = Z95) -> tuple[float, float] | None:
    """The Wilson score interval of a proportion: honest at 0 clicks and on small days."""
    if trials <= 0:
        return None
    p = min(successes, trials) / trials
    z2 = z * z
    denominator = 1 + z2 / trials
    centre = (p + z2 / (2 * trials)) / denominator
    half = z / denominator * math.sqrt(p * (1 - p) / trials + z2 / (4 * trials * trials))
    # At p = 0 or 1 one bound is exactly 0 or 1; rounding would leave 1e-17 or 0.9999999999999999.
    low = 0.0 if p == 0 else max(0.0, centre - half)
    high = 1.0 if p == 1 else min(1.0, centre + half)
    return low, high


@dataclass(frozen=True)
class Lift:
    """How a group of pieces compares with the whole population, as a pooled ratio."""

    n: int
    value: float | None  # group metric / population metric − 1; None: not enough data
    low: float | None
    high: float | None
    group_metric: float | None


def pooled_lift(
    tops: np.ndarray, bottoms: np.ndarray, mask: np.ndarray, *, min_pieces: int = MIN_PIECES
) -> Lift:
    """The group's pooled ratio over the population's, minus one, with a 95 % interval.

    Delta method on log(ratio), pieces as the sampling unit: each piece's influence is
    mask·(a/ΣA_g − b/ΣB_g) − (a/ΣA − b/ΣB); these sum to zero, so their variance across the
    n pieces is n/(n−1)·Σz². The interval is symmetric on the log scale, never below −100 %.
    """
    n_group = int(mask.sum())
    n = len(tops)
    top_g, bottom_g = float(tops[mask].sum()), float(bottoms[mask].sum())
    top_all, bottom_all = float(tops.sum()), float(bottoms.sum())
    group_metric = top_g / bottom_g if bottom_g > 0 else None
    if n_group < min_pieces or n < 2 or min(top_g, bottom_g, top_all, bottom_all) <= 0:
        return Lift(n=n_group, value=None, low=None, high=None, group_metric=group_metric)
    ratio = (top_g / bottom_g) / (top_all / bottom_all)
    influence = mask * (tops / top_g - bottoms / bottom_g) - (tops / top_all - bottoms / bottom_all)
    se = math.sqrt(n / (n - 1) * float(np.sum(influence**2)))
    log_ratio = math.log(ratio)
    return Lift(
        n=n_group,
        value=ratio - 1,
        low=math.exp(log_ratio - Z95 * se) - 1,
        high=math.exp(log_ratio + Z95 * se) - 1,
        group_metric=group_metric,
    )


# --- attributes -----------------------------------------------------------------------------

ATTRIBUTE_LABELS = {
    "palette": gettext_lazy("Main colour"),
    "temperature": gettext_lazy("Colour temperature"),
    "people": gettext_lazy("People"),
    "text_overlay": gettext_lazy("Text on the image"),
    "orientation": gettext_lazy("Orientation"),
    "style": gettext_lazy("Style"),
    "lighting": gettext_lazy("Lighting"),
}
VALUE_LABELS = {
    "red": gettext_lazy("red"),
    "orange": gettext_lazy("orange"),
    "yellow": gettext_lazy("yellow"),
    "green": gettext_lazy("green"),
    "teal": gettext_lazy("teal"),
    "blue": gettext_lazy("blue"),
    "purple": gettext_lazy("purple"),
    "pink": gettext_lazy("pink"),
    "brown": gettext_lazy("brown"),
    "beige": gettext_lazy("beige"),
    "white": gettext_lazy("white"),
    "grey": gettext_lazy("grey"),
    "black": gettext_lazy("black"),
    "warm": gettext_lazy("warm"),
    "cool": gettext_lazy("cool"),
    "neutral": gettext_lazy("neutral"),
    "with": gettext_lazy("shown"),
    "without": gettext_lazy("none"),
    "none": gettext_lazy("none"),
    "little": gettext_lazy("a little"),
    "heavy": gettext_lazy("a lot"),
    "square": gettext_lazy("square"),
    "landscape": gettext_lazy("landscape"),
    "portrait": gettext_lazy("portrait"),
    "flat graphic": gettext_lazy("flat graphic"),
    "photograph": gettext_lazy("photograph"),
    "dark": gettext_lazy("dark"),
    "dim": gettext_lazy("dim"),
    "medium": gettext_lazy("medium"),
    "bright": gettext_lazy("bright"),
}


def attribute_values(attributes: dict) -> dict[str, str]:
    """The attribute values the insights compare, from one description's attributes."""
    found: dict[str, str] = {}
    palette = attributes.get("palette")
    if isinstance(palette, list) and palette and isinstance(palette[0], str):
        found["palette"] = palette[0]
    people = attributes.get("people")
    if isinstance(people, dict) and isinstance(people.get("count"), int):
        found["people"] = "with" if people["count"] > 0 else "without"
    for key in ("temperature", "text_overlay", "orientation", "style", "lighting"):
        value = attributes.get(key)
        if isinstance(value, str) and value:
            found[key] = value
    return found


def piece_attributes(image_ids: Iterable[int]) -> dict[int, dict[str, str]]:
    """Each image's compared attributes, from the configured describe backend where it wrote
    one, else the newest description of any backend. Reads only the attributes column."""
    preferred = settings.YENNI_MODELS["describe"]["backend"]
    chosen: dict[int, tuple[bool, dict]] = {}
    rows = (
        ImageDescription.objects.filter(image_id__in=list(image_ids))
        .order_by("-created_at", "-id")
        .values_list("image_id", "backend", "attributes")
    )
    for image_id, backend, attributes in rows:
        is_preferred = backend == preferred
        current = chosen.get(image_id)
        if current is None or (is_preferred and not current[0]):
            chosen[image_id] = (is_preferred, attributes or {})
    return {image_id: attribute_values(attrs) for image_id, (_p, attrs) in chosen.items()}


@dataclass(frozen=True)
class AttributeRow:
    attribute: str
    value: str
    label: str  # "Main colour: blue"
    lift: Lift
    text: str  # "+18 % CTR vs the node's average (n = 42, 95 % interval +9 % … +27 %)"
    verdict: str  # "better", "worse", "unclear" or "thin"

    @property
    def enough(self) -> bool:
        return self.lift.value is not None


def percent_change(value: float) -> str:
    """ "+18 %", "−7 %": whole percents with a real minus sign (the same in both languages)."""
    rounded = round(value * 100)
    # A bound just below zero reads "−0 %", so it never seems to contradict its verdict.
    return f"{'−' if value < 0 else '+'}{abs(rounded)} %"


def lift_text(lift: Lift, metric_label: str) -> str:
    if lift.value is None:
        return _("not enough data (n = {n}; at least {minimum} pieces needed)").format(
            n=lift.n, minimum=MIN_PIECES
        )
    return _(
        "{lift} {metric} vs the node's average (n = {n}, 95 % interval {low} … {high})"
    ).format(
        lift=percent_change(lift.value),
        metric=metric_label,
        n=lift.n,
        low=percent_change(lift.low),
        high=percent_change(lift.high),
    )


def _verdict(lift: Lift, lower_is_better: bool) -> str:
    if lift.value is None:
        return "thin"
    if lift.low <= 0 <= lift.high:
        return "unclear"
    above = lift.low > 0
    return "worse" if above == lower_is_better else "better"


def attribute_rows(
    ranking: FullRanking, attributes: dict[int, dict[str, str]], lang: str
) -> tuple[list[AttributeRow], int]:
    """Every attribute value's lift over the described pieces; and how many had no description.

    Rows with enough data come first, largest effect first; then the thin ones.
    """
    spec = ranking.spec
    described = [p for p in ranking.pieces if p.image_id in attributes]
    undescribed = ranking.passed - len(described)
    if not described:
        return [], undescribed
    parts = np.array([ratio_parts(spec, p.figures) for p in described], dtype=float)
    tops, bottoms = parts[:, 0], parts[:, 1]
    groups: dict[tuple[str, str], list[int]] = defaultdict(list)
    for i, piece in enumerate(described):
        for attribute, value in attributes[piece.image_id].items():
            groups[(attribute, value)].append(i)
    label = spec.label_en if lang == "en" else spec.label_es
    rows = []
    for (attribute, value), members in groups.items():
        mask = np.zeros(len(described), dtype=bool)
        mask[members] = True
        lift = pooled_lift(tops, bottoms, mask)
        rows.append(
            AttributeRow(
                attribute=attribute,
                value=value,
                label=f"{ATTRIBUTE_LABELS[attribute]}: {VALUE_LABELS.get(value, value)}",
                lift=lift,
                text=lift_text(lift, label),
                verdict=_verdict(lift, ranking.rule.lower_is_better),
            )
        )
    rows.sort(
        key=lambda r: (
            not r.enough,
            -abs(r.lift.value) if r.enough else -r.lift.n,
            r.attribute,
            r.value,
        )
    )
    return rows, undescribed


# --- distribution and months ------------------------------------------------------------------


@dataclass(frozen=True)
class Histogram:
    labels: list[str]
    counts: list[int]
    left_out: int  # pieces with no figure (a cost with no events)
    capped: bool  # the last bin also holds the few values above the 98th percentile


def histogram(ranking: FullRanking, lang: str, currency: str) -> Histogram:
    """The observed metric of every piece that passed the gates, in equal-width bins."""
    metric = ranking.rule.metric
    values = np.array([p.observed for p in ranking.pieces if p.observed is not None], dtype=float)
    values = values[np.isfinite(values)]
    left_out = ranking.passed - len(values)
    if len(values) == 0:
        return Histogram(labels=[], counts=[], left_out=left_out, capped=False)
    low = float(values.min())
    # One outlier should not squash every other piece into the first bar.
    high = float(np.quantile(values, 0.98)) if len(values) >= 50 else float(values.max())
    capped = bool((values > high).any())
    if high <= low:
        return Histogram(
            labels=[format_metric(metric, low, lang, currency)],
            counts=[len(values)],
            left_out=left_out,
            capped=False,
        )
    bins = int(min(MAX_BINS, max(5, round(math.sqrt(len(values))))))
    edges = np.linspace(low, high, bins + 1)
    counts, _edges = np.histogram(np.clip(values, low, high), bins=edges)
    labels = [
        format_interval(metric, float(edges[i]), float(edges[i + 1]), lang, currency)
        for i in range(bins)
    ]
    if capped:
        labels[-1] = f"≥ {format_metric(metric, float(edges[-2]), lang, currency)}"
    return Histogram(
        labels=labels, counts=[int(c) for c in counts], left_out=left_out, capped=capped
    )


# The rollup columns each ratio part reads, per figure name of PieceFigures.
ROLLUP_COLUMNS = {
    "impressions": "impressions",
    "clicks": "clicks",
    "link_clicks": "link_clicks",
    "spend": "spend_reporting_micros",
    "conversions": "conversions",
    "conversion_value": "conversion_value_reporting_micros",
    "leads": "leads",
    "video_views": "video_views",
    "engagements": "engagements",
}
MONEY = {"spend", "conversion_value"}


@dataclass(frozen=True)
class MonthPoint:
    month: dt.date
    value: float | None
    volume: float  # the ratio's bottom: impressions for CTR, leads for cost per lead
    text: str = ""  # the value as the page prints it


def monthly_trend(ranking: FullRanking, lang: str = "en") -> list[MonthPoint]:
    """The node's pooled metric per month over its whole history (the rule's platforms).

    From the weekly rollup: a week counts in the month of its Monday, so a month's first days
    can sit in the month before. One grouped query, a few dozen rows.
    """
    spec = ranking.spec
    if spec.model is Model.COST:
        top_name, bottom_name, scale = "spend", spec.numerator, spec.scale
    else:
        top_name, bottom_name, scale = spec.numerator, spec.denominator, 1.0
    rows = ImageWeeklyRollup.objects.filter(node=ranking.node, objective=ranking.objective)
    if ranking.rule.platforms:
        rows = rows.filter(platform__in=ranking.rule.platforms)
    weekly = (
        rows.values("week")
        .annotate(top=Sum(ROLLUP_COLUMNS[top_name]), bottom=Sum(ROLLUP_COLUMNS[bottom_name]))
        .order_by("week")
    )
    months: dict[dt.date, list[float]] = {}
    for row in weekly:
        top, bottom = float(row["top"] or 0), float(row["bottom"] or 0)
        if top_name in MONEY:
            top /= 1_000_000
        if bottom_name in MONEY:
            bottom /= 1_000_000
        month = row["week"].replace(day=1)
        sums = months.setdefault(month, [0.0, 0.0])
        sums[0] += top * scale
        sums[1] += bottom
    metric, currency = ranking.rule.metric, settings.YENNI_REPORTING_CURRENCY
    points = []
    for month, (top, bottom) in sorted(months.items()):
        value = top / bottom if bottom > 0 else None
        text = "—" if value is None else format_metric(metric, value, lang, currency)
        points.append(MonthPoint(month=month, value=value, volume=bottom, text=text))
    return points


# --- the page -------------------------------------------------------------------------------


@dataclass(frozen=True)
class PieceCard:
    image: CreativeImage
    position: int
    estimate: str
    interval: str
    observed: str
    volume: str
    tier: str


@dataclass(frozen=True)
class InsightsPage:
    pairs: list[tuple[Node, str]]
    node: Node | None
    objective: str
    objective_label: str
    ranking: FullRanking | None
    no_rule: str = ""
    metric_label: str = ""
    average: str = ""
    top: list[PieceCard] = field(default_factory=list)
    bottom: list[PieceCard] = field(default_factory=list)
    attributes: list[AttributeRow] = field(default_factory=list)
    undescribed: int = 0
    histogram: Histogram | None = None
    months: list[MonthPoint] = field(default_factory=list)
    chart_data: dict = field(default_factory=dict)

    @property
    def strong_attributes(self) -> list[AttributeRow]:
        return [row for row in self.attributes if row.enough]

    @property
    def thin_attributes(self) -> list[AttributeRow]:
        return [row for row in self.attributes if not row.enough]

    @property
    def histogram_rows(self) -> list[tuple[str, int]]:
        if self.histogram is None:
            return []
        return list(zip(self.histogram.labels, self.histogram.counts, strict=True))


def _volume_text(spec: MetricSpec, piece: PieceFigures, lang: str, currency: str) -> str:
    if spec.model is Model.SHARE:
        name = spec.denominator
    elif spec.model is Model.YIELD:
        return f"{currency} {compact(piece.spend, lang)}"
    else:
        name = spec.numerator
    return f"{compact(piece.value(name), lang)} {_figure_label(name)}"


def _figure_label(name: str) -> str:
    return str(
        {
            "impressions": gettext_lazy("impressions"),
            "clicks": gettext_lazy("clicks"),
            "link_clicks": gettext_lazy("link clicks"),
            "leads": gettext_lazy("leads"),
            "conversions": gettext_lazy("conversions"),
            "video_views": gettext_lazy("video views"),
            "engagements": gettext_lazy("engagements"),
        }.get(name, name)
    )


def _cards(
    ranking: FullRanking, pieces: list[RankedPiece], images: dict[int, CreativeImage], lang: str
) -> list[PieceCard]:
    currency = settings.YENNI_REPORTING_CURRENCY
    metric = ranking.rule.metric
    return [
        PieceCard(
            image=images[p.image_id],
            position=p.position,
            estimate=format_metric(metric, p.estimate, lang, currency),
            interval=format_interval(metric, p.lower, p.upper, lang, currency),
            observed=(
                format_metric(metric, p.observed, lang, currency)
                if p.observed is not None and math.isfinite(p.observed)
                else "—"
            ),
            volume=_volume_text(ranking.spec, p.figures, lang, currency),
            tier=ranking.tier(p.position),
        )
        for p in pieces
        if p.image_id in images
    ]


def resolve_pair(
    node_value: str | None, objective: str | None, pairs: list[tuple[Node, str]]
) -> tuple[Node | None, str]:
    """The node (by slug or id) and objective asked for, else the first pair with campaigns.

    An unknown node falls back to the first pair and an unknown objective to the node's first
    one, rather than failing: the page is for browsing.
    """
    nodes = {}
    for node, pair_objective in pairs:
        nodes.setdefault(node.slug, (node, pair_objective))
        nodes.setdefault(str(node.pk), (node, pair_objective))
    if node_value in nodes:
        node, first_objective = nodes[node_value]
        return node, objective if objective in Objective.values else first_objective
    if pairs:
        return pairs[0]
    return None, ""


def insights_page(
    *, node_value: str | None, objective: str | None, as_of: dt.date | None = None
) -> InsightsPage:
    """Everything the insights page shows for one node × objective, in a bounded number of
    queries (about ten whatever the number of pieces)."""
    lang = page_language()
    currency = settings.YENNI_REPORTING_CURRENCY
    pairs = node_objective_pairs()
    node, objective = resolve_pair(node_value, objective, pairs)
    objective_label = str(Objective(objective).label) if objective in Objective.values else ""
    if node is None:
        return InsightsPage(pairs=pairs, node=None, objective="", objective_label="", ranking=None)
    try:
        ranking = full_ranking(node=node, objective=objective, as_of=as_of)
    except NoRuleError:
        return InsightsPage(
            pairs=pairs,
            node=node,
            objective=objective,
            objective_label=objective_label,
            ranking=None,
            no_rule=_(
                "No active ranking rule covers this node and objective. A marketing lead can "
                "add one in the administration (Ranking rules)."
            ),
        )
    spec = ranking.spec
    metric_label = spec.label_en if lang == "en" else spec.label_es
    top_pieces = ranking.pieces[:TOP_PIECES]
    bottom_count = min(TOP_PIECES, max(ranking.passed - TOP_PIECES, 0))
    bottom_pieces = list(reversed(ranking.pieces[ranking.passed - bottom_count :]))
    images = CreativeImage.objects.in_bulk([p.image_id for p in top_pieces + bottom_pieces])
    attributes = piece_attributes(p.image_id for p in ranking.pieces)
    rows, undescribed = attribute_rows(ranking, attributes, lang)
    average = pooled(ratio_parts(spec, p.figures) for p in ranking.pieces)
    hist = histogram(ranking, lang, currency)
    months = monthly_trend(ranking, lang)
    percent = spec.unit == "percent"
    chart_data = {
        "metric": metric_label,
        "unit": "percent" if percent else ("ratio" if spec.unit == "ratio" else currency),
        "histogram": {
            "labels": hist.labels,
            "counts": hist.counts,
            "label": _("Pieces"),
            "x_title": metric_label,
        },
        "monthly": {
            "labels": [m.month.strftime("%Y-%m") for m in months],
            "values": [
                None if m.value is None else round(m.value * (100 if percent else 1), 6)
                for m in months
            ],
            "label": metric_label,
        },
    }
    return InsightsPage(
        pairs=pairs,
        node=node,
        objective=objective,
        objective_label=objective_label,
        ranking=ranking,
        metric_label=metric_label,
        average=format_metric(ranking.rule.metric, average, lang, currency)
        if average is not None
        else "—",
        top=_cards(ranking, top_pieces, images, lang),
        bottom=_cards(ranking, bottom_pieces, images, lang),
        attributes=rows,
        undescribed=undescribed,
        histogram=hist,
        months=months,
        chart_data=chart_data,
    )
