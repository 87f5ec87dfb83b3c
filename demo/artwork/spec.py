"""What a demo image is: the `ArtSpec` that decides its pixels, its `Palette`, colour maths.

Plain data that the planner (`demo.history`, `demo.images`) writes and the painters read; the
colour helpers sit here because lettering, shapes and layouts all need readable colours.
"""

from __future__ import annotations

from dataclasses import dataclass

RGB = tuple[int, int, int]

LAYOUTS = ("hero", "product", "headline", "split", "qr")
PRODUCTS = ("phone", "card", "house", "storefront", "qr", "laptop")


@dataclass(frozen=True)
class Palette:
    name: str
    background: RGB
    background_end: RGB
    accent: RGB
    ink: RGB
    band: RGB


@dataclass(frozen=True)
class ArtSpec:
    """Everything that decides an image's pixels.

    A near-duplicate is the same spec with one knob changed: `crop` (share trimmed from each
    side, then scaled back), `tint` (added to every palette colour) or a different `offer`.
    """

    width: int
    height: int
    layout: str
    palette: Palette
    product: str
    people: int
    headline: str
    offer: str
    call_to_action: str
    brand: str
    detail_seed: int
    image_format: str = "JPEG"
    crop: float = 0.0
    tint: RGB = (0, 0, 0)


def _clamp(value: int) -> int:
    return 0 if value < 0 else 255 if value > 255 else value


def _shift(colour: RGB, delta: RGB) -> RGB:
    return (
        _clamp(colour[0] + delta[0]),
        _clamp(colour[1] + delta[1]),
        _clamp(colour[2] + delta[2]),
    )


def mix(a: RGB, b: RGB, share: float) -> RGB:
    return (
        round(a[0] + (b[0] - a[0]) * share),
        round(a[1] + (b[1] - a[1]) * share),
        round(a[2] + (b[2] - a[2]) * share),
    )


def tinted(palette: Palette, tint: RGB) -> Palette:
    if tint == (0, 0, 0):
        return palette
    return Palette(
        name=palette.name,
        background=_shift(palette.background, tint),
        background_end=_shift(palette.background_end, tint),
        accent=_shift(palette.accent, tint),
        ink=palette.ink,
        band=_shift(palette.band, tint),
    )


def _luminance(colour: RGB) -> float:
    return 0.299 * colour[0] + 0.587 * colour[1] + 0.114 * colour[2]


def contrast(a: RGB, b: RGB) -> float:
    return abs(_luminance(a) - _luminance(b))


def readable_on(colour: RGB) -> RGB:
    return (20, 20, 20) if _luminance(colour) > 150 else (250, 250, 250)
