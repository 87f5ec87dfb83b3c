"""Pages of the asset library."""

from __future__ import annotations

import mimetypes

from django.contrib.auth.decorators import login_required
from django.core.files.storage import default_storage
from django.http import FileResponse, Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.views.decorators.http import require_GET

from creatives.models import CreativeImage


@require_GET
@login_required
def image_file(request: HttpRequest, pk: int) -> HttpResponse:
    """Serve a stored image to a signed-in user: ad images are the bank's private data."""
    image = get_object_or_404(CreativeImage, pk=pk)
    if not default_storage.exists(image.file.name):
        raise Http404("The image file is missing from storage.")
    try:
        default_storage.path(image.file.name)
    except NotImplementedError:
        # Remote storage (S3) has no local path (every storage has the method; remote ones
        # raise): hand the browser a short-lived signed address instead of proxying the bytes.
        return HttpResponseRedirect(default_storage.url(image.file.name))
    content_type = mimetypes.guess_type(image.file.name)[0] or "application/octet-stream"
    response = FileResponse(default_storage.open(image.file.name, "rb"), content_type=content_type)
    # Content never changes for a given id (it is stored by hash), so browsers may keep it.
    response["Cache-Control"] = "private, max-age=31536000, immutable"
    return response
