"""Building a shared brief, and reading what the agency's pages answer."""

from __future__ import annotations

import datetime as dt
import io
import zipfile
from html.parser import HTMLParser

from django.core.files.base import ContentFile
from django.urls import reverse

from campaigns.models import Objective
from generation.briefs import services
from generation.models import Brief, GeneratedImage, ImageBatch, ModelJob, ShareLink
from generation.sharing import links as sharing
from tests.factories import (
    make_node,
    make_png,
    make_traffic_catalog,
)

DAY = dt.date(2026, 10, 5)


# --- building a shared brief ---------------------------------------------------------------


def _catalog(node_name: str = "Wompi", slug: str = "wompi") -> None:
    """Five past pieces of one node with enough traffic to rank."""
    make_traffic_catalog(node=make_node(name=node_name, slug=slug), day=DAY, png_seed=9000)


def _brief(owner, *, slug: str = "wompi", title: str = "Links de pago") -> Brief:
    from campaigns.models import Node

    return services.brief_create(
        owner=owner,
        node=Node.objects.get(slug=slug),
        objective=Objective.TRAFFIC,
        title=title,
        description="Emprendedora recibiendo pagos con el celular",
        audience="Emprendedores jóvenes",
        tone="cercano y alegre",
    )


def _batch(brief: Brief, *, seed: int, count: int = 4, picked=()) -> list[GeneratedImage]:
    """A finished batch with real PNG files, as the generate job leaves it."""
    job = ModelJob.objects.create(
        kind=ModelJob.Kind.GENERATE, backend="sdxl", brief=brief, status=ModelJob.Status.SUCCEEDED
    )
    batch = ImageBatch.objects.create(
        brief=brief,
        job=job,
        prompt_version=brief.latest_prompt,
        image_count=count,
        seed=seed,
        steps=2,
        width=24,
        height=16,
        model_id="tiny-sdxl",
    )
    images = []
    for index in range(count):
        image = GeneratedImage(batch=batch, index=index, seed=seed + index, width=24, height=16)
        image.file.save(
            f"brief{brief.pk}-{seed}-{index}.png",
            ContentFile(make_png(width=24, height=16, seed=seed + index)),
        )
        images.append(image)
    for index in picked:
        services.generated_image_pick(images[index], picked=True)
    return images


def _share(brief: Brief, **options) -> tuple[ShareLink, str]:
    options.setdefault("agency", "Agencia Norte")
    options.setdefault("days", 7)
    return sharing.share_link_create(brief=brief, **options)


def _page(client, token: str, **params):
    return client.get(reverse("share_page", args=[token]), params)


class _Tags(HTMLParser):
    """Collect every start tag with its attributes."""

    def __init__(self) -> None:
        super().__init__()
        self.tags: list[tuple[str, dict[str, str]]] = []

    def handle_starttag(self, tag, attrs) -> None:
        self.tags.append((tag, {name: value or "" for name, value in attrs}))

    def find(self, tag: str, **attrs) -> list[dict[str, str]]:
        return [
            found
            for name, found in self.tags
            if name == tag and all(found.get(k.replace("_", "-")) == v for k, v in attrs.items())
        ]


def _tags(response) -> _Tags:
    parser = _Tags()
    parser.feed(response.content.decode())
    return parser


def _zip(response) -> zipfile.ZipFile:
    return zipfile.ZipFile(io.BytesIO(b"".join(response.streaming_content)))


def _file_bytes(field) -> bytes:
    with field.storage.open(field.name, "rb") as handle:
        return handle.read()
