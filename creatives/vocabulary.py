"""The words every app uses for how an ad image looks: its colour names and its orientation.

The heuristic describer writes these colour names into `ImageDescription.attributes["palette"]`;
the library filters and labels cards by them, and the insights page compares pieces by them.
They live here, in the lowest app, so that each of those reads one list and the web process
never imports the describer (and OpenCV) for a list of words.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.db.models import F, Q
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _


@dataclass(frozen=True)
class Colour:
    name: str  # what descriptions store: "red"
    label: Promise  # what a page shows, translated
    spanish: str  # the noun a Spanish description writes: "rojo"
    spanish_plural: str  # the adjective after "acentos …": "rojos"
    swatch: str  # what a swatch paints beside the name


# In the order the heuristic describer's look-up table indexes them.
COLOURS: tuple[Colour, ...] = (
    Colour("red", _("red"), "rojo", "rojos", "#d43c3c"),
    Colour("orange", _("orange"), "naranja", "naranja", "#f08a24"),
    Colour("yellow", _("yellow"), "amarillo", "amarillos", "#f2c230"),
    Colour("green", _("green"), "verde", "verdes", "#3f9b4f"),
    Colour("teal", _("teal"), "turquesa", "turquesa", "#1f9c9c"),
    Colour("blue", _("blue"), "azul", "azules", "#2f5fd0"),
    Colour("purple", _("purple"), "morado", "morados", "#7b4cc2"),
    Colour("pink", _("pink"), "rosa", "rosa", "#e36fa8"),
    Colour("brown", _("brown"), "marrón", "marrones", "#8a5a36"),
    Colour("beige", _("beige"), "beige", "beige", "#e3d3b4"),
    Colour("white", _("white"), "blanco", "blancos", "#ffffff"),
    Colour("grey", _("grey"), "gris", "grises", "#9aa1ad"),
    Colour("black", _("black"), "negro", "negros", "#1b1b1b"),
)
COLOUR_NAMES: tuple[str, ...] = tuple(colour.name for colour in COLOURS)
COLOUR_BY_NAME: dict[str, Colour] = {colour.name: colour for colour in COLOURS}
COLOUR_LABELS: dict[str, Promise] = {colour.name: colour.label for colour in COLOURS}
# A name another describer wrote ("navy blue") has no swatch of its own.
UNKNOWN_SWATCH = "#cccccc"


def colour_swatch(name: str) -> str:
    colour = COLOUR_BY_NAME.get(name)
    return colour.swatch if colour else UNKNOWN_SWATCH


# --- orientation ---------------------------------------------------------------------------

ORIENTATION_LABELS: dict[str, Promise] = {
    "square": _("Square"),
    "landscape": _("Landscape"),
    "portrait": _("Portrait"),
}
ORIENTATIONS: tuple[str, ...] = tuple(ORIENTATION_LABELS)
# A picture is square unless one side is more than 10 % longer than the other.
SQUARE_MARGIN = 1.1


def orientation_of(width: float, height: float, *, margin: float = SQUARE_MARGIN) -> str:
    """Return "landscape" when the width passes the height by more than `margin` (a factor),
    "portrait" the other way round, else "square"."""
    if width > height * margin:
        return "landscape"
    if height > width * margin:
        return "portrait"
    return "square"


def orientation_of_aspect(aspect: float, *, tolerance: float) -> str:
    """The heuristic describer's rule, on the aspect ratio (width / height): "square" within
    ±`tolerance` of 1:1, else "landscape" or "portrait". It is its own rule because descriptions
    already stored used it; the library's pages use `orientation_of`."""
    if abs(aspect - 1) <= tolerance:
        return "square"
    return "landscape" if aspect > 1 else "portrait"


def orientation_q(orientation: str) -> Q:
    """The same rule as `orientation_of` (default margin) for images in the database."""
    if orientation == "landscape":
        return Q(width__gt=F("height") * SQUARE_MARGIN)
    if orientation == "portrait":
        return Q(height__gt=F("width") * SQUARE_MARGIN)
    if orientation == "square":
        return Q(width__lte=F("height") * SQUARE_MARGIN, height__lte=F("width") * SQUARE_MARGIN)
    return Q()
