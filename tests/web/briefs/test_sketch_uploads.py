"""A sketch is stored under a name the server makes: a random id and the extension of the format
Pillow reads in its bytes. The analyst's file name is kept as a note, never as a path.

An upload called evil.html used to be stored as media/sketches/…/evil.html, and a file served
with its own extension is served with that extension's type.
"""

from __future__ import annotations

import re

import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from generation.briefs import services
from generation.models import Brief, sketch_upload_to
from tests.web.briefs.helpers import _png

SERVER_NAME = r"sketches/\d{4}/\d{2}/[0-9a-f]{32}\.{extension}"


def _form(node, **fields) -> dict:
    return {
        "node": node.pk,
        "objective": "traffic",
        "title": "Links de pago",
        "description": "Emprendedora recibiendo pagos con el celular",
        "image_count": 4,
        "guidance_scale": 7,
        "sketch_strength": 0.6,
        **fields,
    }


def _stored_as(brief: Brief, extension: str) -> bool:
    return (
        re.fullmatch(SERVER_NAME.replace("{extension}", extension), brief.sketch.name) is not None
    )


@pytest.mark.parametrize(
    ("name", "fmt", "extension"),
    [
        ("evil.html", "PNG", "png"),
        ("photo.png", "JPEG", "jpg"),
        ("sketch", "WEBP", "webp"),
        ("../../etc/passwd.PNG", "PNG", "png"),
    ],
)
def test_a_sketch_is_stored_under_a_new_name_with_the_extension_of_its_decoded_format(
    en, analyst, node, name, fmt, extension
):
    en.force_login(analyst)
    upload = SimpleUploadedFile(name, _png(fmt=fmt), content_type="text/html")

    response = en.post(reverse("brief_new"), {**_form(node), "sketch": upload})

    brief = Brief.objects.get()
    assert response.status_code == 302
    assert _stored_as(brief, extension), brief.sketch.name
    # Django keeps only the base name of an upload; that is what the analyst sees as theirs.
    assert brief.sketch_name == name.rsplit("/", 1)[-1]
    with brief.sketch.open("rb") as handle:
        assert handle.read() == _png(fmt=fmt)


def test_two_sketches_with_the_same_name_get_different_names(en, analyst, node):
    en.force_login(analyst)

    for title in ("Primero", "Segundo"):
        upload = SimpleUploadedFile("idea.png", _png(), content_type="image/png")
        en.post(reverse("brief_new"), {**_form(node, title=title), "sketch": upload})

    first, second = Brief.objects.order_by("pk")
    assert first.sketch.name != second.sketch.name


@pytest.mark.parametrize(
    ("name", "data"),
    [
        ("evil.html", b"<html><script>alert(1)</script></html>"),
        ("evil.png", b"<svg xmlns='http://www.w3.org/2000/svg'><script>1</script></svg>"),
        ("doc.png", b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n"),
    ],
)
def test_a_file_that_is_not_an_image_is_refused_with_a_clear_message(en, analyst, node, name, data):
    en.force_login(analyst)
    upload = SimpleUploadedFile(name, data, content_type="image/png")

    response = en.post(reverse("brief_new"), {**_form(node), "sketch": upload})

    assert response.status_code == 200
    assert response.context["form"].errors == {
        "sketch": ["The sketch is not an image Yenni can read. Upload a JPEG, PNG or WebP file."]
    }
    assert not Brief.objects.exists()


def test_the_service_refuses_a_sketch_that_is_not_a_jpeg_png_or_webp(analyst, node):
    gif = SimpleUploadedFile("idea.png", _png(fmt="GIF"), content_type="image/png")

    with pytest.raises(ValidationError) as raised:
        services.brief_create(
            owner=analyst,
            node=node,
            objective="traffic",
            title="Links de pago",
            description="Emprendedora recibiendo pagos con el celular",
            sketch=gif,
        )

    assert raised.value.messages == ["El boceto debe ser una imagen JPEG, PNG o WebP."]
    assert not Brief.objects.exists()


@pytest.mark.parametrize(
    ("given", "extension"),
    [("sketch.png", ".png"), ("a.JPG", ".jpg"), ("evil.html", ""), ("x.php.webp", ".webp")],
)
def test_the_storage_path_never_keeps_a_given_name_or_an_unknown_extension(given, extension):
    path = sketch_upload_to(None, given)

    assert re.fullmatch(r"sketches/\d{4}/\d{2}/[0-9a-f]{32}" + re.escape(extension), path), path
