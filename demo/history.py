"""Plan a demo ad history and simulate its daily metrics: plain Python and numpy, no Django.

`plan_history()` decides everything that is not a daily number: with the fixed cast of
`demo.cast` (nodes, accounts, mapping rules), the campaigns, creatives, the images'
artwork and each image's hidden true quality, the ads and their flights.
`simulate_daily_metrics()` then draws the daily rows from that truth in chunks of ads, as
numpy arrays, so 10 million rows never sit in memory at once.

Everything is a function of `DemoParameters` alone. Each part draws from its own random
stream (`default_rng([seed, stream])`), so changing how one part is generated does not shift
the others, and metric chunks have a fixed size so the rows do not depend on how they are
written.

The model, in short: an image has a hidden quality (click-through rate, link-click share,
conversions and leads per click, video views and engagements per impression, a fatigue
half-life), partly driven by what it shows (people, layout), so the best pieces have something
visible in common. A creative performs as the mean of its images; an ad adds its platform's and
objective's factors and a little audience noise, and pays a lower CPM the more appealing its
pictures are (auctions reward engagement). Each day, impressions follow the ad's budget, the
weekday and the season; clicks, conversions and the rest are binomial draws from those
impressions, with the click-through rate decaying as the ad ages.
"""

from __future__ import annotations

import calendar
import datetime as dt
import math
from collections.abc import Iterator
from dataclasses import dataclass, field, replace

import numpy as np

from campaigns.objectives import (
    AWARENESS,
    CONVERSION,
    ENGAGEMENT,
    LEADS,
    OBJECTIVES,
    OTHER,
    TRAFFIC,
    map_objective,
)
from demo.artwork import ArtSpec, Palette
from demo.cast import (
    ACCOUNTS,
    AUDIENCES,
    COOL,
    HOSTED_NODES,
    NEUTRAL,
    NODE_BY_SLUG,
    NODE_CONTENT,
    NODE_OBJECTIVE_WEIGHTS,
    NODE_SLUGS,
    NODE_WEIGHTS,
    NODES,
    OBJECTIVE_CODES,
    OTHER_SHARE,
    PLATFORM_WEIGHTS,
    PLATFORMS,
    RAW_OBJECTIVES,
    RULES,
    SIZE_NAMES,
    SIZES,
    SOURCE_HOSTS,
    WARM,
    AccountSpec,
    NodeSpec,
    RuleSpec,
)

# A fixed end date, not "yesterday": the same seed must give the same history on any day it
# runs, or benchmarks and tests could not compare runs. Pass --end-date to move it.
DEFAULT_END_DATE = dt.date(2026, 10, 31)
DEFAULT_SEED = 7
DEFAULT_CREATIVES = 1500
DEFAULT_MONTHS = 12
MIN_CREATIVES = 12
# Ads per metric chunk. Fixed, because each chunk draws from its own random stream.
METRIC_CHUNK_ADS = 400

EXCHANGE_RATE_SOURCE = "Yenni demo (random walk)"
USD_COP_CENTRE = 4000.0


# --- parameters and plan -------------------------------------------------------------------


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


# --- the hidden truth and how platforms and objectives bend it ------------------------------

NODE_BASE_RATES = {
    #                      ctr,   conversions/click, leads/click
    "tu360compras": (0.011, 0.040, 0.030),
    "tu360inmobiliario": (0.008, 0.008, 0.090),
    "wompi": (0.009, 0.025, 0.060),
    "plink": (0.012, 0.030, 0.030),
    "bancolombia-empresas": (0.006, 0.012, 0.070),
}
# What the picture shows moves its appeal: people and a full scene help, a wall of text hurts.
LAYOUT_APPEAL = {"hero": 0.30, "product": 0.05, "headline": -0.25, "split": 0.10, "qr": 0.0}
PEOPLE_APPEAL = 0.15
FATIGUE_FLOOR = 0.5  # share of the click-through rate an ad keeps however old it gets

PLATFORM_FACTORS = {
    # ctr, engagement, conversions, leads
    "meta": (1.0, 1.0, 1.0, 1.0),
    "google_ads": (0.6, 0.2, 1.2, 0.8),
    "linkedin": (0.5, 0.8, 0.7, 1.3),
    "x": (0.7, 1.3, 0.6, 0.5),
}
OBJECTIVE_FACTORS = {
    # ctr, link share, conversions, leads, engagement, video views
    AWARENESS: (0.6, 1.0, 0.03, 0.0, 0.8, 1.0),
    TRAFFIC: (1.2, 1.15, 0.25, 0.0, 1.0, 0.8),
    ENGAGEMENT: (1.0, 0.8, 0.03, 0.0, 1.6, 1.2),
    LEADS: (0.9, 1.0, 0.10, 1.0, 1.0, 0.8),
    CONVERSION: (1.0, 1.0, 1.0, 0.0, 1.0, 0.8),
    OTHER: (0.8, 1.0, 0.05, 0.0, 1.0, 0.8),
}
# Impressions per day by weekday (Monday first): LinkedIn sleeps at weekends, Meta does not.
WEEKDAY_IMPRESSIONS = {
    "meta": (1.0, 1.0, 1.0, 1.0, 1.05, 1.1, 1.1),
    "google_ads": (1.1, 1.1, 1.05, 1.05, 1.0, 0.8, 0.8),
    "linkedin": (1.2, 1.2, 1.15, 1.1, 1.0, 0.5, 0.45),
    "x": (1.0, 1.0, 1.0, 1.0, 1.0, 1.05, 1.05),
}
WEEKDAY_CTR = (1.0, 1.0, 1.0, 0.99, 0.97, 1.04, 1.05)
MONTH_IMPRESSIONS = {1: 0.85, 2: 0.95, 3: 1.0, 4: 0.95, 5: 1.0, 6: 1.05, 7: 1.0, 8: 0.95,
                     9: 1.0, 10: 1.05, 11: 1.2, 12: 1.15}  # fmt: skip
PLATFORM_DAILY_IMPRESSIONS = {"meta": 1.0, "google_ads": 1.3, "linkedin": 0.25, "x": 0.6}
OBJECTIVE_DAILY_IMPRESSIONS = {
    AWARENESS: 2.0,
    TRAFFIC: 1.0,
    ENGAGEMENT: 1.3,
    LEADS: 0.7,
    CONVERSION: 0.8,
    OTHER: 0.8,
}
# CPM in COP; USD accounts pay the same at the centre of the exchange rate.
PLATFORM_CPM_COP = {"meta": 11_000.0, "google_ads": 9_000.0, "linkedin": 22_000.0, "x": 9_500.0}
# How strongly a piece's appeal lowers what it pays per thousand impressions.
CPM_RELEVANCE_EXPONENT = -0.4
OBJECTIVE_CPM = {AWARENESS: 0.75, TRAFFIC: 1.0, ENGAGEMENT: 0.9, LEADS: 1.25, CONVERSION: 1.3,
                 OTHER: 1.0}  # fmt: skip
VALUE_PER_CONVERSION_COP = {
    "tu360compras": 650_000.0,
    "tu360inmobiliario": 2_000_000.0,
    "wompi": 120_000.0,
    "plink": 40_000.0,
    "bancolombia-empresas": 500_000.0,
}
# Flights, tuned so the default demo has ~350,000 daily rows and 20,000 creatives over 24
# months about 10 million: rows grow with creatives × months.
ALWAYS_ON_SHARE = 0.15
RUNNING_AT_END = 0.4  # of the other campaigns whose flight reaches the window's end
CAMPAIGN_LENGTH_BETA = (2.0, 1.5)
AD_LATE_START = 0.6
AD_TO_CAMPAIGN_END = 0.55
TINY_AD_SHARE = 0.14
CAROUSEL_SHARE = 0.09
VIDEO_SHARE = 0.12
VARIANT_SHARE = 0.15
EXTRA_ADS_PER_CREATIVE = 1.45
IMAGES_PER_CREATIVE = 1.06  # distinct images per creative: some slots reuse an image


# --- planning -------------------------------------------------------------------------------


def plan_history(parameters: DemoParameters) -> HistoryPlan:
    """Return the whole plan for `parameters`: everything but the daily numbers."""
    if parameters.creatives < MIN_CREATIVES:
        raise ValueError(f"The demo needs at least {MIN_CREATIVES} creatives.")
    if parameters.months < 1:
        raise ValueError("The demo needs at least one month.")
    days = parameters.days
    drafts = _plan_campaigns(parameters, _rng(parameters, 1), days)
    homes = _plan_creative_homes(parameters, _rng(parameters, 2), len(drafts))
    slots, is_video = _plan_slots(_rng(parameters, 3), drafts, homes)
    images, creative_images = _plan_images(parameters, _rng(parameters, 4), drafts, homes, slots)
    creatives = _plan_creatives(
        _rng(parameters, 5), drafts, homes, creative_images, is_video, images
    )
    ads = _plan_ads(_rng(parameters, 6), drafts, homes, creatives, images, days)
    campaigns = _finish_campaigns(drafts, ads, parameters)
    image_days = _image_days(len(images), creatives, ads)
    return HistoryPlan(
        parameters=parameters,
        nodes=NODES,
        accounts=ACCOUNTS,
        rules=RULES,
        campaigns=campaigns,
        creatives=creatives,
        images=images,
        ads=ads,
        image_days=image_days,
    )


def _rng(parameters: DemoParameters, stream: int) -> np.random.Generator:
    return np.random.default_rng([parameters.seed, stream])


def _weighted(rng: np.random.Generator, options: dict | tuple) -> str:
    if isinstance(options, dict):
        keys, weights = list(options), np.array(list(options.values()), dtype=float)
    else:
        keys, weights = [key for key, _ in options], np.array([w for _, w in options], float)
    return keys[int(rng.choice(len(keys), p=weights / weights.sum()))]


@dataclass
class _CampaignDraft:
    account: int
    node: str
    objective: str
    objective_raw: str
    theme: str
    audience: str
    first_day: int
    last_day: int
    running: bool
    platform_index: int = 0  # its number among the platform's campaigns, for external ids


def _plan_campaigns(
    parameters: DemoParameters, rng: np.random.Generator, days: int
) -> list[_CampaignDraft]:
    count = min(parameters.creatives, max(MIN_CREATIVES, round(parameters.creatives / 4.5)))
    per_platform = dict.fromkeys(PLATFORMS, 0)
    drafts: list[_CampaignDraft] = []
    for index in range(count):
        if index < MIN_CREATIVES:
            # The first campaigns cover every node and objective, so small demos show them all.
            node = NODE_SLUGS[index % len(NODE_SLUGS)]
            objective = OBJECTIVES[index % len(OBJECTIVES)]
            candidates = [
                a
                for a in range(len(ACCOUNTS))
                if node in HOSTED_NODES[a] and objective in RAW_OBJECTIVES[ACCOUNTS[a].platform]
            ]
            # Walk the candidates so the first campaigns also spread over platforms and
            # currencies (index 7 lands on a USD account).
            account = candidates[(index // len(NODE_SLUGS) + index) % len(candidates)]
        else:
            node = _weighted(rng, NODE_WEIGHTS)
            candidates = [a for a in range(len(ACCOUNTS)) if node in HOSTED_NODES[a]]
            weights = np.array([PLATFORM_WEIGHTS[ACCOUNTS[a].platform] for a in candidates])
            account = candidates[int(rng.choice(len(candidates), p=weights / weights.sum()))]
            platform = ACCOUNTS[account].platform
            if rng.random() < OTHER_SHARE and OTHER in RAW_OBJECTIVES[platform]:
                objective = OTHER
            else:
                mix = {
                    objective: weight
                    for objective, weight in NODE_OBJECTIVE_WEIGHTS[node].items()
                    if objective in RAW_OBJECTIVES[platform]
                }
                objective = _weighted(rng, mix)
        platform = ACCOUNTS[account].platform
        raw = _weighted(rng, RAW_OBJECTIVES[platform][objective])
        if map_objective(platform, raw) != objective:
            raise AssertionError(f"{platform} {raw} should map to {objective}")
        content = NODE_CONTENT[node]
        # Always-on campaigns span the window; the others are flights of weeks to months,
        # and those still going at the window's end are running.
        always_on = rng.random() < ALWAYS_ON_SHARE
        if always_on:
            first = int(rng.integers(0, max(1, days // 10)))
            last = days - 1
        else:
            length = max(7, round(days * rng.beta(*CAMPAIGN_LENGTH_BETA)))
            first = int(rng.integers(0, max(1, days - 7)))
            last = min(days - 1, first + length - 1)
            if last == days - 1 and rng.random() >= RUNNING_AT_END:
                # Paused in the last weeks, rather than all stopping on the very last day.
                last = max(first, last - int(rng.integers(1, 22)))
        running = last == days - 1
        drafts.append(
            _CampaignDraft(
                account=account,
                node=node,
                objective=objective,
                objective_raw=raw,
                theme=content.themes[int(rng.integers(len(content.themes)))],
                audience=AUDIENCES[int(rng.integers(len(AUDIENCES)))],
                first_day=first,
                last_day=last,
                running=running,
                platform_index=per_platform[platform],
            )
        )
        per_platform[platform] += 1
    return drafts


def _plan_creative_homes(
    parameters: DemoParameters, rng: np.random.Generator, campaigns: int
) -> np.ndarray:
    """Return each creative's home campaign: every campaign gets one, big ones get more."""
    weights = rng.lognormal(0.0, 0.7, size=campaigns)
    rest = rng.choice(campaigns, size=parameters.creatives - campaigns, p=weights / weights.sum())
    return np.concatenate([np.arange(campaigns), np.sort(rest)])


def _plan_slots(
    rng: np.random.Generator, drafts: list[_CampaignDraft], homes: np.ndarray
) -> tuple[list[int], list[bool]]:
    """Return how many images each creative holds (carousels 2–4) and which are videos."""
    slots: list[int] = []
    videos: list[bool] = []
    for home in homes:
        platform = ACCOUNTS[drafts[home].account].platform
        carousel = platform != "google_ads" and rng.random() < CAROUSEL_SHARE
        slots.append(int(rng.integers(2, 5)) if carousel else 1)
        videos.append(not carousel and platform != "google_ads" and rng.random() < VIDEO_SHARE)
    return slots, videos


def _plan_images(
    parameters: DemoParameters,
    rng: np.random.Generator,
    drafts: list[_CampaignDraft],
    homes: np.ndarray,
    slots: list[int],
) -> tuple[tuple[ImageSpec, ...], list[tuple[int, ...]]]:
    """Return the distinct images and each creative's images, in slot order.

    Every creative holds at least one slot and only `total slots - distinct images` slots
    reuse an earlier image, so there are never fewer distinct images than creatives.
    """
    total_slots = sum(slots)
    distinct = min(total_slots, math.ceil(parameters.creatives * IMAGES_PER_CREATIVE))
    reuse_count = total_slots - distinct
    reuse = set(
        rng.choice(np.arange(1, total_slots), size=reuse_count, replace=False).tolist()
        if reuse_count
        else ()
    )
    images: list[ImageSpec] = []
    by_node: dict[str, list[int]] = {slug: [] for slug in NODE_SLUGS}
    originals: dict[str, list[int]] = {slug: [] for slug in NODE_SLUGS}
    creative_images: list[tuple[int, ...]] = []
    position = 0
    for creative, home in enumerate(homes):
        draft = drafts[home]
        platform = ACCOUNTS[draft.account].platform
        chosen: list[int] = []
        for slot in range(slots[creative]):
            # Reuse favours recent images of the same node: a piece that works gets rerun.
            pool = (
                [i for i in by_node[draft.node][-200:] if i not in chosen]
                if position in reuse
                else []
            )
            if pool:
                chosen.append(pool[int(rng.integers(len(pool)))])
            else:
                base_pool = originals[draft.node]
                if base_pool and rng.random() < VARIANT_SHARE:
                    base = base_pool[int(rng.integers(len(base_pool)))]
                    image = _variant(rng, images[base], base, len(images), draft.node)
                else:
                    carousel_card = slots[creative] > 1
                    image = _new_image(
                        rng, len(images), draft.node, platform, carousel_card, creative, slot
                    )
                    originals[draft.node].append(len(images))
                by_node[draft.node].append(len(images))
                chosen.append(len(images))
                images.append(image)
            position += 1
        creative_images.append(tuple(chosen))
    return tuple(images), creative_images


def _jitter(colour: tuple[int, int, int], rng: np.random.Generator) -> tuple[int, int, int]:
    delta = rng.integers(-14, 15, size=3)
    return tuple(int(min(255, max(0, c + d))) for c, d in zip(colour, delta, strict=True))


def _palette(rng: np.random.Generator, node: str) -> Palette:
    roll = rng.random()
    content = NODE_CONTENT[node]
    if roll < 0.45:
        options = content.brand_palettes
    elif roll < 0.7:
        options = WARM
    elif roll < 0.95:
        options = COOL
    else:
        options = NEUTRAL
    base = options[int(rng.integers(len(options)))]
    return Palette(
        name=base.name,
        background=_jitter(base.background, rng),
        background_end=_jitter(base.background_end, rng),
        accent=base.accent,
        ink=base.ink,
        band=_jitter(base.band, rng),
    )


def _new_image(
    rng: np.random.Generator,
    index: int,
    node: str,
    platform: str,
    carousel_card: bool,
    creative: int,
    slot: int,
) -> ImageSpec:
    content = NODE_CONTENT[node]
    if carousel_card:
        size = (540, 540)
        layout = _weighted(rng, {"product": 5, "split": 3, "hero": 2})
    else:
        size = _weighted_size(rng, platform)
        qr_weight = 2.5 if node in ("wompi", "plink") else 0.3
        layout = _weighted(
            rng, {"hero": 3, "product": 2.5, "headline": 1.5, "split": 2, "qr": qr_weight}
        )
    people = {
        "hero": int(rng.integers(1, 4)),
        "split": int(rng.integers(0, 3)),
        "product": int(rng.random() < 0.35),
    }.get(layout, 0)
    png = rng.random() < (0.25 if layout == "headline" else 0.03)
    art = ArtSpec(
        width=size[0],
        height=size[1],
        layout=layout,
        palette=_palette(rng, node),
        product=content.products[int(rng.integers(len(content.products)))],
        people=people,
        headline=content.headlines[int(rng.integers(len(content.headlines)))],
        offer=content.offers[int(rng.integers(len(content.offers)))],
        call_to_action=content.calls_to_action[int(rng.integers(len(content.calls_to_action)))],
        brand=content.brand,
        detail_seed=int(rng.integers(0, 2**31)),
        image_format="PNG" if png else "JPEG",
    )
    return ImageSpec(
        art=art,
        node=node,
        platform=platform,
        truth=_true_quality(rng, node, art),
        source_url=_source_url(platform, index, art.image_format),
    )


def _weighted_size(rng: np.random.Generator, platform: str) -> tuple[int, int]:
    options = SIZES[platform]
    weights = np.array([weight for _, weight in options])
    return options[int(rng.choice(len(options), p=weights / weights.sum()))][0]


def _source_url(platform: str, index: int, image_format: str) -> str:
    extension = "png" if image_format == "PNG" else "jpg"
    return f"{SOURCE_HOSTS[platform]}/{index:07d}.{extension}"


def _true_quality(rng: np.random.Generator, node: str, art: ArtSpec) -> TrueQuality:
    base_ctr, base_conversion, base_lead = NODE_BASE_RATES[node]
    appeal = 0.8 * rng.normal() + LAYOUT_APPEAL[art.layout] + PEOPLE_APPEAL * min(art.people, 1)
    noise = rng.normal(size=6)
    link_logit = math.log(0.7 / 0.3) + 0.5 * noise[1]
    return TrueQuality(
        ctr=base_ctr * math.exp(0.45 * appeal + 0.15 * noise[0]),
        link_click_share=1 / (1 + math.exp(-link_logit)),
        conversion_rate=min(0.5, base_conversion * math.exp(0.15 * appeal + 0.45 * noise[2])),
        lead_rate=min(0.5, base_lead * math.exp(0.2 * appeal + 0.45 * noise[3])),
        video_view_rate=min(0.8, 0.25 * math.exp(0.3 * appeal + 0.3 * noise[4])),
        engagement_rate=0.01 * math.exp(0.35 * appeal + 0.3 * noise[5]),
        fatigue_half_life_days=float(min(180.0, max(7.0, 35.0 * math.exp(0.5 * rng.normal())))),
    )


def _variant(
    rng: np.random.Generator, base: ImageSpec, base_index: int, index: int, node: str
) -> ImageSpec:
    """A near-duplicate of `base`: same layout, one small change, similar performance."""
    kind = _weighted(rng, {"crop": 3, "tint": 3.5, "offer": 3.5})
    art = base.art
    if kind == "crop":
        art = replace(art, crop=float(rng.uniform(0.015, 0.035)))
    elif kind == "tint":
        signs = rng.choice([-1, 1], size=3)
        art = replace(art, tint=tuple(int(s * rng.integers(8, 21)) for s in signs))
    else:
        offers = [o for o in NODE_CONTENT[node].offers if o != art.offer]
        art = replace(art, offer=offers[int(rng.integers(len(offers)))])
    truth = base.truth
    wobble = np.exp(0.1 * rng.normal(size=6))
    truth = TrueQuality(
        ctr=truth.ctr * wobble[0],
        link_click_share=min(0.98, truth.link_click_share * wobble[1]),
        conversion_rate=min(0.5, truth.conversion_rate * wobble[2]),
        lead_rate=min(0.5, truth.lead_rate * wobble[3]),
        video_view_rate=min(0.8, truth.video_view_rate * wobble[4]),
        engagement_rate=truth.engagement_rate * wobble[5],
        fatigue_half_life_days=truth.fatigue_half_life_days,
    )
    return ImageSpec(
        art=art,
        node=node,
        platform=base.platform,
        truth=truth,
        source_url=_source_url(base.platform, index, art.image_format),
        variant_of=base_index,
        variant_kind=kind,
    )


def _external_id(platform: str, kind: str, index: int, rng: np.random.Generator) -> str:
    """An id in the platform's style, unique per kind: index times a stride plus a jitter."""
    jitter = int(rng.integers(0, 997))
    if platform == "meta":
        base = {"campaign": 120_200_000_000_000_000, "ad": 120_210_000_000_000_000,
                "creative": 120_220_000_000_000_000}[kind]  # fmt: skip
        return str(base + index * 997_331 + jitter)
    if platform == "google_ads":
        base = {"campaign": 20_100_000_000, "ad": 690_000_000_000, "creative": 61_000_000_000}
        return str(base[kind] + index * 1_009 + jitter)
    if platform == "linkedin":
        base = {"campaign": 190_000_000, "ad": 270_000_000, "creative": 280_000_000}[kind]
        return str(base + index * 1_009 + jitter)
    if kind == "creative":  # X creatives are Tweets: 19-digit ids
        return str(1_790_000_000_000_000_000 + index * 1_000_003 + jitter)
    base = {"campaign": 9_000_000, "ad": 40_000_000}[kind]
    return np.base_repr(base + index * 1_009 + jitter, 36).lower()


def _plan_creatives(
    rng: np.random.Generator,
    drafts: list[_CampaignDraft],
    homes: np.ndarray,
    creative_images: list[tuple[int, ...]],
    is_video: list[bool],
    images: tuple[ImageSpec, ...],
) -> tuple[CreativeSpec, ...]:
    per_platform = dict.fromkeys(PLATFORMS, 0)
    creatives = []
    for index, home in enumerate(homes):
        draft = drafts[home]
        platform = ACCOUNTS[draft.account].platform
        content = NODE_CONTENT[draft.node]
        first = images[creative_images[index][0]].art
        # Copy usually repeats the picture's headline; A/B tests pair it with another.
        headline = (
            first.headline
            if rng.random() < 0.65
            else content.headlines[int(rng.integers(len(content.headlines)))]
        )
        if len(creative_images[index]) > 1:
            shape = "CAR"
        elif is_video[index]:
            shape = "VID"
        else:
            shape = SIZE_NAMES[(first.width, first.height)]
        external_id = _external_id(platform, "creative", per_platform[platform], rng)
        per_platform[platform] += 1
        creatives.append(
            CreativeSpec(
                platform=platform,
                node=draft.node,
                external_id=external_id,
                name=f"{NODE_BY_SLUG[draft.node].prefix}_{draft.theme}_{shape}_{index:05d}",
                headline=headline,
                body=f"{headline}. {first.offer}. Aplican términos y condiciones.",
                call_to_action=first.call_to_action,
                landing_url=(
                    f"{content.landing}?utm_source={platform}&utm_medium=paid"
                    f"&utm_campaign={draft.theme.lower()}"
                ),
                images=creative_images[index],
                is_video=is_video[index],
            )
        )
    return tuple(creatives)


def _plan_ads(
    rng: np.random.Generator,
    drafts: list[_CampaignDraft],
    homes: np.ndarray,
    creatives: tuple[CreativeSpec, ...],
    images: tuple[ImageSpec, ...],
    days: int,
) -> tuple[AdSpec, ...]:
    by_group: dict[tuple[int, str], list[int]] = {}
    for index, draft in enumerate(drafts):
        by_group.setdefault((draft.account, draft.node), []).append(index)
    per_platform = dict.fromkeys(PLATFORMS, 0)
    ads: list[AdSpec] = []
    for creative_index, home in enumerate(homes):
        extras = min(4, int(rng.poisson(EXTRA_ADS_PER_CREATIVE)))
        group = by_group[(drafts[home].account, drafts[home].node)]
        targets = [int(home)]
        for _ in range(extras):
            # Reuse in another ad set of the same campaign, or in a sibling campaign.
            same = rng.random() < 0.5 or len(group) == 1
            targets.append(int(home) if same else group[int(rng.integers(len(group)))])
        creative = creatives[creative_index]
        # Auctions charge less to deliver pieces people engage with (Meta's quality ranking,
        # Google's quality score): a piece's CPM falls as its true CTR rises.
        piece_ctr = sum(images[i].truth.ctr for i in creative.images) / len(creative.images)
        relevance = piece_ctr / NODE_BASE_RATES[creative.node][0]
        for version, campaign in enumerate(targets, start=1):
            draft = drafts[campaign]
            platform = ACCOUNTS[draft.account].platform
            ads.append(
                _ad(
                    rng,
                    draft,
                    campaign,
                    creative_index,
                    creative,
                    version,
                    per_platform[platform],
                    days,
                    relevance=relevance,
                )
            )
            per_platform[platform] += 1
    return tuple(ads)


def _ad(
    rng: np.random.Generator,
    draft: _CampaignDraft,
    campaign: int,
    creative_index: int,
    creative: CreativeSpec,
    version: int,
    platform_index: int,
    days: int,
    *,
    relevance: float = 1.0,
) -> AdSpec:
    account = ACCOUNTS[draft.account]
    platform = account.platform
    span = draft.last_day - draft.first_day + 1
    tiny = rng.random() < TINY_AD_SHARE
    if tiny:
        first = draft.first_day + int(rng.integers(0, span))
        last = min(draft.last_day, first + int(rng.integers(0, 7)))
        running = False
        daily = float(rng.uniform(3, 150))
    else:
        # Most ads launch with their campaign; refreshes come in later. An ad either lasts
        # to its campaign's end (and keeps running with it) or is paused some way before.
        first = draft.first_day + int(span * AD_LATE_START * rng.beta(1.0, 3.0))
        remaining = draft.last_day - first + 1
        if rng.random() < AD_TO_CAMPAIGN_END:
            last = draft.last_day
        else:
            last = first + max(2, round(remaining * rng.beta(2.0, 1.5))) - 1
            last = min(draft.last_day - 1, last) if remaining > 3 else draft.last_day
        running = draft.running and last == draft.last_day
        daily = (
            2_500.0
            * rng.lognormal(0.0, 0.9)
            * PLATFORM_DAILY_IMPRESSIONS[platform]
            * OBJECTIVE_DAILY_IMPRESSIONS[draft.objective]
        )
    usd = account.currency == "USD"
    cpm = (
        PLATFORM_CPM_COP[platform]
        * OBJECTIVE_CPM[draft.objective]
        * relevance**CPM_RELEVANCE_EXPONENT
        * rng.lognormal(0.0, 0.15)
    )
    cpm = min(25_000.0, max(6_000.0, cpm))
    value = VALUE_PER_CONVERSION_COP[draft.node] * rng.lognormal(0.0, 0.2)
    if usd:
        cpm, value = cpm / USD_COP_CENTRE, value / USD_COP_CENTRE
    active = "ENABLED" if platform == "google_ads" else "ACTIVE"
    return AdSpec(
        campaign=campaign,
        creative=creative_index,
        external_id=_external_id(platform, "ad", platform_index, rng),
        name=f"{draft.theme}_{creative.name.split('_')[-2]}_v{version}",
        status=active if running else "PAUSED",
        first_day=first,
        last_day=days - 1 if running else last,
        running=running,
        tiny=tiny,
        daily_impressions=daily,
        cpm=float(cpm),
        frequency=float(1.05 + rng.gamma(2.0, 0.12)),
        value_per_conversion=float(value),
        audience_factor=float(rng.lognormal(0.0, 0.15)),
    )


def _finish_campaigns(
    drafts: list[_CampaignDraft], ads: tuple[AdSpec, ...], parameters: DemoParameters
) -> tuple[CampaignSpec, ...]:
    """Fix each campaign's dates to its ads' and give it its name and id."""
    first = [None] * len(drafts)
    last = [None] * len(drafts)
    running = [False] * len(drafts)
    for ad in ads:
        c = ad.campaign
        first[c] = ad.first_day if first[c] is None else min(first[c], ad.first_day)
        last[c] = ad.last_day if last[c] is None else max(last[c], ad.last_day)
        running[c] = running[c] or ad.running
    campaigns = []
    rng = _rng(parameters, 7)
    for index, draft in enumerate(drafts):
        account = ACCOUNTS[draft.account]
        start = parameters.start_date + dt.timedelta(days=first[index])
        quarter = f"{start.year}Q{(start.month - 1) // 3 + 1}"
        prefix = NODE_BY_SLUG[draft.node].prefix
        code = OBJECTIVE_CODES[draft.objective]
        name = f"{prefix}_{code}_{draft.theme}_{draft.audience}_{quarter}"
        if running[index]:
            status = "ENABLED" if account.platform == "google_ads" else "ACTIVE"
        elif account.platform == "linkedin":
            status = "COMPLETED"
        else:
            status = "PAUSED"
        campaigns.append(
            CampaignSpec(
                account=draft.account,
                node=draft.node,
                objective=draft.objective,
                objective_raw=draft.objective_raw,
                external_id=_external_id(account.platform, "campaign", draft.platform_index, rng),
                name=name,
                status=status,
                first_day=first[index],
                last_day=last[index],
                running=running[index],
            )
        )
    return tuple(campaigns)


def _image_days(
    count: int, creatives: tuple[CreativeSpec, ...], ads: tuple[AdSpec, ...]
) -> tuple[tuple[int, int], ...]:
    first = [10**9] * count
    last = [-1] * count
    for ad in ads:
        for image in creatives[ad.creative].images:
            first[image] = min(first[image], ad.first_day)
            last[image] = max(last[image], ad.last_day)
    return tuple(zip(first, last, strict=True))


# --- daily metrics --------------------------------------------------------------------------


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
        rng = _rng(plan.parameters, 1000 + chunk)
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


# --- exchange rates and the truth file ------------------------------------------------------


def usd_cop_rates(parameters: DemoParameters) -> list[tuple[dt.date, float]]:
    """One USD→COP rate per day of the window: a mean-reverting random walk around 4,000."""
    rng = _rng(parameters, 8)
    centre = math.log(USD_COP_CENTRE)
    level = centre + rng.normal(0, 0.03)
    rates = []
    for day in range(parameters.days):
        level += 0.02 * (centre - level) + rng.normal(0, 0.006)
        rates.append((parameters.start_date + dt.timedelta(days=day), round(math.exp(level), 2)))
    return rates


def true_quality_document(plan: HistoryPlan, sha256s: list[str]) -> dict:
    """Return the hidden truth, keyed by image SHA-256 (the loader writes it as JSON)."""
    parameters = plan.parameters
    platforms: list[set[str]] = [set() for _ in plan.images]
    objectives: list[set[str]] = [set() for _ in plan.images]
    ad_counts = [0] * len(plan.images)
    creative_counts = [0] * len(plan.images)
    for creative in plan.creatives:
        for image in creative.images:
            creative_counts[image] += 1
    for ad in plan.ads:
        campaign = plan.campaigns[ad.campaign]
        for image in plan.creatives[ad.creative].images:
            platforms[image].add(plan.accounts[campaign.account].platform)
            objectives[image].add(campaign.objective)
            ad_counts[image] += 1
    images = {}
    for index, spec in enumerate(plan.images):
        truth = spec.truth
        first, last = plan.image_days[index]
        images[sha256s[index]] = {
            "node": spec.node,
            "objectives": sorted(objectives[index]),
            "platforms": sorted(platforms[index]),
            "ads": ad_counts[index],
            "creatives": creative_counts[index],
            "first_seen": plan.date(first).isoformat(),
            "last_seen": plan.date(last).isoformat(),
            "variant_of": sha256s[spec.variant_of] if spec.variant_of is not None else None,
            "variant_kind": spec.variant_kind or None,
            "art": {
                "layout": spec.art.layout,
                "product": spec.art.product,
                "people": spec.art.people,
                "palette": spec.art.palette.name,
                "width": spec.art.width,
                "height": spec.art.height,
                "headline": spec.art.headline,
                "offer": spec.art.offer,
            },
            "true": {
                "ctr": round(truth.ctr, 6),
                "link_click_share": round(truth.link_click_share, 6),
                "conversion_rate": round(truth.conversion_rate, 6),
                "lead_rate": round(truth.lead_rate, 6),
                "video_view_rate": round(truth.video_view_rate, 6),
                "engagement_rate": round(truth.engagement_rate, 6),
                "fatigue_half_life_days": round(truth.fatigue_half_life_days, 2),
            },
        }
    return {
        "format": "yenni-demo-true-quality/1",
        "seed": parameters.seed,
        "parameters": {
            "creatives": parameters.creatives,
            "months": parameters.months,
            "start_date": parameters.start_date.isoformat(),
            "end_date": parameters.end_date.isoformat(),
            "fatigue_floor": FATIGUE_FLOOR,
            "platform_factors": {
                platform: dict(
                    zip(("ctr", "engagement", "conversion", "lead"), factors, strict=True)
                )
                for platform, factors in PLATFORM_FACTORS.items()
            },
            "objective_factors": {
                objective: dict(
                    zip(
                        (
                            "ctr",
                            "link_click_share",
                            "conversion",
                            "lead",
                            "engagement",
                            "video_view",
                        ),
                        factors,
                        strict=True,
                    )
                )
                for objective, factors in OBJECTIVE_FACTORS.items()
            },
        },
        "counts": {
            "images": len(plan.images),
            "creatives": len(plan.creatives),
            "ads": len(plan.ads),
            "campaigns": len(plan.campaigns),
        },
        "images": images,
    }
