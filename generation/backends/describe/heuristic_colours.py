"""The heuristic describer's colour tables: a name, a warmth and a chroma for every RGB cell.

Colour names come from fixed hue, saturation and brightness boundaries (the rules in
`_name_cells`), evaluated once at import over every cell of RGB quantised to 5 bits a channel;
describing a picture is then one array index per pixel. The names are the shared vocabulary
(creatives.vocabulary), so the library and the insights read exactly what is written here.
"""

from __future__ import annotations

import numpy as np

from creatives.vocabulary import COLOUR_NAMES

# Pixels are named through a table over RGB quantised to 5 bits a channel (32,768 cells): one
# array index per pixel instead of per-pixel rules, and no clustering to converge. Eight levels
# per cell are far finer than the boundaries between colour names.
BITS = 5
SHIFT = 8 - BITS
CELLS = 1 << (3 * BITS)
_NAME_INDEX = {name: index for index, name in enumerate(COLOUR_NAMES)}


def _hue_sat_val(rgb: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Hue in degrees, HSV saturation, value and chroma (max − min), all 0–1 but hue."""
    r, g, b = rgb[..., 0], rgb[..., 1], rgb[..., 2]
    high = rgb.max(axis=-1)
    low = rgb.min(axis=-1)
    chroma = high - low
    safe = np.where(chroma == 0, 1.0, chroma)
    hue = np.select(
        [high == r, high == g],
        [((g - b) / safe) % 6, (b - r) / safe + 2],
        default=(r - g) / safe + 4,
    )
    hue = np.where(chroma == 0, 0.0, hue * 60.0)
    saturation = np.where(high == 0, 0.0, chroma / np.where(high == 0, 1.0, high))
    return hue, saturation, high, chroma


def _name_cells(rgb: np.ndarray) -> np.ndarray:
    """Colour-name index for each RGB triple (floats 0–1); the rules behind the table."""
    hue, sat, val, chroma = _hue_sat_val(rgb)
    names = np.full(hue.shape, _NAME_INDEX["grey"], dtype=np.uint8)

    def put(mask: np.ndarray, name: str) -> None:
        # First rule wins: only cells still unnamed (marked by `open_`) take a name.
        names[mask & open_] = _NAME_INDEX[name]
        open_[mask] = False

    open_ = np.ones(hue.shape, dtype=bool)
    put((val < 0.16) | ((val < 0.30) & (chroma < 0.10)), "black")
    achromatic = chroma < 0.09
    put(achromatic & (val >= 0.80), "white")
    put(achromatic, "grey")
    # Pale warm tints (cream, sand, peach-white) read as beige, not as weak orange.
    put((hue >= 15) & (hue < 65) & (sat < 0.35) & (val >= 0.70), "beige")
    # Dark oranges and dark yellows are browns (and olives, which we also call brown).
    put((hue >= 8) & (hue < 65) & (val < 0.62), "brown")
    # Light, soft reds (coral, salmon, blush) are what people call pink.
    red_hue = (hue < 10) | (hue >= 345)
    put(red_hue & (val >= 0.75) & (sat < 0.55), "pink")
    put(red_hue, "red")
    put((hue < 40), "orange")
    put((hue < 68), "yellow")
    put((hue < 165), "green")
    put((hue < 195), "teal")
    put((hue < 255), "blue")
    put((hue < 290), "purple")
    # Dark magentas read as purple, dark crimsons (burgundy) as red.
    put((val < 0.5) & (hue < 320), "purple")
    put((val < 0.5), "red")
    put(np.ones_like(open_), "pink")
    return names


# Warmth of a hue, −1 (cool) to +1 (warm): reds, oranges and yellows warm; greens lean cool,
# teal and blue fully cool; purple half cool; magenta neutral; pinks back to warm.
_WARMTH_HUES = np.array([0, 30, 60, 90, 120, 180, 220, 270, 300, 330, 360], dtype=np.float64)
_WARMTH = np.array([1.0, 1.0, 0.7, 0.0, -0.4, -1.0, -1.0, -0.5, 0.0, 0.6, 1.0])


def _build_tables() -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    levels = (np.arange(1 << BITS, dtype=np.float64) * (1 << SHIFT) + (1 << SHIFT) / 2) / 255
    grid = np.stack(np.meshgrid(levels, levels, levels, indexing="ij"), axis=-1).reshape(-1, 3)
    names = _name_cells(grid)
    hue, _, _, chroma = _hue_sat_val(grid)
    # Chroma, not HSV saturation, weighs the warmth: near-black pixels have a wild saturation
    # but no visible colour, and chroma is small for them.
    warmth = (np.interp(hue, _WARMTH_HUES, _WARMTH) * chroma).astype(np.float32)
    return names, warmth, chroma.astype(np.float32)


# Per cell: the colour name's index in COLOUR_NAMES, the warmth (−1 cool … +1 warm, weighed by
# chroma) and the chroma.
NAME_TABLE, WARMTH_TABLE, CHROMA_TABLE = _build_tables()


def cells_of(rgb: np.ndarray) -> np.ndarray:
    """Each pixel's cell in the tables: its RGB (uint8) quantised to BITS a channel."""
    return (
        (rgb[..., 0].astype(np.int32) >> SHIFT) << (2 * BITS)
        | (rgb[..., 1].astype(np.int32) >> SHIFT) << BITS
        | (rgb[..., 2].astype(np.int32) >> SHIFT)
    )
