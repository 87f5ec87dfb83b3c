"""Describe stored images with the configured (or a named) describe backend, in this process."""

from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError

from generation.backends.base import BackendUnavailable
from generation.backends.runtime import BACKENDS
from generation.descriptions import describe_config, images_describe
from yenni_site.progress import Progress


class Command(BaseCommand):
    help = (
        "Describe images: by default (--pending) every image this backend and model have not "
        "described yet; --all describes every image again and replaces those descriptions."
    )

    def add_arguments(self, parser) -> None:
        which = parser.add_mutually_exclusive_group()
        which.add_argument(
            "--pending",
            action="store_true",
            help="Only images without a description from this backend and model (the default).",
        )
        which.add_argument(
            "--all", action="store_true", help="Every image, replacing existing descriptions."
        )
        parser.add_argument(
            "--backend",
            choices=sorted(BACKENDS["describe"]),
            help="Use this backend instead of YENNI_DESCRIBE_BACKEND.",
        )
        parser.add_argument("--batch-size", type=int, help="Images per model call.")
        parser.add_argument("--quiet", action="store_true", help="No progress bar.")

    def handle(self, *args, **options) -> None:
        if options["batch_size"] is not None and options["batch_size"] < 1:
            raise CommandError("--batch-size must be 1 or more.")
        config = describe_config(options["backend"])
        # tqdm writes to the stream itself (OutputWrapper.write would add a newline to each redraw).
        progress = Progress(None if options["quiet"] else self.stderr._out)
        try:
            summary = images_describe(
                config=config,
                redo=options["all"],
                batch_size=options["batch_size"],
                progress=progress,
            )
        except BackendUnavailable as exc:
            raise CommandError(f"{exc.message}\n{exc.how_to_fix}".strip()) from exc
        self.stdout.write(
            f"Described {summary.described:,} images with {summary.backend} "
            f"({summary.model_id}) in {summary.seconds:.1f} s "
            f"({summary.images_per_second:.1f} images/s; model load {summary.load_seconds:.1f} s)."
        )
        if summary.failed:
            for image_id, error in sorted(summary.failed.items())[:20]:
                self.stderr.write(f"  image {image_id}: {error}")
            raise CommandError(
                f"{len(summary.failed)} images could not be described (listed above); the "
                "others were saved. Fix or re-ingest those files and run the command again."
            )
