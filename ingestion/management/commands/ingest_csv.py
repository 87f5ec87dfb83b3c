from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from campaigns.models import AdAccount
from ingestion.models import IngestionRun
from ingestion.services import ingestion_csv_import


class Command(BaseCommand):
    help = (
        "Import a CSV file downloaded by hand (a Meta Ads Manager export with a breakdown by day, "
        "or a Google Ads report download) into an account, in one transaction."
    )

    def add_arguments(self, parser) -> None:
        parser.add_argument("file", type=Path)
        parser.add_argument("--platform", required=True, choices=["meta", "google_ads"])
        parser.add_argument("--account", required=True, help="The account's platform id.")

    def handle(self, *args, **options) -> None:
        path: Path = options["file"]
        try:
            data = path.read_bytes()
        except OSError as exc:
            raise CommandError(f"Cannot read {path}: {exc.strerror}.") from exc
        try:
            account = AdAccount.objects.select_related("platform").get(
                platform__slug=options["platform"], external_id=options["account"]
            )
        except AdAccount.DoesNotExist as exc:
            raise CommandError(
                f"No {options['platform']} account with id {options['account']}."
            ) from exc
        run = ingestion_csv_import(account=account, data=data, filename=path.name)
        if run.status == IngestionRun.Status.FAILED:
            raise CommandError(run.error)
        self.stdout.write(
            self.style.SUCCESS(
                f"Imported {run.fetched_count} rows from {path.name} ({run.window_start} – "
                f"{run.window_end}): {run.created_count} created, {run.updated_count} updated."
            )
        )
