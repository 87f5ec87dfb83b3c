"""What connectors return: plain records in Yenni's words, whatever the platform's shapes."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from decimal import ROUND_HALF_EVEN, Decimal


@dataclass(frozen=True)
class CampaignRecord:
    external_id: str
    name: str
    objective_raw: str = ""
    status: str = ""
    start_date: dt.date | None = None
    end_date: dt.date | None = None


@dataclass(frozen=True)
class CreativeRecord:
    external_id: str
    name: str = ""
    headline: str = ""
    body: str = ""
    call_to_action: str = ""
    landing_url: str = ""
    image_urls: tuple[str, ...] = ()


@dataclass(frozen=True)
class AdRecord:
    external_id: str
    campaign_external_id: str
    name: str = ""
    status: str = ""
    creative_external_id: str = ""


@dataclass(frozen=True)
class DailyMetricRecord:
    ad_external_id: str
    date: dt.date
    impressions: int = 0
    reach: int = 0
    clicks: int = 0
    link_clicks: int = 0
    spend_micros: int = 0
    conversions: float = 0.0
    conversion_value_micros: int = 0
    leads: int = 0
    video_views: int = 0
    engagements: int = 0
    campaign_external_id: str = ""
    # Every conversion type the platform reported, by its own name (X: "conversion_sign_ups",
    # "mobile_conversion_installs"…), whether or not it is counted in `conversions`; the
    # value of each in micros. Lets the choice of counted types change without a new fetch.
    conversions_by_type: dict[str, float] = field(default_factory=dict)
    conversion_values_by_type: dict[str, int] = field(default_factory=dict)
    # The source reports conversions by type even when both dicts are empty (Meta leaves out
    # zero action types, so a day without actions has none): the day is counted by the
    # account's choice (as zero), not kept as a source without types (a CSV file).
    reports_conversion_types: bool = False


@dataclass
class Parsed:
    """The records found in one response body."""

    campaigns: list[CampaignRecord] = field(default_factory=list)
    ads: list[AdRecord] = field(default_factory=list)
    creatives: list[CreativeRecord] = field(default_factory=list)
    metrics: list[DailyMetricRecord] = field(default_factory=list)

    def extend(self, other: Parsed) -> None:
        self.campaigns.extend(other.campaigns)
        self.ads.extend(other.ads)
        self.creatives.extend(other.creatives)
        self.metrics.extend(other.metrics)

    def __len__(self) -> int:
        return len(self.campaigns) + len(self.ads) + len(self.creatives) + len(self.metrics)


def to_micros(value: str | int | float | Decimal | None) -> int:
    """Return an amount in currency units (often a string) as integer micros, rounded evenly."""
    if value in (None, ""):
        return 0
    micros = Decimal(str(value)) * 1_000_000
    return int(micros.quantize(Decimal(1), rounding=ROUND_HALF_EVEN))


def to_int(value: str | int | float | None) -> int:
    """Return a platform count (often an int64 string) as an int; empty or null is 0."""
    if value in (None, ""):
        return 0
    return int(Decimal(str(value)))


def to_float(value: str | int | float | None) -> float:
    if value in (None, ""):
        return 0.0
    return float(value)
