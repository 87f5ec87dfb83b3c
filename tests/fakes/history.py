"""A deterministic ad-account history that every fake server renders in its platform's shapes.

The same numbers come back as the test's expectation, so a sync can be compared exactly.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass, field


@dataclass(frozen=True)
class FakeCampaign:
    id: str
    name: str
    objective: str
    status: str = "ACTIVE"
    start_date: dt.date | None = None


@dataclass(frozen=True)
class FakeCreative:
    id: str
    name: str
    headline: str
    body: str
    call_to_action: str
    landing_url: str
    image_path: str


@dataclass(frozen=True)
class FakeAd:
    id: str
    campaign_id: str
    name: str
    creative_id: str
    # Deleted or removed on the platform: listed only when asked for, and its history stays.
    removed: bool = False


@dataclass(frozen=True)
class FakeMetric:
    ad_id: str
    campaign_id: str
    date: dt.date
    impressions: int
    reach: int
    clicks: int
    link_clicks: int
    spend_micros: int
    conversions: int
    conversion_value_micros: int
    leads: int
    video_views: int
    engagements: int


@dataclass
class AccountHistory:
    campaigns: list[FakeCampaign] = field(default_factory=list)
    creatives: list[FakeCreative] = field(default_factory=list)
    ads: list[FakeAd] = field(default_factory=list)
    metrics: list[FakeMetric] = field(default_factory=list)

    def metrics_between(self, since: dt.date, until: dt.date) -> list[FakeMetric]:
        return [m for m in self.metrics if since <= m.date <= until]

    def totals_by_ad(self) -> dict[str, tuple[int, int, int, float]]:
        """Per ad id: (impressions, clicks, spend micros, conversions) over the whole history."""
        totals: dict[str, list] = defaultdict(lambda: [0, 0, 0, 0.0])
        for m in self.metrics:
            row = totals[m.ad_id]
            row[0] += m.impressions
            row[1] += m.clicks
            row[2] += m.spend_micros
            row[3] += m.conversions
        return {ad_id: (a, b, c, float(d)) for ad_id, (a, b, c, d) in totals.items()}


def history_build(
    *,
    end: dt.date,
    days: int = 63,
    campaigns: int = 7,
    ads_per_campaign: int = 2,
    objectives: tuple[str, ...] = ("OUTCOME_TRAFFIC", "OUTCOME_LEADS", "OUTCOME_SALES"),
    id_base: int = 23850000000000000,
    seed: int = 1,
) -> AccountHistory:
    """Build `campaigns` campaigns of `ads_per_campaign` ads each, with `days` days to `end`.

    Some ads skip some days, as paused ads do; every number is a function of the indexes.
    """
    history = AccountHistory()
    start = end - dt.timedelta(days=days - 1)
    for c in range(campaigns):
        campaign_id = str(id_base + 100 + c)
        history.campaigns.append(
            FakeCampaign(
                id=campaign_id,
                name=f"Campaign {c + 1} {'compras' if c % 2 else 'wompi'}",
                objective=objectives[c % len(objectives)],
                start_date=start,
            )
        )
        for a in range(ads_per_campaign):
            n = c * ads_per_campaign + a
            creative_id = str(id_base + 5000 + n)
            history.creatives.append(
                FakeCreative(
                    id=creative_id,
                    name=f"Creative {n + 1}",
                    headline=f"Paga en cuotas, oferta {n + 1}",
                    body=f"Compra hoy y paga en {3 + n % 10} meses.",
                    call_to_action=("LEARN_MORE", "SIGN_UP", "SHOP_NOW")[n % 3],
                    landing_url=f"https://example.co/oferta/{n + 1}",
                    image_path=f"/images/creative-{seed}-{n + 1}.png",
                )
            )
            ad_id = str(id_base + 9000 + n)
            history.ads.append(
                FakeAd(
                    id=ad_id, campaign_id=campaign_id, name=f"Ad {n + 1}", creative_id=creative_id
                )
            )
            for d in range(days):
                if (n + d) % 9 == 4:
                    continue
                k = (n + 1) * (d + 3) * seed
                impressions = 1000 + (k * 37) % 9000
                clicks = 5 + (k * 13) % 200
                history.metrics.append(
                    FakeMetric(
                        ad_id=ad_id,
                        campaign_id=campaign_id,
                        date=start + dt.timedelta(days=d),
                        impressions=impressions,
                        reach=impressions * 2 // 3,
                        clicks=clicks,
                        link_clicks=clicks * 3 // 4,
                        # Cents, as spend strings carry two decimals.
                        spend_micros=(150_00 + (k * 7919) % 900_00) * 10_000,
                        conversions=(k * 3) % 7,
                        conversion_value_micros=((k * 3) % 7) * 125_50 * 10_000,
                        leads=k % 4,
                        video_views=(k * 5) % 300,
                        engagements=clicks + (k % 50),
                    )
                )
    return history
