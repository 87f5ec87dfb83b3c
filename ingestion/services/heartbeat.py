"""A running run's proof of life, the takeover of runs whose worker died, and the closing of
queued runs that can never start.

A run beats when it is claimed, before every platform call, between slices of a long wait and
in every transaction that saves its data (`RunTally.transaction`). The beat is a conditional
update: a run that someone else marked failed (the next run taking over, or a lead in the
admin) learns it at its next beat and stops without writing, so two runs never save one
account at the same time.

A queued run belongs to whoever will start it: the `manage.py ingest` process that queued it
(its `worker`, set when queued) or the job queue (no worker: the schedule's runs, which
django-q delivers, and delivers again when a worker dies). One whose `ingest` died can never
start: the next `ingest` or schedule fails it as "never started". One the job queue may still
deliver is left alone until a run of its account starts that reads the same days: that run
closes it as skipped, so a late delivery does nothing.

Messages are stored in the site's language: whoever reads the run, in the admin or in an
alert, reads that.
"""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.db.models import Max
from django.utils import timezone, translation
from django.utils.translation import gettext
from django.utils.translation import gettext_noop as _

from ingestion.models import IngestionRun
from ingestion.workers import worker_gone

WORKER_DIED = _(
    "The worker running this run died ({reason}). Run #{successor} took over the account and "
    "continues from the bookmark: what this run saved is kept and nothing is counted twice."
)
PROCESS_GONE = _("its process {worker} is gone")
NO_HEARTBEAT = _("no heartbeat for {seconds} s")
SKIPPED = _(
    "Run #{other} of this account is running (last heartbeat {seconds} s ago), so this run did "
    "nothing. That run reads the same days; nothing is lost."
)
MARKED_FAILED = _(
    "Marked as failed in the admin by {user} at {time}. If its worker was still alive, it stops "
    "at its next heartbeat; what the run saved is kept, and the next run continues from the "
    "bookmark."
)

NEVER_STARTED = _(
    "Never started: the process that queued it ended before reaching this account ({reason}). "
    "This run read and saved nothing; the account's next run reads from its bookmark, so "
    "nothing is lost."
)
NEVER_STARTED_SINCE = _(
    " It asked to read from {since}; to read those days: python manage.py ingest --platform "
    "{platform} --account {account} --since {since}"
)
SUPERSEDED = _(
    "Never started: run #{successor} of this account started after it was queued and reads the "
    "same days. If the job queue still delivers it, it does nothing."
)

# What a lead may mark as failed in the admin.
STOPPABLE = (IngestionRun.Status.RUNNING, IngestionRun.Status.QUEUED)

# Beats between the forced ones (each saved chunk) are written at most this often.
BEAT_EVERY_SECONDS = 30.0


class RunTakenOver(Exception):
    """Someone else ended this run (the next run or a lead): stop and write nothing more."""


def site_text(message: str, **values: object) -> str:
    """Translate a stored message into the site's language and fill in its values."""
    with translation.override(settings.LANGUAGE_CODE):
        return gettext(message).format(**values)


def run_heartbeat(run: IngestionRun, *, force: bool = False) -> None:
    """Record that the run is alive; raise RunTakenOver when it is no longer running.

    Unforced beats are written at most every BEAT_EVERY_SECONDS (or a fifth of the timeout),
    so a call-heavy run does not write a row per call.
    """
    now = timezone.now()
    every = min(BEAT_EVERY_SECONDS, settings.INGEST_HEARTBEAT_TIMEOUT_SECONDS / 5)
    if not force and run.heartbeat_at and (now - run.heartbeat_at).total_seconds() < every:
        return
    beating = IngestionRun.objects.filter(pk=run.pk, status=IngestionRun.Status.RUNNING)
    if not beating.update(heartbeat_at=now):
        raise RunTakenOver(f"Run #{run.pk} was ended by someone else; it stops here.")
    run.heartbeat_at = now


def _silent_seconds(run: IngestionRun, now: dt.datetime) -> int:
    last = run.heartbeat_at or run.started_at or run.created_at
    return int((now - last).total_seconds())


def _death(run: IngestionRun, *, now: dt.datetime) -> str | None:
    """Why the run's worker is known dead, or None while it may be alive."""
    if run.worker and worker_gone(run.worker):
        return site_text(PROCESS_GONE, worker=run.worker)
    silent = _silent_seconds(run, now)
    if silent > settings.INGEST_HEARTBEAT_TIMEOUT_SECONDS:
        return site_text(NO_HEARTBEAT, seconds=silent)
    return None


def run_is_dead(run: IngestionRun) -> bool:
    """True when the running run's worker is known dead (process gone, or heartbeat stale)."""
    return _death(run, now=timezone.now()) is not None


def runs_dead_take_over(*, run: IngestionRun) -> tuple[IngestionRun | None, list[IngestionRun]]:
    """Fail the account's other running syncs whose worker died; return (one alive, the dead).

    The takeover is conditional on the heartbeat read: a run that beat in between is alive
    after all and keeps running.
    """
    now = timezone.now()
    others = (
        IngestionRun.objects.filter(
            account_id=run.account_id,
            kind=IngestionRun.Kind.API,
            status=IngestionRun.Status.RUNNING,
        )
        .exclude(pk=run.pk)
        .order_by("pk")
    )
    alive: IngestionRun | None = None
    dead: list[IngestionRun] = []
    for other in others:
        reason = _death(other, now=now)
        taken = 0
        if reason is not None:
            other.error = site_text(WORKER_DIED, reason=reason, successor=run.pk)
            other.status, other.finished_at = IngestionRun.Status.FAILED, now
            taken = IngestionRun.objects.filter(
                pk=other.pk, status=IngestionRun.Status.RUNNING, heartbeat_at=other.heartbeat_at
            ).update(status=other.status, finished_at=now, error=other.error)
        if taken:
            dead.append(other)
        elif alive is None:
            alive = other
    return alive, dead


def run_skip_note(*, alive: IngestionRun) -> str:
    """What a run that stood down for a live one tells the user."""
    return site_text(SKIPPED, other=alive.pk, seconds=_silent_seconds(alive, timezone.now()))


def run_mark_failed(*, run: IngestionRun, user: str) -> bool:
    """Fail a running or queued run from the admin, saying who did it; False when it was
    neither.

    A worker still alive learns it at its next heartbeat and stops (RunTakenOver); a queued
    run's worker, or the job queue, finds it taken and does nothing.
    """
    now = timezone.now()
    error = site_text(
        MARKED_FAILED, user=user, time=timezone.localtime(now).strftime("%Y-%m-%d %H:%M")
    )
    marked = IngestionRun.objects.filter(pk=run.pk, status__in=STOPPABLE).update(
        status=IngestionRun.Status.FAILED, finished_at=now, error=error
    )
    if marked:
        run.status, run.finished_at, run.error = IngestionRun.Status.FAILED, now, error
    return bool(marked)


# Queued runs that can never start ----------------------------------------------------------


def _queue_owner_death(worker: str, *, now: dt.datetime) -> str | None:
    """Why the `ingest` process that queued runs as `worker` is known dead, or None.

    On this machine its process is looked up. Elsewhere, it is dead once none of its runs has
    shown life (queued, beat, finished) for the heartbeat timeout: a live `ingest` always has a
    run that beats, or moves to its next run within seconds.
    """
    if worker_gone(worker):
        return site_text(PROCESS_GONE, worker=worker)
    last = IngestionRun.objects.filter(worker=worker).aggregate(
        queued=Max("created_at"), beat=Max("heartbeat_at"), finished=Max("finished_at")
    )
    latest = max((moment for moment in last.values() if moment is not None), default=None)
    if latest is None:
        return None
    silent = int((now - latest).total_seconds())
    if silent > settings.INGEST_HEARTBEAT_TIMEOUT_SECONDS:
        return site_text(NO_HEARTBEAT, seconds=silent)
    return None


def run_never_starts(run: IngestionRun) -> str | None:
    """Why a queued run can never start (its `ingest` died), or None; writes nothing.

    The admin shows it before the next `ingest` or schedule closes the run.
    """
    if run.status != IngestionRun.Status.QUEUED or not run.worker:
        return None
    return _queue_owner_death(run.worker, now=timezone.now())


def runs_never_started_close() -> list[IngestionRun]:
    """Fail every queued sync whose `ingest` process died before starting it; return them.

    Runs the job queue holds (no worker) are not judged here: django-q delivers them, however
    long its queue. The update is conditional, so a run its process claimed meanwhile is kept.
    """
    now = timezone.now()
    queued = (
        IngestionRun.objects.filter(kind=IngestionRun.Kind.API, status=IngestionRun.Status.QUEUED)
        .exclude(worker="")
        .select_related("account__platform")
        .order_by("pk")
    )
    deaths: dict[str, str | None] = {}
    closed: list[IngestionRun] = []
    for run in queued:
        if run.worker not in deaths:
            deaths[run.worker] = _queue_owner_death(run.worker, now=now)
        reason = deaths[run.worker]
        if reason is None:
            continue
        error = site_text(NEVER_STARTED, reason=reason)
        if run.since is not None:
            error += site_text(
                NEVER_STARTED_SINCE,
                since=run.since.isoformat(),
                platform=run.account.platform.slug,
                account=run.account.external_id,
            )
        if IngestionRun.objects.filter(pk=run.pk, status=IngestionRun.Status.QUEUED).update(
            status=IngestionRun.Status.FAILED, finished_at=now, error=error
        ):
            run.status, run.finished_at, run.error = IngestionRun.Status.FAILED, now, error
            closed.append(run)
    return closed


def runs_queued_superseded_close(*, run: IngestionRun) -> int:
    """Skip the account's queued syncs that the starting `run` makes pointless; return how many.

    A queued run is covered when it asked for no days of its own (it reads from the bookmark,
    as `run` does now), or for days from a date `run` also reads from. One that asked for
    earlier days is left to run.
    """
    others = IngestionRun.objects.filter(
        account_id=run.account_id, kind=IngestionRun.Kind.API, status=IngestionRun.Status.QUEUED
    ).exclude(pk=run.pk)
    if run.since is None:
        others = others.filter(since__isnull=True)
    else:
        others = others.filter(since__gte=run.since)
    return others.update(
        status=IngestionRun.Status.SKIPPED,
        finished_at=timezone.now(),
        error=site_text(SUPERSEDED, successor=run.pk),
    )
