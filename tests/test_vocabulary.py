"""The shared words for how an image looks: colour names and orientation (creatives.vocabulary)."""

from __future__ import annotations

import pytest

from creatives.models import CreativeImage
from creatives.vocabulary import (
    COLOUR_BY_NAME,
    COLOUR_LABELS,
    COLOUR_NAMES,
    COLOURS,
    ORIENTATIONS,
    UNKNOWN_SWATCH,
    colour_swatch,
    orientation_of,
    orientation_of_aspect,
    orientation_q,
)
from generation.backends.describe import heuristic_colours
from tests.factories import make_image


def test_every_colour_has_a_label_spanish_words_and_a_swatch():
    assert len(set(COLOUR_NAMES)) == len(COLOURS) == 13
    for colour in COLOURS:
        assert str(colour.label)
        assert colour.spanish and colour.spanish_plural
        assert colour.swatch.startswith("#") and len(colour.swatch) == 7
    assert set(COLOUR_LABELS) == set(COLOUR_BY_NAME) == set(COLOUR_NAMES)


def test_the_describers_look_up_table_names_only_vocabulary_colours():
    named = {int(index) for index in set(heuristic_colours.NAME_TABLE.tolist())}
    assert named == set(range(len(COLOUR_NAMES)))


def test_a_name_from_another_describer_gets_the_neutral_swatch():
    assert colour_swatch("orange") == "#f08a24"
    assert colour_swatch("navy blue") == UNKNOWN_SWATCH


@pytest.mark.parametrize(
    ("width", "height", "expected"),
    [
        (1080, 1080, "square"),
        (1100, 1000, "square"),  # 10 % longer: still square
        (1101, 1000, "landscape"),
        (1000, 1100, "square"),
        (1000, 1101, "portrait"),
        (1920, 1080, "landscape"),
        (1080, 1920, "portrait"),
    ],
)
def test_an_image_is_square_unless_one_side_is_more_than_a_tenth_longer(width, height, expected):
    assert orientation_of(width, height) == expected


def test_a_tighter_margin_calls_fewer_images_square():
    assert orientation_of(1080, 1000) == "square"
    assert orientation_of(1080, 1000, margin=1.05) == "landscape"
    assert orientation_of(1000, 1080, margin=1.05) == "portrait"


def test_the_describers_rule_is_square_within_a_tolerance_of_one_to_one_in_aspect():
    assert orientation_of_aspect(1.0, tolerance=0.05) == "square"
    assert orientation_of_aspect(1.04, tolerance=0.05) == "square"
    assert orientation_of_aspect(0.951, tolerance=0.05) == "square"
    assert orientation_of_aspect(1.06, tolerance=0.05) == "landscape"
    assert orientation_of_aspect(0.94, tolerance=0.05) == "portrait"


def test_the_database_filter_agrees_with_the_rule_in_python(db):
    sizes = [(40, 40), (44, 40), (45, 40), (40, 44), (40, 45), (64, 36), (36, 64)]
    for width, height in sizes:
        make_image(width=width, height=height)
    images = list(CreativeImage.objects.all())

    for orientation in ORIENTATIONS:
        found = set(CreativeImage.objects.filter(orientation_q(orientation)).values_list("pk"))
        expected = {
            (image.pk,)
            for image in images
            if orientation_of(image.width, image.height) == orientation
        }
        assert found == expected
    assert CreativeImage.objects.filter(orientation_q("")).count() == len(sizes)
