"""Fill the shared cache after a rollup rebuild, so no analyst's first click pays for it.

The scopes an analyst reaches in one click — the whole catalog, each node, each objective,
each platform, each node × objective — are summed, and every node × objective with an active
rule is ranked for its tiers, under the keys the pages read (library.sorting, library.tiers).
A period is not warmed: any two dates make a scope, so those are summed on their first use.
Run by `manage.py library_warm`, after `refresh_ranking`.

`worker_warm` is the other half: what lives in each process's memory (the query encoder, the
vector and perceptual-hash indexes), loaded by every gunicorn worker before it takes its first
request (yenni_site/gunicorn_conf.py), so no analyst's first semantic search waits for it.
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass

import numpy as np
from django.db import connections

from campaigns.models import ImageWeeklyRollup, Node
from library.query import LibraryQuery
from library.sorting import scope_sums
from library.tiers import tier_map

logger = logging.getLogger(__name__)


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


def worker_warm() -> None:
    """Load this process's encoder and indexes; a part that fails is logged and left to the
    first request that needs it (a worker must start even without the embedding model)."""
    from library.indexes import hash_index, vector_index
    from library.query_encoder import query_encoder

    def vectors() -> None:
        index = vector_index()
        if len(index.ids):
            # Read the mapped snapshot once, so its pages are in memory before a search.
            index.scores(np.zeros(index.matrix.shape[1], dtype=np.float32))

    steps = (("query encoder", query_encoder), ("vectors", vectors), ("hashes", hash_index))
    for name, load in steps:
        started = time.perf_counter()
        try:
            load()
        except Exception as exc:  # any failure: the worker starts regardless
            logger.warning(
                "Worker warm-up: the library's %s did not load (%s); the first search that "
                "needs them will try again.",
                name,
                exc,
            )
        else:
            logger.info("Worker warm-up: %s loaded in %.2f s", name, time.perf_counter() - started)
    # The warm-up ran outside a request: close its connection rather than leave it to the first.
    connections.close_all()
