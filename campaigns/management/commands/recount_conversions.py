from django.core.management.base import BaseCommand, CommandError

from campaigns.conversion_recount import conversion_recount_run
from campaigns.models import AdAccount, ConversionRecount


class Command(BaseCommand):
    help = (
        "Count accounts' conversions and leads again from the figures by type already stored, "
        "by each account's choice of types (or its platform's default), and refresh the "
        "ranking tables; no platform is asked. Run it after changing YENNI_META_CONVERSION_"
        "ACTIONS, YENNI_META_LEAD_ACTIONS or YENNI_X_CONVERSION_METRICS. Exits with an error "
        "when any account's recount failed (its figures are then left as they were)."
    )

    def add_arguments(self, parser) -> None:
        which = parser.add_mutually_exclusive_group(required=True)
        which.add_argument("--account", help="The account with this platform id (act_123, …).")
        which.add_argument("--all", action="store_true", help="Every account.")
        parser.add_argument("--platform", help="Only accounts of this platform (meta, x, …).")

    def handle(self, *args, **options) -> None:
        accounts = AdAccount.objects.select_related("platform").order_by("platform__slug", "pk")
        if options["platform"]:
            accounts = accounts.filter(platform__slug=options["platform"])
        if options["account"]:
            accounts = accounts.filter(external_id=options["account"])
        accounts = list(accounts)
        if not accounts:
            raise CommandError("No account matches.")
        read = changed = 0
        failed = []
        for account in accounts:
            recount = conversion_recount_run(
                recount=ConversionRecount.objects.create(account=account)
            )
            label = f"{account.name} ({account.platform.name} {account.external_id})"
            if recount.status == ConversionRecount.Status.FAILED:
                failed.append(label)
                self.stdout.write(
                    self.style.ERROR(f"{label}: failed, nothing changed — {recount.error}")
                )
                continue
            read += recount.rows_read
            changed += recount.rows_changed
            counted = ", ".join(recount.choice["conversions"]) or "nothing"
            leads = ", ".join(recount.choice["leads"]) or "nothing"
            line = (
                f"{label}: {recount.rows_read} daily rows read, {recount.rows_changed} changed; "
                f"conversions count {counted}; leads count {leads}"
            )
            self.stdout.write(self.style.SUCCESS(line))
            if recount.rows_without_types:
                self.stdout.write(
                    self.style.WARNING(
                        f"    daily rows without types, kept as they were (CSV files, or "
                        f"stored before every type was kept): {recount.rows_without_types}; "
                        "`manage.py ingest_replay` fills them from the raw archive."
                    )
                )
            if recount.error:
                self.stdout.write(self.style.WARNING(f"    {recount.error}"))
        done = len(accounts) - len(failed)
        self.stdout.write(
            f"Recounted {done} of {len(accounts)} accounts: {read} daily rows read, "
            f"{changed} changed; ranking tables refreshed for the accounts that changed."
        )
        if failed:
            raise CommandError(f"The recount failed for: {'; '.join(failed)}.")
