"""django-q2 entry points: load nothing, decide nothing, call the service."""

from __future__ import annotations

from generation.jobs import handlers, queue


def model_job_task(job_id: int) -> str:
    job = handlers.model_job_run(job_id)
    return "skipped (taken, finished or out of attempts)" if job is None else job.status


def reap_model_jobs_task() -> dict[str, int]:
    return queue.jobs_reap_stale()
