"""The server error page: shown even when the database is what failed."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponseServerError
from django.template import loader
from django.utils.translation import get_language
from django.views.decorators.csrf import requires_csrf_token


@requires_csrf_token
def server_error(request: HttpRequest) -> HttpResponseServerError:
    """Render templates/500.html in the request's language, with no context processors.

    Rendering without the request keeps the user, the session and the messages (all in the
    database) out of it; the language was chosen by SiteLanguageMiddleware from the cookie
    before the view failed.
    """
    body = loader.get_template("500.html").render({})
    response = HttpResponseServerError(body)
    response["Content-Language"] = get_language() or "es"
    response["Cache-Control"] = "private, no-store"
    return response
