"""Who may use the API: the same rules as the pages, in DRF's terms.

The data endpoints are for analysts and marketing leads only; anyone else signed in (an agency
given a login by mistake) gets 403 everywhere. Which briefs a user sees, and whether they may
change one, comes from generation.briefs.permissions so the pages and the API can never disagree.
"""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _
from rest_framework.authentication import SessionAuthentication
from rest_framework.exceptions import PermissionDenied
from rest_framework.permissions import BasePermission

from generation.api.authentication import TokenAuthentication
from generation.briefs.permissions import can_change
from generation.models import Brief
from yenni_site.roles import uses_briefs

# Token first: DRF takes the WWW-Authenticate header of the first class, so an anonymous
# request gets 401 with `WWW-Authenticate: Token` (the session class has no header: 403).
AUTHENTICATION_CLASSES = [TokenAuthentication, SessionAuthentication]

NOT_A_BRIEF_USER = _(
    "Your account is neither an analyst nor a marketing lead, so it cannot use the API. "
    "Ask a marketing lead to add you to the Analysts group."
)
NOT_THE_OWNER = _("Only the analyst who opened this brief can change it.")


class UsesBriefs(BasePermission):
    """Signed in and in the Analysts or Marketing leads group (superusers count as leads)."""

    message = NOT_A_BRIEF_USER

    def has_permission(self, request, view) -> bool:
        # False for an anonymous request makes DRF answer 401 rather than this 403 message.
        return bool(request.user and request.user.is_authenticated and uses_briefs(request.user))


def brief_change_check(user, brief: Brief) -> None:
    """Raise 403 unless the user may change the brief (they can already see it)."""
    if not can_change(user, brief):
        raise PermissionDenied(NOT_THE_OWNER)
