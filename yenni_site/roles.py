"""Who belongs to the marketing team, and the one decorator that keeps everyone else out.

Two groups, created by migration campaigns/0002: "Analysts" and "Marketing leads" (superusers
count as leads). Every app's pages use these, so they live here rather than in an app that
the others would then have to import upwards. Which briefs a member may see or change is the
brief app's own rule (generation.briefs.permissions).
"""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render

ANALYSTS = "Analysts"
LEADS = "Marketing leads"

View = Callable[..., HttpResponse]


# Where a user's group names are kept for the request; the authentication backend
# (yenni_site.auth_backend) fills it with the user's own query, else the first check reads them.
GROUPS_ATTRIBUTE = "_yenni_groups"


def _groups(user) -> set[str]:
    cached = getattr(user, GROUPS_ATTRIBUTE, None)
    if cached is None:
        cached = set(user.groups.values_list("name", flat=True))
        setattr(user, GROUPS_ATTRIBUTE, cached)
    return cached


def is_lead(user) -> bool:
    return bool(user.is_authenticated and (user.is_superuser or LEADS in _groups(user)))


def is_analyst(user) -> bool:
    return bool(user.is_authenticated and ANALYSTS in _groups(user))


def uses_briefs(user) -> bool:
    """A member of the marketing team: may open the brief, library and insight pages."""
    return is_lead(user) or is_analyst(user)


def team_required(refusal_template: str) -> Callable[[View], View]:
    """Signed in (else to the login page) and an analyst or a lead (else a polite 403).

    The 403 page says which part of the product is closed and whom to ask; a JSON endpoint
    (a path ending in .json) gets a JSON body instead.
    """

    def decorate(view: View) -> View:
        @wraps(view)
        def wrapped(request: HttpRequest, *args, **kwargs) -> HttpResponse:
            if not uses_briefs(request.user):
                if request.path.endswith(".json"):
                    return JsonResponse(
                        {"detail": "Analysts and marketing leads only."}, status=403
                    )
                return render(request, refusal_template, {"reason": "no_access"}, status=403)
            return view(request, *args, **kwargs)

        return login_required(wrapped)

    return decorate


# The brief pages' and the library's refusals say what each part is for.
briefs_required = team_required("generation/no_access.html")
library_required = team_required("library/no_access.html")
