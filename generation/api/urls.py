"""The API under /api/: version 1 of the data, the OpenAPI schema and its Swagger UI.

Anything else under /api/ answers a JSON 404, so a client never has to parse an HTML page.
"""

from django.urls import include, path, re_path
from drf_spectacular.renderers import (
    OpenApiJsonRenderer,
    OpenApiJsonRenderer2,
    OpenApiYamlRenderer,
    OpenApiYamlRenderer2,
)
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView
from rest_framework.permissions import IsAuthenticated
from rest_framework.routers import SimpleRouter

from generation.api import views
from generation.api.permissions import AUTHENTICATION_CLASSES
from yenni_site import headers

app_name = "api"

router = SimpleRouter()
router.register("briefs", views.BriefViewSet, basename="brief")
router.register("jobs", views.ModelJobViewSet, basename="job")
router.register("images", views.GeneratedImageViewSet, basename="image")
router.register("share-links", views.ShareLinkViewSet, basename="share-link")
router.register("creatives", views.CreativeViewSet, basename="creative")
router.register("creative-images", views.CreativeImageViewSet, basename="creative-image")
router.register("nodes", views.NodeViewSet, basename="node")
router.register("style-presets", views.StylePresetViewSet, basename="style-preset")

# The schema and the docs are for anyone signed in (an outsider may read what the API offers
# but gets 403 from every endpoint); anonymous requests get 401 like the data endpoints.
_schema_access = {
    "authentication_classes": AUTHENTICATION_CLASSES,
    "permission_classes": [IsAuthenticated],
}

urlpatterns = [
    path("v1/", include(router.urls)),
    path(
        "schema/",
        # JSON first (YAML with ?format=yaml), so a refusal is JSON like every other error.
        SpectacularAPIView.as_view(
            renderer_classes=[
                OpenApiJsonRenderer,
                OpenApiJsonRenderer2,
                OpenApiYamlRenderer,
                OpenApiYamlRenderer2,
            ],
            **_schema_access,
        ),
        name="schema",
    ),
    path(
        "docs/",
        # The split view serves Swagger UI's start-up script as a file (…/docs/?script), so the
        # page passes the site's Content-Security-Policy; the page keeps one inline <style> and
        # Swagger UI's data: icons, which its own policy allows (yenni_site/headers.py).
        headers.with_policy(headers.API_DOCS_CONTENT_SECURITY_POLICY)(
            SpectacularSwaggerSplitView.as_view(url_name="api:schema", **_schema_access)
        ),
        name="docs",
    ),
    re_path(r"^(?P<rest>.*)$", views.api_not_found, name="not-found"),
]
