"""The embedded default describe backend: measures an image with Pillow, NumPy and OpenCV.

No weights and no torch, so it runs anywhere the web app runs. It cannot say *what* a picture
shows (no "subject", "setting" or "mood"); it says how the picture looks: orientation, colours
by name, warm or cool, light, contrast, saturation, faces, how much text, how busy, and whether
it looks like a flat graphic or a photograph. The composer turns those into prompt phrases.

Every measure runs on a thumbnail of at most ANALYSIS_SIZE px on the long side. JPEGs are
decoded straight at that scale with `draft` (libjpeg's DCT scaling), which is what makes a
1080×1080 JPEG cost a few milliseconds instead of tens: see bench/describe.py.

Known limits, stated rather than hidden:

- Faces come from OpenCV's bundled Haar frontal-face cascade. It misses profiles, heads turned
  more than ~30°, faces smaller than the cascade's 24 px window on a copy whose short side is
  at most 192 px (1/8 of the short side of a square picture, about 1/6 of a 9:16 or 1.91:1
  one) and many faces in strong shade; it sometimes fires on face-like patterns. The count is
  a hint for the prompt, not a census. It is checked on real photos by hand only: OpenCV ships
  no face image to test against, and drawn faces prove nothing.
- Text is found by its shape, not read: rows of letter-sized outlines with strong edges on a
  flat ground. A row of small regular shapes (buttons, a striped awning) can pass as text; text
  lower than about 1/60 of the picture's long side is not seen at all.
- "flat graphic" versus "photograph" is a guess from how many distinct colours the picture
  needs; a product shot on a white sweep may pass as a graphic, a noisy scan as a photo.
- Colour names come from fixed hue, saturation and brightness boundaries; colours near a
  boundary (coral, olive, aqua) may take either neighbour's name.
"""

from __future__ import annotations

import io
import threading
from dataclasses import dataclass

import cv2
import numpy as np
from PIL import Image

from creatives.vocabulary import COLOUR_NAMES, orientation_of_aspect
from generation.backends.base import Description, ModelRole
from generation.backends.describe.heuristic_colours import (
    CELLS,
    CHROMA_TABLE,
    NAME_TABLE,
    WARMTH_TABLE,
    cells_of,
)
from generation.backends.describe.heuristic_words import MODEL_ID, Measures, compose

ANALYSIS_SIZE = 256  # long side of the thumbnail every measure runs on
FACE_SIZE = 192  # short side of the copy the face cascade runs on, at most
_FACE_WINDOW = 24  # the frontal-face cascade's window, px

# --- thresholds (calibrated on the demo artwork and on a few photos, see the tests) ----------
# (the levels the sentences use are in heuristic_words)

# A text line: its joined letters cover at least TEXT_LINE_FILL of its box, and the mean local
# contrast (0–255) on its letters is TEXT_EDGE_STRONG, or TEXT_EDGE_MIN with at least
# TEXT_FLAT_GROUND of the box flat. Photo texture measured 33–65 with under 0.05 flat.
TEXT_LINE_FILL = 0.3
TEXT_EDGE_STRONG = 100
TEXT_EDGE_MIN = 40
TEXT_FLAT_GROUND = 0.08
FLAT_LEVEL = 3  # a pixel is flat when its 3×3 neighbourhood varies by at most this (0–255)
# Square within 5 % of 1:1 in aspect (the library's pages cut at 10 %: creatives.vocabulary).
SQUARE_TOLERANCE = 0.05

# Aspect ratios ads come in, so 1.777 reads "16:9" and 0.8 reads "4:5".
_NAMED_RATIOS = (
    (1.0, "1:1"),
    (4 / 5, "4:5"),
    (5 / 4, "5:4"),
    (3 / 4, "3:4"),
    (4 / 3, "4:3"),
    (2 / 3, "2:3"),
    (3 / 2, "3:2"),
    (9 / 16, "9:16"),
    (16 / 9, "16:9"),
    (1.91, "1.91:1"),
    (2.0, "2:1"),
    (1 / 2, "1:2"),
    (3.0, "3:1"),
    (4.0, "4:1"),
)

_EXIF_ORIENTATION = 0x0112
_EXIF_TRANSPOSE = {
    2: Image.Transpose.FLIP_LEFT_RIGHT,
    3: Image.Transpose.ROTATE_180,
    4: Image.Transpose.FLIP_TOP_BOTTOM,
    5: Image.Transpose.TRANSPOSE,
    6: Image.Transpose.ROTATE_270,
    7: Image.Transpose.TRANSVERSE,
    8: Image.Transpose.ROTATE_90,
}

# --- decoding ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class Decoded:
    rgb: np.ndarray  # H×W×3 uint8, at most ANALYSIS_SIZE on the long side, upright
    width: int  # the original's size, upright
    height: int


def decode(data: bytes, size: int = ANALYSIS_SIZE) -> Decoded:
    """Decode to an upright RGB thumbnail; ValueError for anything that is not an image."""
    if not data:
        raise ValueError("empty image data")
    try:
        image = Image.open(io.BytesIO(data))
        width, height = image.size
        orientation = _orientation_tag(image)
        # JPEG only (a no-op for other formats): libjpeg decodes at 1/2, 1/4 or 1/8 scale, the
        # smallest that is still at least `size`, so a 1080 px JPEG is decoded at 270 px.
        image.draft("RGB", (size, size))
        image.load()
        rgb = _to_rgb(image)
        if max(rgb.size) > size:
            # reducing_gap=None: the draft above already did the cheap reduction.
            rgb.thumbnail((size, size), Image.Resampling.BILINEAR, reducing_gap=None)
    except Image.DecompressionBombError as exc:
        raise ValueError(f"image too large to analyse: {exc}") from exc
    except Image.UnidentifiedImageError as exc:
        # Pillow's own message names a BytesIO object's address, which helps nobody.
        raise ValueError(
            f"not a readable image: unknown format ({len(data)} bytes starting {data[:8]!r})"
        ) from exc
    except (OSError, SyntaxError, EOFError, ValueError, TypeError, IndexError, KeyError) as exc:
        # UnidentifiedImageError and truncated files are OSErrors; broken headers raise the
        # others from inside the plugins (a fuzzing run saw only OSError and SyntaxError).
        raise ValueError(f"not a readable image: {exc}") from exc
    transpose = _EXIF_TRANSPOSE.get(orientation)
    if transpose is not None:
        rgb = rgb.transpose(transpose)
        if orientation >= 5:  # the quarter turns swap width and height
            width, height = height, width
    return Decoded(np.asarray(rgb), width, height)


def _orientation_tag(image: Image.Image) -> int:
    try:
        return int(image.getexif().get(_EXIF_ORIENTATION, 1))
    except Exception:  # a broken EXIF block must not make the picture unreadable
        return 1


def _to_rgb(image: Image.Image) -> Image.Image:
    """RGB whatever the mode: transparency composited on white, 16-bit scaled, CMYK converted."""
    mode = image.mode
    if mode == "RGB":
        return image
    if mode in ("I;16", "I;16B", "I;16L", "I", "F"):
        # 16-bit greyscale (PNG, TIFF): Pillow's convert("L") clips at 255, which turns every
        # mid-grey white. Values past 255 mean a 16-bit range, so scale that down instead.
        values = np.asarray(image, dtype=np.float32)
        top = float(values.max()) if values.size else 0.0
        if top > 255:
            scale = 255.0 / 65535.0
        elif mode == "F" and top <= 1.0:
            scale = 255.0  # floating-point images are usually 0–1
        else:
            scale = 1.0
        grey = np.clip(np.rint(values * scale), 0, 255).astype(np.uint8)
        return Image.fromarray(grey, "L").convert("RGB")
    if (mode == "P" and "transparency" in image.info) or mode in ("RGBA", "LA", "PA", "La", "RGBa"):
        # Ads with transparency are shown on a light page; white stands in for it.
        rgba = image.convert("RGBA")
        ground = Image.new("RGBA", rgba.size, (255, 255, 255, 255))
        return Image.alpha_composite(ground, rgba).convert("RGB")
    return image.convert("RGB")


# --- measures ---------------------------------------------------------------------------------

_local = threading.local()


def face_cascade() -> cv2.CascadeClassifier:
    """OpenCV's bundled frontal-face cascade, loaded once per thread (the classifier object is
    not documented as thread-safe, and loading costs ~30 ms, so never per image)."""
    cascade = getattr(_local, "cascade", None)
    if cascade is None:
        path = cv2.data.haarcascades + "haarcascade_frontalface_default.xml"
        cascade = cv2.CascadeClassifier(path)
        if cascade.empty():
            raise RuntimeError(f"OpenCV could not load its face cascade from {path}")
        _local.cascade = cascade
    return cascade


def _count_faces(grey: np.ndarray) -> int:
    """Frontal faces at least 1/8 of the short side (the cascade's 24 px window at FACE_SIZE).

    The cascade is the slowest measure by far and its cost is mostly the first, largest scales,
    so it runs on a copy whose short side is at most FACE_SIZE: that halves its time and only
    gives up faces smaller than an eighth of the picture, which say little about an ad anyway.
    """
    short = min(grey.shape)
    if short > FACE_SIZE:
        scale = FACE_SIZE / short
        grey = cv2.resize(grey, None, fx=scale, fy=scale, interpolation=cv2.INTER_AREA)
    if min(grey.shape) < _FACE_WINDOW:
        return 0
    found = face_cascade().detectMultiScale(
        # Equalised: the cascade was trained on evenly lit faces; ads are often dark or washed.
        cv2.equalizeHist(grey),
        scaleFactor=1.2,
        minNeighbors=5,
        minSize=(_FACE_WINDOW, _FACE_WINDOW),
    )
    return len(found)


_GRADIENT_KERNEL = cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (3, 3))
_WORD_KERNEL = cv2.getStructuringElement(cv2.MORPH_RECT, (7, 1))


def _text_density(edges: np.ndarray, gradient: np.ndarray, flat: np.ndarray) -> float:
    """Share of the picture covered by text-like lines, 0–1.

    `edges` is the Canny map, `gradient` the 3×3 morphological gradient (local contrast) and
    `flat` the mask of pixels without visible change around them.
    Letters are small closed outlines sitting side by side on a line. Canny's one-pixel outlines
    keep letters, and lines set close together, apart, where a thicker edge map would weld a
    paragraph into one blob. A connected outline is kept when it is letter-sized: short, not a
    long border or a large shape, and not too hollow (a frame's or a product's outline is mostly
    empty inside its box). The kept outlines are joined along the row, and a joined blob is a
    line of text when:

    - it is clearly wider than tall and densely filled (texture gives ragged, sparse blobs);
    - it joins at least three outlines (one shape next to nothing is not a line);
    - its letters stand out: ad copy is set to be read, as strong edges on a flat ground. The
      foliage, brickwork or fabric that also makes letter-sized outlines in a photo has softer
      edges and no flat pixels between them. Text set straight on a photo still counts when its
      edges are very strong.
    """
    height, width = edges.shape
    count, labels, stats, _ = cv2.connectedComponentsWithStats(edges, connectivity=8)
    if count <= 1:
        return 0.0
    w = stats[:, cv2.CC_STAT_WIDTH]
    h = stats[:, cv2.CC_STAT_HEIGHT]
    fill = stats[:, cv2.CC_STAT_AREA] / np.maximum(w * h, 1)
    letter = (h >= 4) & (h <= height // 5) & (w <= width // 3) & (fill >= 0.12)
    letter[0] = False  # the background label
    if not letter.any():
        return 0.0
    on_letter = letter[labels]
    kept = np.where(on_letter, np.uint8(255), np.uint8(0))
    joined = cv2.morphologyEx(kept, cv2.MORPH_CLOSE, _WORD_KERNEL)
    lines, line_labels, line_stats, _ = cv2.connectedComponentsWithStats(joined, connectivity=8)
    # Which line each letter ended up in: every pixel of a letter lies in the same line.
    line_of = np.zeros(count, dtype=np.int64)
    line_of[labels[on_letter]] = line_labels[on_letter]
    pieces = np.bincount(line_of[letter], minlength=lines)
    on_line = line_labels[on_letter]
    strength = np.bincount(on_line, weights=gradient[on_letter], minlength=lines) / np.maximum(
        np.bincount(on_line, minlength=lines), 1
    )
    x = line_stats[:, cv2.CC_STAT_LEFT]
    y = line_stats[:, cv2.CC_STAT_TOP]
    w = line_stats[:, cv2.CC_STAT_WIDTH]
    h = line_stats[:, cv2.CC_STAT_HEIGHT]
    fill = line_stats[:, cv2.CC_STAT_AREA] / np.maximum(w * h, 1)
    # Flat pixels in each line's box, from a summed-area table: one look-up per corner.
    table = cv2.integral(flat)
    flat_share = (table[y + h, x + w] - table[y, x + w] - table[y + h, x] + table[y, x]) / (
        np.maximum(w * h, 1)
    )
    stands_out = (strength >= TEXT_EDGE_STRONG) | (
        (strength >= TEXT_EDGE_MIN) & (flat_share >= TEXT_FLAT_GROUND)
    )
    line = (
        (w >= 2 * h)
        & (w >= 12)
        & (h <= height // 5)
        & (fill >= TEXT_LINE_FILL)
        & (pieces >= 3)
        & stands_out
    )
    line[0] = False
    covered = float((w[line] * h[line]).sum())
    return min(1.0, covered / (width * height))


def _ratio_label(aspect: float) -> str:
    for ratio, label in _NAMED_RATIOS:
        if abs(aspect - ratio) / ratio <= 0.02:
            return label
    wide = aspect if aspect >= 1 else 1 / aspect
    number = f"{wide:.2f}".rstrip("0").rstrip(".")
    return f"{number}:1" if aspect >= 1 else f"1:{number}"


def measure(decoded: Decoded) -> Measures:
    rgb = decoded.rgb
    pixels = rgb.shape[0] * rgb.shape[1]
    cells = cells_of(rgb)
    counts = np.bincount(NAME_TABLE[cells].ravel(), minlength=len(COLOUR_NAMES))
    # How many colour cells cover 90 % of the picture: a handful for flat fills and gradients,
    # hundreds for a photograph's continuous tones and noise.
    cell_counts = np.sort(np.bincount(cells.ravel(), minlength=CELLS))[::-1]
    colour_cells = int(np.searchsorted(np.cumsum(cell_counts), 0.9 * pixels)) + 1
    order = np.argsort(-counts, kind="stable")
    shares = [(COLOUR_NAMES[i], float(counts[i]) / pixels) for i in order if counts[i] > 0]

    grey = cv2.cvtColor(rgb, cv2.COLOR_RGB2GRAY)
    edges = cv2.Canny(grey, 60, 150)
    edge_pixels = np.count_nonzero(edges)
    height, width = grey.shape
    centre = edges[height // 4 : height - height // 4, width // 4 : width - width // 4]
    # Flat: no visible change within a pixel's 3×3 neighbourhood. Smooth gradients stay flat at
    # this scale; photographs have texture and sensor noise nearly everywhere.
    gradient = cv2.morphologyEx(grey, cv2.MORPH_GRADIENT, _GRADIENT_KERNEL)
    flat = (gradient <= FLAT_LEVEL).view(np.uint8)

    aspect = decoded.width / decoded.height
    return Measures(
        width=decoded.width,
        height=decoded.height,
        aspect=aspect,
        orientation=orientation_of_aspect(aspect, tolerance=SQUARE_TOLERANCE),
        ratio=_ratio_label(aspect),
        shares=shares,
        warmth=float(WARMTH_TABLE[cells].mean()),
        brightness=float(grey.mean()) / 255,
        contrast=float(grey.std()) / 255,
        saturation=float(CHROMA_TABLE[cells].mean()),
        faces=_count_faces(grey),
        text_density=_text_density(edges, gradient, flat),
        edge_density=float(edge_pixels) / pixels,
        centre_share=float(np.count_nonzero(centre)) / edge_pixels if edge_pixels else 0.0,
        flat_share=float(np.count_nonzero(flat)) / pixels,
        colour_cells=colour_cells,
    )


def analyse(data: bytes) -> Description:
    """Describe one encoded image; ValueError when the bytes are not a readable image."""
    return compose(measure(decode(data)))


class HeuristicDescriber:
    """Describe backend "heuristic": the measures above, on the CPU, with nothing to download."""

    model_id = MODEL_ID
    usable = True
    device = "cpu"
    weights_path = ""
    status_message = (
        "Heuristic describer: colours, light, faces (frontal only), text amount and layout "
        "measured with OpenCV; no image model."
    )
    how_to_fix = ""

    def __init__(self, config: ModelRole) -> None:
        self.config = config
        face_cascade()  # fail at load time, not on the first image, if OpenCV is broken

    def describe(self, images: list[bytes]) -> list[Description]:
        results: list[Description] = []
        for index, data in enumerate(images):
            try:
                results.append(analyse(data))
            except ValueError as exc:
                raise ValueError(f"image {index}: {exc}") from exc
        return results
