"""Plan the demo's images: what each one shows, its near-duplicates, its hidden quality.

The part of planning that decides pixels and truth rather than campaigns and flights: an
image's artwork spec (layout, palette, product, people, copy), whether it is a near-duplicate
of an earlier one (a crop, a tint or another offer, performing about the same), and the true
rates its metrics will be drawn from, which lean on what the picture shows.
"""

from __future__ import annotations

import math
from dataclasses import replace

import numpy as np

from demo.artwork import ArtSpec, Palette
from demo.cast import COOL, NEUTRAL, NODE_CONTENT, NODE_SLUGS, SIZES, SOURCE_HOSTS, WARM
from demo.market import (
    IMAGES_PER_CREATIVE,
    LAYOUT_APPEAL,
    NODE_BASE_RATES,
    PEOPLE_APPEAL,
    VARIANT_SHARE,
)
from demo.plan import DemoParameters, ImageSpec, TrueQuality, weighted_choice


def plan_images(
    parameters: DemoParameters,
    rng: np.random.Generator,
    placements: list[tuple[str, str]],
    slots: list[int],
) -> tuple[tuple[ImageSpec, ...], list[tuple[int, ...]]]:
    """Return the distinct images and each creative's images, in slot order.

    `placements` holds each creative's node and platform, `slots` how many images it shows.

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
    for creative, (node, platform) in enumerate(placements):
        chosen: list[int] = []
        for _ in range(slots[creative]):
            # Reuse favours recent images of the same node: a piece that works gets rerun.
            pool = [i for i in by_node[node][-200:] if i not in chosen] if position in reuse else []
            if pool:
                chosen.append(pool[int(rng.integers(len(pool)))])
            else:
                base_pool = originals[node]
                if base_pool and rng.random() < VARIANT_SHARE:
                    base = base_pool[int(rng.integers(len(base_pool)))]
                    image = _variant(rng, images[base], base, len(images), node)
                else:
                    carousel_card = slots[creative] > 1
                    image = _new_image(rng, len(images), node, platform, carousel_card)
                    originals[node].append(len(images))
                by_node[node].append(len(images))
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
) -> ImageSpec:
    content = NODE_CONTENT[node]
    if carousel_card:
        size = (540, 540)
        layout = weighted_choice(rng, {"product": 5, "split": 3, "hero": 2})
    else:
        size = _weighted_size(rng, platform)
        qr_weight = 2.5 if node in ("wompi", "plink") else 0.3
        layout = weighted_choice(
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
    kind = weighted_choice(rng, {"crop": 3, "tint": 3.5, "offer": 3.5})
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
