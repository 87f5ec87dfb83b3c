"""Every kind of run ends the same way: status, finish time, error, committed counts, alert."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core import mail

from ingestion.connectors import CONNECTORS
from ingestion.models import IngestionRun
from ingestion.services import IngestionError, ingestion_replay, run_lifecycle, run_start
from tests.factories import make_account


@pytest.fixture
def run(db, settings):
    settings.INGEST_ALERT_EMAILS = ["ops@example.co"]
    return run_start(account=make_account(name="Tu360 Compras"), kind=IngestionRun.Kind.REPLAY)


def test_a_started_run_is_running_with_a_start_time(run):
    assert run.status == IngestionRun.Status.RUNNING
    assert run.started_at is not None
    assert IngestionRun.objects.get(pk=run.pk).status == IngestionRun.Status.RUNNING


def test_an_expected_failure_is_recorded_and_alerted_without_reaching_the_caller(run):
    with run_lifecycle(run, expected=(IngestionError,), error_prefix="a.csv: ", alert=True):
        raise IngestionError("The file has no data rows.")

    run.refresh_from_db()
    assert run.status == IngestionRun.Status.FAILED
    assert run.error == "a.csv: The file has no data rows."
    assert run.finished_at is not None
    assert len(mail.outbox) == 1
    assert "Tu360 Compras" in mail.outbox[0].body


def test_an_unexpected_failure_is_recorded_with_its_type_and_no_alert_unless_asked(run):
    with run_lifecycle(run, unexpected_prefix="Unexpected error: "):
        raise RuntimeError("boom")

    run.refresh_from_db()
    assert run.status == IngestionRun.Status.FAILED
    assert run.error == "Unexpected error: RuntimeError: boom"
    assert mail.outbox == []


def test_without_an_unexpected_prefix_other_errors_reach_the_caller_and_the_run_is_untouched(
    run,
):
    with (
        pytest.raises(RuntimeError),
        run_lifecycle(run, expected=(IngestionError,), unexpected_prefix=None),
    ):
        raise RuntimeError("a bug")

    run.refresh_from_db()
    assert (run.status, run.finished_at, run.error) == (IngestionRun.Status.RUNNING, None, "")


def test_only_committed_transactions_count_and_the_run_keeps_them_after_a_failure(run):
    with run_lifecycle(run) as tally:
        with tally.transaction() as counts:
            counts.created, counts.updated = 5, 2
        with tally.transaction() as counts:
            counts.created = 40
            raise IngestionError("the second chunk failed")

    run.refresh_from_db()
    assert run.status == IngestionRun.Status.FAILED
    assert run.error == "IngestionError: the second chunk failed"
    assert (run.created_count, run.updated_count) == (5, 2)


def test_a_replay_that_cannot_start_records_why(db, monkeypatch):
    monkeypatch.delitem(CONNECTORS, "meta")
    account = make_account(platform="meta")

    run = ingestion_replay(account=account, date_from=dt.date(2026, 1, 1), date_to=dt.date.today())

    assert run.status == IngestionRun.Status.FAILED
    assert run.error == "Yenni has no connector for Meta yet."
    assert run.kind == IngestionRun.Kind.REPLAY


def test_a_run_ended_by_someone_else_keeps_their_verdict_when_its_work_finishes(run):
    verdict = "Marcada como fallida en el admin por lucia_lead."

    with run_lifecycle(run, alert=True):
        IngestionRun.objects.filter(pk=run.pk).update(
            status=IngestionRun.Status.FAILED, error=verdict
        )

    run.refresh_from_db()
    assert (run.status, run.error) == (IngestionRun.Status.FAILED, verdict)
    assert mail.outbox == []


def test_a_run_ended_by_someone_else_saves_nothing_more(run):
    IngestionRun.objects.filter(pk=run.pk).update(status=IngestionRun.Status.FAILED, error="x")

    with run_lifecycle(run, alert=True) as tally, tally.transaction() as counts:
        counts.created = 40

    run.refresh_from_db()
    assert (run.status, run.error, run.created_count) == (IngestionRun.Status.FAILED, "x", 0)
    assert mail.outbox == []
