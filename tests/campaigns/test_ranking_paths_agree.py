"""The ranking tables answer exactly what the raw daily metrics say, for any window and day.

Each case builds a small random history (images with near-copies, a carousel, two platforms,
a foreign currency with gaps in its rates, a node re-mapping, results loaded in two batches
with an incremental refresh between them), then ranks a random rule as of a random day. The
expected pieces are computed here, straight from the DailyMetric rows and the definition in
docs/ranking.md ("Speed": the window), not through the product's tables; only the statistics
(`rank_pieces`, the pure scoring core) are shared, since the question is which figures reach it.
"""

from __future__ import annotations

import datetime as dt
import random
from collections import defaultdict
from decimal import Decimal

import numpy as np
import pytest

from campaigns.models import Campaign, DailyMetric, ExchangeRate, Objective, RankingRule
from campaigns.ranking.pieces import FIELDS, PieceTable
from campaigns.ranking.scoring import rank_pieces
from campaigns.ranking.selectors import brief_ranking, rule_spec
from campaigns.rollups import image_ids_for_campaigns, image_rollup_refresh
from creatives.models import CreativeImage
from tests.factories import (
    make_account,
    make_ad,
    make_campaign,
    make_creative,
    make_image,
    make_node,
)

FIRST_DAY = dt.date(2026, 6, 1)
LAST_DAY = dt.date(2026, 10, 31)
SPAN = (LAST_DAY - FIRST_DAY).days
CASES = 24


def _monday(day: dt.date) -> dt.date:
    return day - dt.timedelta(days=day.weekday())


def _leaders(images: list[tuple[int, str]]) -> dict[int, int]:
    """Each image's piece: the first-stored image within 2 bits that leads a group."""
    leader: dict[int, int] = {}
    ordered = sorted(images)
    for i, (image_id, phash) in enumerate(ordered):
        if image_id in leader:
            continue
        leader[image_id] = image_id
        for other_id, other_hash in ordered[i + 1 :]:
            if other_id not in leader and bin(int(phash, 16) ^ int(other_hash, 16)).count("1") <= 2:
                leader[other_id] = image_id
    return leader


def _rate(currency: str, day: dt.date) -> float:
    if currency == "COP":
        return 1.0
    known = ExchangeRate.objects.filter(currency=currency, reporting_currency="COP", date__lte=day)
    return float(known.order_by("-date").values_list("rate", flat=True).first())


def _expected_table(rule: RankingRule, as_of: dt.date) -> PieceTable:
    """The rule's pieces summed from the raw daily rows, by the definition of the window."""
    first = _monday(as_of - dt.timedelta(days=rule.window_days - 1))
    last = _monday(as_of) + dt.timedelta(days=6)
    leader = _leaders(list(CreativeImage.objects.values_list("id", "phash")))
    phash = dict(CreativeImage.objects.values_list("id", "phash"))
    sums: dict[int, dict[str, float]] = defaultdict(lambda: defaultdict(float))
    days: dict[int, dict[str, set]] = defaultdict(lambda: defaultdict(set))
    rows = DailyMetric.objects.filter(
        ad__campaign__node=rule.node,
        ad__campaign__objective=rule.objective,
        ad__creative__isnull=False,
        date__gte=first,
        date__lte=last,
    ).select_related("ad__campaign__account__platform", "ad__creative")
    for row in rows:
        account = row.ad.campaign.account
        platform = account.platform.slug
        if rule.platforms and platform not in rule.platforms:
            continue
        weight = 1.0
        if rule.half_life_days:
            age = max((as_of - _monday(row.date)).days, 0)
            weight = 2.0 ** (-age / rule.half_life_days)
        rate = _rate(account.currency, row.date)
        pieces = {leader[i] for i in row.ad.creative.image_slots.values_list("image_id", flat=True)}
        for piece in pieces:
            figures = sums[piece]
            for name in ("impressions", "clicks", "link_clicks", "conversions", "leads"):
                figures[name] += weight * getattr(row, name)
            figures["video_views"] += weight * row.video_views
            figures["engagements"] += weight * row.engagements
            figures["spend"] += weight * row.spend_micros * rate / 1e6
            figures["conversion_value"] += weight * row.conversion_value_micros * rate / 1e6
            days[piece][platform].add(row.date)
    ids = sorted(sums)
    return PieceTable(
        image_ids=np.array(ids, dtype=np.int64),
        phashes=[phash[i] for i in ids],
        platforms=[tuple(sorted(days[i])) for i in ids],
        columns={name: np.array([sums[i][name] for i in ids], dtype=float) for name in FIELDS},
        days=np.array(
            [min(rule.window_days, max(len(d) for d in days[i].values())) for i in ids],
            dtype=np.int64,
        ),
    )


def _history(rng: random.Random):
    """A random small history; returns the node to rank and the campaigns."""
    wompi, plink = make_node(slug="wompi"), make_node(slug="plink")
    meta = make_account(platform="meta", currency="COP")
    google = make_account(platform="google_ads", currency="USD")
    day = FIRST_DAY - dt.timedelta(days=3)
    rate = 4000.0
    while day <= LAST_DAY:
        # Some days publish no rate: spend then converts at the last known one.
        if day <= FIRST_DAY or rng.random() < 0.7:
            ExchangeRate.objects.create(
                currency="USD", reporting_currency="COP", date=day,
                rate=Decimal(f"{rate:.2f}"), source="test",
            )  # fmt: skip
        rate *= rng.uniform(0.98, 1.02)
        day += dt.timedelta(days=1)
    campaigns = [
        make_campaign(
            account=rng.choice([meta, google]),
            node=rng.choice([wompi, wompi, plink]),
            objective=Objective.TRAFFIC,
        )
        for _ in range(4)
    ]
    images: list[CreativeImage] = []
    for _ in range(9):
        image = make_image()
        if images and rng.random() < 0.4:
            # A near-copy (1–2 bits) or a cousin (3–4 bits) of an earlier image.
            base = int(rng.choice(images).phash, 16)
            bits = rng.sample(range(64), rng.choice([1, 2, 3, 4]))
            phash = base
            for bit in bits:
                phash ^= 1 << bit
        else:
            phash = rng.getrandbits(64)
        CreativeImage.objects.filter(pk=image.pk).update(phash=f"{phash:016x}")
        image.refresh_from_db()
        images.append(image)
    creatives = [make_creative(images=[image]) for image in images]
    creatives.append(make_creative(images=rng.sample(images, 2)))  # a carousel
    ads = [
        make_ad(campaign=rng.choice(campaigns), creative=rng.choice(creatives)) for _ in range(12)
    ]
    ads.append(make_ad(campaign=campaigns[0], creative=None))  # results with no image
    return wompi, plink, campaigns, ads


def _metrics(rng: random.Random, ads, *, count: int) -> None:
    for ad in rng.sample(ads, min(len(ads), count)):
        start = rng.randrange(SPAN)
        for offset in sorted(rng.sample(range(60), rng.randint(1, 20))):
            date = FIRST_DAY + dt.timedelta(days=start + offset)
            if date > LAST_DAY or DailyMetric.objects.filter(ad=ad, date=date).exists():
                continue
            impressions = rng.randint(0, 5_000)
            clicks = rng.randint(0, impressions // 20 + 1)
            DailyMetric.objects.create(
                ad=ad, date=date, impressions=impressions, clicks=clicks,
                link_clicks=clicks // 2, spend_micros=rng.randint(0, 90_000_000),
                conversions=rng.choice([0.0, 0.5, 1.0, 3.0]), leads=rng.randint(0, 3),
                video_views=rng.randint(0, 50), engagements=rng.randint(0, 80),
                conversion_value_micros=rng.randint(0, 400_000_000),
            )  # fmt: skip


def _random_rule(rng: random.Random, node) -> RankingRule:
    return RankingRule.objects.create(
        node=node,
        objective=Objective.TRAFFIC,
        metric=rng.choice(["ctr", "cpc", "cost_per_conversion", "roas"]),
        min_impressions=rng.choice([0, 0, 2_000]),
        min_clicks=rng.choice([0, 20]),
        window_days=rng.choice([7, 10, 28, 45, 90, 365]),
        platforms=rng.choice([[], [], ["meta"], ["google_ads"]]),
        top_n=4,
        tie_break_metric="cpc",
        half_life_days=rng.choice([None, None, 14, 30]),
        within_platform=rng.choice([True, False]),
    )


def _as_expected(rule: RankingRule, as_of: dt.date):
    expected = rank_pieces(_expected_table(rule, as_of), rule_spec(rule))
    return (
        expected.considered,
        expected.passed,
        [(ref.piece.image_id, ref.piece.platforms, ref.piece.days) for ref in expected.references],
        [ref.piece for ref in expected.references],
    )


@pytest.mark.parametrize("seed", range(CASES))
def test_the_ranking_tables_give_the_pieces_and_order_of_the_raw_daily_metrics(
    db, media_storage, seed
):
    rng = random.Random(seed)
    wompi, plink, campaigns, ads = _history(rng)
    _metrics(rng, ads, count=9)
    image_rollup_refresh()
    # A second load, refreshed only for the images it touched, as ingestion does.
    before = set(DailyMetric.objects.values_list("id", flat=True))
    _metrics(rng, ads, count=4)
    touched = DailyMetric.objects.exclude(id__in=before).values_list("ad__campaign", flat=True)
    image_rollup_refresh(image_ids=image_ids_for_campaigns(set(touched)))
    # A node re-mapping, refreshed for the moved campaign's images.
    moved = rng.choice(campaigns)
    Campaign.objects.filter(pk=moved.pk).update(node=plink if moved.node == wompi else wompi)
    image_rollup_refresh(image_ids=image_ids_for_campaigns([moved.pk]))
    rule = _random_rule(rng, wompi)

    for as_of in [LAST_DAY, FIRST_DAY + dt.timedelta(days=rng.randrange(SPAN))]:
        ranking = brief_ranking(node=wompi, objective=Objective.TRAFFIC, as_of=as_of, rule=rule)
        considered, passed, references, pieces = _as_expected(rule, as_of)

        assert (ranking.considered, ranking.passed) == (considered, passed), as_of
        assert [
            (ref.image_id, tuple(ref.platforms), ref.figures["days"]) for ref in ranking.references
        ] == references, as_of
        for ref, piece in zip(ranking.references, pieces, strict=True):
            for name in FIELDS:
                assert ref.figures[name] == pytest.approx(piece.value(name), rel=1e-6, abs=0.51)
