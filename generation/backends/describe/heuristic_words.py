"""The heuristic describer's words: from a picture's measures to two sentences and attributes.

`measure` (generation.backends.describe.heuristic) fills a `Measures`; `compose` cuts each
measure into a level (dark, dim, medium, bright …) at the thresholds below and writes the
English and the Spanish sentence from the same levels, so the two always say the same thing.
The colour names and their Spanish words are the shared vocabulary (creatives.vocabulary).
"""

from __future__ import annotations

from dataclasses import dataclass

from creatives.vocabulary import COLOUR_BY_NAME
from generation.backends.base import Description

MODEL_ID = "heuristic-v1"

# --- thresholds (calibrated on the demo artwork and on a few photos, see the tests) ----------

TEMPERATURE_LIMIT = 0.04  # mean chroma-weighted warmth beyond ±this is warm / cool
LIGHTING_STEPS = ((0.25, "dark"), (0.42, "dim"), (0.60, "medium"), (1.01, "bright"))
CONTRAST_STEPS = ((0.12, "low"), (0.24, "medium"), (1.01, "high"))
SATURATION_STEPS = ((0.12, "muted"), (0.40, "moderate"), (1.01, "vivid"))
TEXT_STEPS = ((0.01, "none"), (0.05, "little"), (1.01, "heavy"))
EDGE_STEPS = ((0.045, "simple"), (0.10, "moderate"), (1.01, "busy"))
# A flat graphic: 90 % of its pixels fall in at most this many of the 32,768 colour cells. Demo
# artwork (flat fills, gradients, text) measured 8–67; photographs 160–940.
GRAPHIC_COLOUR_CELLS = 120
MAIN_COLOUR_SHARE = 0.15
ACCENT_SHARE = 0.03
LISTED_SHARE = 0.01


@dataclass(frozen=True)
class Measures:
    width: int
    height: int
    aspect: float
    orientation: str
    ratio: str
    shares: list[tuple[str, float]]  # colour name, share; most dominant first
    warmth: float
    brightness: float
    contrast: float
    saturation: float
    faces: int
    text_density: float
    edge_density: float
    centre_share: float
    flat_share: float
    colour_cells: int


def _step(value: float, steps: tuple[tuple[float, str], ...]) -> str:
    for limit, word in steps:
        if value < limit:
            return word
    return steps[-1][1]


# --- words ------------------------------------------------------------------------------------

_NUMBERS_EN = ("no", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine")
_NUMBERS_ES = ("ningún", "un", "dos", "tres", "cuatro", "cinco", "seis", "siete", "ocho", "nueve")

_LIGHTING_WORDS = {
    "dark": ("dark", "oscura"),
    "dim": ("dim", "tenue"),
    "medium": ("moderately bright", "de luminosidad media"),
    "bright": ("bright", "luminosa"),
}
_TEMPERATURE_WORDS = {
    "warm": ("warm", "cálida"),
    "cool": ("cool", "fría"),
    "neutral": ("neutral-toned", "de tono neutro"),
}
_SATURATION_WORDS = {
    "muted": ("muted", "de colores apagados"),
    "vivid": ("vivid", "de colores vivos"),
}
_ORIENTATION_WORDS = {
    "square": ("Square", "cuadrada"),
    "landscape": ("Landscape", "horizontal"),
    "portrait": ("Portrait", "vertical"),
}
_TEXT_WORDS = {
    "none": ("no text", "sin texto"),
    "little": ("little text", "poco texto"),
    "heavy": ("lots of text", "mucho texto"),
}
_COMPOSITION_WORDS = {
    "simple": ("simple composition", "composición sencilla"),
    "moderate": ("moderately detailed composition", "composición de detalle moderado"),
    "busy": ("busy composition", "composición recargada"),
}


def _join(words: list[str], conjunction: str) -> str:
    if len(words) <= 1:
        return "".join(words)
    return f"{', '.join(words[:-1])} {conjunction} {words[-1]}"


def _faces_words(count: int) -> tuple[str, str]:
    if count == 0:
        return "no faces", "sin rostros"
    if count == 1:
        return "one face", "un rostro"
    en = _NUMBERS_EN[count] if count < len(_NUMBERS_EN) else str(count)
    es = _NUMBERS_ES[count] if count < len(_NUMBERS_ES) else str(count)
    return f"{en} faces", f"{es} rostros"


def _palette_split(shares: list[tuple[str, float]]) -> tuple[list[str], list[str], bool]:
    """Main colours (up to three), accents (up to two) and whether one colour leads at all.

    When no colour covers MAIN_COLOUR_SHARE of the picture, the three largest are "a mix".
    """
    main = [name for name, share in shares[:3] if share >= MAIN_COLOUR_SHARE]
    if not main:
        return [name for name, _ in shares[:3]], [], False
    accents = [name for name, share in shares[len(main) :] if share >= ACCENT_SHARE][:2]
    return main, accents, True


@dataclass(frozen=True)
class Levels:
    """Each measure cut into the word a sentence uses for it."""

    lighting: str
    contrast: str
    saturation: str
    temperature: str
    text_overlay: str
    complexity: str
    centred: bool
    style: str


def levels_of(m: Measures) -> Levels:
    if m.warmth > TEMPERATURE_LIMIT:
        temperature = "warm"
    elif m.warmth < -TEMPERATURE_LIMIT:
        temperature = "cool"
    else:
        temperature = "neutral"
    return Levels(
        lighting=_step(m.brightness, LIGHTING_STEPS),
        contrast=_step(m.contrast, CONTRAST_STEPS),
        saturation=_step(m.saturation, SATURATION_STEPS),
        temperature=temperature,
        text_overlay=_step(m.text_density, TEXT_STEPS),
        complexity=_step(m.edge_density, EDGE_STEPS),
        # A centred subject: at least half the edges inside the middle quarter of the area, and
        # enough edges for there to be a subject at all.
        centred=m.edge_density >= 0.01 and m.centre_share >= 0.5,
        style="flat graphic" if m.colour_cells <= GRAPHIC_COLOUR_CELLS else "photograph",
    )


def _colour_words(shares: list[tuple[str, float]]) -> tuple[str, str]:
    """ "mostly orange and white with blue accents", in English and in Spanish."""
    main, accents, leading = _palette_split(shares)
    colours_en = f"{'mostly' if leading else 'a mix of'} {_join(main, 'and')}"
    colours_es = (
        f"{'sobre todo' if leading else 'una mezcla de'} "
        f"{_join([COLOUR_BY_NAME[c].spanish for c in main], 'y')}"
    )
    if accents:
        colours_en += f" with {_join(accents, 'and')} accents"
        plural = [COLOUR_BY_NAME[c].spanish_plural for c in accents]
        colours_es += f" con acentos {_join(plural, 'y')}"
    return colours_en, colours_es


def _sentences(m: Measures, levels: Levels) -> tuple[str, str]:
    orient_en, orient_es = _ORIENTATION_WORDS[m.orientation]
    ratio = "" if m.orientation == "square" else f" ({m.ratio})"
    looks_en = [_LIGHTING_WORDS[levels.lighting][0], _TEMPERATURE_WORDS[levels.temperature][0]]
    looks_es = [_LIGHTING_WORDS[levels.lighting][1], _TEMPERATURE_WORDS[levels.temperature][1]]
    if levels.saturation in _SATURATION_WORDS:
        looks_en.append(_SATURATION_WORDS[levels.saturation][0])
        looks_es.append(_SATURATION_WORDS[levels.saturation][1])
    colours_en, colours_es = _colour_words(m.shares)
    faces_en, faces_es = _faces_words(m.faces)
    text_en, text_es = _TEXT_WORDS[levels.text_overlay]
    comp_en, comp_es = _COMPOSITION_WORDS[levels.complexity]
    if levels.centred:
        comp_en += " with a centered subject"
        comp_es += " con el sujeto centrado"
    return (
        f"{orient_en} image{ratio}, {_join(looks_en, 'and')}, {colours_en}; "
        f"{faces_en}; {text_en}; {comp_en}.",
        f"Imagen {orient_es}{ratio}, {_join(looks_es, 'y')}, {colours_es}; "
        f"{faces_es}; {text_es}; {comp_es}.",
    )


def _attributes(m: Measures, levels: Levels) -> dict:
    main, _accents, _leading = _palette_split(m.shares)
    palette = [name for name, share in m.shares if share >= ACCENT_SHARE] or main
    composition = levels.complexity
    if levels.centred:
        composition = f"{levels.complexity}, centered subject"
    return {
        "orientation": m.orientation,
        "palette": palette,
        "palette_es": [COLOUR_BY_NAME[name].spanish for name in palette],
        "colour_shares": {
            name: round(share, 2) for name, share in m.shares if share >= LISTED_SHARE
        },
        "temperature": levels.temperature,
        "lighting": levels.lighting,
        "people": {"count": m.faces, "age_range": None},
        "text_overlay": levels.text_overlay,
        "style": levels.style,
        "composition": composition,
        "brightness": round(m.brightness, 2),
        "contrast": round(m.contrast, 2),
        "contrast_level": levels.contrast,
        "saturation": round(m.saturation, 2),
        "saturation_level": levels.saturation,
        "warmth": round(m.warmth, 2),
        "faces": m.faces,
        "text_density": round(m.text_density, 3),
        "edge_density": round(m.edge_density, 3),
        "flat_share": round(m.flat_share, 2),
        "colour_cells": m.colour_cells,
        "width": m.width,
        "height": m.height,
        "aspect": round(m.aspect, 2),
        "aspect_ratio": m.ratio,
    }


def compose(m: Measures) -> Description:
    """Turn the measures into the two sentences and the attributes."""
    levels = levels_of(m)
    sentence_en, sentence_es = _sentences(m, levels)
    return Description(
        text=sentence_en, text_es=sentence_es, attributes=_attributes(m, levels), model_id=MODEL_ID
    )
