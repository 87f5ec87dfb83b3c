"""The life of a ModelJob: queue, claim, stage, finish, and reap jobs whose worker died.

A task only calls `job_run(job_id)`. The row is the source of truth: a conditional update
claims it (a task delivered twice runs once), a lease marks how long the claim holds, and a
worker killed mid-job leaves a lease that expires, after which the job is queued again or,
past its attempts, failed with a message — never "running" forever.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Callable

from django.conf import settings
from django.db import transaction
from django.db.models import F, Q
from django.utils import timezone

# Stored in English (the catalogue's msgids); pages translate them when they show them.
from django.utils.translation import gettext_noop as _

from generation.backends.runtime import GPU_BACKENDS
from generation.models import ModelJob

log = logging.getLogger(__name__)

# A job the broker has not started within this time is assumed lost and queued again.
QUEUE_LEASE_MARGIN = dt.timedelta(seconds=60)

WORKER_LOST = _(
    "The worker stopped while running this job (attempt {attempt} of {limit}), for example "
    "because it was restarted or ran out of memory."
)
WORKER_LOST_FIX = _("Start it again; if it keeps stopping, an operator should read the worker log.")


def job_cluster(backend: str) -> str | None:
    """The django-q2 cluster a job goes to: the GPU cluster for model backends when configured."""
    if settings.GPU_CLUSTER and backend in GPU_BACKENDS:
        return settings.GPU_CLUSTER
    return None


def job_timeout_seconds(backend: str) -> int:
    return settings.GPU_TIMEOUT if job_cluster(backend) else settings.Q_TIMEOUT


def job_lease(backend: str) -> dt.timedelta:
    # The cluster kills a task at its timeout; a lease a little longer means "the worker died".
    return dt.timedelta(seconds=job_timeout_seconds(backend)) + QUEUE_LEASE_MARGIN


def job_queue(
    *,
    kind: str,
    backend: str,
    brief=None,
    payload: dict | None = None,
    model_id: str = "",
    max_attempts: int = 2,
) -> ModelJob:
    """Create a queued job and hand it to the broker once the transaction commits."""
    job = ModelJob.objects.create(
        kind=kind,
        backend=backend,
        brief=brief,
        payload=payload or {},
        model_id=model_id,
        max_attempts=max_attempts,
    )
    transaction.on_commit(lambda: job_enqueue(job))
    return job


def job_enqueue(job: ModelJob) -> None:
    from django_q.tasks import async_task

    options = {"task_name": f"model-job-{job.pk}"}
    cluster = job_cluster(job.backend)
    if cluster:
        options["cluster"] = cluster
    async_task("generation.tasks.model_job_task", job.pk, **options)


def job_claim(job_id: int, *, now: dt.datetime | None = None) -> ModelJob | None:
    """Take the job for this worker; None when it is taken, finished or out of attempts."""
    now = now or timezone.now()
    job = ModelJob.objects.filter(pk=job_id).only("backend").first()
    if job is None:
        log.warning("Model job %s no longer exists; nothing to run.", job_id)
        return None
    takeable = Q(status=ModelJob.Status.QUEUED) | Q(
        status=ModelJob.Status.RUNNING, lease_expires_at__lt=now
    )
    taken = ModelJob.objects.filter(takeable, pk=job_id, attempts__lt=F("max_attempts")).update(
        status=ModelJob.Status.RUNNING,
        stage="starting",
        attempts=F("attempts") + 1,
        started_at=now,
        lease_expires_at=now + job_lease(job.backend),
        error="",
        how_to_fix="",
    )
    if not taken:
        job_fail_if_lost(job_id, now=now)
        return None
    job = ModelJob.objects.get(pk=job_id)
    if job.queue_wait_seconds is None:
        ModelJob.objects.filter(pk=job_id).update(
            queue_wait_seconds=(now - job.queued_at).total_seconds()
        )
        job.queue_wait_seconds = (now - job.queued_at).total_seconds()
    return job


def job_fail_if_lost(job_id: int, *, now: dt.datetime) -> bool:
    """Fail a job whose worker died on its last attempt."""
    lost = ModelJob.objects.filter(
        pk=job_id,
        status=ModelJob.Status.RUNNING,
        lease_expires_at__lt=now,
        attempts__gte=F("max_attempts"),
    ).first()
    if lost is None:
        return False
    return bool(
        ModelJob.objects.filter(pk=job_id, status=ModelJob.Status.RUNNING).update(
            status=ModelJob.Status.FAILED,
            stage="",
            finished_at=now,
            error=WORKER_LOST.format(attempt=lost.attempts, limit=lost.max_attempts),
            how_to_fix=WORKER_LOST_FIX,
        )
    )


def job_stage(job: ModelJob, stage: str, **fields) -> None:
    """Record the stage (and progress) the page shows, and extend the lease."""
    job.stage = stage
    for name, value in fields.items():
        setattr(job, name, value)
    ModelJob.objects.filter(pk=job.pk, status=ModelJob.Status.RUNNING).update(
        stage=stage, lease_expires_at=timezone.now() + job_lease(job.backend), **fields
    )


def job_finish(job: ModelJob, status: str, **fields) -> None:
    now = timezone.now()
    fields.setdefault("stage", "")
    ModelJob.objects.filter(pk=job.pk).update(
        status=status, finished_at=now, lease_expires_at=None, **fields
    )
    job.status = status
    job.finished_at = now
    for name, value in fields.items():
        setattr(job, name, value)


def jobs_reap_stale(*, now: dt.datetime | None = None) -> dict[str, int]:
    """Queue again, or fail, every running job whose lease ran out (its worker died).

    Runs on a schedule (see generation.apps) and before every job. A queued job whose task
    was lost (a broker restarted without it) is handed to the broker again after its lease.
    """
    now = now or timezone.now()
    requeued = failed = 0
    expired = ModelJob.objects.filter(status=ModelJob.Status.RUNNING, lease_expires_at__lt=now)
    for job in expired:
        if job.attempts >= job.max_attempts:
            failed += job_fail_if_lost(job.pk, now=now)
            continue
        back = ModelJob.objects.filter(
            pk=job.pk, status=ModelJob.Status.RUNNING, lease_expires_at__lt=now
        ).update(
            status=ModelJob.Status.QUEUED,
            stage="",
            lease_expires_at=None,
            error=WORKER_LOST.format(attempt=job.attempts, limit=job.max_attempts),
        )
        if back:
            requeued += 1
            job_enqueue(job)
    return {"requeued": requeued, "failed": failed}


def job_run(job_id: int, handlers: dict[str, Callable[[ModelJob], None]]) -> ModelJob | None:
    """Claim the job and run its kind's handler; every outcome ends in a finished state."""
    from generation.backends.base import BackendUnavailable, OutOfMemory

    job = job_claim(job_id)
    if job is None:
        return None
    handler = handlers[job.kind]
    try:
        handler(job)
    except BackendUnavailable as exc:
        job_finish(job, ModelJob.Status.UNAVAILABLE, error=exc.message, how_to_fix=exc.how_to_fix)
    except OutOfMemory as exc:
        job_finish(
            job,
            ModelJob.Status.FAILED,
            error=str(exc),
            how_to_fix=_("Ask for fewer or smaller images, or try again when the GPU is free."),
        )
    except Exception as exc:
        log.exception("Model job %s (%s) failed", job.pk, job.kind)
        job_finish(
            job,
            ModelJob.Status.FAILED,
            error=f"{type(exc).__name__}: {exc}",
            how_to_fix=_(
                "Try again. If it fails the same way, an operator can read the worker log "
                "for job #{job}."
            ).format(job=job.pk),
        )
    else:
        if not job.finished:
            job_finish(job, ModelJob.Status.SUCCEEDED)
    return job
