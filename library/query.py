"""What an analyst asks the library for: the filters, the sort, and the rollup rows they cover.

A `LibraryQuery` is the filter form, validated (library.views.browse.LibraryFilterForm). Every
other library module reads it: the filtered set (library.filters), the sort (library.sorting),
the cards (library.cards) and the page (library.selectors).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from campaigns.calendar import week_monday
from campaigns.models import Node
from campaigns.ranking.metrics import FIGURE_COLUMNS, METRICS

# The figures summed for every card and metric sort, and the rollup column of each.
CARD_FIGURES = (
    "impressions",
    "clicks",
    "link_clicks",
    "spend",
    "conversions",
    "conversion_value",
    "leads",
)
CARD_COLUMNS = {name: FIGURE_COLUMNS[name] for name in CARD_FIGURES}


@dataclass(frozen=True)
class SortSpec:
    key: str  # a figure ("clicks") or a metric of campaigns.ranking.metrics ("cpc")
    label: object
    # "date" sorts images by their seen dates; "metric" by figures summed over the period.
    kind: str

    @property
    def lower_is_better(self) -> bool:
        return self.key in METRICS and not METRICS[self.key].higher_is_better


SORTS: dict[str, SortSpec] = {
    spec.key: spec
    for spec in [
        SortSpec("recent", _("Most recently run"), "date"),
        SortSpec("oldest", _("First run longest ago"), "date"),
        SortSpec("impressions", _("Impressions"), "metric"),
        SortSpec("clicks", _("Clicks"), "metric"),
        SortSpec("ctr", _("CTR"), "metric"),
        SortSpec("spend", _("Spend"), "metric"),
        SortSpec("cpc", _("CPC (cost per click)"), "metric"),
        SortSpec("cpm", _("CPM (cost per 1,000 impressions)"), "metric"),
        SortSpec("conversions", _("Conversions"), "metric"),
        SortSpec("conversion_rate", _("Conversion rate"), "metric"),
        SortSpec("cost_per_conversion", _("Cost per conversion"), "metric"),
        SortSpec("leads", _("Leads"), "metric"),
        SortSpec("cost_per_lead", _("Cost per lead"), "metric"),
        SortSpec("roas", _("ROAS"), "metric"),
    ]
}


@dataclass(frozen=True)
class LibraryQuery:
    """What the analyst asked for, already validated (see LibraryFilterForm)."""

    text: str = ""
    semantic: bool = False
    node: Node | None = None
    platform: str = ""
    objective: str = ""
    date_from: dt.date | None = None
    date_to: dt.date | None = None
    tier: str = ""
    described: str = ""  # "yes", "no" or "" for either
    orientation: str = ""
    colour: str = ""
    sort: str = "recent"
    direction: str = ""  # "asc", "desc", or "" for the sort's natural order (best first)

    @property
    def sort_spec(self) -> SortSpec:
        return SORTS.get(self.sort, SORTS["recent"])

    @property
    def descending(self) -> bool:
        if self.direction:
            return self.direction == "desc"
        spec = self.sort_spec
        if spec.key == "oldest":
            return False
        return not spec.lower_is_better

    @property
    def has_rollup_filter(self) -> bool:
        return bool(self.node or self.platform or self.objective or self.date_from or self.date_to)

    @property
    def has_set_filter(self) -> bool:
        """Whether anything besides the search text narrows the set of images."""
        return bool(
            self.has_rollup_filter or self.colour or self.described or self.orientation or self.tier
        )

    @property
    def tier_scope(self) -> bool:
        """Tiers exist per node and objective: both must be chosen to show or filter them."""
        return bool(self.node and self.objective)


def rollup_q(query: LibraryQuery, prefix: str = "") -> Q:
    """Rollup rows inside the query's node, platform, objective and period.

    The rollup is weekly: a period takes every week (Monday to Sunday) that overlaps it.
    """
    q = Q()
    if query.node:
        q &= Q(**{f"{prefix}node": query.node})
    if query.platform:
        q &= Q(**{f"{prefix}platform": query.platform})
    if query.objective:
        q &= Q(**{f"{prefix}objective": query.objective})
    if query.date_from:
        q &= Q(**{f"{prefix}week__gte": week_monday(query.date_from)})
    if query.date_to:
        q &= Q(**{f"{prefix}week__lte": query.date_to})
    return q
