"""django-q2 tasks of the campaigns app: load a row by id and call a service."""

from __future__ import annotations

from campaigns.conversion_recount import conversion_recount_run
from campaigns.models import ConversionRecount


def conversion_recount_task(recount_id: int) -> str:
    recount = ConversionRecount.objects.get(pk=recount_id)
    return conversion_recount_run(recount=recount).status
