"""What every page's navigation needs to know about the signed-in user."""

from __future__ import annotations

from django.http import HttpRequest

from yenni_site.roles import uses_briefs


def navigation(request: HttpRequest) -> dict:
    user = getattr(request, "user", None)
    # Lazy: pages without the nav (share pages, errors) never query the user's groups.
    return {"uses_briefs": (lambda: bool(user and uses_briefs(user)))}
