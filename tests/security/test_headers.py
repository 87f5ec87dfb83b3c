"""Security headers: one Content-Security-Policy on every page, no caching of bank figures."""

from __future__ import annotations

import pytest
from django.urls import reverse

from tests.factories import make_image
from tests.web.share.helpers import _share

APP_POLICY = (
    "default-src 'self'; img-src 'self'; object-src 'none'; base-uri 'self'; "
    "form-action 'self'; frame-ancestors 'none'"
)
SHARE_POLICY = (
    "default-src 'none'; img-src 'self'; style-src 'self'; base-uri 'none'; "
    "form-action 'none'; frame-ancestors 'none'"
)


def test_a_signed_in_page_is_not_stored_and_carries_the_app_policy(client, analyst):
    client.force_login(analyst)

    response = client.get(reverse("home"))

    assert response.status_code == 200
    assert response["Cache-Control"] == "private, no-store"
    assert response["Content-Security-Policy"] == APP_POLICY


def test_the_api_is_not_stored_whether_signed_in_or_not(client, analyst):
    anonymous = client.get("/api/v1/briefs/")
    client.force_login(analyst)
    signed_in = client.get("/api/v1/briefs/")

    assert anonymous.status_code in (401, 403)
    assert anonymous["Cache-Control"] == "private, no-store"
    assert anonymous["Content-Security-Policy"] == APP_POLICY
    assert signed_in.status_code == 200
    assert signed_in["Cache-Control"] == "private, no-store"
    assert signed_in["Content-Security-Policy"] == APP_POLICY


def test_the_admin_keeps_djangos_never_cache_and_gets_the_app_policy(client, lead):
    client.force_login(lead)

    response = client.get("/admin/")

    assert response.status_code == 200
    assert response["Cache-Control"] == "max-age=0, no-cache, no-store, must-revalidate, private"
    assert response["Content-Security-Policy"] == APP_POLICY


def test_the_login_page_carries_the_policy(client, db):
    response = client.get(reverse("login"))

    assert response["Content-Security-Policy"] == APP_POLICY


def test_a_share_page_keeps_its_stricter_policy(client, brief, images):
    _link, token = _share(brief)

    response = client.get(reverse("share_page", args=[token]))

    assert response.status_code == 200
    assert response["Cache-Control"] == "private, no-store"
    assert response["Content-Security-Policy"] == SHARE_POLICY


def test_a_static_file_keeps_whitenoises_headers(client, analyst):
    client.force_login(analyst)

    response = client.get("/static/css/base.css")

    assert response.status_code == 200
    assert "no-store" not in response.get("Cache-Control", "")
    assert "Content-Security-Policy" not in response


def test_a_signed_in_image_file_keeps_the_private_cache_its_view_chose(
    client, analyst, media_storage
):
    image = make_image()
    client.force_login(analyst)

    response = client.get(image.get_file_url())

    assert response["Cache-Control"] == "private, max-age=31536000, immutable"


def test_with_s3_the_policy_allows_images_from_the_signed_urls_host(settings):
    from yenni_site import headers

    settings.S3_BUCKET = "yenni-media"
    settings.STORAGES = {
        **settings.STORAGES,
        "default": {
            "BACKEND": "storages.backends.s3.S3Storage",
            "OPTIONS": {
                "bucket_name": "yenni-media",
                "endpoint_url": "https://s3.bank.example:9000",
                "access_key": "k",
                "secret_key": "s",
                "addressing_style": "path",
                "querystring_auth": True,
            },
        },
    }

    policy = headers.app_content_security_policy()

    assert "img-src 'self' https://s3.bank.example:9000;" in policy


@pytest.fixture
def brief(db, media_storage, analyst):
    from tests.web.share.helpers import _brief, _catalog

    _catalog()
    return _brief(analyst)


@pytest.fixture
def images(brief):
    from tests.web.share.helpers import _batch

    return _batch(brief, seed=1000, picked=(1, 3))


def test_every_colour_has_a_swatch_class_since_the_policy_refuses_style_attributes():
    from pathlib import Path

    from creatives.vocabulary import COLOURS

    css = (Path(__file__).resolve().parents[2] / "static/css/library.css").read_text()

    for colour in COLOURS:
        assert f".lib-swatch-{colour.name} {{\n  background: {colour.swatch};\n}}" in css


def test_no_template_has_inline_script_or_style_attributes():
    import re
    from pathlib import Path

    inline = re.compile(
        r"<script(?![^>]*\b(src|type=\"application/json\")\b)|\son\w+=\"|\sstyle=\""
    )
    templates = Path(__file__).resolve().parents[2] / "templates"
    offenders = [
        str(path)
        for path in templates.rglob("*.html")
        # The pack's page is a file in the ZIP, opened offline, never served with the policy.
        if path.name != "brief_pack.html" and inline.search(path.read_text())
    ]

    assert offenders == []
