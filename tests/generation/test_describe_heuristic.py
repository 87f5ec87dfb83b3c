"""The heuristic describer on images drawn here with Pillow: no database, no model, no files.

Face detection is only checked for what can be checked honestly without a photograph of a
person: the cascade loads and a plain picture has no faces. OpenCV ships no face image, and a
drawn face would test the drawing, not the detector; detection on real photos is verified by
hand. Speed is measured by bench/describe.py, not asserted here.
"""

from __future__ import annotations

import importlib.util
import io
import json
from pathlib import Path

import pytest
from PIL import Image, ImageDraw, ImageFont

from generation.backends.base import ATTRIBUTE_KEYS, Description, ModelRole
from generation.backends.describe.heuristic import (
    MODEL_ID,
    HeuristicDescriber,
    analyse,
    face_cascade,
)

ORANGE = (240, 120, 30)
WHITE = (255, 255, 255)
DARK_BLUE = (20, 30, 90)


def encode(image: Image.Image, image_format: str = "PNG", **options) -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, image_format, **options)
    return buffer.getvalue()


def orange_and_white(size: int = 400) -> bytes:
    """Square: the left 60 % orange, the rest white."""
    image = Image.new("RGB", (size, size), WHITE)
    ImageDraw.Draw(image).rectangle((0, 0, size * 6 // 10 - 1, size - 1), fill=ORANGE)
    return encode(image, "JPEG", quality=90)


def dark_blue_landscape() -> bytes:
    return encode(Image.new("RGB", (640, 360), DARK_BLUE), "JPEG", quality=90)


def grey_portrait() -> bytes:
    """A greyscale ("L") gradient, 4:5."""
    return encode(Image.linear_gradient("L").resize((400, 500)), "PNG")


def page_of_text() -> bytes:
    """Fourteen lines in Pillow's default font, scaled up ×4 as a poster's copy would be."""
    image = Image.new("RGB", (240, 200), WHITE)
    canvas = ImageDraw.Draw(image)
    font = ImageFont.load_default()
    for line in range(14):
        text = f"Cuotas fijas desde 0 interes {line}"
        canvas.text((6, 4 + line * 14), text, fill=(20, 20, 20), font=font)
    return encode(image.resize((960, 800), Image.Resampling.BICUBIC), "PNG")


def plain(colour: tuple[int, int, int] = (200, 60, 40), size: tuple[int, int] = (300, 300)):
    return encode(Image.new("RGB", size, colour), "PNG")


# --- the sentences and the attributes ------------------------------------------------------


def test_orange_and_white_square_reads_warm_orange_square():
    description = analyse(orange_and_white())

    attributes = description.attributes
    assert attributes["palette"] == ["orange", "white"]
    assert attributes["palette_es"] == ["naranja", "blanco"]
    assert attributes["colour_shares"] == {"orange": 0.6, "white": 0.4}
    assert attributes["temperature"] == "warm"
    assert attributes["orientation"] == "square"
    assert attributes["aspect_ratio"] == "1:1"
    assert attributes["text_overlay"] == "none"
    assert attributes["people"] == {"count": 0, "age_range": None}
    assert description.text == (
        "Square image, bright, warm and vivid, mostly orange and white; no faces; no text; "
        "simple composition."
    )
    assert description.text_es == (
        "Imagen cuadrada, luminosa, cálida y de colores vivos, sobre todo naranja y blanco; "
        "sin rostros; sin texto; composición sencilla."
    )
    assert "naranja" in description.text_es
    assert description.model_id == MODEL_ID == "heuristic-v1"


def test_dark_blue_landscape_reads_cool_dark_landscape():
    attributes = analyse(dark_blue_landscape()).attributes

    assert attributes["temperature"] == "cool"
    assert attributes["lighting"] in ("dark", "dim")
    assert attributes["orientation"] == "landscape"
    assert attributes["aspect_ratio"] == "16:9"
    assert attributes["palette"] == ["blue"]
    assert (attributes["width"], attributes["height"], attributes["aspect"]) == (640, 360, 1.78)


def test_greyscale_portrait_is_neutral():
    description = analyse(grey_portrait())

    assert description.attributes["temperature"] == "neutral"
    assert description.attributes["orientation"] == "portrait"
    assert description.attributes["saturation"] == 0.0
    assert description.text.startswith("Portrait image (4:5), ")
    assert description.text_es.startswith("Imagen vertical (4:5), ")
    assert "de tono neutro" in description.text_es


def test_accents_are_named_after_the_main_colours():
    image = Image.new("RGB", (500, 500), ORANGE)
    canvas = ImageDraw.Draw(image)
    canvas.rectangle((0, 0, 499, 199), fill=WHITE)
    canvas.rectangle((400, 400, 499, 499), fill=(30, 80, 200))  # 4 % blue

    description = analyse(encode(image))

    assert description.attributes["palette"] == ["orange", "white", "blue"]
    assert "mostly orange and white with blue accents" in description.text
    assert "sobre todo naranja y blanco con acentos azules" in description.text_es


def test_no_leading_colour_is_a_mix():
    colours = [(220, 20, 30), (245, 130, 20), (250, 215, 30), (40, 160, 60), (30, 80, 200)]
    colours += [(110, 40, 200), (250, 250, 250), (12, 12, 14)]
    image = Image.new("RGB", (400, 400))
    canvas = ImageDraw.Draw(image)
    for index, colour in enumerate(colours):  # eight stripes of 12.5 % each
        canvas.rectangle((index * 50, 0, index * 50 + 49, 399), fill=colour)

    description = analyse(encode(image))

    assert "a mix of red, orange and yellow;" in description.text
    assert "una mezcla de rojo, naranja y amarillo;" in description.text_es
    assert len(description.attributes["palette"]) == 8


def test_detail_in_the_middle_is_a_centered_subject():
    image = Image.new("RGB", (400, 400), WHITE)
    canvas = ImageDraw.Draw(image)
    for step in range(0, 160, 16):  # a patterned block in the middle, nothing around it
        canvas.rectangle(
            (120 + step // 2, 120 + step // 2, 280 - step // 2, 280 - step // 2),
            outline=(30, 80, 200),
            width=3,
        )

    description = analyse(encode(image))

    assert description.attributes["composition"].endswith(", centered subject")
    assert "composition with a centered subject" in description.text
    assert "con el sujeto centrado" in description.text_es


@pytest.mark.parametrize(
    ("colour", "name"),
    [
        ((220, 20, 30), "red"),
        ((245, 130, 20), "orange"),
        ((250, 215, 30), "yellow"),
        ((40, 160, 60), "green"),
        ((20, 140, 140), "teal"),
        ((30, 80, 200), "blue"),
        ((110, 40, 200), "purple"),
        ((245, 150, 190), "pink"),
        ((110, 70, 35), "brown"),
        ((235, 215, 180), "beige"),
        ((250, 250, 250), "white"),
        ((128, 128, 128), "grey"),
        ((12, 12, 14), "black"),
    ],
)
def test_colour_names(colour, name):
    assert analyse(plain(colour)).attributes["palette"] == [name]


def test_lots_of_text_is_heavy_and_a_plain_image_has_none():
    assert analyse(page_of_text()).attributes["text_overlay"] == "heavy"
    assert analyse(plain()).attributes["text_overlay"] == "none"
    assert analyse(plain()).attributes["text_density"] == 0.0


def test_plain_image_is_simple_and_has_no_faces():
    attributes = analyse(plain()).attributes

    assert attributes["faces"] == 0
    assert attributes["people"]["count"] == 0
    assert attributes["composition"] == "simple"
    assert attributes["edge_density"] == 0.0


def test_face_cascade_loads_once():
    cascade = face_cascade()

    assert not cascade.empty()
    assert face_cascade() is cascade


def test_attributes_use_the_shared_keys_and_are_json():
    attributes = analyse(orange_and_white()).attributes

    shared = {"orientation", "palette", "temperature", "lighting", "people", "text_overlay"}
    assert shared | {"style", "composition"} <= set(attributes) & set(ATTRIBUTE_KEYS)
    assert json.loads(json.dumps(attributes)) == attributes  # plain types only: a JSONField


def test_same_bytes_give_the_same_description():
    data = orange_and_white()

    assert analyse(data) == analyse(data)


def test_demo_artwork_is_a_text_heavy_flat_graphic():
    from demo import cast
    from demo.artwork import ArtSpec, draw

    node = cast.NODE_CONTENT["tu360compras"]
    spec = ArtSpec(
        width=540,
        height=540,
        layout="headline",
        palette=cast.WARM[0],
        product="laptop",
        people=0,
        headline=node.headlines[3],
        offer=node.offers[0],
        call_to_action=node.calls_to_action[0],
        brand=node.brand,
        detail_seed=11,
    )

    attributes = analyse(draw(spec)).attributes

    assert attributes["style"] == "flat graphic"
    assert attributes["text_overlay"] == "heavy"
    assert attributes["temperature"] == "warm"
    assert attributes["palette"][:2] == ["beige", "orange"]
    assert attributes["faces"] == 0


def _sklearn_photo(name: str) -> Path | None:
    # scikit-learn (an `ml` extra) ships two real photographs; use them when it is installed,
    # without importing it.
    spec = importlib.util.find_spec("sklearn")
    if spec is None or not spec.submodule_search_locations:
        return None
    path = Path(next(iter(spec.submodule_search_locations))) / "datasets" / "images" / name
    return path if path.exists() else None


@pytest.mark.parametrize("name", ["china.jpg", "flower.jpg"])
def test_real_photographs_read_as_photographs_without_text(name):
    path = _sklearn_photo(name)
    if path is None:
        pytest.skip("scikit-learn's sample photos are not installed")

    attributes = analyse(path.read_bytes()).attributes

    assert attributes["style"] == "photograph"
    assert attributes["text_overlay"] == "none"
    assert attributes["orientation"] == "landscape"
    assert attributes["aspect_ratio"] == "3:2"


# --- decoding --------------------------------------------------------------------------------


def test_rgba_png_is_composited_on_white():
    image = Image.new("RGBA", (300, 300), (0, 0, 0, 0))  # fully transparent black
    ImageDraw.Draw(image).rectangle((0, 0, 149, 299), fill=(30, 80, 200, 255))

    attributes = analyse(encode(image)).attributes

    assert attributes["colour_shares"] == {"blue": 0.5, "white": 0.5}


def test_palette_gif_works():
    image = Image.new("RGB", (300, 200), (220, 20, 30)).quantize(colors=4)
    assert image.mode == "P"

    attributes = analyse(encode(image, "GIF")).attributes

    assert attributes["palette"] == ["red"]
    assert attributes["orientation"] == "landscape"


def test_palette_png_with_transparency_works():
    image = Image.new("P", (200, 200), 0)
    image.putpalette([0, 0, 0, 40, 160, 60] + [0] * 762)
    ImageDraw.Draw(image).rectangle((0, 0, 99, 199), fill=1)

    attributes = analyse(encode(image, "PNG", transparency=0)).attributes

    assert attributes["colour_shares"] == {"green": 0.5, "white": 0.5}


def test_cmyk_jpeg_works():
    image = Image.new("CMYK", (400, 400), (0, 128, 230, 0))  # no black ink: an orange

    attributes = analyse(encode(image, "JPEG", quality=90)).attributes

    assert attributes["palette"][0] == "orange"
    assert attributes["temperature"] == "warm"


@pytest.mark.parametrize("image_format", ["JPEG", "PNG"])
def test_greyscale_works(image_format):
    image = Image.new("L", (300, 300), 128)

    attributes = analyse(encode(image, image_format)).attributes

    assert attributes["palette"] == ["grey"]
    assert attributes["temperature"] == "neutral"


def test_sixteen_bit_greyscale_is_scaled_not_clipped():
    image = Image.new("I;16", (200, 200), 30000)  # mid-grey in 16 bits, white if clipped

    attributes = analyse(encode(image)).attributes

    assert attributes["palette"] == ["grey"]
    assert attributes["brightness"] == 0.46  # 30000 / 65535
    assert attributes["width"] == 200


def test_exif_rotation_is_applied():
    image = Image.new("RGB", (400, 300), ORANGE)
    exif = Image.Exif()
    exif[0x0112] = 6  # stored landscape, shown rotated a quarter turn: portrait

    attributes = analyse(encode(image, "JPEG", exif=exif.tobytes())).attributes

    assert (attributes["width"], attributes["height"]) == (300, 400)
    assert attributes["orientation"] == "portrait"


def test_large_jpeg_keeps_its_original_size():
    image = Image.new("RGB", (2400, 1200), DARK_BLUE)

    attributes = analyse(encode(image, "JPEG")).attributes

    assert (attributes["width"], attributes["height"], attributes["aspect_ratio"]) == (
        2400,
        1200,
        "2:1",
    )


@pytest.mark.parametrize(
    "data",
    [b"", b"not an image at all", orange_and_white()[:200]],
    ids=["empty", "garbage", "truncated"],
)
def test_unreadable_bytes_raise_value_error(data):
    with pytest.raises(ValueError, match="image"):
        analyse(data)


def test_unknown_format_message_is_readable():
    with pytest.raises(ValueError, match=r"unknown format \(19 bytes starting b'not an i'\)"):
        analyse(b"not an image at all")


def test_huge_image_is_refused_as_value_error(monkeypatch):
    monkeypatch.setattr(Image, "MAX_IMAGE_PIXELS", 1000)

    with pytest.raises(ValueError, match="too large"):
        analyse(plain(size=(100, 100)))


# --- the backend -----------------------------------------------------------------------------


def describer() -> HeuristicDescriber:
    return HeuristicDescriber(ModelRole(role="describe", backend="heuristic"))


def test_backend_identity():
    backend = describer()

    assert backend.model_id == "heuristic-v1"
    assert backend.usable is True
    assert backend.device == "cpu"
    assert backend.weights_path == ""
    assert backend.status_message


def test_describe_keeps_the_batch_order():
    images = [orange_and_white(), dark_blue_landscape(), grey_portrait()]

    results = describer().describe(images)

    assert all(isinstance(result, Description) for result in results)
    assert results == [analyse(data) for data in images]
    assert [r.attributes["orientation"] for r in results] == ["square", "landscape", "portrait"]


def test_describe_names_the_bad_image():
    with pytest.raises(ValueError, match=r"^image 1: not a readable image"):
        describer().describe([orange_and_white(), b"garbage", dark_blue_landscape()])


def test_describe_on_nothing_is_nothing():
    assert describer().describe([]) == []
