"""Simulate the demo's daily numbers: each ad's daily metrics, and the USD→COP rate.

`simulate_daily_metrics()` draws the daily rows from the plan's hidden truth in chunks of ads,
as numpy arrays, so 10 million rows never sit in memory at once. Metric chunks have a fixed
size and each draws from its own random stream, so the rows do not depend on how they are
written.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Iterator
from dataclasses import dataclass

import numpy as np

from campaigns.objectives import CONVERSION
from demo.cast import PLATFORMS
from demo.market import (
    FATIGUE_FLOOR,
    MONTH_IMPRESSIONS,
    OBJECTIVE_FACTORS,
    PLATFORM_FACTORS,
    USD_COP_CENTRE,
    WEEKDAY_CTR,
    WEEKDAY_IMPRESSIONS,
)
from demo.plan import DemoParameters, HistoryPlan, TrueQuality, random_stream

# Ads per metric chunk. Fixed, because each chunk draws from its own random stream.
METRIC_CHUNK_ADS = 400

# The source written on the demo's exchange rates, so a reset can find and remove them.
EXCHANGE_RATE_SOURCE = "Yenni demo (random walk)"


@dataclass(frozen=True)
class MetricChunk:
    """Daily rows for a run of ads, one array per column; `ad` indexes `HistoryPlan.ads`."""

    ad: np.ndarray
    day: np.ndarray
    impressions: np.ndarray
    reach: np.ndarray
    clicks: np.ndarray
    link_clicks: np.ndarray
    spend_micros: np.ndarray
    conversions: np.ndarray
    conversion_value_micros: np.ndarray
    leads: np.ndarray
    video_views: np.ndarray
    engagements: np.ndarray
    ad_days: int  # flight days covered, rows or not: for progress

    def __len__(self) -> int:
        return len(self.ad)


def simulate_daily_metrics(plan: HistoryPlan) -> Iterator[MetricChunk]:
    """Yield the daily rows, a fixed number of ads at a time (days without delivery skipped)."""
    arrays = _AdArrays.build(plan)
    start = plan.parameters.start_date
    first_weekday = start.weekday()
    season = np.array(
        [
            MONTH_IMPRESSIONS[(start + dt.timedelta(days=d)).month]
            for d in range(plan.parameters.days)
        ]
    )
    weekday_impressions = np.array([WEEKDAY_IMPRESSIONS[p] for p in PLATFORMS])
    weekday_ctr = np.array(WEEKDAY_CTR)
    for chunk, begin in enumerate(range(0, len(plan.ads), METRIC_CHUNK_ADS)):
        rng = random_stream(plan.parameters, 1000 + chunk)
        ads = np.arange(begin, min(begin + METRIC_CHUNK_ADS, len(plan.ads)))
        lengths = arrays.last[ads] - arrays.first[ads] + 1
        ad = np.repeat(ads, lengths)
        offsets = np.repeat(np.cumsum(lengths) - lengths, lengths)
        age = np.arange(len(ad)) - offsets
        day = arrays.first[ad] + age
        weekday = (first_weekday + day) % 7
        platform = arrays.platform[ad]

        # The first days of an ad are its learning phase: the platform spends cautiously.
        ramp = np.minimum(1.0, 0.4 + 0.25 * age)
        expected = (
            arrays.daily[ad]
            * weekday_impressions[platform, weekday]
            * season[day]
            * ramp
            * rng.lognormal(0.0, 0.25, size=len(ad))
        )
        impressions = rng.poisson(expected)

        fatigue = FATIGUE_FLOOR + (1 - FATIGUE_FLOOR) * np.exp2(-age / arrays.half_life[ad])
        ctr = np.minimum(0.5, arrays.ctr[ad] * fatigue * weekday_ctr[weekday])
        clicks = rng.binomial(impressions, ctr)
        link_clicks = rng.binomial(clicks, arrays.link_share[ad])
        converted = rng.binomial(clicks, arrays.conversion_rate[ad])
        # Google attributes fractions of conversions (data-driven attribution).
        fraction = np.where(arrays.fractional[ad], rng.uniform(0.6, 1.0, size=len(ad)), 1.0)
        conversions = np.round(converted * fraction, 2)
        leads = rng.binomial(clicks, arrays.lead_rate[ad])
        video_views = rng.binomial(impressions, arrays.video_rate[ad] * np.sqrt(fatigue))
        engagements = clicks + rng.binomial(impressions, arrays.engagement_rate[ad] * fatigue)
        people = rng.binomial(impressions, 1.0 / arrays.frequency[ad])
        # Every delivered day reached someone; Google reports no per-ad daily reach at all.
        reach = np.where(arrays.has_reach[ad], np.maximum(people, np.minimum(impressions, 1)), 0)
        spend = impressions * arrays.cpm[ad] / 1000 * rng.lognormal(0.0, 0.08, size=len(ad))
        value = conversions * arrays.value[ad] * rng.lognormal(0.0, 0.35, size=len(ad))

        keep = impressions > 0
        yield MetricChunk(
            ad=ad[keep],
            day=day[keep],
            impressions=impressions[keep],
            reach=reach[keep],
            clicks=clicks[keep],
            link_clicks=link_clicks[keep],
            spend_micros=np.rint(spend[keep] * 1_000_000).astype(np.int64),
            conversions=conversions[keep],
            conversion_value_micros=np.rint(value[keep] * 1_000_000).astype(np.int64),
            leads=leads[keep],
            video_views=video_views[keep],
            engagements=engagements[keep],
            ad_days=int(lengths.sum()),
        )


@dataclass(frozen=True)
class _AdArrays:
    """Per-ad simulation inputs as arrays, so a chunk is indexed rather than looped over."""

    first: np.ndarray
    last: np.ndarray
    platform: np.ndarray
    daily: np.ndarray
    cpm: np.ndarray
    frequency: np.ndarray
    value: np.ndarray
    ctr: np.ndarray
    link_share: np.ndarray
    conversion_rate: np.ndarray
    lead_rate: np.ndarray
    video_rate: np.ndarray
    engagement_rate: np.ndarray
    half_life: np.ndarray
    fractional: np.ndarray
    has_reach: np.ndarray

    @classmethod
    def build(cls, plan: HistoryPlan) -> _AdArrays:
        columns: dict[str, list] = {name: [] for name in cls.__dataclass_fields__}
        for ad in plan.ads:
            campaign = plan.campaigns[ad.campaign]
            platform = plan.accounts[campaign.account].platform
            creative = plan.creatives[ad.creative]
            truths = [plan.images[i].truth for i in creative.images]
            # A carousel performs as the mean of its cards.
            mean = {
                name: sum(getattr(t, name) for t in truths) / len(truths)
                for name in TrueQuality.__dataclass_fields__
            }
            p_ctr, p_engagement, p_conversion, p_lead = PLATFORM_FACTORS[platform]
            o_ctr, o_link, o_conversion, o_lead, o_engagement, o_video = OBJECTIVE_FACTORS[
                campaign.objective
            ]
            columns["first"].append(ad.first_day)
            columns["last"].append(ad.last_day)
            columns["platform"].append(PLATFORMS.index(platform))
            columns["daily"].append(ad.daily_impressions)
            columns["cpm"].append(ad.cpm)
            columns["frequency"].append(ad.frequency)
            columns["value"].append(
                ad.value_per_conversion if campaign.objective == CONVERSION else 0.0
            )
            columns["ctr"].append(mean["ctr"] * p_ctr * o_ctr * ad.audience_factor)
            columns["link_share"].append(min(0.98, mean["link_click_share"] * o_link))
            columns["conversion_rate"].append(
                min(0.9, mean["conversion_rate"] * p_conversion * o_conversion)
            )
            columns["lead_rate"].append(min(0.9, mean["lead_rate"] * p_lead * o_lead))
            columns["video_rate"].append(
                min(0.9, mean["video_view_rate"] * o_video) if creative.is_video else 0.0
            )
            columns["engagement_rate"].append(
                min(0.5, mean["engagement_rate"] * p_engagement * o_engagement)
            )
            columns["half_life"].append(mean["fatigue_half_life_days"])
            columns["fractional"].append(platform == "google_ads")
            columns["has_reach"].append(platform != "google_ads")
        return cls(**{name: np.array(values) for name, values in columns.items()})


def usd_cop_rates(parameters: DemoParameters) -> list[tuple[dt.date, float]]:
    """One USD→COP rate per day of the window: a mean-reverting random walk around 4,000."""
    rng = random_stream(parameters, 8)
    centre = math.log(USD_COP_CENTRE)
    level = centre + rng.normal(0, 0.03)
    rates = []
    for day in range(parameters.days):
        level += 0.02 * (centre - level) + rng.normal(0, 0.006)
        rates.append((parameters.start_date + dt.timedelta(days=day), round(math.exp(level), 2)))
    return rates
