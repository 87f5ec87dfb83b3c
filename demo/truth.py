"""Write down the demo's hidden truth, so a ranking can be scored against what really happened.

The document (its format is described in the `yenni_demo` command) lists, per image SHA-256,
where the image ran and the true rates its metrics were drawn from, plus the market factors
that bent those rates. The loader writes it as JSON beside the data.
"""

from __future__ import annotations

from dataclasses import dataclass

from demo.market import FATIGUE_FLOOR, OBJECTIVE_FACTORS, PLATFORM_FACTORS
from demo.plan import HistoryPlan, ImageSpec

FORMAT = "yenni-demo-true-quality/1"
PLATFORM_FACTOR_NAMES = ("ctr", "engagement", "conversion", "lead")
OBJECTIVE_FACTOR_NAMES = (
    "ctr",
    "link_click_share",
    "conversion",
    "lead",
    "engagement",
    "video_view",
)


def true_quality_document(plan: HistoryPlan, sha256s: list[str]) -> dict:
    """Return the hidden truth, keyed by image SHA-256 (the loader writes it as JSON)."""
    parameters = plan.parameters
    usage = _image_usage(plan)
    images = {
        sha256s[index]: _image_entry(plan, index, spec, usage[index], sha256s)
        for index, spec in enumerate(plan.images)
    }
    return {
        "format": FORMAT,
        "seed": parameters.seed,
        "parameters": {
            "creatives": parameters.creatives,
            "months": parameters.months,
            "start_date": parameters.start_date.isoformat(),
            "end_date": parameters.end_date.isoformat(),
            "fatigue_floor": FATIGUE_FLOOR,
            "platform_factors": {
                platform: dict(zip(PLATFORM_FACTOR_NAMES, factors, strict=True))
                for platform, factors in PLATFORM_FACTORS.items()
            },
            "objective_factors": {
                objective: dict(zip(OBJECTIVE_FACTOR_NAMES, factors, strict=True))
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


@dataclass
class _Usage:
    """Where one image ran: the platforms and objectives of its ads, and how often it was used."""

    platforms: set[str]
    objectives: set[str]
    ads: int = 0
    creatives: int = 0


def _image_usage(plan: HistoryPlan) -> list[_Usage]:
    usage = [_Usage(platforms=set(), objectives=set()) for _ in plan.images]
    for creative in plan.creatives:
        for image in creative.images:
            usage[image].creatives += 1
    for ad in plan.ads:
        campaign = plan.campaigns[ad.campaign]
        for image in plan.creatives[ad.creative].images:
            usage[image].platforms.add(plan.accounts[campaign.account].platform)
            usage[image].objectives.add(campaign.objective)
            usage[image].ads += 1
    return usage


def _image_entry(
    plan: HistoryPlan, index: int, spec: ImageSpec, usage: _Usage, sha256s: list[str]
) -> dict:
    truth = spec.truth
    first, last = plan.image_days[index]
    return {
        "node": spec.node,
        "objectives": sorted(usage.objectives),
        "platforms": sorted(usage.platforms),
        "ads": usage.ads,
        "creatives": usage.creatives,
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
