"""A generated image's file: streamed locally, redirected to a signed address on S3."""

from __future__ import annotations

import urllib.request

from django.urls import reverse

from campaigns.models import Objective
from generation.models import Brief
from tests.factories import make_node as factory_node
from tests.test_storage_s3 import BUCKET, PREFIX, bucket, s3_endpoint, s3_storage  # noqa: F401 (fixtures)
from tests.web.briefs.helpers import _batch


def test_a_generated_image_file_is_streamed_to_the_owner(en, brief):
    image = _batch(brief, images=1).images.get()
    en.force_login(brief.owner)

    response = en.get(reverse("generated_image_file", args=[image.pk]))

    assert response.status_code == 200
    assert response["Cache-Control"] == "private, max-age=86400"
    with image.file.open("rb") as stored:
        assert b"".join(response.streaming_content) == stored.read()


def test_a_generated_image_missing_from_storage_is_a_not_found(en, brief):
    image = _batch(brief, images=1).images.get()
    image.file.storage.delete(image.file.name)
    en.force_login(brief.owner)

    assert en.get(reverse("generated_image_file", args=[image.pk])).status_code == 404


def test_a_generated_image_on_s3_redirects_to_a_signed_address(en, analyst, request):
    # Asked for here, not in the signature, so no local media folder fixture can override it.
    request.getfixturevalue("s3_storage")
    endpoint = request.getfixturevalue("s3_endpoint")
    brief = Brief.objects.create(
        owner=analyst,
        node=factory_node(),
        objective=Objective.TRAFFIC,
        title="S3",
        description="x" * 10,
    )
    image = _batch(brief, images=1).images.get()
    en.force_login(analyst)

    response = en.get(reverse("generated_image_file", args=[image.pk]))

    assert response.status_code == 302
    location = response["Location"]
    assert location.startswith(f"{endpoint}/{BUCKET}/{PREFIX}/{image.file.name}?")
    assert "X-Amz-Signature=" in location
    with urllib.request.urlopen(location, timeout=10) as fetched, image.file.open("rb") as stored:
        assert fetched.read() == stored.read()
