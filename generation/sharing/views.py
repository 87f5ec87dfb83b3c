"""The agency's read-only pages: the token in the URL is the only key, no account, no cookies.

Every response is private to whoever holds the link: not indexed, not cached, and sent with no
Referer, so the token in the address never travels to another site. Pages are Spanish unless
the address asks for English (?lang=en); nothing links back into the app.
"""

from __future__ import annotations

import mimetypes

from django.conf import settings
from django.core.cache import cache
from django.db.models.fields.files import FieldFile
from django.http import (
    FileResponse,
    HttpRequest,
    HttpResponse,
    StreamingHttpResponse,
)
from django.shortcuts import render
from django.template.loader import render_to_string
from django.utils import translation
from django.views.decorators.http import require_safe

from generation.briefs import page_cache
from generation.models import ShareLink
from generation.sharing import links as sharing
from generation.sharing import pack, previews
from generation.sharing import selectors as share_selectors
from yenni_site import headers
from yenni_site.cache_guard import cache_guarded

LANGUAGES = ("es", "en")
DEFAULT_LANGUAGE = "es"


@require_safe
def share_page(request: HttpRequest, token: str) -> HttpResponse:
    """Show the brief, its picked images and its evidence; each page view is counted.

    A HEAD (a link checker) and a link-preview robot's GET are answered like a view but not
    counted: neither is the agency looking at the brief.
    """
    language = _language(request)
    counted = request.method == "GET" and not previews.is_link_preview(
        request.headers.get("User-Agent", "")
    )
    with translation.override(language):
        try:
            link = sharing.share_link_open(token) if counted else sharing.share_link_resolve(token)
        except sharing.ShareLinkUnknown:
            return _not_found(request, language)
        except sharing.ShareLinkGone as gone:
            return _gone(request, language, gone.link)
        shared = share_selectors.shared_brief(link)
        inputs = (_page_inputs(shared, token), page_cache.request_inputs(request))
        key = page_cache.key("share-page", (inputs, language, _code()))
        # A cache that does not answer costs the rendering, never the agency's page.
        html = cache_guarded(lambda: cache.get(key), None)
        if html is None:
            context = {"shared": shared, "token": token, "lang": language}
            html = render_to_string("share/page.html", context, request=request)
            cache_guarded(lambda: cache.set(key, html, timeout=page_cache.TIMEOUT), None)
        response = HttpResponse(html)
    return _private(request, response, language)


# What shapes the page's HTML besides its rows, for its cache key.
SHARE_PAGE_FILES = (
    "templates/share",
    "generation/sharing/selectors.py",
    "generation/sharing/views.py",
    "generation/models.py",
    "campaigns/figures.py",
    "campaigns/ranking/metrics.py",
    "locale",
)


def _code() -> str:
    return page_cache.code_version(SHARE_PAGE_FILES)


def _page_inputs(shared: share_selectors.SharedBrief, token: str) -> tuple:
    """Every row the page shows, as stored: the page's HTML is cached under their digest.

    The link's view count and last view change on every view and are not shown, so they are
    left out; all else about the link (agency, expiry, figures shown) is in. The token is in
    the image addresses.
    """
    link = page_cache.row(shared.link)
    counters = {"view_count", "last_viewed_at"}
    fields = [f.attname for f in type(shared.link)._meta.concrete_fields]
    link = tuple(value for name, value in zip(fields, link[1], strict=True) if name not in counters)
    brief = shared.brief
    return (
        token,
        link,
        page_cache.row(brief),
        (brief.node_id, brief.node.name),
        page_cache.row(brief.style_preset),
        [
            (
                page_cache.row(image),
                page_cache.row(image.batch),
                page_cache.row(image.batch.prompt_version),
                page_cache.row(image.batch.style_preset),
            )
            for image in shared.images
        ],
        [
            (page_cache.row(ref.reference), ref.reference.image.width, ref.reference.image.height)
            for ref in shared.references
        ],
        page_cache.row(shared.prompt),
        settings.YENNI_REPORTING_CURRENCY,
    )


@require_safe
def share_pack(request: HttpRequest, token: str) -> HttpResponse:
    """Stream the ZIP pack (not counted as a view)."""
    language = _language(request)
    link_or_response = _resolve(request, token, language)
    if isinstance(link_or_response, HttpResponse):
        return link_or_response
    with translation.override(language):
        plan = pack.pack_plan(share_selectors.shared_brief(link_or_response))
    response = StreamingHttpResponse(pack.pack_stream(plan), content_type="application/zip")
    response["Content-Disposition"] = f'attachment; filename="{pack.pack_filename(plan.shared)}"'
    return _private(request, response, language)


@require_safe
def share_image(request: HttpRequest, token: str, image_pk: int) -> HttpResponse:
    """Serve one picked image of the link's brief; any other image is "not found"."""
    language = _language(request)
    link_or_response = _resolve(request, token, language)
    if isinstance(link_or_response, HttpResponse):
        return link_or_response
    image = share_selectors.shared_image(link_or_response.brief, image_pk)
    response = _file_response(image.file) if image else None
    if response is None:
        return _not_found(request, language)
    return _private(request, response, language)


@require_safe
def share_reference_image(request: HttpRequest, token: str, image_id: int) -> HttpResponse:
    """Serve the image of one of the brief's kept references (never an excluded one)."""
    language = _language(request)
    link_or_response = _resolve(request, token, language)
    if isinstance(link_or_response, HttpResponse):
        return link_or_response
    image = share_selectors.shared_reference_image(link_or_response.brief, image_id)
    response = _file_response(image.file) if image else None
    if response is None:
        return _not_found(request, language)
    return _private(request, response, language)


def _language(request: HttpRequest) -> str:
    asked = request.GET.get("lang", "")
    return asked if asked in LANGUAGES else DEFAULT_LANGUAGE


def _resolve(request: HttpRequest, token: str, language: str) -> ShareLink | HttpResponse:
    """The active link, or the page that says why there is none (without counting a view)."""
    try:
        return sharing.share_link_resolve(token)
    except sharing.ShareLinkUnknown:
        return _not_found(request, language)
    except sharing.ShareLinkGone as gone:
        return _gone(request, language, gone.link)


def _not_found(request: HttpRequest, language: str) -> HttpResponse:
    with translation.override(language):
        response = render(request, "share/not_found.html", {"lang": language}, status=404)
    return _private(request, response, language)


def _gone(request: HttpRequest, language: str, link: ShareLink) -> HttpResponse:
    with translation.override(language):
        response = render(
            request,
            "share/gone.html",
            {"lang": language, "revoked": link.is_revoked, "expired_on": link.expires_at},
            status=410,
        )
    return _private(request, response, language)


def _file_response(file: FieldFile) -> HttpResponse | None:
    """The stored file's bytes, or None when storage has lost it.

    Sent through the app even from S3, rather than redirecting to a signed storage address:
    such an address keeps working after the link is revoked and can be passed on.
    """
    storage, name = file.storage, file.name
    if not name or not storage.exists(name):
        return None
    content_type = mimetypes.guess_type(name)[0] or "application/octet-stream"
    return FileResponse(storage.open(name, "rb"), content_type=content_type)


def _private(request: HttpRequest, response: HttpResponse, language: str) -> HttpResponse:
    response["X-Robots-Tag"] = "noindex, nofollow"
    response["Referrer-Policy"] = "no-referrer"
    response["Cache-Control"] = "private, no-store"
    response["Content-Security-Policy"] = headers.SHARE_CONTENT_SECURITY_POLICY
    response["Content-Language"] = language
    if request.method == "HEAD":
        _without_body(response)
    return response


def _without_body(response: HttpResponse) -> None:
    """Answer a HEAD with the GET's headers (its length included) and no body.

    Servers drop a HEAD's body themselves, but not before the app has produced it; a pack would
    be zipped for nothing, a file read for nothing.
    """
    if response.streaming:
        # A file stays open until the server closes the response, as after a GET.
        response.streaming_content = []
    else:
        response["Content-Length"] = str(len(response.content))
        response.content = b""
