"""Build a small, real catalog for tests: plain functions, real PNGs, stored like ingestion does.

Every builder takes keyword arguments with sensible defaults and numbers what it creates, so
calling one twice never collides on a unique constraint.
"""

from __future__ import annotations

import datetime as dt
import io
import itertools
import random
from dataclasses import dataclass, field
from decimal import Decimal

from PIL import Image

from campaigns.models import (
    Ad,
    AdAccount,
    Campaign,
    DailyMetric,
    ExchangeRate,
    Node,
    NodeMappingRule,
    Objective,
    Platform,
)
from creatives.models import Creative, CreativeImage, CreativeImageSlot, ImageDescription
from creatives.services import creative_image_store

_sequence = itertools.count(1)


def _next() -> int:
    return next(_sequence)


def make_png(*, width: int = 12, height: int = 8, seed: int | None = None) -> bytes:
    """Draw a tiny PNG whose bytes are unique to `seed` (a new one when not given)."""
    seed = _next() if seed is None else seed
    image = Image.new("RGB", (width, height), ((seed * 37) % 256, (seed * 91) % 256, 128))
    # The seed's bytes in the first pixel: different seeds never draw the same file.
    image.putpixel((0, 0), (seed & 255, (seed >> 8) & 255, (seed >> 16) & 255))
    buffer = io.BytesIO()
    image.save(buffer, format="PNG")
    return buffer.getvalue()


def make_image(
    *, width: int = 12, height: int = 8, seen_on: dt.date | None = None
) -> CreativeImage:
    image, _created = creative_image_store(
        data=make_png(width=width, height=height), seen_on=seen_on or dt.date(2024, 3, 1)
    )
    return image


def make_description(
    *, image: CreativeImage, text: str = "", backend: str = "pillow"
) -> ImageDescription:
    return ImageDescription.objects.create(
        image=image,
        backend=backend,
        model_id="palette-v1",
        text=text or f"A blue banner with a phone, number {_next()}",
        attributes={"palette": ["#1a4d8f", "#ffffff"], "faces": 0},
    )


def make_node(*, name: str = "", slug: str = "") -> Node:
    n = _next()
    return Node.objects.create(name=name or f"Node {n}", slug=slug or f"node-{n}")


def make_account(
    *,
    platform: str = "meta",
    name: str = "",
    external_id: str = "",
    currency: str = "COP",
    default_node: Node | None = None,
) -> AdAccount:
    n = _next()
    return AdAccount.objects.create(
        platform=Platform.objects.get(slug=platform),
        external_id=external_id or f"act_{n}",
        name=name or f"Account {n}",
        currency=currency,
        default_node=default_node,
    )


def make_rule(
    *,
    node: Node,
    account: AdAccount | None = None,
    pattern: str = "",
    kind: str = NodeMappingRule.PatternKind.CONTAINS,
    priority: int = 100,
    active: bool = True,
) -> NodeMappingRule:
    return NodeMappingRule.objects.create(
        node=node,
        account=account,
        campaign_name_pattern=pattern,
        pattern_kind=kind,
        priority=priority,
        active=active,
    )


def make_campaign(
    *,
    account: AdAccount | None = None,
    name: str = "",
    external_id: str = "",
    objective_raw: str = "OUTCOME_TRAFFIC",
    objective: str = Objective.TRAFFIC,
    node: Node | None = None,
    node_source: str = "",
    start_date: dt.date | None = dt.date(2024, 3, 1),
    end_date: dt.date | None = dt.date(2024, 3, 31),
) -> Campaign:
    n = _next()
    if not node_source:
        node_source = Campaign.NodeSource.RULE if node else Campaign.NodeSource.UNMAPPED
    return Campaign.objects.create(
        account=account or make_account(),
        external_id=external_id or f"cmp_{n}",
        name=name or f"Campaign {n}",
        objective_raw=objective_raw,
        objective=objective,
        status="ACTIVE",
        start_date=start_date,
        end_date=end_date,
        node=node,
        node_source=node_source,
    )


def make_creative(
    *,
    platform: str = "meta",
    headline: str = "",
    external_id: str | None = None,
    images: list[CreativeImage] | None = None,
) -> Creative:
    n = _next()
    creative = Creative.objects.create(
        platform=platform,
        external_id=f"cr_{n}" if external_id is None else external_id,
        headline=headline or f"Pay in installments, offer {n}",
        body="Buy now, pay in 12 months.",
        call_to_action="LEARN_MORE",
        landing_url="https://example.co/offer",
    )
    for position, image in enumerate(images or []):
        CreativeImageSlot.objects.create(creative=creative, image=image, position=position)
    return creative


def make_ad(
    *,
    campaign: Campaign | None = None,
    creative: Creative | None = None,
    name: str = "",
    external_id: str = "",
) -> Ad:
    n = _next()
    return Ad.objects.create(
        campaign=campaign or make_campaign(),
        creative=creative,
        external_id=external_id or f"ad_{n}",
        name=name or f"Ad {n}",
        status="ACTIVE",
        start_date=dt.date(2024, 3, 1),
        end_date=dt.date(2024, 3, 31),
    )


def make_metric(
    *,
    ad: Ad,
    date: dt.date = dt.date(2024, 3, 1),
    impressions: int = 1000,
    clicks: int = 25,
    spend_micros: int = 12_500_000,
    conversions: float = 2.0,
    leads: int = 1,
) -> DailyMetric:
    return DailyMetric.objects.create(
        ad=ad,
        date=date,
        impressions=impressions,
        reach=impressions // 2,
        clicks=clicks,
        link_clicks=clicks,
        spend_micros=spend_micros,
        conversions=conversions,
        leads=leads,
    )


def make_exchange_rate(
    *, currency: str = "USD", date: dt.date = dt.date(2024, 3, 1), rate: str = "3900.5"
) -> ExchangeRate:
    return ExchangeRate.objects.create(
        currency=currency, reporting_currency="COP", date=date, rate=Decimal(rate), source="test"
    )


@dataclass
class Catalog:
    nodes: list[Node] = field(default_factory=list)
    accounts: list[AdAccount] = field(default_factory=list)
    rules: list[NodeMappingRule] = field(default_factory=list)
    campaigns: list[Campaign] = field(default_factory=list)
    images: list[CreativeImage] = field(default_factory=list)
    creatives: list[Creative] = field(default_factory=list)
    ads: list[Ad] = field(default_factory=list)
    metrics: list[DailyMetric] = field(default_factory=list)
    rates: list[ExchangeRate] = field(default_factory=list)
    descriptions: list[ImageDescription] = field(default_factory=list)


def make_catalog(*, days: int = 2) -> Catalog:
    """Create a few of everything, as two accounts on two platforms would have after a sync.

    Each call adds a new, independent set, so a test can grow the catalog by calling it again.
    """
    c = Catalog()
    compras, wompi = make_node(), make_node()
    c.nodes = [compras, wompi]
    meta = make_account(platform="meta", default_node=wompi)
    google = make_account(platform="google_ads", currency="USD")
    c.accounts = [meta, google]
    c.rules = [make_rule(node=compras, pattern="compras", priority=10)]
    c.campaigns = [
        make_campaign(account=meta, name="Compras cuotas marzo", node=compras),
        make_campaign(
            account=google,
            name="Search leads",
            objective_raw="WEIRD_NEW_GOAL",
            objective=Objective.OTHER,
        ),
        make_campaign(
            account=meta,
            name="Wompi links",
            objective_raw="OUTCOME_LEADS",
            objective=Objective.LEADS,
            node=wompi,
            node_source=Campaign.NodeSource.MANUAL,
        ),
    ]
    c.images = [
        make_image(width=16, height=9),
        make_image(width=9, height=16),
        make_image(width=10, height=10),
    ]
    c.descriptions = [make_description(image=c.images[0])]
    c.creatives = [
        make_creative(platform="meta", images=c.images[:2]),
        make_creative(platform="google_ads", images=c.images[2:]),
    ]
    c.ads = [
        make_ad(campaign=c.campaigns[0], creative=c.creatives[0]),
        make_ad(campaign=c.campaigns[1], creative=c.creatives[1]),
        make_ad(campaign=c.campaigns[2], creative=c.creatives[0]),
    ]
    c.metrics = [
        make_metric(ad=ad, date=dt.date(2024, 3, 1) + dt.timedelta(days=day))
        for ad in c.ads
        for day in range(days)
    ]
    n = _next()
    # A distinct day per catalog (rates are unique per day), always before the metrics of
    # 2024-03: the sequence grows with every test a worker runs, so keep it bounded.
    c.rates = [make_exchange_rate(date=dt.date(2020, 1, 1) + dt.timedelta(days=n % 1000))]
    return c


def make_traffic_catalog(*, node: Node, day: dt.date, png_seed: int, pieces: int = 5) -> None:
    """`pieces` past traffic pieces of the node that rank in order: piece n has 40 + 10·n
    clicks a day on 4,000 impressions for five days from `day`; weekly rollups refreshed."""
    from campaigns.rollups import image_rollup_refresh

    campaign = make_campaign(
        account=make_account(default_node=node),
        node=node,
        objective=Objective.TRAFFIC,
        start_date=dt.date(2026, 9, 1),
        end_date=dt.date(2026, 10, 31),
    )
    for n in range(1, pieces + 1):
        image, _ = creative_image_store(
            data=make_png(width=48, height=32, seed=png_seed + n), seen_on=day
        )
        # Tiny flat PNGs share a perceptual hash; distinct ones keep them separate pieces.
        CreativeImage.objects.filter(pk=image.pk).update(
            phash=f"{random.Random(n).getrandbits(64):016x}"
        )
        ad = make_ad(campaign=campaign, creative=make_creative(images=[image]))
        for offset in range(5):
            make_metric(
                ad=ad, date=day + dt.timedelta(days=offset), impressions=4_000, clicks=40 + 10 * n
            )
    image_rollup_refresh()
