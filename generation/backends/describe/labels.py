"""The words the interrogator describer ranks with CLIP, written for a bank's ads.

Each group answers one question about a picture (how is it framed, where is it, who is in it…).
CLIP scores every label of a group against the image as "a photo of {label}", so the labels are
written to read naturally after those words, in plain English, and each group's labels exclude
one another: a softmax over a group only makes sense when one label (or a few, for palette and
mood) can be the answer. Pure data: importing this module loads no model library.
"""

from __future__ import annotations

# The sentence CLIP reads for a label. Colour names alone ("a photo of teal") are weak CLIP
# prompts, so the palette group says what the colour is doing.
DEFAULT_TEMPLATE = "a photo of {label}"
TEMPLATES: dict[str, str] = {"palette": "a photo with mostly {label} colours"}

LABELS: dict[str, list[str]] = {
    "composition": [
        "a close-up portrait",
        "a medium shot",
        "a wide shot",
        "a flat lay",
        "a centered product shot",
        "a rule-of-thirds composition",
        "a symmetrical composition",
        "a side view",
        "an overhead view",
        "a low-angle shot",
        "a split layout with image and text",
        "a hand holding an object",
    ],
    "setting": [
        "an outdoor park",
        "a city street",
        "an office",
        "a home living room",
        "a kitchen",
        "a café",
        "a shop counter",
        "a bank branch",
        "a beach",
        "the countryside",
        "a car interior",
        "a studio background",
        "an abstract background",
        "a plain white background",
    ],
    # Each label maps to a head count in PEOPLE_COUNTS below.
    "people_count": [
        "no people",
        "one person",
        "two people",
        "three people",
        "a small group of people",
        "a crowd",
    ],
    "age_range": [
        "children",
        "teenagers",
        "young adults",
        "adults in their thirties or forties",
        "middle-aged adults",
        "older adults",
        "a family with several generations",
    ],
    "lighting": [
        "bright daylight",
        "soft natural light",
        "warm light",
        "cool light",
        "golden hour sunlight",
        "dim evening light",
        "studio lighting",
        "dramatic high-contrast lighting",
        "neon lights",
        "backlighting",
        "flat even lighting",
    ],
    # Plain colour names: the palette attribute is a list of these, most dominant first.
    "palette": [
        "red",
        "orange",
        "yellow",
        "gold",
        "green",
        "teal",
        "light blue",
        "blue",
        "navy blue",
        "purple",
        "pink",
        "brown",
        "beige",
        "white",
        "grey",
        "black",
    ],
    "mood": [
        "calm",
        "joyful",
        "confident",
        "trustworthy",
        "energetic",
        "warm and friendly",
        "professional",
        "aspirational",
        "relaxed",
        "serious",
        "playful",
        "secure and protected",
        "urgent",
    ],
    "style": [
        "a photograph",
        "an illustration",
        "a 3D render",
        "a flat graphic design",
        "a collage",
        "a cartoon",
        "an infographic",
        "a minimalist design",
        "a vintage poster",
        "a screenshot of an app",
    ],
    "medium": [
        "digital photography",
        "film photography",
        "vector art",
        "digital painting",
        "watercolor painting",
        "oil painting",
        "pencil sketch",
        "paper cut-out",
        "clay figures",
        "computer graphics",
        "mixed media",
    ],
    # Each label maps to a level in TEXT_OVERLAY_LEVELS below.
    "text_overlay": [
        "no text",
        "a small logo",
        "a short headline",
        "a logo and a short slogan",
        "a price or a rate in large numbers",
        "a headline and a paragraph of text",
        "lots of text",
        "small print at the bottom",
    ],
}

# The order the chosen labels appear in a description's text (and the attribute groups exist).
GROUP_ORDER: tuple[str, ...] = (
    "composition",
    "setting",
    "people_count",
    "age_range",
    "lighting",
    "palette",
    "mood",
    "style",
    "medium",
    "text_overlay",
)

# fast: what a thumbnail grid needs; medium: what the prompt composer uses; detailed: all of it.
DEPTHS: dict[str, list[str]] = {
    "fast": ["composition", "people_count", "style"],
    "medium": [
        "composition",
        "setting",
        "people_count",
        "lighting",
        "palette",
        "mood",
        "style",
        "text_overlay",
    ],
    "detailed": list(GROUP_ORDER),
}

# How many labels to keep per group; 1 unless named here. A picture often has several colours
# and more than one mood, so the detailed depth keeps the top three of those.
TOP_K: dict[str, dict[str, int]] = {"detailed": {"palette": 3, "mood": 3}}

PEOPLE_COUNTS: dict[str, int] = {
    "no people": 0,
    "one person": 1,
    "two people": 2,
    "three people": 3,
    "a small group of people": 5,
    "a crowd": 20,
}

TEXT_OVERLAY_LEVELS: dict[str, str] = {
    "no text": "none",
    "a small logo": "little",
    "a short headline": "little",
    "a logo and a short slogan": "little",
    "a price or a rate in large numbers": "little",
    "a headline and a paragraph of text": "heavy",
    "lots of text": "heavy",
    "small print at the bottom": "heavy",
}

# Colour temperature of each palette colour; the first (most dominant) decides.
COLOUR_TEMPERATURE: dict[str, str] = {
    "red": "warm",
    "orange": "warm",
    "yellow": "warm",
    "gold": "warm",
    "pink": "warm",
    "brown": "warm",
    "beige": "warm",
    "green": "cool",
    "teal": "cool",
    "light blue": "cool",
    "blue": "cool",
    "navy blue": "cool",
    "purple": "cool",
    "white": "neutral",
    "grey": "neutral",
    "black": "neutral",
}


def prompt_for(group: str, label: str) -> str:
    """The sentence CLIP embeds for one label of a group."""
    return TEMPLATES.get(group, DEFAULT_TEMPLATE).format(label=label)


def top_k(depth: str, group: str) -> int:
    return TOP_K.get(depth, {}).get(group, 1)


def display_label(label: str) -> str:
    """A label as it appears in a description: "a medium shot" -> "medium shot".

    The articles help CLIP read "a photo of a medium shot" as a sentence; in a comma-separated
    description they are noise.
    """
    for article in ("a ", "an ", "the "):
        if label.startswith(article):
            return label[len(article) :]
    return label
