"""Minimums that scale with the data (issue 15 item 3).

On a small account a fixed 1,000-impression minimum let in a few ordinary pieces with volume
and kept out the truly best ones; the seeded rules now ask each piece for a share of the
median impressions of its node × objective, and a lead can still choose fixed figures.
"""

from __future__ import annotations

import random

import numpy as np
import pytest

from campaigns.models import RankingRule
from campaigns.ranking.pieces import PieceFigures
from campaigns.ranking.scoring import ABSOLUTE, SCALED, rank_pieces, scaled_minimum
from campaigns.ranking.selectors import rule_spec
from campaigns.services import ranking_rule_save
from tests.campaigns.migrating import campaigns_migrated, migrated_to_latest


def _hash(n: int) -> str:
    """Well-separated perceptual hashes, so diversity never skips one of these pieces."""
    return f"{random.Random(n).getrandbits(64):016x}"


def _piece(image_id: int, impressions: int, clicks: int) -> PieceFigures:
    return PieceFigures(
        image_id=image_id,
        phash=_hash(image_id),
        impressions=impressions,
        clicks=clicks,
        spend=impressions * 11.0,
        days=20,
    )


def _sparse_history() -> list[PieceFigures]:
    """A small account: 40 ordinary pieces of 120–280 impressions at about 1 % CTR, four truly
    better pieces of 400–600 impressions at 5–8 %, three ordinary pieces that ran long enough to
    pass 1,000 impressions, and one lucky piece seen 6 times."""
    rng = random.Random(15)
    ordinary = [
        _piece(100 + i, impressions, round(impressions * rng.uniform(0.006, 0.014)))
        for i, impressions in enumerate(range(120, 280, 4))
    ]
    best = [_piece(1, 600, 48), _piece(2, 500, 35), _piece(3, 450, 27), _piece(4, 400, 20)]
    long_running = [_piece(50, 3_000, 33), _piece(51, 2_400, 24), _piece(52, 2_000, 18)]
    lucky = _piece(60, 6, 3)
    return [*ordinary, *best, *long_running, lucky]


def _seeded(objective: str) -> RankingRule:
    return RankingRule.objects.get(node__isnull=True, objective=objective)


def test_the_seeded_traffic_rule_lets_in_the_truly_best_sparse_pieces(db):
    pieces = _sparse_history()
    median = float(np.median([p.impressions for p in pieces]))

    result = rank_pieces(pieces, rule_spec(_seeded("traffic")))

    assert [ref.piece.image_id for ref in result.references] == [1, 2, 3, 4]
    # 5 % of the median piece's impressions: only the piece seen 6 times misses it.
    assert median == 210.0
    assert [(m.gate, m.minimum, m.missed) for m in result.gate_misses] == [("impressions", 11.0, 1)]
    assert (result.considered, result.passed) == (48, 47)


def test_every_seeded_rule_scales_its_minimums_at_five_percent_of_the_median(db):
    seeded = RankingRule.objects.filter(node__isnull=True)

    assert {(r.objective, r.minimums_mode, r.min_share_of_median) for r in seeded} == {
        (objective, SCALED, 5)
        for objective in ("awareness", "traffic", "engagement", "leads", "conversion", "other")
    }


def test_a_lead_who_chooses_fixed_minimums_still_gets_them(lead):
    rule = _seeded("traffic")
    rule.minimums_mode = ABSOLUTE
    version = ranking_rule_save(rule=rule, user=lead)

    result = rank_pieces(_sparse_history(), rule_spec(rule))

    assert version.changes == {"minimums_mode": [SCALED, ABSOLUTE]}
    assert [ref.piece.image_id for ref in result.references] == [50, 51, 52]
    assert [(m.gate, m.minimum, m.missed) for m in result.gate_misses] == [
        ("impressions", 1000.0, 45)
    ]


def test_a_larger_share_of_the_median_keeps_out_the_thinner_pieces(lead):
    rule = _seeded("traffic")
    rule.min_share_of_median = 250  # out of range: the form refuses it
    with pytest.raises(Exception, match="100"):
        rule.full_clean()
    rule.min_share_of_median = 100
    ranking_rule_save(rule=rule, user=lead)

    result = rank_pieces(_sparse_history(), rule_spec(rule))

    # At the whole median (210), the 23 ordinary pieces under it and the lucky one miss.
    assert [ref.piece.image_id for ref in result.references] == [1, 2, 3, 4]
    assert [(m.gate, m.minimum, m.missed) for m in result.gate_misses] == [
        ("impressions", 210.0, 24)
    ]


def test_the_scaled_minimum_is_a_share_of_the_median_of_the_pieces_seen():
    impressions = np.array([0.0, 100.0, 200.0, 300.0, 10_000_000.0])

    assert scaled_minimum(impressions, 5) == 13.0  # 5 % of 250, rounded up
    assert scaled_minimum(impressions, 0) == 0.0
    assert scaled_minimum(np.array([0.0, 0.0]), 5) == 0.0


# --- the migration: seeded defaults switch, rules a lead saved keep their fixed figures -------

BEFORE = [("campaigns", "0010_piece_weeks_and_ranking_coverage")]
AFTER = [("campaigns", "0011_scaled_minimums")]


def _rule(apps, *, objective: str, node=None, versions: int = 1):
    """A rule saved `versions` times, each version's state as the app stored it then."""
    rule = apps.get_model("campaigns", "RankingRule").objects.create(
        node=node, objective=objective, metric="ctr", min_impressions=1_000, version=versions
    )
    for version in range(1, versions + 1):
        apps.get_model("campaigns", "RankingRuleVersion").objects.create(
            rule=rule,
            version=version,
            state={"objective": objective, "min_impressions": 1_000, "version_note": version},
        )
    return rule


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_the_migration_scales_only_the_seeded_rules_no_lead_has_saved():
    try:
        old = campaigns_migrated(BEFORE)
        old.get_model("campaigns", "RankingRule").objects.all().delete()
        node = old.get_model("campaigns", "Node").objects.create(name="Wompi", slug="wompi")
        seeded = _rule(old, objective="traffic")
        edited = _rule(old, objective="leads", versions=2)
        own = _rule(old, objective="traffic", node=node)

        new = campaigns_migrated(AFTER)

        rules = new.get_model("campaigns", "RankingRule").objects
        assert {
            r.pk: (r.minimums_mode, r.min_share_of_median, r.min_impressions) for r in rules.all()
        } == {
            seeded.pk: ("scaled", 5, 1_000),
            edited.pk: ("absolute", 5, 1_000),
            own.pk: ("absolute", 5, 1_000),
        }
        versions = new.get_model("campaigns", "RankingRuleVersion").objects
        assert sorted(
            (v.rule_id, v.version, v.state["minimums_mode"], v.state["version_note"])
            for v in versions.all()
        ) == sorted(
            [
                (seeded.pk, 1, "scaled", 1),
                (edited.pk, 1, "absolute", 1),
                (edited.pk, 2, "absolute", 2),
                (own.pk, 1, "absolute", 1),
            ]
        )

        back = campaigns_migrated(BEFORE)

        states = back.get_model("campaigns", "RankingRuleVersion").objects
        assert all("minimums_mode" not in v.state for v in states.all())
    finally:
        migrated_to_latest()
