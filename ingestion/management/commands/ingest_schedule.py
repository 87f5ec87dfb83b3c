import datetime as dt
from zoneinfo import ZoneInfo

from django.core.management.base import BaseCommand
from django.utils import timezone
from django_q.models import Schedule

SCHEDULE_NAME = "yenni-ingest-daily"
RUN_AT = dt.time(7, 0)
RUN_ZONE = ZoneInfo("America/Bogota")


def next_run_after(now: dt.datetime) -> dt.datetime:
    """The next 07:00 in Bogotá (no daylight saving there, so every 24 h stays at 07:00)."""
    local = now.astimezone(RUN_ZONE)
    candidate = dt.datetime.combine(local.date(), RUN_AT, tzinfo=RUN_ZONE)
    if candidate <= local:
        candidate += dt.timedelta(days=1)
    return candidate


class Command(BaseCommand):
    help = (
        "Create or update the django-q2 schedule that syncs every active account daily at "
        "07:00 America/Bogota. Safe to run again: it keeps one schedule."
    )

    def handle(self, *args, **options) -> None:
        schedule, created = Schedule.objects.update_or_create(
            name=SCHEDULE_NAME,
            defaults={
                "func": "ingestion.tasks.ingestion_all_accounts_task",
                "schedule_type": Schedule.DAILY,
                "repeats": -1,
                "next_run": next_run_after(timezone.now()),
            },
        )
        verb = "Created" if created else "Updated"
        self.stdout.write(
            f"{verb} schedule “{schedule.name}”: next run "
            f"{schedule.next_run.astimezone(RUN_ZONE):%Y-%m-%d %H:%M} America/Bogota, then daily."
        )
