"""What the ranking's speed work (issue 15 item 1) must keep: the same answers, cheaper.

The quantile functions run only where read, scipy loads only when a ranking scores, and the
piece tables are written in the order a brief reads them.
"""

from __future__ import annotations

import datetime as dt
import random
import subprocess
import sys

import numpy as np

from campaigns.models import PieceSeries
from campaigns.ranking import scoring
from campaigns.ranking.metrics import METRICS
from campaigns.ranking.pieces import PieceFigures, piece_table
from campaigns.ranking.scoring import RuleSpec, rank_pieces
from campaigns.rollups import piece_weeks_refresh
from tests.factories import make_node, make_traffic_catalog


def _hash(n: int) -> str:
    return f"{random.Random(n).getrandbits(64):016x}"


def _tied_pool() -> list[PieceFigures]:
    """Pieces in pairs with the same clicks and impressions (tied on CTR), different spend,
    on two platforms, plus pieces of their own."""
    rng = random.Random(11)
    pieces = []
    for i in range(60):
        impressions = rng.randint(5_000, 60_000)
        clicks = round(impressions * rng.uniform(0.005, 0.02))
        copies = 2 if i % 3 == 0 else 1
        for copy in range(copies):
            image_id = 1_000 + 10 * i + copy
            pieces.append(
                PieceFigures(
                    image_id=image_id,
                    phash=_hash(image_id),
                    impressions=impressions,
                    clicks=clicks,
                    spend=clicks * rng.uniform(500.0, 900.0),
                    platforms=("meta",) if i % 2 else ("google_ads",),
                    days=20,
                )
            )
    return pieces


def test_a_tied_references_tie_break_is_the_tie_metrics_goodness_over_every_passing_piece():
    rule = RuleSpec(metric="ctr", tie_break_metric="cpc", top_n=30)
    pieces = _tied_pool()

    result = rank_pieces(pieces, rule)

    table = piece_table(pieces, fold=True)
    passing, _ = scoring._gate(METRICS["ctr"], table.columns, rule)
    aov = scoring._average_order_value(table.columns)
    full, main = (
        scoring._posterior_of(
            METRICS[metric],
            scoring._inputs(METRICS[metric], table.columns, passing, table.platforms, rule, aov)[1],
            rule,
            aov,
            None,
        )
        for metric in ("cpc", "ctr")
    )
    position_of = {int(table.image_ids[p]): k for k, p in enumerate(passing)}
    ctr_goodness = [float(g) for g in main["goodness"]]
    tied = {
        image_id for image_id, k in position_of.items() if ctr_goodness.count(ctr_goodness[k]) > 1
    }
    assert len(result.references) == 30
    shown = [ref.piece.image_id for ref in result.references]
    assert tied & set(shown) and set(shown) - tied, "the top 30 holds tied and untied pieces"
    # A piece tied on CTR shows the figure that decided its place, as the full pass gives it;
    # a piece tied with none shows none (the tie-break decided nothing for it).
    assert [ref.tie_break for ref in result.references] == [
        float(full["goodness"][position_of[image_id]]) if image_id in tied else None
        for image_id in shown
    ]
    # The tied pairs are ordered by that figure, the higher goodness (cheaper click) first.
    pairs = [(a, a + 1) for a in shown if a % 10 == 0 and a + 1 in shown]
    assert pairs, "the pool ranks at least one tied pair in the top 30"
    for a, b in pairs:
        first, second = sorted((a, b), key=shown.index)
        goodness = full["goodness"]
        assert goodness[position_of[first]] >= goodness[position_of[second]]


def test_pieces_tied_on_nothing_show_no_tie_break():
    pieces = [p for p in _tied_pool() if p.image_id % 10 == 0]

    result = rank_pieces(pieces, RuleSpec(metric="ctr", tie_break_metric="cpc", top_n=5))

    assert [ref.tie_break for ref in result.references] == [None] * 5


def test_the_ranking_modules_load_without_scipy():
    # scipy.special costs ~0.3–1 s to import: a process that serves pages must not pay it
    # before a ranking is scored.
    code = (
        "import sys, django, os; os.environ.setdefault('DJANGO_SETTINGS_MODULE', "
        "'yenni_site.settings_test'); django.setup(); "
        "import campaigns.ranking.selectors, campaigns.ranking.scoring, campaigns.ranking.full; "
        "print(sorted(m for m in sys.modules if m.startswith('scipy')))"
    )
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=120
    )
    assert done.stdout.strip().splitlines()[-1] == "[]"


def test_scoring_loads_scipy_when_it_ranks():
    result = rank_pieces(_tied_pool(), RuleSpec(metric="ctr", top_n=3))

    assert len(result.references) == 3
    assert "scipy.special" in sys.modules
    assert np.isfinite(result.references[0].estimate.lower)


def test_piece_series_are_written_in_the_order_a_brief_reads_them(db, media_storage):
    first = make_node(name="Alfa", slug="alfa")
    second = make_node(name="Beta", slug="beta")
    # The second node's images are stored first: written by piece, its series would come first.
    make_traffic_catalog(node=second, day=dt.date(2026, 9, 7), png_seed=300)
    make_traffic_catalog(node=first, day=dt.date(2026, 9, 14), png_seed=400)

    written = piece_weeks_refresh()

    rows = list(
        PieceSeries.objects.order_by("id").values_list(
            "node_id", "objective", "piece_id", "platform"
        )
    )
    assert written > 0
    assert {row[0] for row in rows} == {first.pk, second.pk}
    assert rows == sorted(rows)
