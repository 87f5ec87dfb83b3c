"""The image admin's orientation filter follows the same rule as the images' own orientation."""

from __future__ import annotations

import pytest
from django.urls import reverse

from creatives.models import CreativeImage
from tests.factories import make_image


@pytest.fixture
def shapes(db, media_storage) -> dict[str, CreativeImage]:
    # 11×10 is square by the 10 % margin; 12×10 and 10×12 are not.
    return {
        "square": make_image(width=11, height=10),
        "landscape": make_image(width=12, height=10),
        "portrait": make_image(width=10, height=12),
    }


@pytest.mark.parametrize("orientation", ["square", "landscape", "portrait"])
def test_the_orientation_filter_lists_exactly_the_images_of_that_orientation(
    admin_client, shapes, orientation
):
    url = reverse("admin:creatives_creativeimage_changelist")

    response = admin_client.get(url, {"orientation": orientation})

    listed = {image.pk for image in response.context["cl"].result_list}
    assert listed == {shapes[orientation].pk}
    assert shapes[orientation].orientation == orientation
