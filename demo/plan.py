"""What a demo history is made of: its parameters, the plan's plain records, random streams.

Shared by every part of the generator (planning, images, metrics, the truth file), so it sits
below them all and imports nothing of theirs but the cast and the artwork spec. Everything is
a function of `DemoParameters` alone. Each part draws from its own random stream
(`random_stream(parameters, n)`), so changing how one part is generated does not shift the
others.
"""

from __future__ import annotations

import calendar
import datetime as dt
from dataclasses import dataclass, field

import numpy as np

from demo.artwork import ArtSpec
from demo.cast import AccountSpec, NodeSpec, RuleSpec

# A fixed end date, not "yesterday": the same seed must give the same history on any day it
# runs, or benchmarks and tests could not compare runs. Pass --end-date to move it.
DEFAULT_END_DATE = dt.date(2026, 10, 31)
DEFAULT_SEED = 7
DEFAULT_CREATIVES = 1500
DEFAULT_MONTHS = 12
MIN_CREATIVES = 12


@dataclass(frozen=True)
class DemoParameters:
    seed: int = DEFAULT_SEED
    creatives: int = DEFAULT_CREATIVES
    months: int = DEFAULT_MONTHS
    end_date: dt.date = DEFAULT_END_DATE

    @property
    def start_date(self) -> dt.date:
        """The first day of the window: `months` calendar months ending on `end_date`."""
        after = self.end_date + dt.timedelta(days=1)
        month_index = after.year * 12 + after.month - 1 - self.months
        year, month = divmod(month_index, 12)
        day = min(after.day, calendar.monthrange(year, month + 1)[1])
        return dt.date(year, month + 1, day)

    @property
    def days(self) -> int:
        return (self.end_date - self.start_date).days + 1


@dataclass(frozen=True)
class CampaignSpec:
    account: int
    node: str
    objective: str
    objective_raw: str
    external_id: str
    name: str
    status: str
    first_day: int
    last_day: int
    running: bool


@dataclass(frozen=True)
class TrueQuality:
    """An image's hidden rates on Meta, before objective factors, fatigue and daily noise."""

    ctr: float  # clicks per impression
    link_click_share: float  # link clicks per click
    conversion_rate: float  # conversions per click, in a conversion campaign
    lead_rate: float  # leads per click, in a lead campaign
    video_view_rate: float  # video views per impression, when shown as a video
    engagement_rate: float  # engagements other than clicks, per impression
    fatigue_half_life_days: float  # days for the click-through rate to lose half its excess


@dataclass(frozen=True)
class ImageSpec:
    art: ArtSpec
    node: str
    platform: str  # where it first ran
    truth: TrueQuality
    source_url: str
    variant_of: int | None = None  # the image this near-duplicate was made from
    variant_kind: str = ""  # "crop", "tint" or "offer"


@dataclass(frozen=True)
class CreativeSpec:
    platform: str
    node: str
    external_id: str
    name: str
    headline: str
    body: str
    call_to_action: str
    landing_url: str
    images: tuple[int, ...]
    is_video: bool


@dataclass(frozen=True)
class AdSpec:
    campaign: int
    creative: int
    external_id: str
    name: str
    status: str
    first_day: int
    last_day: int  # the last day with delivery; equals the window's last day when running
    running: bool
    tiny: bool  # a test that barely delivered: few impressions, often lucky rates
    daily_impressions: float
    cpm: float  # account currency per thousand impressions
    frequency: float  # impressions per person per day
    value_per_conversion: float  # account currency
    audience_factor: float  # how this ad's targeting moves the creative's click-through rate


@dataclass(frozen=True)
class HistoryPlan:
    parameters: DemoParameters
    nodes: tuple[NodeSpec, ...]
    accounts: tuple[AccountSpec, ...]
    rules: tuple[RuleSpec, ...]
    campaigns: tuple[CampaignSpec, ...]
    creatives: tuple[CreativeSpec, ...]
    images: tuple[ImageSpec, ...]
    ads: tuple[AdSpec, ...]
    image_days: tuple[tuple[int, int], ...] = field(default=())  # first and last day seen

    @property
    def ad_days(self) -> int:
        return sum(ad.last_day - ad.first_day + 1 for ad in self.ads)

    def date(self, day: int) -> dt.date:
        return self.parameters.start_date + dt.timedelta(days=day)


def random_stream(parameters: DemoParameters, stream: int) -> np.random.Generator:
    """Return the generator for one numbered part of the history, independent of the others."""
    return np.random.default_rng([parameters.seed, stream])


def weighted_choice(rng: np.random.Generator, options: dict | tuple) -> str:
    """Pick a key of `{key: weight}` or of `((key, weight), ...)` in proportion to its weight."""
    if isinstance(options, dict):
        keys, weights = list(options), np.array(list(options.values()), dtype=float)
    else:
        keys, weights = [key for key, _ in options], np.array([w for _, w in options], float)
    return keys[int(rng.choice(len(keys), p=weights / weights.sum()))]
