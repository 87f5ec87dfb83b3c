"""django-q2 tasks: load a row by id and call a service; nothing else lives here."""

from __future__ import annotations

from django.db import transaction
from django_q.tasks import async_task

from ingestion.models import IngestionRun
from ingestion.services import ingestion_run_account, ingestion_runs_queue


def ingestion_run_task(run_id: int) -> str:
    run = IngestionRun.objects.select_related("account__platform").get(pk=run_id)
    return ingestion_run_account(run=run).status


def ingestion_all_accounts_task() -> int:
    """Queue one run per active account; the daily schedule calls this.

    Runs that bring new results refresh the ranking tables for the images they touched; the
    tables answer any day, so nothing moves to today.
    """
    runs = ingestion_runs_queue()
    for run in runs:
        transaction.on_commit(
            lambda run_id=run.pk: async_task("ingestion.tasks.ingestion_run_task", run_id)
        )
    return len(runs)
