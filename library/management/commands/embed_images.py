"""Embed image descriptions for semantic search and "more like this", in this process."""

from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError

from library.embeddings import MODEL_ID, embed_described_images, images_lacking_embedding
from yenni_site.progress import Progress


class Command(BaseCommand):
    help = (
        "Embed the newest description of every described image whose vector is missing or was "
        f"made from another text, with {MODEL_ID} (bundled, CPU). --pending (the default) only "
        "looks at images with no vector yet; --all also re-checks every embedded image."
    )

    def add_arguments(self, parser) -> None:
        which = parser.add_mutually_exclusive_group()
        which.add_argument(
            "--pending",
            action="store_true",
            help="Only described images with no vector yet (the default).",
        )
        which.add_argument(
            "--all",
            action="store_true",
            help="Every described image; unchanged descriptions are skipped, changed ones redone.",
        )
        parser.add_argument("--batch-size", type=int, default=64, help="Texts per model call.")
        parser.add_argument("--quiet", action="store_true", help="No progress bar.")

    def handle(self, *args, **options) -> None:
        if options["batch_size"] < 1:
            raise CommandError("--batch-size must be 1 or more.")
        # tqdm writes to the stream itself (OutputWrapper.write would add a newline to each redraw).
        progress = Progress(None if options["quiet"] else self.stderr._out)
        ids = None if options["all"] else images_lacking_embedding()
        summary = embed_described_images(ids, progress=progress, batch_size=options["batch_size"])
        if summary.unavailable:
            raise CommandError(summary.unavailable)
        self.stdout.write(
            f"Embedded {summary.embedded:,} images with {summary.model_id} in "
            f"{summary.seconds:.1f} s ({summary.reused:,} reused a vector of the same text; "
            f"{summary.unchanged:,} unchanged; {summary.undescribed:,} not described yet)."
        )
