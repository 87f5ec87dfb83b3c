"""The admin's previews of generated images load: they point at the app's file view.

They used to point at the storage's own address, /media/…, which no URL serves (404), or on S3
at a signed address that expires while the page is open.
"""

from __future__ import annotations

import re

from django.contrib.auth.models import User
from django.urls import reverse

from tests.web.briefs.helpers import _batch


def test_a_batchs_previews_point_at_the_file_view_and_load_in_the_admin(client, brief):
    batch = _batch(brief, images=2)
    client.force_login(User.objects.create_superuser("sara_super", "sara@example.co", "pw"))

    page = client.get(reverse("admin:generation_imagebatch_change", args=[batch.pk]))

    sources = re.findall(r'<img src="([^"]+)" width="96"', page.content.decode())
    expected = [
        reverse("generated_image_file", args=[image.pk]) for image in batch.images.order_by("index")
    ]
    assert page.status_code == 200
    assert sources == expected
    for source in sources:
        response = client.get(source)
        assert response.status_code == 200
        assert response["Content-Type"] == "image/png"
        assert not source.startswith("/media/")
