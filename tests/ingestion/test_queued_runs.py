"""Queued runs that can never start are closed, saying why; none that can start is touched.

A queued run belongs to whoever will start it: the `manage.py ingest` process that queued it
(its worker, set when queued) or the job queue (no worker: the schedule's runs, which django-q
delivers, and delivers again when a worker dies). Run messages are in the site's language
(Spanish here).
"""

from __future__ import annotations

import datetime as dt
import io

from django.core.management import call_command
from django.utils import timezone

from ingestion.models import IngestionRun
from ingestion.services import ingestion_runs_queue
from ingestion.tasks import ingestion_run_task
from ingestion.workers import worker_name
from tests.factories import make_account
from tests.ingestion.conftest import sync
from tests.ingestion.test_dead_runs import gone_worker

OTHER_MACHINE = "otra-maquina:pid:[4026531836]:4242"


def queued(account, *, worker: str = "", minutes_ago: float = 1, **fields) -> IngestionRun:
    run = IngestionRun.objects.create(account=account, worker=worker, **fields)
    IngestionRun.objects.filter(pk=run.pk).update(
        created_at=timezone.now() - dt.timedelta(minutes=minutes_ago)
    )
    run.refresh_from_db()
    return run


def running(account, *, worker: str, beat_minutes_ago: float) -> IngestionRun:
    """A run its worker started an hour ago, whose last heartbeat was `beat_minutes_ago`."""
    now = timezone.now()
    run = IngestionRun.objects.create(
        account=account,
        status=IngestionRun.Status.RUNNING,
        started_at=now - dt.timedelta(minutes=59),
        heartbeat_at=now - dt.timedelta(minutes=beat_minutes_ago),
        worker=worker,
    )
    IngestionRun.objects.filter(pk=run.pk).update(created_at=now - dt.timedelta(minutes=60))
    return run


def test_the_runs_a_dead_ingest_had_queued_are_closed_as_never_started(db):
    first = make_account(platform="meta", external_id="act_1", name="Compras Meta")
    second = make_account(platform="x", external_id="18ce54d4x5t", name="Wompi X")
    dead = gone_worker()
    orphans = [queued(first, worker=dead), queued(second, worker=dead)]

    # Any later `ingest` closes them, whichever accounts it queues itself.
    runs = ingestion_runs_queue(account_external_id="act_1", worker=worker_name())

    assert [run.account for run in runs] == [first]
    for orphan in orphans:
        orphan.refresh_from_db()
        assert orphan.status == IngestionRun.Status.FAILED
        assert orphan.started_at is None
        assert orphan.finished_at is not None
        assert orphan.error == (
            f"Nunca empezó: el proceso que la puso en cola terminó antes de llegar a esta cuenta "
            f"(su proceso {dead} ya no existe). Esta ejecución no leyó ni guardó nada; la "
            "próxima ejecución de la cuenta lee desde su marcador, así que no se pierde nada."
        )
    assert runs[0].status == IngestionRun.Status.QUEUED
    assert runs[0].worker == worker_name()


def test_a_never_started_run_that_asked_for_days_says_how_to_read_them(db):
    account = make_account(platform="meta", external_id="act_1", name="Compras Meta")
    orphan = queued(account, worker=gone_worker(), since=dt.date(2026, 1, 1))

    ingestion_runs_queue(platform="x")

    orphan.refresh_from_db()
    assert orphan.status == IngestionRun.Status.FAILED
    assert orphan.error.endswith(
        " Pedía leer desde el 2026-01-01; para leer esos días: python manage.py ingest "
        "--platform meta --account act_1 --since 2026-01-01"
    )


def test_runs_queued_by_a_live_ingest_or_by_the_job_queue_stay_queued(db):
    account = make_account(platform="meta", external_id="act_1")
    busy = make_account(platform="x", external_id="18ce54d4x5t")
    # This process queued it 10 hours ago and is still busy with an earlier account.
    mine = queued(account, worker=worker_name(), minutes_ago=600)
    running(busy, worker=worker_name(), beat_minutes_ago=1)
    # The schedule's: django-q delivers it, however long the queue is.
    scheduled = queued(account, minutes_ago=600)

    ingestion_runs_queue(platform="x")

    for run in (mine, scheduled):
        run.refresh_from_db()
        assert (run.status, run.error) == (IngestionRun.Status.QUEUED, "")


def test_an_ingest_on_another_machine_is_dead_once_none_of_its_runs_beat_for_the_timeout(
    db, settings
):
    settings.INGEST_HEARTBEAT_TIMEOUT_SECONDS = 300
    account = make_account(platform="meta", external_id="act_1")
    busy = make_account(platform="x", external_id="18ce54d4x5t")
    waiting = queued(account, worker=OTHER_MACHINE, minutes_ago=60)
    # The same process is busy with another account: it beat a minute ago.
    beating = running(busy, worker=OTHER_MACHINE, beat_minutes_ago=1)

    ingestion_runs_queue(platform="google_ads")
    waiting.refresh_from_db()
    assert waiting.status == IngestionRun.Status.QUEUED

    IngestionRun.objects.filter(pk=beating.pk).update(
        heartbeat_at=timezone.now() - dt.timedelta(seconds=400)
    )
    ingestion_runs_queue(platform="google_ads")
    waiting.refresh_from_db()
    assert waiting.status == IngestionRun.Status.FAILED
    assert "(sin latido desde hace 400 s)" in waiting.error


def test_a_run_the_job_queue_still_holds_is_closed_once_a_newer_run_of_the_account_started(
    fake_meta, meta_account
):
    older = queued(meta_account, minutes_ago=60 * 24)

    newer = sync(meta_account)
    older.refresh_from_db()
    calls = fake_meta.calls
    # The job queue delivers the old task at last: it does nothing.
    status = ingestion_run_task(older.pk)

    assert newer.status == IngestionRun.Status.SUCCEEDED, newer.error
    assert older.status == status == IngestionRun.Status.SKIPPED
    assert older.started_at is None
    assert older.error == (
        f"Nunca empezó: la ejecución #{newer.pk} de esta cuenta empezó después de que esta se "
        "puso en cola y lee los mismos días. Si la cola de tareas todavía la entrega, no hace "
        "nada."
    )
    assert fake_meta.calls == calls


def test_a_queued_run_that_asked_for_earlier_days_is_left_to_run(fake_meta, meta_account):
    wider = queued(meta_account, since=dt.date(2026, 1, 1))
    # Another `ingest`, still alive, would only read from the bookmark again: it is skipped.
    same_days = queued(meta_account, worker=worker_name())

    newer = sync(meta_account)

    wider.refresh_from_db()
    same_days.refresh_from_db()
    assert wider.status == IngestionRun.Status.QUEUED
    assert same_days.status == IngestionRun.Status.SKIPPED
    assert f"la ejecución #{newer.pk} de esta cuenta empezó" in same_days.error


def test_ingest_queues_its_runs_as_its_own(fake_meta, meta_account, monkeypatch):
    seen: list[str] = []
    monkeypatch.setattr(
        "ingestion.management.commands.ingest.ingestion_run_account",
        lambda run, progress: seen.append(run.worker) or run,
    )

    call_command("ingest", "--account=act_1001", stdout=io.StringIO())

    assert seen == [worker_name()]
