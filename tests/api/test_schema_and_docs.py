"""The OpenAPI schema (JSON and YAML) and the Swagger page, served from our own files."""

from __future__ import annotations

import re


def test_the_schema_is_openapi_3_and_lists_every_endpoint(api_for, analyst):
    response = api_for(analyst).get("/api/schema/")

    assert response.status_code == 200
    schema = response.json()
    assert schema["openapi"].startswith("3.")
    assert sorted(schema["paths"]) == [
        "/api/v1/briefs/",
        "/api/v1/briefs/{id}/",
        "/api/v1/briefs/{id}/generate/",
        "/api/v1/briefs/{id}/images/",
        "/api/v1/briefs/{id}/prompt/",
        "/api/v1/briefs/{id}/prompt/rewrite/",
        "/api/v1/briefs/{id}/prompt/versions/{number}/restore/",
        "/api/v1/briefs/{id}/rank/",
        "/api/v1/briefs/{id}/references/{image_id}/",
        "/api/v1/briefs/{id}/share-links/",
        "/api/v1/creative-images/{id}/file/",
        "/api/v1/creatives/",
        "/api/v1/creatives/{id}/",
        "/api/v1/creatives/{id}/metrics/",
        "/api/v1/images/{id}/file/",
        "/api/v1/images/{id}/pick/",
        "/api/v1/jobs/{id}/",
        "/api/v1/nodes/",
        "/api/v1/share-links/{id}/revoke/",
        "/api/v1/style-presets/",
    ]
    assert set(schema["components"]["securitySchemes"]) == {"tokenAuth", "cookieAuth"}
    request_types = {
        media
        for path in schema["paths"].values()
        for operation in path.values()
        for media in operation.get("requestBody", {}).get("content", {})
    }
    assert request_types == {"application/json"}


def test_the_schema_is_also_served_as_yaml(api_for, analyst):
    response = api_for(analyst).get("/api/schema/?format=yaml")

    assert response.status_code == 200
    assert response["Content-Type"] == "application/vnd.oai.openapi; charset=utf-8"
    assert response.content.startswith(b"openapi: 3.")


def test_the_docs_page_loads_swagger_ui_from_our_own_static_files(client, analyst):
    client.force_login(analyst)

    response = client.get("/api/docs/")

    assert response.status_code == 200
    page = response.content.decode()
    assert (
        '<script src="/static/drf_spectacular_sidecar/swagger-ui-dist/swagger-ui-bundle.js">'
        in (page)
    )
    # No CDN: every script and stylesheet comes from this server, and no script is inline.
    assert re.findall(r'(?:src|href)="(https?:)?//', page) == []
    assert re.findall(r"<script>", page) == []
    assert '<script src="/api/docs/?script="></script>' in page
    start_up = client.get("/api/docs/?script")
    assert start_up.status_code == 200
    assert "/api/schema/" in start_up.content.decode()
    assert response["Content-Security-Policy"] == (
        "default-src 'self'; img-src 'self' data:; style-src 'self' 'unsafe-inline'; "
        "object-src 'none'; base-uri 'self'; form-action 'self'; frame-ancestors 'none'"
    )


def test_the_schema_and_docs_are_refused_to_anonymous_visitors(api_for, db):
    anonymous = api_for(None)

    schema = anonymous.get("/api/schema/")
    docs = anonymous.get("/api/docs/")

    assert (schema.status_code, docs.status_code) == (401, 401)
    assert schema["WWW-Authenticate"] == "Token"
