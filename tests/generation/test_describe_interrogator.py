"""The interrogator describer on tiny random-weight BLIP and CLIP checkpoints.

The real loading, captioning and ranking code runs; nothing is mocked. The weights are random,
so the captions are word salad and the chosen labels arbitrary: what is checked is the shape of
every Description, that labels come from the lists, that the output is deterministic, and the
errors an operator sees.
"""

from __future__ import annotations

import importlib.util
import io
import subprocess
import sys
from pathlib import Path

import pytest
from PIL import Image, ImageDraw

from generation.backends.base import BackendUnavailable, Description, ModelRole
from generation.backends.describe.interrogator import (
    ClipInterrogatorDescriber,
    InterrogatorDescriber,
    load_image,
)
from generation.backends.describe.labels import (
    COLOUR_TEMPERATURE,
    DEPTHS,
    GROUP_ORDER,
    LABELS,
    PEOPLE_COUNTS,
    TEXT_OVERLAY_LEVELS,
    display_label,
)

pytest.importorskip("torch")
pytest.importorskip("transformers")

REPO_ROOT = Path(__file__).resolve().parents[2]

# The attribute keys each depth fills (besides subject, orientation, scores and ranked).
ALWAYS = {"subject", "orientation", "scores", "ranked"}
DEPTH_KEYS = {
    "fast": ALWAYS | {"composition", "people", "style"},
    "medium": ALWAYS
    | {
        "composition",
        "setting",
        "people",
        "lighting",
        "palette",
        "temperature",
        "mood",
        "style",
        "text_overlay",
    },
    "detailed": ALWAYS
    | {
        "composition",
        "setting",
        "people",
        "lighting",
        "palette",
        "temperature",
        "mood",
        "style",
        "medium",
        "text_overlay",
    },
}


def shown(group: str) -> set[str]:
    return {display_label(label) for label in LABELS[group]}


def encoded(colour: str, fmt: str, size: tuple[int, int], shape: str) -> bytes:
    image = Image.new("RGB", size, colour)
    draw = ImageDraw.Draw(image)
    if shape == "circle":
        draw.ellipse((4, 4, size[0] // 2, size[1] // 2), fill="white")
    else:
        draw.rectangle((size[0] // 3, size[1] // 3, size[0] - 4, size[1] - 4), fill="yellow")
    buffer = io.BytesIO()
    image.save(buffer, fmt)
    return buffer.getvalue()


RED_JPEG = encoded("red", "JPEG", (64, 48), "circle")  # landscape
BLUE_PNG = encoded("navy", "PNG", (40, 80), "square")  # portrait
GREEN_PNG = encoded("green", "PNG", (48, 48), "circle")  # square
IMAGES = [RED_JPEG, BLUE_PNG, GREEN_PNG]


def role(blip: Path | str, clip: Path | str, **options) -> ModelRole:
    return ModelRole(
        role="describe",
        backend="interrogator",
        model=str(blip),
        device="cpu",
        options={"clip_model": str(clip), **options},
    )


@pytest.fixture(scope="module")
def describers(tiny_blip_dir, tiny_clip_dir) -> dict[str, InterrogatorDescriber]:
    return {
        depth: InterrogatorDescriber(role(tiny_blip_dir, tiny_clip_dir, depth=depth))
        for depth in DEPTHS
    }


@pytest.fixture(scope="module")
def described(describers) -> dict[str, list[Description]]:
    return {depth: describer.describe(IMAGES) for depth, describer in describers.items()}


def check_description(description: Description, depth: str) -> None:
    attributes = description.attributes
    assert set(attributes) == DEPTH_KEYS[depth]
    groups = DEPTHS[depth]
    assert set(attributes["scores"]) == set(groups)
    assert set(attributes["ranked"]) == set(groups)

    assert attributes["composition"] in shown("composition")
    assert attributes["style"] in shown("style")
    assert attributes["people"]["count"] in PEOPLE_COUNTS.values()
    if "setting" in attributes:
        assert attributes["setting"] in shown("setting")
    if "lighting" in attributes:
        assert attributes["lighting"] in shown("lighting")
    if "palette" in attributes:
        assert set(attributes["palette"]) <= shown("palette")
        assert attributes["temperature"] == COLOUR_TEMPERATURE[attributes["palette"][0]]
    if "mood" in attributes:
        assert set(attributes["mood"].split(", ")) <= shown("mood")
    if "medium" in attributes:
        assert attributes["medium"] in shown("medium")
    if "text_overlay" in attributes:
        assert attributes["text_overlay"] in set(TEXT_OVERLAY_LEVELS.values())
    age_range = attributes["people"]["age_range"]
    if depth == "detailed" and attributes["people"]["count"] > 0:
        assert age_range in shown("age_range")
    else:
        assert age_range is None

    for group in groups:
        ranked = attributes["ranked"][group]
        assert {label for label, _ in ranked} <= shown(group)
        probabilities = [p for _, p in ranked]
        assert probabilities == sorted(probabilities, reverse=True)
        assert all(0 < p <= 1 for p in probabilities)
        assert sum(probabilities) <= 1 + 1e-3  # each is rounded to 4 places
        assert attributes["scores"][group] == probabilities[0]

    caption = attributes["subject"]
    assert caption
    assert description.text.startswith(caption + ", ")
    assert description.text_es == ""


def test_a_batch_of_three_images_gets_three_full_medium_descriptions(
    described, tiny_blip_dir, tiny_clip_dir
):
    descriptions = described["medium"]
    assert len(descriptions) == 3
    for description in descriptions:
        check_description(description, "medium")
        assert description.model_id == "blip+clip@medium"  # local folders by name
    assert [d.attributes["orientation"] for d in descriptions] == [
        "landscape",
        "portrait",
        "square",
    ]


def test_the_text_is_the_caption_then_each_chosen_label_in_group_order(described):
    attributes = described["medium"][0].attributes
    ranked = attributes["ranked"]
    expected = ", ".join(
        [
            attributes["subject"],
            attributes["composition"],
            attributes["setting"],
            ranked["people_count"][0][0],
            attributes["lighting"],
            f"{attributes['palette'][0]} palette",
            f"{attributes['mood']} mood",
            attributes["style"],
            ranked["text_overlay"][0][0],
        ]
    )
    assert described["medium"][0].text == expected


def test_every_depth_fills_exactly_its_own_attribute_groups(described):
    for depth in ("fast", "detailed"):
        assert len(described[depth]) == 3
        for description in described[depth]:
            check_description(description, depth)
            assert description.model_id.endswith(f"@{depth}")


def test_the_fast_depth_fills_fewer_groups_than_the_detailed_one(described):
    fast = described["fast"][0].attributes
    detailed = described["detailed"][0].attributes
    assert len(fast["scores"]) == 3
    assert len(detailed["scores"]) == 10
    assert set(fast) < set(detailed)


def test_the_detailed_depth_keeps_three_colours_and_three_moods(described):
    for description in described["detailed"]:
        attributes = description.attributes
        assert len(attributes["palette"]) == 3
        assert len(attributes["ranked"]["palette"]) == 3
        assert len(attributes["ranked"]["mood"]) == 3
        assert len(attributes["mood"].split(", ")) == 3
        assert len(attributes["ranked"]["composition"]) == 1
    for description in described["medium"]:
        assert len(description.attributes["palette"]) == 1


def test_the_groups_every_depth_shares_get_the_same_labels(described):
    # A group's softmax runs over its own labels only, so adding groups changes nothing in it.
    for fast, detailed in zip(described["fast"], described["detailed"], strict=True):
        for key in ("subject", "composition", "people", "style"):
            if key == "people":
                assert fast.attributes[key]["count"] == detailed.attributes[key]["count"]
            else:
                assert fast.attributes[key] == detailed.attributes[key]


def test_the_same_image_gets_the_same_description_every_time(describers, described):
    describer = describers["medium"]
    again = describer.describe([GREEN_PNG, RED_JPEG, GREEN_PNG])
    assert again[0] == again[2]
    assert again[0] == described["medium"][2]
    assert again[1] == described["medium"][0]


def test_small_batches_give_the_same_labels_as_one_big_batch(
    tiny_blip_dir, tiny_clip_dir, described
):
    one_by_one = InterrogatorDescriber(role(tiny_blip_dir, tiny_clip_dir, batch_size=1))
    descriptions = one_by_one.describe(IMAGES)
    assert len(descriptions) == 3
    for small, big in zip(descriptions, described["medium"], strict=True):
        assert small.text == big.text
        assert small.attributes["ranked"].keys() == big.attributes["ranked"].keys()


def test_no_images_give_no_descriptions(describers):
    assert describers["fast"].describe([]) == []


def test_an_unknown_depth_is_a_value_error(tiny_blip_dir, tiny_clip_dir):
    with pytest.raises(ValueError, match=r"Unknown describe depth 'deep'; expected one of fast"):
        InterrogatorDescriber(role(tiny_blip_dir, tiny_clip_dir, depth="deep"))


def test_a_corrupt_image_is_a_value_error_naming_its_index(describers):
    with pytest.raises(ValueError, match=r"^Image 2 is not a readable image"):
        describers["fast"].describe([RED_JPEG, BLUE_PNG, b"\x89PNG\r\n\x1a\nnot really"])
    with pytest.raises(ValueError, match=r"^Image 0 is not a readable image"):
        describers["fast"].describe([RED_JPEG[: len(RED_JPEG) // 3]])


def test_weights_missing_from_the_cache_are_unavailable_and_name_the_fetch_command(
    tiny_clip_dir,
):
    # resolve_weights asks the Hugging Face cache with local_files_only: no network is tried.
    with pytest.raises(BackendUnavailable) as caught:
        InterrogatorDescriber(role("yenni-test/no-such-blip", tiny_clip_dir))
    assert caught.value.message == (
        "The caption model weights 'yenni-test/no-such-blip' are not in this machine's "
        "Hugging Face cache."
    )
    assert "`python manage.py yenni_models fetch`" in caught.value.how_to_fix


def test_a_missing_weights_folder_is_unavailable(tiny_blip_dir, tmp_path):
    missing = tmp_path / "no-clip-here"
    with pytest.raises(BackendUnavailable) as caught:
        InterrogatorDescriber(role(tiny_blip_dir, missing))
    assert caught.value.message == f"The CLIP model weights folder {missing} does not exist."


def test_no_clip_model_configured_is_unavailable(tiny_blip_dir):
    with pytest.raises(BackendUnavailable) as caught:
        InterrogatorDescriber(role(tiny_blip_dir, ""))
    assert caught.value.message == "No model is configured for the CLIP model weights."


def test_the_describer_reports_where_it_runs(describers, tiny_blip_dir):
    describer = describers["medium"]
    assert describer.usable is True
    assert describer.device == "cpu"
    assert describer.weights_path == tiny_blip_dir
    assert describer.status_message == (
        "BLIP captions, CLIP ranks 90 labels in 8 groups (medium depth) on cpu."
    )


@pytest.mark.skipif(
    importlib.util.find_spec("clip_interrogator") is not None,
    reason="clip-interrogator is installed here",
)
def test_the_clip_interrogator_package_is_unavailable_here_and_says_why():
    config = ModelRole(role="describe", backend="clip-interrogator", device="cpu")
    with pytest.raises(BackendUnavailable) as caught:
        ClipInterrogatorDescriber(config)
    assert caught.value.message.startswith("The clip-interrogator package is not installed here")
    assert "torchvision" in str(caught.value)
    assert "YENNI_DESCRIBE_BACKEND=interrogator" in caught.value.how_to_fix


def test_importing_the_describer_loads_neither_torch_nor_transformers():
    code = (
        "import sys\n"
        "import generation.backends.describe.interrogator\n"
        "import generation.backends.describe.labels\n"
        "import generation.backends.tiny.vision\n"
        "print(sorted(m for m in ('torch', 'transformers', 'PIL') if m in sys.modules))\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", code],
        cwd=REPO_ROOT,
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    assert result.stdout.strip() == "[]"


def test_a_transparent_png_is_read_on_white():
    image = Image.new("RGBA", (8, 8), (255, 0, 0, 0))
    buffer = io.BytesIO()
    image.save(buffer, "PNG")
    decoded = load_image(0, buffer.getvalue())
    assert decoded.mode == "RGB"
    assert decoded.getpixel((0, 0)) == (255, 255, 255)


def test_a_large_image_is_shrunk_before_the_processors_see_it():
    # A JPEG decodes at half scale (a quarter would leave the short side under 448 px).
    assert load_image(0, encoded("white", "JPEG", (3000, 1500), "circle")).size == (1500, 750)
    # Any other format is box-reduced by a whole factor, keeping the short side at 448 or more.
    assert load_image(0, encoded("white", "PNG", (2000, 1000), "circle")).size == (1000, 500)
    assert load_image(0, encoded("white", "PNG", (800, 600), "circle")).size == (800, 600)


def test_the_label_lists_are_consistent():
    assert set(LABELS) == set(GROUP_ORDER)
    for group, labels in LABELS.items():
        assert 6 <= len(labels) <= 16, group
        assert len(set(labels)) == len(labels), group
        assert len({display_label(label) for label in labels}) == len(labels), group
    assert set(PEOPLE_COUNTS) == set(LABELS["people_count"])
    assert set(TEXT_OVERLAY_LEVELS) == set(LABELS["text_overlay"])
    assert set(TEXT_OVERLAY_LEVELS.values()) == {"none", "little", "heavy"}
    assert set(COLOUR_TEMPERATURE) == set(LABELS["palette"])
    assert set(DEPTHS["fast"]) < set(DEPTHS["medium"]) < set(DEPTHS["detailed"])
    assert DEPTHS["detailed"] == list(GROUP_ORDER)
    assert {"composition", "people_count", "style"} == set(DEPTHS["fast"])


def test_the_tiny_clip_tokenizer_reads_label_words_as_whole_tokens(tiny_clip_dir):
    from transformers import AutoTokenizer

    tokenizer = AutoTokenizer.from_pretrained(str(tiny_clip_dir))
    ids = tokenizer("a photo of a medium shot")["input_ids"]
    assert tokenizer.convert_ids_to_tokens(ids) == [
        "<|startoftext|>",
        "a</w>",
        "photo</w>",
        "of</w>",
        "a</w>",
        "medium</w>",
        "shot</w>",
        "<|endoftext|>",
    ]


def test_the_tiny_builders_do_not_rebuild_an_existing_checkpoint(tiny_blip_dir, tiny_clip_dir):
    from generation.backends.tiny.vision import build_tiny_blip, build_tiny_clip

    before = {
        path: path.stat().st_mtime_ns
        for path in (*tiny_blip_dir.iterdir(), *tiny_clip_dir.iterdir())
    }
    assert build_tiny_blip(tiny_blip_dir) == tiny_blip_dir
    assert build_tiny_clip(tiny_clip_dir) == tiny_clip_dir
    after = {path: path.stat().st_mtime_ns for path in before}
    assert after == before


def test_a_sideways_phone_photo_is_turned_upright():
    image = Image.new("RGB", (1200, 900), "white")  # stored landscape…
    exif = Image.Exif()
    exif[0x0112] = 6  # …with "rotate 90° clockwise to view"
    buffer = io.BytesIO()
    image.save(buffer, "JPEG", exif=exif)
    decoded = load_image(0, buffer.getvalue())
    assert decoded.size == (450, 600)  # upright, and decoded at half scale
