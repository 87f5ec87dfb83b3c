"""Put the ad's words on the picture: headline, offer, call-to-action button, brand mark.

Only Pillow's built-in font is used (no system fonts, so every machine draws the same pixels),
and it has ASCII glyphs only: Spanish accents are drawn by hand over the bare letter.
"""

from __future__ import annotations

import unicodedata
from functools import lru_cache

from PIL import ImageDraw, ImageFont

from demo.artwork.spec import RGB, ArtSpec, Palette, contrast, readable_on


@lru_cache(maxsize=64)
def load_font(size: int) -> ImageFont.FreeTypeFont | ImageFont.ImageFont:
    return ImageFont.load_default(size=size)


def _wrap(text: str, font: ImageFont.FreeTypeFont | ImageFont.ImageFont, width: int) -> list[str]:
    lines: list[str] = []
    current = ""
    for word in text.split():
        candidate = f"{current} {word}".strip()
        if current and font.getlength(_bare(candidate)) > width:
            lines.append(current)
            current = word
        else:
            current = candidate
    if current:
        lines.append(current)
    return lines


# Pillow's built-in font has ASCII glyphs only: Spanish accents are drawn by hand over the bare
# letter, so "Crédito" does not come out as "Cr□dito".
_MARKS = {"\u0301": "acute", "\u0303": "tilde", "\u0308": "diaeresis"}
_SUBSTITUTES = {"¡": "!", "¿": "?", "•": "*", "–": "-", "—": "-"}


def _bare(text: str) -> str:
    return "".join(_split_marks(text)[0])


def _split_marks(text: str) -> tuple[list[str], list[str | None]]:
    letters: list[str] = []
    marks: list[str | None] = []
    for char in text:
        char = _SUBSTITUTES.get(char, char)
        decomposed = unicodedata.normalize("NFD", char)
        base = decomposed[0] if decomposed[0].isascii() else "?"
        letters.append(base)
        marks.append(next((_MARKS[m] for m in decomposed[1:] if m in _MARKS), None))
    return letters, marks


def _text(
    canvas: ImageDraw.ImageDraw,
    xy: tuple[int, int],
    text: str,
    font: ImageFont.FreeTypeFont | ImageFont.ImageFont,
    fill: RGB,
) -> None:
    letters, marks = _split_marks(text)
    bare = "".join(letters)
    x, y = xy
    canvas.text((x, y), bare, font=font, fill=fill)
    size = getattr(font, "size", 12)
    weight = max(1, size // 14)
    for index, mark in enumerate(marks):
        if mark is None:
            continue
        left = x + font.getlength(bare[:index])
        right = left + font.getlength(bare[index])
        glyph_top = y + font.getbbox(bare[index])[1]
        middle = (left + right) / 2
        lift = size * 0.1
        if mark == "acute":
            canvas.line(
                (
                    middle - size * 0.05,
                    glyph_top - lift,
                    middle + size * 0.12,
                    glyph_top - lift * 3,
                ),
                fill=fill,
                width=weight + 1,
            )
        elif mark == "tilde":
            quarter = (right - left) / 4
            points = [
                (left + quarter * 0.5, glyph_top - lift),
                (left + quarter * 1.5, glyph_top - lift * 2.4),
                (left + quarter * 2.5, glyph_top - lift),
                (left + quarter * 3.5, glyph_top - lift * 2.4),
            ]
            canvas.line(points, fill=fill, width=weight)
        else:
            dot = max(1, size // 16)
            for cx in (middle - size * 0.12, middle + size * 0.12):
                canvas.ellipse(
                    (cx - dot, glyph_top - lift * 2 - dot, cx + dot, glyph_top - lift * 2 + dot),
                    fill=fill,
                )


def text_block(
    canvas: ImageDraw.ImageDraw,
    box: tuple[int, int, int, int],
    spec: ArtSpec,
    palette: Palette,
    *,
    headline_size: int,
    ink: RGB,
    ground: RGB,
    with_button: bool = True,
) -> None:
    """Headline, offer and call to action, top-left aligned in `box`, shrunk until they fit.

    `ground` is the colour behind the text: the accent is used only where it stands out on it.
    """
    highlight = palette.accent if contrast(palette.accent, ground) >= 70 else ink
    left, top, right, bottom = box
    width = right - left
    size = headline_size
    while True:
        font = load_font(size)
        lines = _wrap(spec.headline, font, width)
        offer_size = max(10, size * 2 // 3)
        needed = len(lines) * (size + 4) + offer_size + 8 + (offer_size + 14 if with_button else 0)
        if needed <= bottom - top or size <= 12:
            break
        size -= 2
    y = top
    for line in lines:
        _text(canvas, (left, y), line, font, ink)
        y += size + 4
    offer_font = load_font(offer_size)
    _text(canvas, (left, y + 2), spec.offer, offer_font, highlight)
    y += offer_size + 10
    if with_button and y + offer_size + 10 <= bottom:
        _button(canvas, (left, y), spec.call_to_action, highlight, offer_size)


def _button(
    canvas: ImageDraw.ImageDraw, origin: tuple[int, int], label: str, fill: RGB, size: int
) -> None:
    font = load_font(max(10, size - 2))
    text_width = int(font.getlength(_bare(label)))
    x, y = origin
    canvas.rounded_rectangle(
        (x, y, x + text_width + 20, y + size + 8), radius=(size + 8) // 2, fill=fill
    )
    _text(canvas, (x + 10, y + 3), label, font, readable_on(fill))


def brand_mark(
    canvas: ImageDraw.ImageDraw, brand: str, palette: Palette, width: int, height: int
) -> None:
    size = max(10, min(width, height) // 22)
    canvas.text(
        (size, size // 2 + 2), brand, font=load_font(size), fill=readable_on(palette.background)
    )
