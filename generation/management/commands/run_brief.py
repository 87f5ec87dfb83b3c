"""Run a brief end to end in this process: rank, write the prompt, generate, report.

For operators checking an install (which backends answer, how long a batch takes) and for
scripts. It goes through the same services as the web pages; only the jobs run here instead
of on a worker.
"""

from __future__ import annotations

import json
import time

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.urls import NoReverseMatch, reverse

from campaigns.models import Node, Objective
from generation.briefs import services
from generation.jobs import handlers
from generation.models import Brief, GeneratedImage, ModelJob, StylePreset
from yenni_site.roles import LEADS

# How long to wait for a job another worker claimed first (the broker got it before us).
WAIT_SECONDS = 3600
POLL_SECONDS = 0.5


class Command(BaseCommand):
    help = (
        "Open a brief and run it to the end in this process with the configured backends: "
        "rank references, write the prompt, generate the images. Prints the brief, its "
        "references, the prompt and the images (or why there are none)."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--node", required=True, help="Business unit slug (e.g. wompi).")
        parser.add_argument(
            "--objective", required=True, help=f"One of: {', '.join(Objective.values)}."
        )
        parser.add_argument("--title", required=True)
        parser.add_argument("--description", required=True, help="What the campaign is about.")
        parser.add_argument("--tone", default="")
        parser.add_argument("--audience", default="")
        parser.add_argument("--style", help="Style preset slug.")
        parser.add_argument("--images", type=int, default=4, help="How many images (1-8).")
        parser.add_argument("--seed", type=int, help="First seed (image i uses seed + i).")
        parser.add_argument(
            "--user",
            help="Username of the brief's owner (default: the first superuser or marketing lead).",
        )
        parser.add_argument("--json", action="store_true", help="Print one JSON object.")

    def handle(self, *args, **options) -> None:
        node = self._node(options["node"])
        objective = self._objective(options["objective"])
        style = self._style(options["style"])
        owner = self._owner(options["user"])
        if options["seed"] is not None and options["seed"] < 0:
            raise CommandError("--seed must be 0 or more.")

        started = time.perf_counter()
        try:
            brief = services.brief_create(
                owner=owner,
                node=node,
                objective=objective,
                title=options["title"],
                description=options["description"],
                audience=options["audience"],
                tone=options["tone"],
                style_preset=style,
                image_count=options["images"],
                seed=options["seed"],
            )
        except ValidationError as exc:
            raise CommandError(_validation_text(exc)) from exc
        # A language-model writer is queued rather than run; run it here so the batch below
        # gets the prompt (the claim means a worker that also got it does nothing).
        for job in ModelJob.objects.filter(brief=brief, kind=ModelJob.Kind.WRITE):
            self._run(job)
        batch = services.batch_queue(brief, seed=options["seed"], image_count=options["images"])
        job = self._run(batch.job)
        report = _report(brief, job, seconds=time.perf_counter() - started)
        if options["json"]:
            self.stdout.write(json.dumps(report, ensure_ascii=False, indent=2))
        else:
            self._print(report)

    # --- arguments -----------------------------------------------------------------------

    def _node(self, slug: str) -> Node:
        node = Node.objects.filter(slug=slug).first()
        if node is None:
            slugs = list(Node.objects.order_by("slug").values_list("slug", flat=True))
            valid = ", ".join(slugs) or "(none yet)"
            raise CommandError(f"No business unit {slug!r}. Valid --node values: {valid}.")
        return node

    def _objective(self, value: str) -> str:
        if value not in Objective.values:
            raise CommandError(
                f"No objective {value!r}. Valid --objective values: {', '.join(Objective.values)}."
            )
        return value

    def _style(self, slug: str | None) -> StylePreset | None:
        if not slug:
            return None
        style = StylePreset.objects.filter(slug=slug, active=True).first()
        if style is None:
            slugs = StylePreset.objects.filter(active=True).values_list("slug", flat=True)
            raise CommandError(
                f"No active style preset {slug!r}. Valid --style values: "
                f"{', '.join(slugs) or '(none yet)'}."
            )
        return style

    def _owner(self, username: str | None):
        users = get_user_model().objects.filter(is_active=True)
        if username:
            user = users.filter(username=username).first()
            if user is None:
                raise CommandError(f"No active user {username!r}.")
            return user
        user = (
            users.filter(is_superuser=True).order_by("pk").first()
            or users.filter(groups__name=LEADS).order_by("pk").first()
        )
        if user is None:
            raise CommandError(
                "No superuser or marketing lead to own the brief: pass --user USERNAME."
            )
        return user

    # --- jobs ----------------------------------------------------------------------------

    def _run(self, job: ModelJob) -> ModelJob:
        """Run the job here; if a worker claimed it first, wait for that worker to finish."""
        ran = handlers.model_job_run(job.pk)
        if ran is not None:
            return ran
        deadline = time.monotonic() + WAIT_SECONDS
        job.refresh_from_db()
        if not job.finished:
            self.stderr.write(f"Job #{job.pk} was taken by a worker; waiting for it to finish.")
        while not job.finished and time.monotonic() < deadline:
            time.sleep(POLL_SECONDS)
            job.refresh_from_db()
        return job

    # --- output --------------------------------------------------------------------------

    def _print(self, report: dict) -> None:
        brief = report["brief"]
        self.stdout.write(
            f"Brief {brief['id']}: {brief['title']} · {brief['node']} · {brief['objective']}"
        )
        if brief["url"]:
            self.stdout.write(f"  {brief['url']}")
        ranking = report["ranking"]
        if ranking.get("rule_version") is not None:
            self.stdout.write(
                f"Ranked with rule {ranking['rule_id']} v{ranking['rule_version']} "
                f"by {ranking['metric']}."
            )
        elif ranking.get("message"):
            self.stdout.write(ranking["message"])

        self.stdout.write(f"\nReferences ({len(report['references'])}):")
        for ref in report["references"]:
            pin = " [pinned]" if ref["pinned"] else ""
            self.stdout.write(f"  {ref['rank']:>2}. image {ref['image_id']}{pin}: {ref['reason']}")
        if not report["references"]:
            self.stdout.write("  (none)")

        prompt = report["prompt"]
        if prompt:
            self.stdout.write(f"\nPrompt (version {prompt['version']}, {prompt['source']}):")
            self.stdout.write(f"  {prompt['positive']}")
            self.stdout.write("Negative prompt:")
            self.stdout.write(f"  {prompt['negative']}")
            if prompt["fallback_reason"]:
                self.stdout.write(f"  Note: {prompt['fallback_reason']}")
        else:
            self.stdout.write("\nNo prompt was written.")

        job = report["job"]
        images = report["images"]
        self.stdout.write(
            f"\nImages ({len(images)}; job #{job['id']} {job['status']}, {job['seconds']:.1f} s):"
        )
        for image in images:
            self.stdout.write(f"  seed {image['seed']}: {image['file']}")
        if not images:
            self.stdout.write(f"  No images: {job['error'] or 'the job made none.'}")
            if job["how_to_fix"]:
                self.stdout.write(f"  What to do: {job['how_to_fix']}")
        self.stdout.write(f"\nDone in {report['seconds']:.1f} s.")


def _report(brief: Brief, job: ModelJob, *, seconds: float) -> dict:
    """Everything the command prints, as plain data (what --json writes)."""
    brief.refresh_from_db()
    prompt = brief.latest_prompt
    ranking = brief.ranking or {}
    images = GeneratedImage.objects.filter(batch__job=job).order_by("index")
    return {
        "brief": {
            "id": brief.pk,
            "title": brief.title,
            "node": brief.node.slug,
            "objective": brief.objective,
            "owner": brief.owner.get_username(),
            "url": _absolute("brief_detail", brief.pk),
        },
        "ranking": {
            "rule_id": brief.ranking_rule_id,
            "rule_version": brief.ranking_rule_version,
            "metric": ranking.get("metric"),
            "message": ranking.get("message_en", ""),
        },
        "references": [
            {
                "rank": rank,
                "image_id": ref.image_id,
                "pinned": ref.pinned,
                "reason": ref.reason_en,
                "reason_es": ref.reason_es,
            }
            for rank, ref in enumerate(
                brief.references.filter(excluded=False).order_by("-pinned", "order", "pk"),
                start=1,
            )
        ],
        "prompt": None
        if prompt is None
        else {
            "version": prompt.number,
            "source": prompt.source,
            "positive": prompt.positive,
            "negative": prompt.negative,
            "fallback_reason": prompt.fallback_reason,
        },
        "job": {
            "id": job.pk,
            "status": job.status,
            "backend": job.backend,
            "model_id": job.model_id,
            "attempts": job.attempts,
            "error": job.error,
            "how_to_fix": job.how_to_fix,
            "seconds": job.elapsed.total_seconds(),
        },
        "images": [
            {
                "id": image.pk,
                "index": image.index,
                "seed": image.seed,
                "width": image.width,
                "height": image.height,
                "file": _file_location(image),
            }
            for image in images
        ],
        "seconds": seconds,
    }


def _file_location(image: GeneratedImage) -> str:
    """A local path when storage has one, else the storage URL (S3: a signed address)."""
    try:
        return image.file.path
    except NotImplementedError:
        return image.file.url


def _absolute(name: str, pk: int) -> str:
    try:
        path = reverse(name, args=[pk])
    except NoReverseMatch:
        return ""
    base = getattr(settings, "YENNI_BASE_URL", "") or "http://127.0.0.1:8000"
    return base.rstrip("/") + path


def _validation_text(exc: ValidationError) -> str:
    if hasattr(exc, "message_dict"):
        return "; ".join(
            f"{field}: {' '.join(messages)}" for field, messages in exc.message_dict.items()
        )
    return " ".join(exc.messages)
