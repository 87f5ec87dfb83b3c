"""The security headers every response carries: one Content-Security-Policy source, and no caching
of pages that show bank figures.

The app's pages load only their own scripts, styles and images (the vendored Chart.js included),
plus images from the S3 endpoint when files live there and a page links a signed address. No
inline script or style attribute is allowed, so templates keep their scripts in static/js/ and
their data in `json_script` blocks (data, not code, which the policy does not block). The share
pages send a stricter policy of their own (no script at all), built here as well.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import cache, wraps
from urllib.parse import urlsplit

from django.conf import settings
from django.http import HttpRequest, HttpResponse

NO_STORE = "private, no-store"
# Paths under these prefixes get NO_STORE even when nobody is signed in (the API's answers to a
# token, its 401s); static files never reach the middleware (WhiteNoise answers first).
NO_STORE_PREFIXES = ("/api/",)


def policy(directives: dict[str, list[str]]) -> str:
    return "; ".join(f"{name} {' '.join(values)}" for name, values in directives.items())


# The agency's share page: its own stylesheet and images, no script, no form, no frame.
SHARE_CONTENT_SECURITY_POLICY = policy(
    {
        "default-src": ["'none'"],
        "img-src": ["'self'"],
        "style-src": ["'self'"],
        "base-uri": ["'none'"],
        "form-action": ["'none'"],
        "frame-ancestors": ["'none'"],
    }
)


def app_content_security_policy() -> str:
    """The policy of every page but the share pages."""
    images = ["'self'", *storage_image_origins()]
    return policy(
        {
            "default-src": ["'self'"],
            "img-src": images,
            "object-src": ["'none'"],
            "base-uri": ["'self'"],
            "form-action": ["'self'"],
            "frame-ancestors": ["'none'"],
        }
    )


# The API's Swagger UI page (drf-spectacular's template): one inline <style> block and icons as
# data: addresses; its scripts are files like every other page's.
API_DOCS_CONTENT_SECURITY_POLICY = policy(
    {
        "default-src": ["'self'"],
        "img-src": ["'self'", "data:"],
        "style-src": ["'self'", "'unsafe-inline'"],
        "object-src": ["'none'"],
        "base-uri": ["'self'"],
        "form-action": ["'self'"],
        "frame-ancestors": ["'none'"],
    }
)


def with_policy(content_security_policy: str):
    """A view decorator: answer with this policy instead of the app's."""

    def decorate(view):
        @wraps(view)
        def wrapped(request, *args, **kwargs):
            response = view(request, *args, **kwargs)
            response["Content-Security-Policy"] = content_security_policy
            return response

        return wrapped

    return decorate


@cache
def _storage_origins(bucket: str, endpoint: str | None, addressing: str | None) -> tuple[str, ...]:
    """Cached per storage configuration (the arguments are the cache key)."""
    from django.core.files.storage import default_storage

    # Ask the storage for a signed address rather than rebuilding boto's rules (virtual-hosted or
    # path-style, regional hosts): whatever host it signs for is the one pages will load.
    parts = urlsplit(default_storage.url("csp-origin-probe"))
    return (f"{parts.scheme}://{parts.netloc}",) if parts.netloc else ()


def storage_image_origins() -> tuple[str, ...]:
    """The origin of the S3 signed file addresses, or nothing when files are stored locally."""
    bucket = getattr(settings, "S3_BUCKET", "")
    backend = settings.STORAGES.get("default", {}).get("BACKEND", "")
    if not bucket or not backend.endswith("S3Storage"):
        return ()
    options = settings.STORAGES["default"].get("OPTIONS", {})
    return _storage_origins(bucket, options.get("endpoint_url"), options.get("addressing_style"))


class SecurityHeadersMiddleware:
    """Set the Content-Security-Policy on every response, and `private, no-store` on signed-in
    pages and the API, unless the view chose a private cache policy itself (image files)."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        if "Content-Security-Policy" not in response:
            response["Content-Security-Policy"] = app_content_security_policy()
        # A failed request gets no-store without asking who is signed in: the session lives in
        # the database, which may be what failed.
        failed = response.status_code >= 500
        if (failed or _needs_no_store(request)) and "private" not in response.get(
            "Cache-Control", ""
        ):
            response["Cache-Control"] = NO_STORE
        return response


def _needs_no_store(request: HttpRequest) -> bool:
    user = getattr(request, "user", None)
    if user is not None and user.is_authenticated:
        return True
    return request.path.startswith(NO_STORE_PREFIXES)
