"""A small ranked catalog, a brief on it, and API clients that sign in with a token.

The catalog gives one node five pieces with recent results, so the default ranking rule ranks
them and the composer writes a prompt from their descriptions, exactly as for a real brief.
"""

from __future__ import annotations

import datetime as dt
import io
import random
from collections.abc import Callable

import pytest
from django.contrib.auth.models import Group, User
from django.utils import timezone
from knox.models import AuthToken
from PIL import Image
from rest_framework.test import APIClient

from campaigns.models import Node, Objective
from campaigns.rollups import image_rollup_refresh
from creatives.models import CreativeImage, ImageDescription
from generation.briefs import services
from generation.models import Brief, StylePreset
from tests.factories import (
    make_account,
    make_ad,
    make_campaign,
    make_creative,
    make_description,
    make_image,
    make_metric,
)
from tests.generation.tiny_sdxl import tiny_image_model, tiny_sdxl_dir  # noqa: F401 (fixtures)

BRIEF_FIELDS = {
    "node": "wompi",
    "objective": Objective.TRAFFIC,
    "title": "Links de pago",
    "description": "Emprendedora recibiendo pagos con el celular, con el logo del banco",
    "audience": "Emprendedores jóvenes",
    "tone": "cercano y alegre",
}


def _jpeg(n: int) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (96, 64), (230, (120 + n * 7) % 256, 30)).save(buffer, format="JPEG")
    return buffer.getvalue()


def _piece(n: int, day: dt.date) -> CreativeImage:
    from creatives.services import creative_image_store

    image, _created = creative_image_store(data=_jpeg(n), seen_on=day)
    # Plain colours share a perceptual hash; distinct hashes keep the pieces apart in ranking.
    CreativeImage.objects.filter(pk=image.pk).update(
        phash=f"{random.Random(n).getrandbits(64):016x}"
    )
    return image


@pytest.fixture
def wompi(db, media_storage) -> Node:
    """The node "wompi" with five pieces that ran for five days three weeks ago."""
    node = Node.objects.create(name="Wompi", slug="wompi")
    start = timezone.localdate() - dt.timedelta(days=21)
    account = make_account(platform="meta", default_node=node)
    campaign = make_campaign(
        account=account,
        node=node,
        objective=Objective.TRAFFIC,
        start_date=start - dt.timedelta(days=5),
        end_date=start + dt.timedelta(days=10),
    )
    for n in range(1, 6):
        ad = make_ad(campaign=campaign, creative=make_creative(images=[_piece(n, start)]))
        for offset in range(5):
            make_metric(
                ad=ad,
                date=start + dt.timedelta(days=offset),
                impressions=4_000,
                clicks=40 + 10 * n,
            )
    image_rollup_refresh()
    return node


@pytest.fixture
def preset(db) -> StylePreset:
    return StylePreset.objects.create(
        slug="photo", name_es="Fotografía", name_en="Photograph", positive="photograph"
    )


@pytest.fixture
def image_model_configured(settings) -> None:
    """SDXL named in the settings, so generate/ queues (no weights load until a job runs)."""
    settings.YENNI_MODELS = {**settings.YENNI_MODELS, "image": {"backend": "sdxl", "model": "x"}}


@pytest.fixture
def other_analyst(db) -> User:
    user = User.objects.create_user(username="olga_analyst", password="s3cret-pass")
    user.groups.add(Group.objects.get(name="Analysts"))
    return user


@pytest.fixture
def brief(wompi, analyst) -> Brief:
    """The analyst's brief on the wompi catalog: ranked, with a composer prompt."""
    fields = {**BRIEF_FIELDS, "node": wompi}
    return services.brief_create(owner=analyst, **fields)


@pytest.fixture
def creative(db, media_storage):
    """A Meta creative with a landscape and a portrait image, the first one described."""
    images = [make_image(width=16, height=9), make_image(width=9, height=16)]
    description = make_description(image=images[0], text="A blue banner with a phone")
    ImageDescription.objects.filter(pk=description.pk).update(text_es="Un banner azul")
    return make_creative(platform="meta", headline="Paga en cuotas", images=images)


@pytest.fixture
def api_for() -> Callable[[User | None], APIClient]:
    """An API client for a user (token authentication), or an anonymous one for None."""

    def make(user: User | None) -> APIClient:
        client = APIClient()
        # English, so DRF's own messages are compared as written (Spanish is the default).
        client.credentials(HTTP_ACCEPT_LANGUAGE="en")
        if user is not None:
            _row, token = AuthToken.objects.create(user=user)
            client.credentials(HTTP_AUTHORIZATION=f"Token {token}", HTTP_ACCEPT_LANGUAGE="en")
        return client

    return make
