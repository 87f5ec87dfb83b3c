"""The success metrics a ranking rule can name, and the count model behind each.

Every metric is estimated through the rate it comes from, so one piece of shrinkage code serves
them all:
- a *share* (CTR, conversion rate, …) is successes out of trials: beta-binomial;
- a *cost* (CPC, CPM, cost per lead, …) is spend per event: the events-per-spend rate is
  gamma-Poisson and the cost is its inverse;
- ROAS is conversion value per spend: value is counted in units of the group's average order
  value, so it becomes an events-per-spend rate too.

The plain arithmetic of figures lives here too, for every page and reader: which rollup column
holds each figure, money from micros to the reporting currency, and a metric as a ratio of sums
(Σ clicks / Σ impressions for a CTR; 1000 × Σ spend / Σ impressions for a CPM).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from enum import StrEnum
from typing import Protocol

import numpy as np
from django.utils.translation import gettext_lazy as _


class Model(StrEnum):
    SHARE = "share"
    COST = "cost"
    YIELD = "yield"  # value per spend (ROAS): higher is better, gamma-Poisson in value units


@dataclass(frozen=True)
class MetricSpec:
    key: str
    model: Model
    # For SHARE: successes / trials. For COST and YIELD: events / spend.
    numerator: str
    denominator: str
    higher_is_better: bool
    label: str  # translated lazily: the page's language, or the one a caller overrides to
    # How a value prints: "percent" (×100, %), "money" (reporting currency), "ratio" (×).
    unit: str
    # Costs per `scale` events: CPM is the cost of 1,000 impressions.
    scale: float = 1.0


METRICS: dict[str, MetricSpec] = {
    spec.key: spec
    for spec in [
        MetricSpec("ctr", Model.SHARE, "clicks", "impressions", True, _("CTR"), "percent"),
        MetricSpec(
            "link_ctr",
            Model.SHARE,
            "link_clicks",
            "impressions",
            True,
            _("link CTR"),
            "percent",
        ),
        MetricSpec(
            "conversion_rate",
            Model.SHARE,
            "conversions",
            "clicks",
            True,
            _("conversion rate"),
            "percent",
        ),
        MetricSpec(
            "video_view_rate",
            Model.SHARE,
            "video_views",
            "impressions",
            True,
            _("video view rate"),
            "percent",
        ),
        MetricSpec(
            "engagement_rate",
            Model.SHARE,
            "engagements",
            "impressions",
            True,
            _("engagement rate"),
            "percent",
        ),
        MetricSpec("cpc", Model.COST, "clicks", "spend", False, _("CPC"), "money"),
        MetricSpec("cpm", Model.COST, "impressions", "spend", False, _("CPM"), "money", scale=1000),
        MetricSpec(
            "cost_per_lead",
            Model.COST,
            "leads",
            "spend",
            False,
            _("cost per lead"),
            "money",
        ),
        MetricSpec(
            "cost_per_conversion",
            Model.COST,
            "conversions",
            "spend",
            False,
            _("cost per conversion"),
            "money",
        ),
        MetricSpec("roas", Model.YIELD, "conversion_value", "spend", True, _("ROAS"), "ratio"),
    ]
}


# --- figures and their arithmetic -------------------------------------------------------------

MICROS = 1_000_000
# Each figure of a piece and the column summed for it, the same in ImageWeeklyRollup and
# the piece tables (PieceSeries, PieceWeek). Money columns hold micros of the reporting currency.
FIGURE_COLUMNS: dict[str, str] = {
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
DAYS_COLUMN = "active_days"
MONEY_FIGURES = frozenset({"spend", "conversion_value"})


def in_currency(figure: str, stored):
    """A summed column as its figure: money from micros to the reporting currency."""
    return stored / MICROS if figure in MONEY_FIGURES else stored


def ratio_terms(key: str) -> tuple[str, str, float]:
    """Return (top, bottom, scale): metric `key` of a group is scale × Σ top / Σ bottom.

    A cost is spend over its events (CPM: 1000 × spend / impressions); a share and ROAS are
    their numerator over their denominator.
    """
    spec = METRICS[key]
    if spec.model is Model.COST:
        return "spend", spec.numerator, spec.scale
    return spec.numerator, spec.denominator, 1.0


class Figures(Protocol):
    def value(self, name: str) -> float: ...


def ratio_parts(key: str, figures: Figures) -> tuple[float, float]:
    """The (top, bottom) one piece adds to a pooled metric: (clicks, impressions) for a CTR."""
    top, bottom, scale = ratio_terms(key)
    return scale * figures.value(top), figures.value(bottom)


def pooled(rows: Iterable[tuple[float, float]]) -> float | None:
    """Σ top / Σ bottom: the metric of a group of pieces taken as one."""
    top = bottom = 0.0
    for a, b in rows:
        top += a
        bottom += b
    return top / bottom if bottom > 0 else None


def metric_value(key: str, sums: Mapping[str, float]) -> float | None:
    """Metric `key` of summed figures (money in the reporting currency); None where its bottom
    is zero. A figure's own name ("impressions", "spend") gives the figure."""
    if key not in METRICS:
        return float(sums.get(key) or 0)
    top, bottom, scale = ratio_terms(key)
    return scale * sums[top] / sums[bottom] if sums.get(bottom) else None


def metric_column(key: str, columns: Mapping[str, np.ndarray]) -> np.ndarray:
    """`metric_value` over columns of sums: NaN where the metric is undefined (no clicks for a
    CPC)."""
    if key not in METRICS:
        return columns[key]
    top, bottom, scale = ratio_terms(key)
    denominator = columns[bottom]
    with np.errstate(divide="ignore", invalid="ignore"):
        values = scale * columns[top] / denominator
    return np.where(denominator > 0, values, np.nan)
