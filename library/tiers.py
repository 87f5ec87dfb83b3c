"""Each image's performance tier in the library, under the active rule for a node × objective.

The tiers are the full ranking's tier cut (campaigns.ranking.full), so a piece shows the same
tier in the library as on the insights and creative pages. Ranking every piece of a node takes
tens of milliseconds, so the tiers are computed once per rule version, day and rollup build and
kept in the shared cache (library.shared: every worker and a restarted one read them from there,
a few milliseconds), and for ten minutes in this process too.
"""

from __future__ import annotations

import datetime as dt
import threading
import time

from cachetools import TTLCache
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from campaigns.models import Node
from campaigns.ranking.full import full_ranking, image_tiers
from campaigns.ranking.selectors import NoRuleError, ranking_rule_for
from campaigns.rollups import rollup_stamp
from library.shared import shared_get_or_compute, shared_key

TIERS = {
    "top": _("Top 20 %"),
    "middle": _("Middle"),
    "bottom": _("Bottom 20 %"),
    "thin": _("Not enough data"),
}
TIER_CACHE_SECONDS = 600
TIER_CACHE_ENTRIES = 32

# The least recently used entry goes first when the cache is full; any entry after ten minutes.
_tier_cache: TTLCache = TTLCache(
    maxsize=TIER_CACHE_ENTRIES, ttl=TIER_CACHE_SECONDS, timer=time.monotonic
)
_tier_lock = threading.Lock()


def tier_map(*, node: Node, objective: str, as_of: dt.date | None = None) -> dict[int, str] | None:
    """Each image's tier under the active rule for node × objective; None when no rule.

    The rule ranks every piece that passes its gates (near-duplicates folded, as a brief does);
    the top 20 % of positions are "top", the last 20 % "bottom", the rest "middle"; pieces that
    ran there but miss a gate are "thin". A piece's near-copies share its tier.
    """
    try:
        rule = ranking_rule_for(node=node, objective=objective)
    except NoRuleError:
        return None
    as_of = as_of or timezone.localdate()
    # The version changes with every edit a lead saves; the save time with any other save.
    key = shared_key(
        "tiers",
        node.pk,
        objective,
        rule.pk,
        rule.version,
        rule.updated_at.timestamp() if rule.updated_at else "",
        as_of,
        rollup_stamp(),
    )
    with _tier_lock:
        found = _tier_cache.get(key)
    if found is not None:
        return found
    tiers = shared_get_or_compute(
        key,
        lambda: image_tiers(full_ranking(node=node, objective=objective, rule=rule, as_of=as_of)),
    )
    with _tier_lock:
        _tier_cache[key] = tiers
    return tiers


def tier_cache_clear() -> None:
    with _tier_lock:
        _tier_cache.clear()
