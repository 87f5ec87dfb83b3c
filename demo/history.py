"""Plan a demo ad history: every campaign, creative, image and ad, but no daily numbers.

`plan_history()` decides everything that is not a daily number: with the fixed cast of
`demo.cast` (nodes, accounts, mapping rules), the campaigns and their flights, the creatives
and their copy, the images (planned in `demo.images`) and the ads. `demo.metrics` then draws
the daily rows from the plan, and `demo.truth` writes down the hidden truth they came from.
Plain Python and numpy, no Django: `demo.loader` is the only part that writes to the database.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import numpy as np

from campaigns.objectives import OBJECTIVES, OTHER, map_objective
from demo.cast import (
    ACCOUNTS,
    AUDIENCES,
    HOSTED_NODES,
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
)
from demo.images import plan_images
from demo.market import (
    AD_LATE_START,
    AD_TO_CAMPAIGN_END,
    ALWAYS_ON_SHARE,
    CAMPAIGN_LENGTH_BETA,
    CAROUSEL_SHARE,
    CPM_RELEVANCE_EXPONENT,
    EXTRA_ADS_PER_CREATIVE,
    NODE_BASE_RATES,
    OBJECTIVE_CPM,
    OBJECTIVE_DAILY_IMPRESSIONS,
    PLATFORM_CPM_COP,
    PLATFORM_DAILY_IMPRESSIONS,
    RUNNING_AT_END,
    TINY_AD_SHARE,
    USD_COP_CENTRE,
    VALUE_PER_CONVERSION_COP,
    VIDEO_SHARE,
)
from demo.plan import (
    MIN_CREATIVES,
    AdSpec,
    CampaignSpec,
    CreativeSpec,
    DemoParameters,
    HistoryPlan,
    ImageSpec,
    random_stream,
    weighted_choice,
)


def plan_history(parameters: DemoParameters) -> HistoryPlan:
    """Return the whole plan for `parameters`: everything but the daily numbers."""
    if parameters.creatives < MIN_CREATIVES:
        raise ValueError(f"The demo needs at least {MIN_CREATIVES} creatives.")
    if parameters.months < 1:
        raise ValueError("The demo needs at least one month.")
    days = parameters.days
    drafts = _plan_campaigns(parameters, random_stream(parameters, 1), days)
    homes = _plan_creative_homes(parameters, random_stream(parameters, 2), len(drafts))
    slots, is_video = _plan_slots(random_stream(parameters, 3), drafts, homes)
    placements = [(drafts[home].node, ACCOUNTS[drafts[home].account].platform) for home in homes]
    images, creative_images = plan_images(
        parameters, random_stream(parameters, 4), placements, slots
    )
    creatives = _plan_creatives(
        random_stream(parameters, 5), drafts, homes, creative_images, is_video, images
    )
    ads = _plan_ads(random_stream(parameters, 6), drafts, homes, creatives, images, days)
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
            node = weighted_choice(rng, NODE_WEIGHTS)
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
                objective = weighted_choice(rng, mix)
        platform = ACCOUNTS[account].platform
        raw = weighted_choice(rng, RAW_OBJECTIVES[platform][objective])
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
    rng = random_stream(parameters, 7)
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
