"""The success metrics a ranking rule can name, and the count model behind each.

Every metric is estimated through the rate it comes from, so one piece of shrinkage code serves
them all:
- a *share* (CTR, conversion rate, …) is successes out of trials: beta-binomial;
- a *cost* (CPC, CPM, cost per lead, …) is spend per event: the events-per-spend rate is
  gamma-Poisson and the cost is its inverse;
- ROAS is conversion value per spend: value is counted in units of the group's average order
  value, so it becomes an events-per-spend rate too.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


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
    label_en: str
    label_es: str
    # How a value prints: "percent" (×100, %), "money" (reporting currency), "ratio" (×).
    unit: str
    # Costs per `scale` events: CPM is the cost of 1,000 impressions.
    scale: float = 1.0


METRICS: dict[str, MetricSpec] = {
    spec.key: spec
    for spec in [
        MetricSpec("ctr", Model.SHARE, "clicks", "impressions", True, "CTR", "CTR", "percent"),
        MetricSpec(
            "link_ctr",
            Model.SHARE,
            "link_clicks",
            "impressions",
            True,
            "link CTR",
            "CTR de enlace",
            "percent",
        ),
        MetricSpec(
            "conversion_rate",
            Model.SHARE,
            "conversions",
            "clicks",
            True,
            "conversion rate",
            "tasa de conversión",
            "percent",
        ),
        MetricSpec(
            "video_view_rate",
            Model.SHARE,
            "video_views",
            "impressions",
            True,
            "video view rate",
            "tasa de reproducción",
            "percent",
        ),
        MetricSpec(
            "engagement_rate",
            Model.SHARE,
            "engagements",
            "impressions",
            True,
            "engagement rate",
            "tasa de interacción",
            "percent",
        ),
        MetricSpec("cpc", Model.COST, "clicks", "spend", False, "CPC", "CPC", "money"),
        MetricSpec(
            "cpm", Model.COST, "impressions", "spend", False, "CPM", "CPM", "money", scale=1000
        ),
        MetricSpec(
            "cost_per_lead",
            Model.COST,
            "leads",
            "spend",
            False,
            "cost per lead",
            "costo por lead",
            "money",
        ),
        MetricSpec(
            "cost_per_conversion",
            Model.COST,
            "conversions",
            "spend",
            False,
            "cost per conversion",
            "costo por conversión",
            "money",
        ),
        MetricSpec("roas", Model.YIELD, "conversion_value", "spend", True, "ROAS", "ROAS", "ratio"),
    ]
}
