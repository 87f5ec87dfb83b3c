"""The asset library's image files (the ad images themselves)."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404
from django.views.decorators.http import require_GET

from creatives.models import CreativeImage
from creatives.serving import stored_file_response


@require_GET
@login_required
def image_file(request: HttpRequest, pk: int) -> HttpResponse:
    """Serve a stored image to a signed-in user: ad images are the bank's private data."""
    image = get_object_or_404(CreativeImage, pk=pk)
    # Content never changes for a given id (it is stored by hash), so browsers may keep it.
    return stored_file_response(
        image.file.name, cache_control="private, max-age=31536000, immutable"
    )
