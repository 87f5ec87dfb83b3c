from django.core.management.base import BaseCommand, CommandError

from campaigns.management.arguments import iso_date
from campaigns.models import AdAccount
from ingestion.models import IngestionRun
from ingestion.services import ingestion_replay


class Command(BaseCommand):
    help = (
        "Re-parse the raw archive of one account, fetched between two days (UTC), into the "
        "catalog, without calling the platform. Use it after a parser fix."
    )

    def add_arguments(self, parser) -> None:
        parser.add_argument("--platform", required=True)
        parser.add_argument("--account", required=True, help="The account's platform id.")
        parser.add_argument("--from", dest="date_from", required=True, type=iso_date)
        parser.add_argument("--to", dest="date_to", required=True, type=iso_date)

    def handle(self, *args, **options) -> None:
        if options["date_from"] > options["date_to"]:
            raise CommandError("--from must not be after --to.")
        try:
            account = AdAccount.objects.select_related("platform").get(
                platform__slug=options["platform"], external_id=options["account"]
            )
        except AdAccount.DoesNotExist as exc:
            raise CommandError(
                f"No {options['platform']} account with id {options['account']}."
            ) from exc
        run = ingestion_replay(
            account=account,
            date_from=options["date_from"],
            date_to=options["date_to"],
            progress=self.stdout.write,
        )
        summary = (
            f"Replay #{run.pk}: {run.fetched_count} records, {run.created_count} created, "
            f"{run.updated_count} updated."
        )
        if run.status == IngestionRun.Status.FAILED:
            raise CommandError(f"{summary} Failed: {run.error}")
        if run.error:
            self.stdout.write(self.style.WARNING(run.error))
        self.stdout.write(self.style.SUCCESS(summary))
