"""Draw demo ad images with Pillow: a plain `ArtSpec` in, encoded image bytes out.

The drawing depends only on the spec (its small random details come from `random.Random` seeded
with `detail_seed`), so the same spec gives the same bytes with the same Pillow version. Images
are small (300–600 px) so that 20,000 of them take minutes, not hours. Only Pillow's built-in
font is used: no system fonts, so every machine draws the same pixels.
"""

from __future__ import annotations

import io
import random
import unicodedata
from dataclasses import dataclass
from functools import lru_cache

from PIL import Image, ImageDraw, ImageFont

RGB = tuple[int, int, int]

LAYOUTS = ("hero", "product", "headline", "split", "qr")
PRODUCTS = ("phone", "card", "house", "storefront", "qr", "laptop")

SKIN_TONES: tuple[RGB, ...] = (
    (241, 194, 160),
    (224, 172, 130),
    (198, 134, 96),
    (160, 104, 70),
    (118, 78, 52),
)
HAIR_TONES: tuple[RGB, ...] = ((35, 28, 24), (70, 45, 30), (120, 80, 45), (20, 20, 22))


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


def draw(spec: ArtSpec) -> bytes:
    """Return the encoded image (JPEG or PNG) that `spec` describes."""
    rng = random.Random(spec.detail_seed)
    palette = _tinted(spec.palette, spec.tint)
    width, height = spec.width, spec.height
    image = _background(width, height, palette, rng)
    canvas = ImageDraw.Draw(image)
    painter = _LAYOUT_PAINTERS[spec.layout]
    painter(canvas, spec, palette, rng)
    _brand_mark(canvas, spec.brand, palette, width, height)
    if spec.crop:
        dx, dy = round(width * spec.crop), round(height * spec.crop)
        image = image.crop((dx, dy, width - dx, height - dy)).resize(
            (width, height), Image.Resampling.BILINEAR
        )
    buffer = io.BytesIO()
    if spec.image_format == "PNG":
        # Level 1: flat artwork compresses well anyway, and level 6 costs several times more.
        image.save(buffer, "PNG", compress_level=1)
    else:
        image.save(buffer, "JPEG", quality=85)
    return buffer.getvalue()


# --- colour and background ------------------------------------------------------------------


def _clamp(value: int) -> int:
    return 0 if value < 0 else 255 if value > 255 else value


def _shift(colour: RGB, delta: RGB) -> RGB:
    return (
        _clamp(colour[0] + delta[0]),
        _clamp(colour[1] + delta[1]),
        _clamp(colour[2] + delta[2]),
    )


def _mix(a: RGB, b: RGB, share: float) -> RGB:
    return (
        round(a[0] + (b[0] - a[0]) * share),
        round(a[1] + (b[1] - a[1]) * share),
        round(a[2] + (b[2] - a[2]) * share),
    )


def _tinted(palette: Palette, tint: RGB) -> Palette:
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


@lru_cache(maxsize=32)
def _gradient_mask(width: int, height: int, horizontal: bool) -> Image.Image:
    mask = Image.linear_gradient("L")
    if horizontal:
        mask = mask.transpose(Image.Transpose.ROTATE_90)
    return mask.resize((width, height), Image.Resampling.BILINEAR)


@lru_cache(maxsize=32)
def _glow_mask(size: int) -> Image.Image:
    # radial_gradient is dark in the centre; invert it so the glow is brightest in the middle.
    return Image.radial_gradient("L").point(lambda v: max(0, 255 - v * 2)).resize((size, size))


def _background(width: int, height: int, palette: Palette, rng: random.Random) -> Image.Image:
    """A two-colour gradient with a soft light spot: reads as a photo backdrop at a glance."""
    start = Image.new("RGB", (width, height), palette.background)
    end = Image.new("RGB", (width, height), palette.background_end)
    image = Image.composite(end, start, _gradient_mask(width, height, rng.random() < 0.4))
    size = int(min(width, height) * rng.uniform(0.6, 1.1))
    glow = Image.new("RGB", (size, size), _mix(palette.background, (255, 255, 255), 0.45))
    x = rng.randint(-size // 4, max(0, width - size * 3 // 4))
    y = rng.randint(-size // 4, max(0, height - size * 3 // 4))
    image.paste(glow, (x, y), _glow_mask(size))
    return image


# --- fonts and text --------------------------------------------------------------------------


@lru_cache(maxsize=64)
def _font(size: int) -> ImageFont.FreeTypeFont | ImageFont.ImageFont:
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


def _text_block(
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
    highlight = palette.accent if _contrast(palette.accent, ground) >= 70 else ink
    left, top, right, bottom = box
    width = right - left
    size = headline_size
    while True:
        font = _font(size)
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
    offer_font = _font(offer_size)
    _text(canvas, (left, y + 2), spec.offer, offer_font, highlight)
    y += offer_size + 10
    if with_button and y + offer_size + 10 <= bottom:
        _button(canvas, (left, y), spec.call_to_action, highlight, offer_size)


def _button(
    canvas: ImageDraw.ImageDraw, origin: tuple[int, int], label: str, fill: RGB, size: int
) -> None:
    font = _font(max(10, size - 2))
    text_width = int(font.getlength(_bare(label)))
    x, y = origin
    canvas.rounded_rectangle(
        (x, y, x + text_width + 20, y + size + 8), radius=(size + 8) // 2, fill=fill
    )
    _text(canvas, (x + 10, y + 3), label, font, _readable_on(fill))


def _luminance(colour: RGB) -> float:
    return 0.299 * colour[0] + 0.587 * colour[1] + 0.114 * colour[2]


def _contrast(a: RGB, b: RGB) -> float:
    return abs(_luminance(a) - _luminance(b))


def _readable_on(colour: RGB) -> RGB:
    return (20, 20, 20) if _luminance(colour) > 150 else (250, 250, 250)


def _brand_mark(
    canvas: ImageDraw.ImageDraw, brand: str, palette: Palette, width: int, height: int
) -> None:
    size = max(10, min(width, height) // 22)
    canvas.text(
        (size, size // 2 + 2), brand, font=_font(size), fill=_readable_on(palette.background)
    )


# --- shapes ----------------------------------------------------------------------------------


def _person(
    canvas: ImageDraw.ImageDraw, cx: int, base: int, scale: int, rng: random.Random
) -> None:
    """A head circle over rounded shoulders: enough to read as a person in a thumbnail."""
    skin = rng.choice(SKIN_TONES)
    hair = rng.choice(HAIR_TONES)
    clothes = (rng.randint(30, 230), rng.randint(30, 230), rng.randint(30, 230))
    head = scale // 2
    body_top = base - scale * 3 // 2
    canvas.rounded_rectangle(
        (cx - scale, body_top, cx + scale, base + scale), radius=scale // 2, fill=clothes
    )
    canvas.ellipse(
        (cx - head, body_top - head * 2 - 2, cx + head, body_top - 2), fill=skin, outline=None
    )
    canvas.chord(
        (cx - head, body_top - head * 2 - 4, cx + head, body_top - head // 2),
        start=180,
        end=360,
        fill=hair,
    )


def _people(
    canvas: ImageDraw.ImageDraw,
    count: int,
    box: tuple[int, int, int, int],
    rng: random.Random,
) -> None:
    left, top, right, bottom = box
    scale = max(8, min((right - left) // (2 * count + 1), (bottom - top) // 4))
    step = (right - left) // (count + 1)
    for index in range(count):
        cx = left + step * (index + 1) + rng.randint(-scale // 3, scale // 3)
        _person(canvas, cx, bottom - scale // 2, scale, rng)


def _qr(canvas: ImageDraw.ImageDraw, box: tuple[int, int, int, int], rng: random.Random) -> None:
    left, top, right, _ = box
    cells = 21
    cell = max(2, (right - left) // cells)
    canvas.rectangle(
        (left - cell, top - cell, left + cell * (cells + 1), top + cell * (cells + 1)),
        fill=(255, 255, 255),
    )
    bits = rng.getrandbits(cells * cells)
    for row in range(cells):
        for col in range(cells):
            if bits >> (row * cells + col) & 1:
                x, y = left + col * cell, top + row * cell
                canvas.rectangle((x, y, x + cell - 1, y + cell - 1), fill=(15, 15, 15))
    # Three finder squares make it read as a QR code rather than noise.
    for fx, fy in ((0, 0), (cells - 7, 0), (0, cells - 7)):
        x, y = left + fx * cell, top + fy * cell
        canvas.rectangle((x, y, x + 7 * cell - 1, y + 7 * cell - 1), fill=(15, 15, 15))
        canvas.rectangle(
            (x + cell, y + cell, x + 6 * cell - 1, y + 6 * cell - 1), fill=(255, 255, 255)
        )
        canvas.rectangle(
            (x + 2 * cell, y + 2 * cell, x + 5 * cell - 1, y + 5 * cell - 1), fill=(15, 15, 15)
        )


def _product(
    canvas: ImageDraw.ImageDraw,
    kind: str,
    box: tuple[int, int, int, int],
    palette: Palette,
    rng: random.Random,
) -> None:
    left, top, right, bottom = box
    width, height = right - left, bottom - top
    cx = (left + right) // 2
    if kind == "phone":
        w = min(width, height // 2)
        h = w * 2
        x, y = cx - w // 2, top + (height - h) // 2
        canvas.rounded_rectangle((x, y, x + w, y + h), radius=w // 6, fill=(28, 28, 32))
        canvas.rounded_rectangle(
            (x + w // 12, y + w // 8, x + w - w // 12, y + h - w // 8),
            radius=w // 10,
            fill=_mix(palette.accent, (255, 255, 255), 0.7),
        )
        inner = x + w // 5
        _qr(canvas, (inner, y + h // 4, x + w - w // 5, y + h // 2), rng)
        canvas.rounded_rectangle(
            (x + w // 6, y + h * 2 // 3, x + w - w // 6, y + h * 2 // 3 + h // 10),
            radius=h // 40,
            fill=palette.accent,
        )
    elif kind == "card":
        w = min(width, height * 8 // 5)
        h = w * 5 // 8
        x, y = cx - w // 2, top + (height - h) // 2
        tilt = rng.randint(-h // 10, h // 10)
        canvas.rounded_rectangle(
            (x, y + tilt, x + w, y + h + tilt), radius=h // 10, fill=palette.band
        )
        canvas.rounded_rectangle(
            (x + w // 10, y + h // 3 + tilt, x + w // 10 + w // 7, y + h // 3 + h // 5 + tilt),
            radius=3,
            fill=(212, 175, 55),
        )
        digits = f"**** {rng.randint(1000, 9999)}"
        canvas.text(
            (x + w // 10, y + h * 2 // 3 + tilt),
            digits,
            font=_font(max(10, h // 8)),
            fill=_readable_on(palette.band),
        )
    elif kind == "house":
        w = min(width, height) * 4 // 5
        x, base = cx - w // 2, bottom - (height - w) // 2
        wall_top = base - w * 3 // 5
        canvas.rectangle((x, wall_top, x + w, base), fill=(238, 232, 220))
        canvas.polygon(
            [(x - w // 10, wall_top), (cx, wall_top - w * 2 // 5), (x + w + w // 10, wall_top)],
            fill=palette.accent,
        )
        canvas.rectangle((cx - w // 10, base - w * 3 // 10, cx + w // 10, base), fill=(110, 70, 40))
        for wx in (x + w // 8, x + w - w // 8 - w // 5):
            canvas.rectangle(
                (wx, wall_top + w // 10, wx + w // 5, wall_top + w // 4), fill=(150, 200, 235)
            )
    elif kind == "storefront":
        w = min(width, height) * 9 // 10
        x, base = cx - w // 2, bottom - (height - w) // 2
        roof = base - w * 3 // 4
        canvas.rectangle((x, roof, x + w, base), fill=(245, 240, 230))
        stripes = 6
        for index in range(stripes):
            colour = palette.accent if index % 2 == 0 else (255, 255, 255)
            sx = x + index * w // stripes
            canvas.rectangle((sx, roof, sx + w // stripes, roof + w // 7), fill=colour)
        canvas.rectangle(
            (x + w // 10, roof + w // 4, x + w // 2, base - w // 8), fill=(160, 205, 230)
        )
        canvas.rectangle((x + w * 3 // 5, roof + w // 4, x + w * 17 // 20, base), fill=(90, 60, 40))
        canvas.text(
            (x + w // 10, base - w // 9), "ABIERTO", font=_font(max(9, w // 14)), fill=(15, 15, 15)
        )
    elif kind == "qr":
        side = min(width, height) * 3 // 4
        _qr(canvas, (cx - side // 2, top + (height - side) // 2, cx + side // 2, bottom), rng)
    else:  # laptop
        w = min(width, height * 3 // 2)
        h = w * 2 // 3
        x, y = cx - w // 2, top + (height - h) // 2
        canvas.rounded_rectangle(
            (x + w // 10, y, x + w - w // 10, y + h * 4 // 5), 6, fill=(40, 40, 46)
        )
        canvas.rectangle(
            (x + w // 10 + 6, y + 6, x + w - w // 10 - 6, y + h * 4 // 5 - 6),
            fill=_mix(palette.accent, (255, 255, 255), 0.5),
        )
        canvas.polygon(
            [
                (x, y + h),
                (x + w // 10, y + h * 4 // 5),
                (x + w - w // 10, y + h * 4 // 5),
                (x + w, y + h),
            ],
            fill=(180, 180, 188),
        )


# --- layouts ---------------------------------------------------------------------------------


def _paint_hero(
    canvas: ImageDraw.ImageDraw, spec: ArtSpec, palette: Palette, rng: random.Random
) -> None:
    """Full-bleed scene with people, and a text band along the bottom."""
    width, height = spec.width, spec.height
    band_top = height * (72 if height > width else 66) // 100
    if spec.product != "qr":
        margin = width // 12
        _product(
            canvas,
            spec.product,
            (width - width // 3 - margin, height // 6, width - margin, band_top),
            palette,
            rng,
        )
    _people(canvas, max(1, spec.people), (0, height // 8, width * 2 // 3, band_top), rng)
    canvas.rectangle((0, band_top, width, height), fill=palette.band)
    pad = max(8, width // 24)
    _text_block(
        canvas,
        (pad, band_top + pad // 2, width - pad, height - pad // 2),
        spec,
        palette,
        headline_size=max(14, min(width, height) // 14),
        ink=palette.ink,
        ground=palette.band,
    )


def _paint_product(
    canvas: ImageDraw.ImageDraw, spec: ArtSpec, palette: Palette, rng: random.Random
) -> None:
    """A big product shape beside the copy, with a round offer badge."""
    width, height = spec.width, spec.height
    pad = max(8, width // 20)
    if width > height * 1.2:
        product_box = (width // 2, pad, width - pad, height - pad)
        text_box = (pad, pad * 2, width // 2 - pad, height - pad)
    else:
        product_box = (pad, height * 2 // 5, width - pad, height - pad)
        text_box = (pad, pad * 2, width - pad, height * 2 // 5)
    _product(canvas, spec.product, product_box, palette, rng)
    if spec.people:
        _people(
            canvas,
            1,
            (
                product_box[0],
                product_box[1],
                product_box[0] + (product_box[2] - product_box[0]) // 3,
                product_box[3],
            ),
            rng,
        )
    _text_block(
        canvas,
        text_box,
        spec,
        palette,
        headline_size=max(14, min(width, height) // 12),
        ink=_readable_on(palette.background),
        ground=palette.background,
    )
    radius = min(width, height) // 10
    bx, by = product_box[2] - radius, product_box[1] + radius
    canvas.ellipse((bx - radius, by - radius, bx + radius, by + radius), fill=palette.accent)
    canvas.text(
        (bx - radius * 2 // 3, by - radius // 4),
        "%",
        font=_font(radius // 2 + 4),
        fill=_readable_on(palette.accent),
    )


def _paint_headline(
    canvas: ImageDraw.ImageDraw, spec: ArtSpec, palette: Palette, rng: random.Random
) -> None:
    """Copy first: a big headline on a flat block, a small product icon in a corner."""
    width, height = spec.width, spec.height
    pad = max(10, width // 14)
    top = pad // 2 + height // 12
    canvas.rectangle((pad // 2, top, width - pad // 2, height - pad // 2), fill=palette.band)
    canvas.rectangle(
        (pad, top + pad // 2, pad + width // 5, top + pad // 2 + 6), fill=palette.accent
    )
    icon = min(width, height) // 4
    _product(
        canvas,
        spec.product,
        (width - pad - icon, height - pad - icon, width - pad, height - pad),
        palette,
        rng,
    )
    _text_block(
        canvas,
        (pad, top + pad, width - pad, height - pad - icon // 2),
        spec,
        palette,
        headline_size=max(16, min(width, height) // 9),
        ink=palette.ink,
        ground=palette.band,
    )


def _paint_split(
    canvas: ImageDraw.ImageDraw, spec: ArtSpec, palette: Palette, rng: random.Random
) -> None:
    """Half picture, half copy: side by side when wide, stacked when square or tall."""
    width, height = spec.width, spec.height
    pad = max(8, width // 24)
    if width > height * 1.2:
        picture = (0, 0, width // 2, height)
        panel = (width // 2, 0, width, height)
        text = (width // 2 + pad, pad * 2, width - pad, height - pad)
    else:
        picture = (0, 0, width, height // 2)
        panel = (0, height // 2, width, height)
        text = (pad, height // 2 + pad, width - pad, height - pad)
    if spec.people:
        _people(canvas, spec.people, picture, rng)
    else:
        inner = (picture[0] + pad, picture[1] + pad, picture[2] - pad, picture[3] - pad)
        _product(canvas, spec.product, inner, palette, rng)
    # The copy panel goes on top, so a shoulder that overflows the picture is cut cleanly.
    canvas.rectangle(panel, fill=palette.band)
    _text_block(
        canvas,
        text,
        spec,
        palette,
        headline_size=max(14, min(width, height) // 13),
        ink=palette.ink,
        ground=palette.band,
    )


def _paint_qr(
    canvas: ImageDraw.ImageDraw, spec: ArtSpec, palette: Palette, rng: random.Random
) -> None:
    """Pay-by-QR: a phone beside a large code, the offer underneath."""
    width, height = spec.width, spec.height
    pad = max(8, width // 20)
    on_band = width <= height * 1.2
    if not on_band:
        _product(canvas, "phone", (pad, pad, width // 3, height - pad), palette, rng)
        _product(
            canvas, "qr", (width // 3, pad * 2, width * 3 // 5, height - pad * 2), palette, rng
        )
        text = (width * 3 // 5 + pad, pad * 2, width - pad, height - pad)
    else:
        _product(canvas, "phone", (pad, height // 8, width // 2, height * 3 // 5), palette, rng)
        _product(canvas, "qr", (width // 2, height // 6, width - pad, height // 2), palette, rng)
        canvas.rectangle((0, height * 3 // 5 + pad, width, height), fill=palette.band)
        text = (pad, height * 3 // 5 + pad * 2, width - pad, height - pad)
    _text_block(
        canvas,
        text,
        spec,
        palette,
        headline_size=max(14, min(width, height) // 13),
        ink=palette.ink if on_band else _readable_on(palette.background),
        ground=palette.band if on_band else palette.background,
    )


_LAYOUT_PAINTERS = {
    "hero": _paint_hero,
    "product": _paint_product,
    "headline": _paint_headline,
    "split": _paint_split,
    "qr": _paint_qr,
}
