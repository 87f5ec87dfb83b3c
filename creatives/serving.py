"""Serving a stored image to a user who may see it: streamed locally, a signed URL on S3."""

from __future__ import annotations

import mimetypes

from django.core.files.storage import Storage, default_storage
from django.http import FileResponse, Http404, HttpResponse, HttpResponseRedirect


def stored_file_response(
    name: str, *, cache_control: str, storage: Storage = default_storage
) -> HttpResponse:
    """The file's bytes from a local folder, or a redirect to a short-lived signed S3 URL.

    Raises Http404 when the file is missing from storage. The caller checks permissions.
    """
    if not name or not storage.exists(name):
        raise Http404("The image file is missing from storage.")
    try:
        storage.path(name)
    except NotImplementedError:
        # Remote storage (S3) has no local path (every storage has the method; remote ones
        # raise): hand the browser a short-lived signed address instead of proxying the bytes.
        return HttpResponseRedirect(storage.url(name))
    content_type = mimetypes.guess_type(name)[0] or "application/octet-stream"
    response = FileResponse(storage.open(name, "rb"), content_type=content_type)
    response["Cache-Control"] = cache_control
    return response
