"""Describe catalog images with the configured describer, and read what was written.

Ingestion sends `creatives.signals.images_added` after new images commit; `describe_queue`
turns them into describe jobs of at most DESCRIBE_JOB_CHUNK images (see generation.jobs).
A brief's references are described on demand too (`generation.briefs.services`).
"""

from __future__ import annotations

import dataclasses
import time
from collections.abc import Iterable
from dataclasses import dataclass, field

from django.db import transaction
from django.db.models import Exists, OuterRef, QuerySet

# Stored in English (the catalogue's msgids); pages translate them when they show them.
from django.utils.translation import gettext_noop as _

from creatives.models import CreativeImage, ImageDescription
from generation.backends import runtime
from generation.backends.base import Description, ModelRole
from generation.jobs import queue as jobs
from generation.models import ModelJob
from yenni_site.progress import Progress

# Images per describe job queued after ingestion: small enough to finish well within a timeout.
DESCRIBE_JOB_CHUNK = 500


@dataclass
class DescribeSummary:
    backend: str
    model_id: str
    described: int = 0
    skipped: int = 0
    failed: dict[int, str] = field(default_factory=dict)
    seconds: float = 0.0
    load_seconds: float = 0.0

    @property
    def images_per_second(self) -> float:
        return self.described / self.seconds if self.seconds else 0.0


def describe_config(backend: str | None = None) -> ModelRole:
    """The describe role from settings, with another backend when one is named."""
    config = runtime.role_config("describe")
    if backend and backend != config.backend:
        config = dataclasses.replace(config, backend=backend)
    return config


def images_describe(
    *,
    image_ids: Iterable[int] | None = None,
    config: ModelRole | None = None,
    redo: bool = False,
    batch_size: int | None = None,
    progress: Progress | None = None,
    job: ModelJob | None = None,
) -> DescribeSummary:
    """Describe images (all, or those ids) that this backend and model have not described.

    With `redo`, images already described are described again and their rows replaced. A bad
    image is recorded in the summary and the others go on. Raises BackendUnavailable when the
    backend cannot load.
    """
    config = config or describe_config()
    progress = progress or Progress()
    started = time.perf_counter()
    was_loaded = runtime.is_loaded(config)
    describer = runtime.load(config)
    summary = DescribeSummary(backend=config.backend, model_id=describer.model_id)
    summary.load_seconds = 0.0 if was_loaded else time.perf_counter() - started
    ids = None if image_ids is None else list(image_ids)
    if redo:
        todo = CreativeImage.objects.order_by("pk")
        if ids is not None:
            todo = todo.filter(pk__in=ids)
    else:
        todo = images_lacking_description(
            backend=config.backend, model_id=describer.model_id, image_ids=ids
        )
    todo_ids = list(todo.values_list("pk", flat=True))
    if ids is not None:
        summary.skipped = len(set(ids)) - len(todo_ids)
    size = batch_size or int(config.options.get("batch_size") or 16)
    progress.stage("Describing", len(todo_ids), "images")
    if job is not None:
        jobs.job_stage(job, "describing", progress_total=len(todo_ids), model_id=describer.model_id)
    work_started = time.perf_counter()
    for start in range(0, len(todo_ids), size):
        chunk = list(CreativeImage.objects.filter(pk__in=todo_ids[start : start + size]))
        payloads = _read_images(chunk, summary)
        results = _describe_chunk(describer, payloads, summary)
        _save_descriptions(results, config.backend, describer.model_id, redo=redo)
        summary.described += len(results)
        progress.advance(len(chunk))
        if job is not None:
            jobs.job_stage(job, "describing", progress_done=summary.described)
    summary.seconds = time.perf_counter() - work_started
    progress.done(f"{summary.images_per_second:.1f} images/s")
    return summary


def _read_images(images: list[CreativeImage], summary: DescribeSummary) -> list[tuple[int, bytes]]:
    payloads = []
    for image in images:
        try:
            with image.file.open("rb") as handle:
                payloads.append((image.pk, handle.read()))
        except (OSError, ValueError) as exc:  # a file missing from storage
            summary.failed[image.pk] = _("The image file could not be read: {error}").format(
                error=exc
            )
    return payloads


def _describe_chunk(
    describer, payloads: list[tuple[int, bytes]], summary: DescribeSummary
) -> list[tuple[int, Description]]:
    if not payloads:
        return []
    try:
        found = describer.describe([data for _pk, data in payloads])
        return [(pk, d) for (pk, _data), d in zip(payloads, found, strict=True)]
    except ValueError:
        # One unreadable image spoils the batch: describe one by one to keep the others.
        results = []
        for pk, data in payloads:
            try:
                results.append((pk, describer.describe([data])[0]))
            except ValueError as exc:
                summary.failed[pk] = str(exc)
        return results


def _save_descriptions(
    results: list[tuple[int, Description]], backend: str, model_id: str, *, redo: bool
) -> None:
    rows = [
        ImageDescription(
            image_id=pk,
            backend=backend,
            model_id=model_id,
            text=d.text,
            text_es=d.text_es,
            attributes=d.attributes,
        )
        for pk, d in results
    ]
    with transaction.atomic():
        if redo:
            ImageDescription.objects.filter(
                image_id__in=[pk for pk, _d in results], backend=backend, model_id=model_id
            ).delete()
        # Another worker may have described the same image meanwhile: keep one row.
        ImageDescription.objects.bulk_create(rows, ignore_conflicts=True)


def describe_queue(image_ids: Iterable[int]) -> list[ModelJob]:
    """Queue describe jobs for images, in chunks that fit a job's timeout."""
    ids = sorted(set(image_ids))
    config = describe_config()
    queued = []
    for start in range(0, len(ids), DESCRIBE_JOB_CHUNK):
        chunk = ids[start : start + DESCRIBE_JOB_CHUNK]
        queued.append(
            jobs.job_queue(
                kind=ModelJob.Kind.DESCRIBE,
                backend=config.backend,
                payload={"image_ids": chunk},
                max_attempts=2,
            )
        )
    return queued


def images_added_receiver(sender, image_ids: list[int], **kwargs) -> None:
    """New images from ingestion: describe them in the background."""
    describe_queue(image_ids)


def images_lacking_description(
    *, backend: str, model_id: str, image_ids: Iterable[int] | None = None
) -> QuerySet[CreativeImage]:
    """Images with no description from this backend and model (all images, or those ids)."""
    described = ImageDescription.objects.filter(
        image=OuterRef("pk"), backend=backend, model_id=model_id
    )
    images = CreativeImage.objects.filter(~Exists(described))
    if image_ids is not None:
        images = images.filter(pk__in=list(image_ids))
    return images.order_by("pk")


def descriptions_for(image_ids: Iterable[int], *, backend: str = "") -> dict[int, ImageDescription]:
    """One description per image: the given backend's newest, else any backend's newest."""
    best: dict[int, ImageDescription] = {}
    rows = ImageDescription.objects.filter(image_id__in=list(image_ids)).order_by("-created_at")
    for row in rows:
        current = best.get(row.image_id)
        if current is None or (row.backend == backend and current.backend != backend):
            best[row.image_id] = row
    return best
