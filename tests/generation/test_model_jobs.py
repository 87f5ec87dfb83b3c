"""Model jobs end to end on the database: describe after ingestion, write, generate, recover."""

from __future__ import annotations

import datetime as dt
import io
import random

import pytest
from django.utils import timezone
from PIL import Image

from campaigns.models import Objective
from campaigns.rollups import image_rollup_refresh
from creatives.models import CreativeImage, ImageDescription
from generation import descriptions
from generation.backends import runtime
from generation.briefs import services
from generation.jobs import handlers
from generation.jobs import queue as jobs
from generation.models import BrandGuideline, Brief, GeneratedImage, ModelJob, PromptVersion
from generation.tasks import model_job_task
from ingestion.services import images_new_queue_description
from tests.factories import (
    make_account,
    make_ad,
    make_campaign,
    make_creative,
    make_metric,
    make_node,
)

DAY = dt.date(2026, 10, 5)
AS_OF = dt.date(2026, 10, 31)


def _jpeg(colour: tuple[int, int, int], size=(96, 64)) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", size, colour).save(buffer, format="JPEG")
    return buffer.getvalue()


def _image(n: int, colour=(230, 120, 30)) -> CreativeImage:
    from creatives.services import creative_image_store

    data = _jpeg((colour[0], (colour[1] + n * 7) % 256, colour[2]))
    image, _ = creative_image_store(data=data, seen_on=DAY)
    CreativeImage.objects.filter(pk=image.pk).update(
        phash=f"{random.Random(n).getrandbits(64):016x}"
    )
    return image


@pytest.fixture
def brief(db, media_storage, analyst):
    node = make_node(name="Wompi", slug="wompi")
    account = make_account(platform="meta", default_node=node)
    campaign = make_campaign(
        account=account,
        node=node,
        objective=Objective.TRAFFIC,
        start_date=dt.date(2026, 9, 1),
        end_date=AS_OF,
    )
    for n in range(1, 6):
        ad = make_ad(campaign=campaign, creative=make_creative(images=[_image(n)]))
        for offset in range(5):
            make_metric(
                ad=ad,
                date=DAY + dt.timedelta(days=offset),
                impressions=4_000,
                clicks=40 + 10 * n,
            )
    image_rollup_refresh()
    brief = Brief.objects.create(
        owner=analyst,
        node=node,
        objective=Objective.TRAFFIC,
        title="Links de pago",
        description="Emprendedora recibiendo pagos con el celular, con el logo del banco",
        audience="Emprendedores jóvenes",
        tone="cercano y alegre",
    )
    services.brief_rank(brief, as_of=AS_OF)
    return brief


def test_new_images_from_ingestion_are_described_by_a_background_job(
    db, media_storage, django_capture_on_commit_callbacks
):
    images = [_image(n) for n in range(1, 4)]

    with django_capture_on_commit_callbacks(execute=True):
        images_new_queue_description(image_ids=[image.pk for image in images])

    job = ModelJob.objects.get(kind=ModelJob.Kind.DESCRIBE)
    assert (job.status, job.attempts, job.progress_done, job.progress_total) == (
        ModelJob.Status.SUCCEEDED,
        1,
        3,
        3,
    )
    assert {k: job.result[k] for k in ("described", "skipped", "failed", "embedded")} == {
        "described": 3,
        "skipped": 0,
        "failed": {},
        "embedded": 3,
    }
    assert job.result["embedding_unavailable"] == ""
    assert job.queue_wait_seconds >= 0
    assert job.inference_seconds > 0
    rows = ImageDescription.objects.filter(backend="heuristic", model_id="heuristic-v1")
    assert sorted(rows.values_list("image_id", flat=True)) == sorted(i.pk for i in images)
    assert all("orange" in row.attributes["palette"] for row in rows)
    assert all(row.text_es for row in rows)


def test_describing_again_skips_images_this_backend_and_model_already_described(db, media_storage):
    images = [_image(n) for n in range(1, 4)]
    first = descriptions.images_describe(image_ids=[i.pk for i in images])
    ImageDescription.objects.create(
        image=images[0], backend="interrogator", model_id="other", text="x"
    )

    second = descriptions.images_describe(image_ids=[i.pk for i in images])

    assert (first.described, first.skipped) == (3, 0)
    assert (second.described, second.skipped) == (0, 3)
    assert ImageDescription.objects.filter(backend="heuristic").count() == 3


def test_describe_all_replaces_descriptions_instead_of_duplicating_them(db, media_storage):
    images = [_image(n) for n in range(1, 3)]
    descriptions.images_describe(image_ids=[i.pk for i in images])

    again = descriptions.images_describe(image_ids=[i.pk for i in images], redo=True)

    assert again.described == 2
    assert ImageDescription.objects.filter(backend="heuristic").count() == 2


def test_an_unreadable_image_is_reported_and_the_others_are_still_described(db, media_storage):
    good = _image(1)
    broken = _image(2)
    broken.file.storage.delete(broken.file.name)
    with broken.file.storage.open(broken.file.name, "wb") as handle:
        handle.write(b"not an image at all")

    summary = descriptions.images_describe(image_ids=[good.pk, broken.pk])

    assert summary.described == 1
    assert list(summary.failed) == [broken.pk]
    assert ImageDescription.objects.filter(image=good).count() == 1
    assert ImageDescription.objects.filter(image=broken).count() == 0


def test_a_task_delivered_twice_runs_the_job_once(db, media_storage):
    image = _image(1)
    job = ModelJob.objects.create(
        kind=ModelJob.Kind.DESCRIBE, backend="heuristic", payload={"image_ids": [image.pk]}
    )

    assert model_job_task(job.pk) == ModelJob.Status.SUCCEEDED
    assert model_job_task(job.pk) == "skipped (taken, finished or out of attempts)"

    job.refresh_from_db()
    assert job.attempts == 1
    assert ImageDescription.objects.filter(image=image).count() == 1


def test_a_claimed_job_cannot_be_claimed_again_while_its_lease_holds(db):
    job = ModelJob.objects.create(kind=ModelJob.Kind.DESCRIBE, backend="heuristic")

    first = jobs.job_claim(job.pk)
    second = jobs.job_claim(job.pk)

    assert first is not None and first.status == ModelJob.Status.RUNNING
    assert second is None


def test_a_job_whose_worker_died_is_queued_again_and_finishes(db, media_storage):
    image = _image(1)
    job = ModelJob.objects.create(
        kind=ModelJob.Kind.DESCRIBE, backend="heuristic", payload={"image_ids": [image.pk]}
    )
    jobs.job_claim(job.pk)  # the worker took it, then was killed
    later = timezone.now() + jobs.job_lease("heuristic") + dt.timedelta(seconds=1)

    outcome = jobs.jobs_reap_stale(now=later)  # the ORM broker is sync in tests: runs at once

    job.refresh_from_db()
    assert outcome == {"requeued": 1, "failed": 0}
    assert (job.status, job.attempts) == (ModelJob.Status.SUCCEEDED, 2)
    assert ImageDescription.objects.filter(image=image).count() == 1


def test_a_job_whose_worker_died_on_its_last_attempt_fails_with_a_plain_message(db):
    job = ModelJob.objects.create(
        kind=ModelJob.Kind.GENERATE, backend="sdxl", attempts=1, max_attempts=2
    )
    jobs.job_claim(job.pk)
    later = timezone.now() + jobs.job_lease("sdxl") + dt.timedelta(seconds=1)

    outcome = jobs.jobs_reap_stale(now=later)

    job.refresh_from_db()
    assert outcome == {"requeued": 0, "failed": 1}
    assert job.status == ModelJob.Status.FAILED
    assert job.error == (
        "The worker stopped while running this job (attempt 2 of 2), for example because it "
        "was restarted or ran out of memory."
    )
    assert job.how_to_fix.startswith("Start it again")
    assert jobs.job_claim(job.pk) is None


def test_the_composer_writes_a_prompt_that_keeps_the_guidelines_the_brief_asks_to_break(brief):
    BrandGuideline.objects.update_or_create(
        node=None,
        defaults={
            "always_include": "natural diverse Colombian people\nwarm natural light",
            "negative_terms": "watermark",
            "forbidden_terms": "logo\ntrademark",
        },
    )

    version = services.brief_prompt_write(brief)

    assert (version.number, version.source, version.fallback_reason) == (1, "composer", "")
    assert "logo" not in version.positive.lower()
    assert "natural diverse colombian people" in version.positive.lower()
    assert "warm natural light" in version.positive.lower()
    negative = [term.strip() for term in version.negative.lower().split(",")]
    assert {"logo", "trademark", "watermark"} <= set(negative)
    # The references were described on the way (the describe job had not reached them).
    assert ImageDescription.objects.filter(backend="heuristic").count() == 4


def test_the_same_brief_gives_the_same_composed_prompt(brief):
    first = services.brief_prompt_write(brief)
    second = services.brief_prompt_write(brief)

    assert (second.number, second.positive, second.negative) == (
        2,
        first.positive,
        first.negative,
    )


def test_an_analysts_edit_is_a_new_version_and_still_obeys_the_guidelines(brief, analyst):
    BrandGuideline.objects.update_or_create(node=None, defaults={"forbidden_terms": "celebrity"})
    services.brief_prompt_write(brief)

    edited = services.prompt_version_edit(
        brief,
        positive="a celebrity paying with a phone at a market stall",
        negative="",
        author=analyst,
    )

    assert (edited.number, edited.source, edited.author) == (2, "analyst", analyst)
    assert "celebrity" not in edited.positive
    assert "celebrity" in edited.negative


def test_the_tiny_language_model_answer_is_rejected_and_the_composer_takes_over(
    brief, settings, tiny_llm_dir
):
    settings.YENNI_MODELS = {
        **settings.YENNI_MODELS,
        "prompt": {
            "backend": "llm",
            "model": str(tiny_llm_dir),
            "device": "cpu",
            "dtype": "float32",
            "options": {"max_new_tokens": 24},
        },
    }

    job = ModelJob.objects.create(kind=ModelJob.Kind.WRITE, backend="llm", brief=brief)
    handlers.model_job_run(job.pk)

    job.refresh_from_db()
    version = PromptVersion.objects.get(brief=brief)
    assert job.status == ModelJob.Status.SUCCEEDED
    assert job.result == {"prompt_version": 1, "fallback": True}
    assert version.source == "composer"
    assert version.fallback_reason != ""
    assert version.model_id == "composer-v1"


def test_a_language_model_that_cannot_load_leaves_the_composer_to_write(brief, settings, tmp_path):
    settings.YENNI_MODELS = {
        **settings.YENNI_MODELS,
        "prompt": {"backend": "llm", "model": str(tmp_path / "missing"), "options": {}},
    }

    version = services.brief_prompt_write(brief)

    assert version.source == "composer"
    assert version.fallback_reason.startswith(
        f"The language model could not be used (The language model weights folder "
        f"{tmp_path / 'missing'} does not exist.)"
    )


def test_generating_without_an_image_model_ends_in_a_clear_state(
    brief, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        batch = services.batch_queue(brief, seed=7)

    batch.refresh_from_db()
    job = batch.job
    job.refresh_from_db()
    assert job.status == ModelJob.Status.UNAVAILABLE
    assert job.error == (
        "No image model is installed, so Yenni wrote the prompt but made no images."
    )
    assert "YENNI_IMAGE_BACKEND=sdxl" in job.how_to_fix
    assert batch.prompt_version.number == 1  # the prompt was still written
    assert batch.images.count() == 0


def test_generating_with_the_tiny_sdxl_model_saves_four_images_with_their_seeds(
    brief, tiny_image_model, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        batch = services.batch_queue(brief, seed=1234)

    job = ModelJob.objects.get(pk=batch.job_id)
    assert job.status == ModelJob.Status.SUCCEEDED, job.error
    images = list(GeneratedImage.objects.filter(batch=batch).order_by("index"))
    assert [(i.index, i.seed, i.width, i.height) for i in images] == [
        (0, 1234, 64, 64),
        (1, 1235, 64, 64),
        (2, 1236, 64, 64),
        (3, 1237, 64, 64),
    ]
    with images[0].file.open("rb") as handle:
        assert Image.open(handle).size == (64, 64)
    assert job.inference_seconds > 0
    assert job.queue_wait_seconds >= 0
    assert job.result["images"] == 4
    assert job.model_id == "sdxl"  # the folder's name


def test_regenerating_with_the_same_seed_reproduces_the_same_images(
    brief, tiny_image_model, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        first = services.batch_queue(brief, seed=99, image_count=2)
    with django_capture_on_commit_callbacks(execute=True):
        second = services.batch_queue(brief, seed=99, image_count=2)

    def pixels(batch):
        return [Image.open(i.file).tobytes() for i in batch.images.order_by("index")]

    assert pixels(first) == pixels(second)
    assert brief.batches.count() == 2  # earlier batches stay


def test_a_brief_with_a_sketch_generates_from_it(
    brief, tiny_image_model, django_capture_on_commit_callbacks
):
    from django.core.files.base import ContentFile

    brief.sketch.save("sketch.jpg", ContentFile(_jpeg((20, 200, 40), size=(80, 80))))
    with django_capture_on_commit_callbacks(execute=True):
        sketched = services.batch_queue(brief, seed=5, image_count=1)
    with django_capture_on_commit_callbacks(execute=True):
        plain = services.batch_queue(brief, seed=5, image_count=1, from_sketch=False)

    assert sketched.from_sketch is True
    assert ModelJob.objects.get(pk=sketched.job_id).status == ModelJob.Status.SUCCEEDED
    a = Image.open(sketched.images.get().file).tobytes()
    b = Image.open(plain.images.get().file).tobytes()
    assert a != b


def test_a_gpu_that_runs_out_of_memory_twice_fails_the_job_with_what_to_do(
    brief, tiny_image_model, monkeypatch, django_capture_on_commit_callbacks
):
    import torch

    generator = runtime.load("image")

    def out_of_memory(*args, **kwargs):
        raise torch.OutOfMemoryError("CUDA out of memory. Tried to allocate 2.00 GiB")

    monkeypatch.setattr(type(generator.pipe), "__call__", out_of_memory)

    with django_capture_on_commit_callbacks(execute=True):
        batch = services.batch_queue(brief, seed=3)

    job = ModelJob.objects.get(pk=batch.job_id)
    assert job.status == ModelJob.Status.FAILED
    assert "out of memory" in job.error.lower()
    assert job.how_to_fix == "Ask for fewer or smaller images, or try again when the GPU is free."
    assert batch.images.count() == 0


def test_migrate_schedules_the_reaper_of_dead_model_jobs_every_five_minutes(db):
    from django_q.models import Schedule

    reaper = Schedule.objects.get(name="yenni-model-jobs-reaper")

    assert (reaper.func, reaper.schedule_type, reaper.minutes, reaper.repeats) == (
        "generation.tasks.reap_model_jobs_task",
        Schedule.MINUTES,
        5,
        -1,
    )
