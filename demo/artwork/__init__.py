"""Draw demo ad images with Pillow: a plain `ArtSpec` in, encoded image bytes out.

The drawing depends only on the spec (its small random details come from `random.Random` seeded
with `detail_seed`), so the same spec gives the same bytes with the same Pillow version.
`spec` says what an image is, `layouts` paints and encodes it with the people, products and QR
codes of `shapes` and the words of `lettering`.
"""

from demo.artwork.layouts import draw
from demo.artwork.spec import LAYOUTS, PRODUCTS, RGB, ArtSpec, Palette

__all__ = ["LAYOUTS", "PRODUCTS", "RGB", "ArtSpec", "Palette", "draw"]
