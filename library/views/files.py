"""The asset library's image files (the ad images themselves)."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404
from django.views.decorators.http import require_safe

from creatives.models import CreativeImage
from creatives.serving import stored_file_response
from yenni_site.roles import library_required


@require_safe
@library_required
def image_file(request: HttpRequest, pk: int) -> HttpResponse:
    """Serve a stored ad image to whoever may open the library and creative pages.

    The same check as those pages: signed in is not enough, since ad images are the bank's
    private data and ids are easy to walk.
    """
    image = get_object_or_404(CreativeImage, pk=pk)
    # Content never changes for a given id (it is stored by hash), so browsers may keep it.
    return stored_file_response(
        image.file.name, cache_control="private, max-age=31536000, immutable"
    )
