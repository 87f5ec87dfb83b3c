"""What a model job of each kind does once a worker has claimed it.

`model_job_run` is what the django-q2 task (`generation.tasks.model_job_task`) calls: it reaps
jobs whose worker died, claims this one (generation.jobs.queue) and runs its handler. Each
handler loads the backend for its role through generation.backends.runtime (once per worker
process) and records its stages on the ModelJob row, which pages and the API read.
"""

from __future__ import annotations

import logging
import time

from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.utils.translation import gettext

from generation.backends import runtime
from generation.backends.base import GenerateRequest, PromptResult
from generation.backends.prompt.rules import enforce
from generation.briefs.guidelines import guidelines_for, style_spec
from generation.briefs.services import brief_prompt_write, prompt_version_restore
from generation.descriptions import describe_config, images_describe
from generation.jobs import queue as jobs
from generation.models import GeneratedImage, ImageBatch, ModelJob, PromptVersion
from yenni_site.language import in_both_languages

log = logging.getLogger(__name__)


def describe_job(job: ModelJob) -> None:
    config = describe_config(job.backend or None)
    summary = images_describe(image_ids=job.payload.get("image_ids"), config=config, job=job)
    # Sentence embeddings of the new descriptions, for the library's semantic search. Never
    # raises when the embedding model cannot run here: `unavailable` says why.
    from library.embeddings import embed_described_images

    jobs.job_stage(job, "embedding")
    embedded = embed_described_images(job.payload.get("image_ids"))
    jobs.job_finish(
        job,
        ModelJob.Status.SUCCEEDED,
        load_seconds=summary.load_seconds,
        inference_seconds=summary.seconds,
        result={
            "described": summary.described,
            "skipped": summary.skipped,
            "failed": {str(k): v for k, v in summary.failed.items()},
            "embedded": embedded.embedded,
            "embedding_unavailable": embedded.unavailable,
        },
    )


def write_job(job: ModelJob) -> None:
    jobs.job_stage(job, "writing")
    version = brief_prompt_write(job.brief, job=job)
    result = {"prompt_version": version.number, "fallback": bool(version.fallback_reason)}
    kept = _hand_edit_kept(job, version)
    if kept is not None:
        result |= {"kept_hand_edit": kept.restored_from.number, "current_version": kept.number}
    jobs.job_finish(
        job,
        ModelJob.Status.SUCCEEDED,
        model_id=version.model_id,
        inference_seconds=job.inference_seconds,
        result=result,
    )


def _hand_edit_kept(job: ModelJob, written: PromptVersion) -> PromptVersion | None:
    """The analyst's edit made current again when it was made after this rewrite was queued.

    A language model's rewrite waits in the queue and then runs for a while; an edit the
    analyst saved meanwhile is the newer decision and must not be replaced by the older
    request. The written version stays in the list (it can be restored) and a copy of the
    edit becomes current again, saying why in both languages. An edit made before the rewrite
    was asked for was replaced knowingly (the rewrite asks first), so it is left alone.
    """
    edit = (
        job.brief.prompt_versions.filter(
            source=PromptVersion.Source.ANALYST,
            created_at__gt=job.queued_at,
            number__lt=written.number,
        )
        .order_by("-number")
        .first()
    )
    if edit is None or edit.author is None:
        return None
    try:
        copy = prompt_version_restore(job.brief, number=edit.number, author=edit.author)
    except ValidationError:
        # Today's guidelines no longer let the edit fit the token window: the written version
        # stays current rather than failing a job whose prompt is already saved.
        log.warning("Job %s: hand edit v%s no longer fits; not restored.", job.pk, edit.number)
        return None
    rationale_es, rationale = in_both_languages(
        lambda: gettext(
            "Your edit (version {edit}) stays the current prompt: the language model's rewrite, "
            "asked for before it, finished after it and is version {written}, which you can "
            "restore."
        ).format(edit=edit.number, written=written.number)
    )
    PromptVersion.objects.filter(pk=copy.pk).update(rationale=rationale, rationale_es=rationale_es)
    copy.refresh_from_db()
    return copy


def generate_job(job: ModelJob) -> None:
    batch = ImageBatch.objects.select_related("brief__node", "prompt_version", "style_preset").get(
        job=job
    )
    brief = batch.brief
    if batch.prompt_version is None:
        jobs.job_stage(job, "writing")
        batch.prompt_version = brief.latest_prompt or brief_prompt_write(brief)
        batch.save(update_fields=["prompt_version"])
    jobs.job_stage(job, "loading")
    config = runtime.role_config("image")
    started = time.perf_counter()
    was_loaded = runtime.is_loaded(config)
    generator = runtime.load(config)
    load_seconds = 0.0 if was_loaded else time.perf_counter() - started
    jobs.job_stage(job, "generating", load_seconds=load_seconds, model_id=generator.model_id)
    version = batch.prompt_version
    prompt = enforce(
        PromptResult(version.positive, version.negative, version.rationale, version.model_id),
        guidelines_for(brief.node),
        style_spec(batch.style_preset),
    )
    sketch = None
    if batch.from_sketch and brief.sketch:
        with brief.sketch.open("rb") as handle:
            sketch = handle.read()
    result = generator.generate(
        GenerateRequest(
            prompt=prompt.positive,
            negative_prompt=prompt.negative,
            count=batch.image_count,
            seeds=batch.seeds,
            guidance_scale=batch.guidance_scale,
            steps=batch.steps,
            width=batch.width,
            height=batch.height,
            init_image=sketch,
            strength=batch.sketch_strength,
        )
    )
    jobs.job_stage(job, "saving")
    for index, image in enumerate(result.images):
        row = GeneratedImage(
            batch=batch, index=index, seed=image.seed, width=image.width, height=image.height
        )
        row.file.save(f"brief{brief.pk}-batch{batch.pk}-{index}.png", ContentFile(image.png))
    ImageBatch.objects.filter(pk=batch.pk).update(model_id=result.model_id)
    jobs.job_finish(
        job,
        ModelJob.Status.SUCCEEDED,
        model_id=result.model_id,
        inference_seconds=result.inference_seconds,
        progress_done=len(result.images),
        progress_total=batch.image_count,
        result={"images": len(result.images), "notes": result.notes},
    )


JOB_HANDLERS = {
    ModelJob.Kind.DESCRIBE: describe_job,
    ModelJob.Kind.WRITE: write_job,
    ModelJob.Kind.GENERATE: generate_job,
}


def model_job_run(job_id: int) -> ModelJob | None:
    """What the django-q2 task calls: reap dead jobs, then claim and run this one."""
    jobs.jobs_reap_stale()
    return jobs.job_run(job_id, JOB_HANDLERS)
