"""Fill the shared cache after a rollup rebuild, so no analyst's first click pays for it.

The scopes an analyst reaches in one click — the whole catalog, each node, each objective,
each platform, each node × objective — are summed, and every node × objective with an active
rule is ranked for its tiers, under the keys the pages read (library.sorting, library.tiers).
A period is not warmed: any two dates make a scope, so those are summed on their first use.
Run by `manage.py library_warm`, after `refresh_ranking`.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

from campaigns.models import ImageWeeklyRollup, Node
from library.query import LibraryQuery
from library.sorting import scope_sums
from library.tiers import tier_map


@dataclass(frozen=True)
class WarmSummary:
    scopes: int
    tier_maps: int
    seconds: float


def library_warm() -> WarmSummary:
    """Sum every one-click scope and rank every node × objective into the shared cache."""
    started = time.perf_counter()
    combos = set(ImageWeeklyRollup.objects.values_list("node_id", "objective").distinct())
    platforms = set(ImageWeeklyRollup.objects.values_list("platform", flat=True).distinct())
    nodes = Node.objects.in_bulk({node_id for node_id, _objective in combos})
    queries = [LibraryQuery()]
    queries += [LibraryQuery(node=node) for node in nodes.values()]
    queries += [LibraryQuery(objective=o) for o in sorted({o for _n, o in combos})]
    queries += [LibraryQuery(platform=platform) for platform in sorted(platforms)]
    pairs = sorted(combos)
    queries += [LibraryQuery(node=nodes[node_id], objective=o) for node_id, o in pairs]
    for query in queries:
        scope_sums(query)
    ranked = 0
    for node_id, objective in pairs:
        if tier_map(node=nodes[node_id], objective=objective) is not None:
            ranked += 1
    return WarmSummary(len(queries), ranked, time.perf_counter() - started)
