from django.core.management.base import BaseCommand, CommandError

from campaigns.management.arguments import iso_date
from ingestion.models import IngestionRun
from ingestion.services import ingestion_run_account, ingestion_runs_queue


class Command(BaseCommand):
    help = (
        "Sync active ad accounts from their platforms now. One account's failure does not stop "
        "the others; the command exits with an error when any run failed."
    )

    def add_arguments(self, parser) -> None:
        parser.add_argument("--platform", help="Only this platform (meta, google_ads, …).")
        parser.add_argument("--account", help="Only the account with this platform id.")
        parser.add_argument(
            "--since", type=iso_date, help="Read metrics from this day instead of the bookmark."
        )

    def handle(self, *args, **options) -> None:
        runs = ingestion_runs_queue(
            platform=options["platform"],
            account_external_id=options["account"],
            since=options["since"],
        )
        if not runs:
            raise CommandError("No active account with a connector matches.")
        failed = []
        for number, run in enumerate(runs, start=1):
            prefix = f"[{number}/{len(runs)}] {run.account}"
            self.stdout.write(f"{prefix}: started (run #{run.pk})")
            run = ingestion_run_account(
                run=run, progress=lambda message, p=prefix: self.stdout.write(f"{p}: {message}")
            )
            seconds = run.duration.total_seconds() if run.duration else 0.0
            summary = (
                f"{prefix}: {run.status} in {seconds:.1f} s — "
                f"{run.fetched_count} fetched, {run.created_count} created, "
                f"{run.updated_count} updated, {run.api_calls} API calls, "
                f"{run.throttle_waits} waits ({run.waited_seconds:.1f} s), "
                f"{run.images_stored} images stored, {run.images_failed} failed"
            )
            if run.status == IngestionRun.Status.FAILED:
                failed.append(run)
                self.stdout.write(self.style.ERROR(f"{summary}\n    {run.error}"))
            else:
                self.stdout.write(self.style.SUCCESS(summary))
        if failed:
            raise CommandError(
                f"{len(failed)} of {len(runs)} runs failed: "
                + ", ".join(f"#{run.pk} {run.account}" for run in failed)
            )
