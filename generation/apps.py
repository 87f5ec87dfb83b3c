from django.apps import AppConfig
from django.db.models.signals import post_migrate
from django.utils.translation import gettext_lazy as _

REAPER_SCHEDULE = "yenni-model-jobs-reaper"


class GenerationConfig(AppConfig):
    name = "generation"
    verbose_name = _("Briefs and generation")

    def ready(self) -> None:
        from creatives.signals import images_added
        from generation.briefs import selectors
        from generation.descriptions import images_added_receiver
        from library import extensions

        images_added.connect(images_added_receiver, dispatch_uid="generation-describe-new")
        extensions.page_context_add(extensions.BOARD_DETAIL, selectors.board_brief_choices)
        extensions.page_context_add(extensions.CREATIVE_DETAIL, selectors.image_brief_references)
        post_migrate.connect(_ensure_reaper_schedule, sender=self)


def _ensure_reaper_schedule(sender, using: str = "default", **kwargs) -> None:
    """Every few minutes, re-queue or fail model jobs whose worker died (generation.jobs.queue)."""
    from django_q.models import Schedule

    Schedule.objects.using(using).update_or_create(
        name=REAPER_SCHEDULE,
        defaults={
            "func": "generation.tasks.reap_model_jobs_task",
            "schedule_type": Schedule.MINUTES,
            "minutes": 5,
            "repeats": -1,
        },
    )
