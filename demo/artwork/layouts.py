"""Lay out a demo ad image and encode it: background, the layout's painter, brand mark, crop.

Each layout (hero, product, headline, split, qr) places the shapes and the copy in its own
way; `draw()` is the one entry point. Images are small (300–600 px) so that 20,000 of them
take minutes, not hours.
"""

from __future__ import annotations

import io
import random
from functools import lru_cache

from PIL import Image, ImageDraw

from demo.artwork.lettering import brand_mark, load_font, text_block
from demo.artwork.shapes import draw_people, draw_product
from demo.artwork.spec import ArtSpec, Palette, mix, readable_on, tinted


def draw(spec: ArtSpec) -> bytes:
    """Return the encoded image (JPEG or PNG) that `spec` describes."""
    rng = random.Random(spec.detail_seed)
    palette = tinted(spec.palette, spec.tint)
    width, height = spec.width, spec.height
    image = _background(width, height, palette, rng)
    canvas = ImageDraw.Draw(image)
    painter = _LAYOUT_PAINTERS[spec.layout]
    painter(canvas, spec, palette, rng)
    brand_mark(canvas, spec.brand, palette, width, height)
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
    glow = Image.new("RGB", (size, size), mix(palette.background, (255, 255, 255), 0.45))
    x = rng.randint(-size // 4, max(0, width - size * 3 // 4))
    y = rng.randint(-size // 4, max(0, height - size * 3 // 4))
    image.paste(glow, (x, y), _glow_mask(size))
    return image


def _paint_hero(
    canvas: ImageDraw.ImageDraw, spec: ArtSpec, palette: Palette, rng: random.Random
) -> None:
    """Full-bleed scene with people, and a text band along the bottom."""
    width, height = spec.width, spec.height
    band_top = height * (72 if height > width else 66) // 100
    if spec.product != "qr":
        margin = width // 12
        draw_product(
            canvas,
            spec.product,
            (width - width // 3 - margin, height // 6, width - margin, band_top),
            palette,
            rng,
        )
    draw_people(canvas, max(1, spec.people), (0, height // 8, width * 2 // 3, band_top), rng)
    canvas.rectangle((0, band_top, width, height), fill=palette.band)
    pad = max(8, width // 24)
    text_block(
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
    draw_product(canvas, spec.product, product_box, palette, rng)
    if spec.people:
        draw_people(
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
    text_block(
        canvas,
        text_box,
        spec,
        palette,
        headline_size=max(14, min(width, height) // 12),
        ink=readable_on(palette.background),
        ground=palette.background,
    )
    radius = min(width, height) // 10
    bx, by = product_box[2] - radius, product_box[1] + radius
    canvas.ellipse((bx - radius, by - radius, bx + radius, by + radius), fill=palette.accent)
    canvas.text(
        (bx - radius * 2 // 3, by - radius // 4),
        "%",
        font=load_font(radius // 2 + 4),
        fill=readable_on(palette.accent),
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
    draw_product(
        canvas,
        spec.product,
        (width - pad - icon, height - pad - icon, width - pad, height - pad),
        palette,
        rng,
    )
    text_block(
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
        draw_people(canvas, spec.people, picture, rng)
    else:
        inner = (picture[0] + pad, picture[1] + pad, picture[2] - pad, picture[3] - pad)
        draw_product(canvas, spec.product, inner, palette, rng)
    # The copy panel goes on top, so a shoulder that overflows the picture is cut cleanly.
    canvas.rectangle(panel, fill=palette.band)
    text_block(
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
        draw_product(canvas, "phone", (pad, pad, width // 3, height - pad), palette, rng)
        draw_product(
            canvas, "qr", (width // 3, pad * 2, width * 3 // 5, height - pad * 2), palette, rng
        )
        text = (width * 3 // 5 + pad, pad * 2, width - pad, height - pad)
    else:
        draw_product(canvas, "phone", (pad, height // 8, width // 2, height * 3 // 5), palette, rng)
        draw_product(
            canvas, "qr", (width // 2, height // 6, width - pad, height // 2), palette, rng
        )
        canvas.rectangle((0, height * 3 // 5 + pad, width, height), fill=palette.band)
        text = (pad, height * 3 // 5 + pad * 2, width - pad, height - pad)
    text_block(
        canvas,
        text,
        spec,
        palette,
        headline_size=max(14, min(width, height) // 13),
        ink=palette.ink if on_band else readable_on(palette.background),
        ground=palette.band if on_band else palette.background,
    )


_LAYOUT_PAINTERS = {
    "hero": _paint_hero,
    "product": _paint_product,
    "headline": _paint_headline,
    "split": _paint_split,
    "qr": _paint_qr,
}
