"""Reads for the insights page: a node × objective's pieces under its rule, and what they share.

Everything here starts from the full ranking (campaigns.ranking.full): the same pieces, window,
gates and order as a brief's ranking, but every piece that passes the gates is kept, in order,
without the diversity filter that thins a brief's references. The page shows the best and worst
pieces, the spread of the metric, its months, and the attribute rows of library.attributes.
"""

from __future__ import annotations

import datetime as dt
import math
from dataclasses import dataclass, field

import numpy as np
from django.conf import settings
from django.db.models import Sum
from django.utils import formats
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from campaigns import figures
from campaigns.models import ImageWeeklyRollup, Node, Objective
from campaigns.ranking.full import FullRanking, RankedPiece, full_ranking
from campaigns.ranking.metrics import (
    FIGURE_COLUMNS,
    MetricSpec,
    Model,
    in_currency,
    pooled,
    ratio_parts,
    ratio_terms,
)
from campaigns.ranking.pieces import PieceFigures
from campaigns.ranking.selectors import NoRuleError, node_objective_pairs
from creatives.models import CreativeImage
from library.attributes import AttributeRow, attribute_rows, piece_attributes

TOP_PIECES = 6
MAX_BINS = 20


# --- distribution and months ------------------------------------------------------------------


@dataclass(frozen=True)
class Histogram:
    labels: list[str]
    counts: list[int]
    left_out: int  # pieces with no figure (a cost with no events)
    capped: bool  # the last bin also holds the few values above the 98th percentile


def histogram(ranking: FullRanking) -> Histogram:
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
            labels=[figures.metric(metric, low)],
            counts=[len(values)],
            left_out=left_out,
            capped=False,
        )
    bins = int(min(MAX_BINS, max(5, round(math.sqrt(len(values))))))
    edges = np.linspace(low, high, bins + 1)
    counts, _edges = np.histogram(np.clip(values, low, high), bins=edges)
    labels = [figures.interval(metric, float(edges[i]), float(edges[i + 1])) for i in range(bins)]
    if capped:
        labels[-1] = f"≥ {figures.metric(metric, float(edges[-2]))}"
    return Histogram(
        labels=labels, counts=[int(c) for c in counts], left_out=left_out, capped=capped
    )


@dataclass(frozen=True)
class MonthPoint:
    month: dt.date
    value: float | None
    volume: float  # the ratio's bottom: impressions for CTR, leads for cost per lead
    text: str = ""  # the value as the page prints it


def monthly_trend(ranking: FullRanking) -> list[MonthPoint]:
    """The node's pooled metric per month over its whole history (the rule's platforms).

    From the weekly rollup: a week counts in the month of its Monday, so a month's first days
    can sit in the month before. One grouped query, a few dozen rows.
    """
    top_name, bottom_name, scale = ratio_terms(ranking.rule.metric)
    rows = ImageWeeklyRollup.objects.filter(node=ranking.node, objective=ranking.objective)
    if ranking.rule.platforms:
        rows = rows.filter(platform__in=ranking.rule.platforms)
    weekly = (
        rows.values("week")
        .annotate(top=Sum(FIGURE_COLUMNS[top_name]), bottom=Sum(FIGURE_COLUMNS[bottom_name]))
        .order_by("week")
    )
    months: dict[dt.date, list[float]] = {}
    for row in weekly:
        top = in_currency(top_name, float(row["top"] or 0))
        bottom = in_currency(bottom_name, float(row["bottom"] or 0))
        month = row["week"].replace(day=1)
        sums = months.setdefault(month, [0.0, 0.0])
        sums[0] += top * scale
        sums[1] += bottom
    metric = ranking.rule.metric
    points = []
    for month, (top, bottom) in sorted(months.items()):
        value = top / bottom if bottom > 0 else None
        text = "—" if value is None else figures.metric(metric, value)
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


def _volume_text(spec: MetricSpec, piece: PieceFigures) -> str:
    if spec.model is Model.SHARE:
        name = spec.denominator
    elif spec.model is Model.YIELD:
        return figures.compact_money(piece.spend)
    else:
        name = spec.numerator
    return f"{figures.compact(piece.value(name))} {_figure_label(name)}"


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
    ranking: FullRanking, pieces: list[RankedPiece], images: dict[int, CreativeImage]
) -> list[PieceCard]:
    metric = ranking.rule.metric
    return [
        PieceCard(
            image=images[p.image_id],
            position=p.position,
            estimate=figures.metric(metric, p.estimate),
            interval=figures.interval(metric, p.lower, p.upper),
            observed=(
                figures.metric(metric, p.observed)
                if p.observed is not None and math.isfinite(p.observed)
                else "—"
            ),
            volume=_volume_text(ranking.spec, p.figures),
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
    metric_label = str(spec.label)
    top_pieces = ranking.pieces[:TOP_PIECES]
    bottom_count = min(TOP_PIECES, max(ranking.passed - TOP_PIECES, 0))
    bottom_pieces = list(reversed(ranking.pieces[ranking.passed - bottom_count :]))
    images = CreativeImage.objects.in_bulk([p.image_id for p in top_pieces + bottom_pieces])
    attributes = piece_attributes(p.image_id for p in ranking.pieces)
    rows, undescribed = attribute_rows(ranking, attributes)
    average = pooled(ratio_parts(spec.key, p.figures) for p in ranking.pieces)
    hist = histogram(ranking)
    months = monthly_trend(ranking)
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
            # As the page writes a month ("jun 2025" in Spanish): the chart's x axis shows them.
            "labels": [formats.date_format(m.month, "YEAR_MONTH_FORMAT") for m in months],
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
        average=figures.metric(ranking.rule.metric, average) if average is not None else "—",
        top=_cards(ranking, top_pieces, images),
        bottom=_cards(ranking, bottom_pieces, images),
        attributes=rows,
        undescribed=undescribed,
        histogram=hist,
        months=months,
        chart_data=chart_data,
    )
