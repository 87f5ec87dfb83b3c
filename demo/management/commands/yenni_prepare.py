"""Everything `scripts/run.sh` does before serving, in one process, with each stage timed.

    python manage.py yenni_prepare [--demo-args "--seed 7 --months 6"] [--no-demo] [--no-describe]

migrate (when a migration is pending), createcachetable, collectstatic (when a static file
changed), the demo history into an empty catalog, describing images not described yet (unless
--no-describe), the demo users and the daily ingestion schedule. Progress goes to stderr; stdout
gets the demo users' sign-in lines and, last, one line "Stages: migrate 0.2 s (up to date), …"
that run.sh prints in its "Ready in" summary. Lives in the demo app because it loads the demo:
no app imports it.
"""

from __future__ import annotations

import contextlib
import io
import os
import shlex
import time
import traceback

from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError, CommandParser

from campaigns.models import Campaign
from creatives.models import Creative, CreativeImage
from yenni_site.prepare import StageTimes, collectstatic_if_changed, migrate_if_pending

STAGES_PREFIX = "Stages: "
STARTED_ENV = "YENNI_PREPARE_STARTED"


def catalog_is_empty() -> bool:
    """No campaign, creative or image: the only catalog the demo may be loaded into."""
    return not (
        Campaign.objects.exists() or Creative.objects.exists() or CreativeImage.objects.exists()
    )


class Command(BaseCommand):
    help = (
        "Prepare this checkout to serve, as scripts/run.sh does: migrate, cache table, static "
        "files, demo history (into an empty catalog), descriptions, demo users, ingestion "
        "schedule; prints each stage's seconds."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--demo-args",
            default="",
            help='Extra yenni_demo arguments as one string, e.g. "--seed 7 --months 6".',
        )
        parser.add_argument("--no-demo", action="store_true", help="Do not load the demo history.")
        parser.add_argument(
            "--no-describe",
            action="store_true",
            help=(
                "Leave describing to a later `describe_images --pending` (run.sh runs it in the "
                "background once the site serves; a brief describes its references itself)."
            ),
        )

    def handle(self, *args, **options) -> None:
        times = StageTimes()
        # run.sh passes when it started this process: the Python and Django start-up is a stage.
        started = os.environ.get(STARTED_ENV, "").replace(",", ".")
        with contextlib.suppress(ValueError):
            # The process's CPU seconds so far: the interpreter, Django and the apps' imports.
            times.add("start-up", max(0.0, time.time() - float(started)), cpu=time.process_time())
        with times.stage("migrate") as note:
            self._say("Applying database migrations")
            note["note"] = migrate_if_pending()
        with times.stage("cache table"):
            call_command("createcachetable", verbosity=0)
        with times.stage("collectstatic") as note:
            note["note"] = collectstatic_if_changed()
        if not options["no_demo"]:
            with times.stage("demo history") as note:
                note["note"] = self._load_demo(options["demo_args"])
        if not options["no_describe"]:
            with times.stage("describe") as note:
                note["note"] = self._describe()
        with times.stage("users"):
            users = io.StringIO()
            call_command("yenni_demo_users", stdout=users)
        with times.stage("schedule"):
            call_command("ingest_schedule", stdout=io.StringIO())
        self.stdout.write(users.getvalue().rstrip("\n"))
        self.stdout.write(STAGES_PREFIX + times.summary())

    def _say(self, message: str) -> None:
        self.stderr.write(f"==> {message}")

    def _load_demo(self, demo_args: str) -> str:
        if not catalog_is_empty():
            self._say("The catalog already holds ad history: demo history not loaded")
            return "already loaded"
        self._say("Loading the demo ad history (first run only)")
        try:
            call_command("yenni_demo", *shlex.split(demo_args), stdout=self.stderr._out)
        except Exception as exc:  # any failure: serve without the demo, as before
            self.stderr.write(traceback.format_exc())
            self.stderr.write(
                f"Warning: loading the demo history failed ({exc}). Yenni starts without it; "
                "run '.venv/bin/python manage.py yenni_demo --help' to retry by hand."
            )
            return "failed"
        return "loaded"

    def _describe(self) -> str:
        output = io.StringIO()
        try:
            call_command("describe_images", pending=True, quiet=True, stdout=output)
        except Exception as exc:  # any failure: serve anyway, as before
            if not isinstance(exc, CommandError):
                self.stderr.write(traceback.format_exc())
            self.stderr.write(
                f"Warning: describing images failed ({exc}); briefs still work. Retry with "
                "'.venv/bin/python manage.py describe_images --pending'."
            )
            return "failed"
        # "Described 1,590 images with heuristic (…) in 20.1 s (…)." or 0 on later runs.
        words = output.getvalue().split()
        return f"{words[1]} images" if len(words) > 1 and words[0] == "Described" else ""
