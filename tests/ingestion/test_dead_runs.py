"""A run proves it is alive with a heartbeat; a dead one is taken over by the next run.

Run messages are written in the site's language (Spanish here, LANGUAGE_CODE "es").
"""

from __future__ import annotations

import datetime as dt
import io
import itertools
import subprocess

from django.core import mail
from django.core.management import call_command
from django.utils import timezone

from campaigns.models import DailyMetric
from ingestion.connectors.base import Connector
from ingestion.models import IngestionRun, SyncBookmark
from ingestion.services import connector_for_account, ingestion_run_account
from ingestion.tasks import ingestion_run_task
from ingestion.workers import worker_name
from tests.fakes.server import FailurePlan
from tests.ingestion.conftest import catalog_totals, sync


def running_run(account, *, beat_seconds_ago: float, worker: str = "") -> IngestionRun:
    """A run another worker claimed, whose last heartbeat was `beat_seconds_ago`."""
    beat = timezone.now() - dt.timedelta(seconds=beat_seconds_ago)
    return IngestionRun.objects.create(
        account=account,
        status=IngestionRun.Status.RUNNING,
        started_at=beat - dt.timedelta(minutes=20),
        heartbeat_at=beat,
        worker=worker or "otra-maquina:pid:[4026531836]:4242",
    )


def gone_worker() -> str:
    """The name a process of this machine had before it exited."""
    process = subprocess.Popen(["true"])
    process.wait()
    return worker_name().rsplit(":", 1)[0] + f":{process.pid}"


def test_a_run_whose_heartbeat_is_stale_is_taken_over_and_recorded_as_worker_died(
    fake_meta, meta_account, settings
):
    settings.INGEST_HEARTBEAT_TIMEOUT_SECONDS = 300
    dead = running_run(meta_account, beat_seconds_ago=301)

    run = sync(meta_account)

    dead.refresh_from_db()
    assert run.status == IngestionRun.Status.SUCCEEDED, run.error
    assert dead.status == IngestionRun.Status.FAILED
    assert dead.finished_at is not None
    assert dead.error == (
        "El proceso que hacía esta ejecución se detuvo (sin latido desde hace 301 s). La ejecución "
        f"#{run.pk} tomó la cuenta y sigue desde el marcador: lo que esta ejecución guardó se "
        "conserva y nada se cuenta dos veces."
    )
    assert catalog_totals(meta_account) == fake_meta.history.totals_by_ad()
    assert [m.subject for m in mail.outbox] == [
        "[Yenni] Ingestion failed: Tu360 Compras Meta (Meta)"
    ]
    assert f"#{dead.pk}" in mail.outbox[0].body


def test_a_run_whose_worker_process_is_gone_is_taken_over_at_once(fake_meta, meta_account):
    dead = running_run(meta_account, beat_seconds_ago=2, worker=gone_worker())

    run = sync(meta_account)

    dead.refresh_from_db()
    assert run.status == IngestionRun.Status.SUCCEEDED, run.error
    assert dead.status == IngestionRun.Status.FAILED
    assert dead.error.startswith(
        f"El proceso que hacía esta ejecución se detuvo (su proceso {dead.worker} ya no existe)."
    )


def test_a_run_without_a_heartbeat_counts_from_its_start(fake_meta, meta_account, settings):
    settings.INGEST_HEARTBEAT_TIMEOUT_SECONDS = 300
    dead = IngestionRun.objects.create(
        account=meta_account,
        status=IngestionRun.Status.RUNNING,
        started_at=timezone.now() - dt.timedelta(seconds=400),
    )

    run = sync(meta_account)

    dead.refresh_from_db()
    assert run.status == IngestionRun.Status.SUCCEEDED, run.error
    assert dead.status == IngestionRun.Status.FAILED
    assert "(sin latido desde hace 400 s)" in dead.error


def test_a_sync_skips_without_an_alert_while_another_run_of_the_account_is_alive(
    fake_meta, meta_account
):
    alive = running_run(meta_account, beat_seconds_ago=40, worker=worker_name())

    run = sync(meta_account)

    alive.refresh_from_db()
    assert run.status == IngestionRun.Status.SKIPPED
    assert run.error == (
        f"La ejecución #{alive.pk} de esta cuenta está en curso (último latido hace 40 s), así "
        "que esta no hizo nada. Aquella lee los mismos días; no se pierde nada."
    )
    assert run.finished_at is not None
    assert alive.status == IngestionRun.Status.RUNNING
    assert fake_meta.calls == 0
    assert mail.outbox == []


def test_ingest_reports_a_skipped_run_and_does_not_count_it_as_a_failure(fake_meta, meta_account):
    alive = running_run(meta_account, beat_seconds_ago=5, worker=worker_name())
    out = io.StringIO()

    call_command("ingest", "--account=act_1001", stdout=out)

    run = IngestionRun.objects.exclude(pk=alive.pk).get()
    assert run.status == IngestionRun.Status.SKIPPED
    assert f"La ejecución #{alive.pk} de esta cuenta está en curso" in out.getvalue()
    assert mail.outbox == []


def test_the_heartbeat_moves_with_every_chunk(fake_meta, meta_account):
    run = IngestionRun.objects.create(account=meta_account)
    beats: list[dt.datetime] = []

    def progress(message: str) -> None:
        beats.append(IngestionRun.objects.get(pk=run.pk).heartbeat_at)

    ingestion_run_account(run=run, progress=progress)

    run.refresh_from_db()
    assert run.status == IngestionRun.Status.SUCCEEDED, run.error
    assert len(beats) == 1 + 9  # the catalog, then nine chunks of 7 days
    assert all(earlier < later for earlier, later in itertools.pairwise(beats))
    assert run.worker == worker_name()


def test_a_run_taken_over_stops_at_its_next_heartbeat_and_leaves_the_verdict_alone(
    fake_meta, meta_account
):
    run = IngestionRun.objects.create(account=meta_account)
    verdict = "Marcada como fallida en el admin por lucia_lead."

    def progress(message: str) -> None:
        if message.startswith("14/63 days"):  # after the second chunk, a lead steps in
            IngestionRun.objects.filter(pk=run.pk).update(
                status=IngestionRun.Status.FAILED, error=verdict
            )

    ingestion_run_account(run=run, progress=progress)

    run.refresh_from_db()
    assert (run.status, run.error) == (IngestionRun.Status.FAILED, verdict)
    bookmark = SyncBookmark.objects.get(account=meta_account).last_synced_date
    assert bookmark == run.window_start + dt.timedelta(days=13)
    assert max(DailyMetric.objects.values_list("date", flat=True)) == bookmark
    assert mail.outbox == []


def test_a_long_wait_beats_between_slices_of_sleep():
    sleeps: list[float] = []
    beats: list[float] = []
    connector = Connector(account_id="1", sleep=sleeps.append)
    connector.heartbeat = lambda: beats.append(sum(sleeps))

    connector._wait(100)

    assert sleeps == [30, 30, 30, 10]
    assert beats == [0, 30, 60, 90]
    assert (connector.stats.waits, connector.stats.waited_seconds) == (1, 100)


def test_a_throttled_sync_beats_before_each_wait(fake_meta, meta_account, settings):
    settings.INGEST_HEARTBEAT_TIMEOUT_SECONDS = 0.001  # so short that every beat is written
    fake_meta.failures = FailurePlan(throttle_every=4)
    run = IngestionRun.objects.create(account=meta_account)
    bookmark, _ = SyncBookmark.objects.get_or_create(account=meta_account)
    connector = connector_for_account(account=meta_account, bookmark=bookmark)
    beats_seen: list[dt.datetime] = []
    connector.sleep = lambda seconds: beats_seen.append(
        IngestionRun.objects.get(pk=run.pk).heartbeat_at
    )

    ingestion_run_account(run=run, connector=connector)

    run.refresh_from_db()
    assert run.status == IngestionRun.Status.SUCCEEDED, run.error
    assert len(beats_seen) == run.throttle_waits == fake_meta.throttled
    assert all(earlier < later for earlier, later in itertools.pairwise(beats_seen))


def test_a_task_delivered_again_after_its_worker_died_starts_a_run_that_takes_over(
    fake_meta, meta_account
):
    dead = running_run(meta_account, beat_seconds_ago=2, worker=gone_worker())

    status = ingestion_run_task(dead.pk)  # the broker re-delivers a task whose worker was killed

    dead.refresh_from_db()
    successor = IngestionRun.objects.exclude(pk=dead.pk).get()
    assert (status, successor.status) == (IngestionRun.Status.SUCCEEDED,) * 2
    assert dead.status == IngestionRun.Status.FAILED
    assert f"La ejecución #{successor.pk} tomó la cuenta" in dead.error
    assert catalog_totals(meta_account) == fake_meta.history.totals_by_ad()


def test_a_task_delivered_again_while_its_run_is_alive_does_nothing(fake_meta, meta_account):
    alive = running_run(meta_account, beat_seconds_ago=5, worker=worker_name())

    status = ingestion_run_task(alive.pk)

    alive.refresh_from_db()
    assert (status, alive.status) == (IngestionRun.Status.RUNNING,) * 2
    assert IngestionRun.objects.count() == 1
    assert fake_meta.calls == 0
