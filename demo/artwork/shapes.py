"""Draw the things an ad shows: people, a QR code, and the products (phone, card, house, …).

Simple shapes that read as what they are in a thumbnail; their small random details come from
the `random.Random` the layout passes in, in a fixed order, so a spec gives the same pixels.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import dataclass

from PIL import ImageDraw

from demo.artwork.lettering import load_font
from demo.artwork.spec import RGB, Palette, mix, readable_on

SKIN_TONES: tuple[RGB, ...] = (
    (241, 194, 160),
    (224, 172, 130),
    (198, 134, 96),
    (160, 104, 70),
    (118, 78, 52),
)
HAIR_TONES: tuple[RGB, ...] = ((35, 28, 24), (70, 45, 30), (120, 80, 45), (20, 20, 22))


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


def draw_people(
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


@dataclass(frozen=True)
class _Area:
    """The box a product is drawn in, with its size and horizontal centre."""

    left: int
    top: int
    right: int
    bottom: int

    @property
    def width(self) -> int:
        return self.right - self.left

    @property
    def height(self) -> int:
        return self.bottom - self.top

    @property
    def cx(self) -> int:
        return (self.left + self.right) // 2


def draw_product(
    canvas: ImageDraw.ImageDraw,
    kind: str,
    box: tuple[int, int, int, int],
    palette: Palette,
    rng: random.Random,
) -> None:
    """Draw a product of `kind` (one of PRODUCTS; anything else is a laptop) inside `box`."""
    painter = _PRODUCT_PAINTERS.get(kind, _laptop)
    painter(canvas, _Area(*box), palette, rng)


def _phone(canvas: ImageDraw.ImageDraw, area: _Area, palette: Palette, rng: random.Random) -> None:
    """A phone showing a QR code and a pay button."""
    width, height, cx, top = area.width, area.height, area.cx, area.top
    w = min(width, height // 2)
    h = w * 2
    x, y = cx - w // 2, top + (height - h) // 2
    canvas.rounded_rectangle((x, y, x + w, y + h), radius=w // 6, fill=(28, 28, 32))
    canvas.rounded_rectangle(
        (x + w // 12, y + w // 8, x + w - w // 12, y + h - w // 8),
        radius=w // 10,
        fill=mix(palette.accent, (255, 255, 255), 0.7),
    )
    inner = x + w // 5
    _qr(canvas, (inner, y + h // 4, x + w - w // 5, y + h // 2), rng)
    canvas.rounded_rectangle(
        (x + w // 6, y + h * 2 // 3, x + w - w // 6, y + h * 2 // 3 + h // 10),
        radius=h // 40,
        fill=palette.accent,
    )


def _card(canvas: ImageDraw.ImageDraw, area: _Area, palette: Palette, rng: random.Random) -> None:
    """A tilted payment card with a chip and its last four digits."""
    width, height, cx, top = area.width, area.height, area.cx, area.top
    w = min(width, height * 8 // 5)
    h = w * 5 // 8
    x, y = cx - w // 2, top + (height - h) // 2
    tilt = rng.randint(-h // 10, h // 10)
    canvas.rounded_rectangle((x, y + tilt, x + w, y + h + tilt), radius=h // 10, fill=palette.band)
    canvas.rounded_rectangle(
        (x + w // 10, y + h // 3 + tilt, x + w // 10 + w // 7, y + h // 3 + h // 5 + tilt),
        radius=3,
        fill=(212, 175, 55),
    )
    digits = f"**** {rng.randint(1000, 9999)}"
    canvas.text(
        (x + w // 10, y + h * 2 // 3 + tilt),
        digits,
        font=load_font(max(10, h // 8)),
        fill=readable_on(palette.band),
    )


def _house(canvas: ImageDraw.ImageDraw, area: _Area, palette: Palette, rng: random.Random) -> None:
    """A house: walls, a roof in the accent colour, a door and two windows."""
    width, height, cx, bottom = area.width, area.height, area.cx, area.bottom
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


def _storefront(
    canvas: ImageDraw.ImageDraw, area: _Area, palette: Palette, rng: random.Random
) -> None:
    """A shop with a striped awning, a window, a door and an "open" sign."""
    width, height, cx, bottom = area.width, area.height, area.cx, area.bottom
    w = min(width, height) * 9 // 10
    x, base = cx - w // 2, bottom - (height - w) // 2
    roof = base - w * 3 // 4
    canvas.rectangle((x, roof, x + w, base), fill=(245, 240, 230))
    stripes = 6
    for index in range(stripes):
        colour = palette.accent if index % 2 == 0 else (255, 255, 255)
        sx = x + index * w // stripes
        canvas.rectangle((sx, roof, sx + w // stripes, roof + w // 7), fill=colour)
    canvas.rectangle((x + w // 10, roof + w // 4, x + w // 2, base - w // 8), fill=(160, 205, 230))
    canvas.rectangle((x + w * 3 // 5, roof + w // 4, x + w * 17 // 20, base), fill=(90, 60, 40))
    canvas.text(
        (x + w // 10, base - w // 9),
        "ABIERTO",
        font=load_font(max(9, w // 14)),
        fill=(15, 15, 15),
    )


def _qr_code(
    canvas: ImageDraw.ImageDraw, area: _Area, palette: Palette, rng: random.Random
) -> None:
    """A large QR code."""
    width, height, cx, top, bottom = area.width, area.height, area.cx, area.top, area.bottom
    side = min(width, height) * 3 // 4
    _qr(canvas, (cx - side // 2, top + (height - side) // 2, cx + side // 2, bottom), rng)


def _laptop(canvas: ImageDraw.ImageDraw, area: _Area, palette: Palette, rng: random.Random) -> None:
    """An open laptop, its screen tinted with the accent colour."""
    width, height, cx, top = area.width, area.height, area.cx, area.top
    w = min(width, height * 3 // 2)
    h = w * 2 // 3
    x, y = cx - w // 2, top + (height - h) // 2
    canvas.rounded_rectangle(
        (x + w // 10, y, x + w - w // 10, y + h * 4 // 5), 6, fill=(40, 40, 46)
    )
    canvas.rectangle(
        (x + w // 10 + 6, y + 6, x + w - w // 10 - 6, y + h * 4 // 5 - 6),
        fill=mix(palette.accent, (255, 255, 255), 0.5),
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


ProductPainter = Callable[[ImageDraw.ImageDraw, _Area, Palette, random.Random], None]
_PRODUCT_PAINTERS: dict[str, ProductPainter] = {
    "phone": _phone,
    "card": _card,
    "house": _house,
    "storefront": _storefront,
    "qr": _qr_code,
    "laptop": _laptop,
}
