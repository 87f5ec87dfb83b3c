from django.core.management.base import BaseCommand, CommandError

from campaigns.management.arguments import iso_date
from ingestion.models import IngestionRun
from ingestion.services import ingestion_run_account, ingestion_runs_queue
from ingestion.services.checks import account_check, accounts_to_check
from ingestion.workers import worker_name


class Command(BaseCommand):
    help = (
        "Sync active ad accounts from their platforms now. One account's failure does not stop "
        "the others; the command exits with an error when any run failed. --check only asks "
        "each account's platform one cheap question: token, access and API version."
    )

    def add_arguments(self, parser) -> None:
        parser.add_argument("--platform", help="Only this platform (meta, google_ads, …).")
        parser.add_argument("--account", help="Only the account with this platform id.")
        parser.add_argument(
            "--since", type=iso_date, help="Read metrics from this day instead of the bookmark."
        )
        parser.add_argument(
            "--check",
            action="store_true",
            help="Sync nothing: check each account's token, access and API version.",
        )

    def handle(self, *args, **options) -> None:
        if options["check"]:
            if options["since"]:
                raise CommandError("--since has no meaning with --check: a check reads no days.")
            self._check(platform=options["platform"], account=options["account"])
            return
        # The runs are this process's to start: should it die, the next `ingest` or schedule
        # closes the ones it never reached (see ingestion/services/heartbeat.py).
        runs = ingestion_runs_queue(
            platform=options["platform"],
            account_external_id=options["account"],
            since=options["since"],
            worker=worker_name(),
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

    def _check(self, *, platform: str | None, account: str | None) -> None:
        accounts = list(accounts_to_check(platform=platform, account_external_id=account))
        if not accounts:
            raise CommandError("No active account with a connector matches.")
        failed = []
        for number, ad_account in enumerate(accounts, start=1):
            result = account_check(account=ad_account)
            line = (
                f"[{number}/{len(accounts)}] {result.platform} {result.account} · API "
                f"{result.version or '—'} · {'ok' if result.ok else 'FAILED'}: {result.summary}"
            )
            self.stdout.write(self.style.SUCCESS(line) if result.ok else self.style.ERROR(line))
            if result.advice:
                label = "Note" if result.ok else "What to do"
                self.stdout.write(f"    {label}: {result.advice}")
            if not result.ok:
                failed.append(result.account)
        if failed:
            raise CommandError(
                f"{len(failed)} of {len(accounts)} accounts failed the check: " + ", ".join(failed)
            )
