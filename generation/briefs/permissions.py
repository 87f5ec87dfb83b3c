"""Who may see and change a brief. One place, used by the pages, the API and the tests.

- Analysts (group "Analysts") see and change their own briefs; with YENNI_ANALYSTS_SEE_TEAM
  on, they also see (not change) every analyst's briefs.
- Marketing leads (group "Marketing leads") and superusers see every brief and change none
  but their own.
- Anyone else signed in sees nothing; agencies only reach a brief through a share link.
"""

from __future__ import annotations

from django.conf import settings
from django.db.models import QuerySet

from generation.models import Brief
from yenni_site.roles import ANALYSTS, is_analyst, is_lead, uses_briefs


def briefs_visible_to(user) -> QuerySet[Brief]:
    briefs = Brief.objects.select_related("node", "owner", "style_preset")
    if is_lead(user):
        return briefs
    if not is_analyst(user):
        return briefs.none()
    if settings.YENNI_ANALYSTS_SEE_TEAM:
        return briefs.filter(owner__groups__name=ANALYSTS).distinct()
    return briefs.filter(owner=user)


def can_view(user, brief: Brief) -> bool:
    return briefs_visible_to(user).filter(pk=brief.pk).exists()


def can_change(user, brief: Brief) -> bool:
    return bool(user.is_authenticated and brief.owner_id == user.pk and uses_briefs(user))
