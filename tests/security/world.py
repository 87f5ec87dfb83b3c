"""One small site with something behind every URL: users of each role and the objects they reach.

The URL matrix asks every address of the site as each role, so every path argument needs a real
object: the analyst's brief with references, a batch (one image picked), share links (active,
revoked, expired), a board, and one row of every model the admin lists.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from django.contrib import admin
from django.contrib.auth.models import Group, User
from django.contrib.contenttypes.models import ContentType
from django.utils import timezone

from campaigns.models import Ad, DailyMetric, Node, RankingRule
from generation.models import BrandGuideline, Brief, ModelJob, ShareLink, StylePreset
from library.models import Board, BoardItem
from tests.factories import make_account, make_exchange_rate, make_rule
from tests.web.share.helpers import _batch, _brief, _catalog, _share

ROLES = ("anonymous", "outsider", "analyst", "other_analyst", "lead", "superuser")


@dataclass
class World:
    """The users by role, and the ids that fill the URL patterns' arguments, by name."""

    users: dict[str, User | None]
    ids: dict[str, object] = field(default_factory=dict)


def _user(username: str, group: str | None, **flags) -> User:
    user = User.objects.create_user(
        username=username, email=f"{username}@example.co", password="s3cret-pass", **flags
    )
    if group:
        user.groups.add(Group.objects.get(name=group))
    return user


def _django_q_rows() -> dict[str, object]:
    """A queued task, a success, a failure and a schedule, so each django-q admin page has one."""
    from django_q.models import OrmQ, Schedule, Task
    from django_q.signing import SignedPackage

    now = timezone.now()
    payload = {"id": "matrix-queued", "name": "matrix-queued", "func": "math.floor", "args": (1,)}
    queued = OrmQ.objects.create(key="default", payload=SignedPackage.dumps(payload), lock=now)
    task = {"func": "math.floor", "started": now, "stopped": now, "args": (1,), "kwargs": {}}
    success = Task.objects.create(id="matrix-ok", name="matrix-ok", success=True, **task)
    failure = Task.objects.create(id="matrix-failed", name="matrix-failed", success=False, **task)
    schedule = Schedule.objects.create(
        name="matrix", func="math.floor", schedule_type=Schedule.DAILY, next_run=now
    )
    return {
        "django_q.ormq": queued.pk,
        "django_q.success": success.pk,
        "django_q.failure": failure.pk,
        "django_q.schedule": schedule.pk,
    }


def _third_party_rows() -> None:
    """A row for each admin page of the token store and the login throttle, when installed."""
    from django.apps import apps

    if apps.is_installed("axes"):
        from axes.models import AccessAttempt, AccessFailureLog, AccessLog

        seen = {
            "user_agent": "curl/8",
            "ip_address": "10.0.0.9",
            "username": "otto_outsider",
            "http_accept": "*/*",
            "path_info": "/accounts/login/",
        }
        AccessAttempt.objects.create(
            get_data="", post_data="username=otto_outsider", failures_since_start=1, **seen
        )
        AccessFailureLog.objects.create(**seen)
        AccessLog.objects.create(**seen)
    if apps.is_installed("knox"):
        from knox.models import AuthToken

        AuthToken.objects.create(User.objects.get(username="andres_analyst"))


def build_world() -> World:
    users = {
        "anonymous": None,
        "outsider": _user("otto_outsider", None),
        "analyst": _user("andres_analyst", "Analysts"),
        "other_analyst": _user("olga_analyst", "Analysts"),
        "lead": _user("lucia_lead", "Marketing leads", is_staff=True),
        "superuser": User.objects.create_superuser("sara_super", "sara@example.co", "s3cret-pass"),
    }
    world = World(users=users)

    # The analyst's brief on a ranked catalog, a batch with its first image picked, links.
    _catalog()
    brief = _brief(users["analyst"])
    images = _batch(brief, seed=11, count=2, picked=(0,))
    reference = brief.references.filter(excluded=False).select_related("image").first()
    link, token = _share(brief)
    revoked, revoked_token = _share(brief, agency="Agencia Sur")
    revoked.revoked_at = timezone.now()
    revoked.save(update_fields=["revoked_at"])
    expired, expired_token = _share(brief, agency="Agencia Este")
    ShareLink.objects.filter(pk=expired.pk).update(
        expires_at=timezone.now() - dt.timedelta(minutes=1)
    )
    board = Board.objects.create(owner=users["analyst"], name="Ideas")
    BoardItem.objects.create(board=board, image=reference.image)
    creative = reference.image.creatives.first()

    world.ids.update(
        brief=brief.pk,
        generated_image=images[0].pk,
        prompt_version=brief.latest_prompt.number,
        picked_image=images[0].pk,
        job=images[0].batch.job_id,
        reference_image=reference.image_id,
        catalog_image=reference.image_id,
        creative=creative.pk,
        link=link.pk,
        token=token,
        revoked_token=revoked_token,
        expired_token=expired_token,
        wrong_token="n0t-a-real-t0ken-" + token[:4],
        board=board.pk,
        user=users["analyst"].pk,
        api_rest="v1/no-such-endpoint/",
        admin_rest="no/such/page/",
    )

    # One row of every model the admin lists that the brief did not already make.
    node = Node.objects.first()
    account = make_account(default_node=node)
    make_rule(node=node, account=account)
    make_exchange_rate()
    RankingRule.objects.get_or_create(node=None, objective="traffic")
    node_guideline = BrandGuideline.objects.create(node=node, always_include="logo")
    StylePreset.objects.create(slug="photo", name_es="Foto", name_en="Photo", positive="photo")
    from ingestion.models import ImageFetchFailure, IngestionRun, SyncBookmark

    IngestionRun.objects.create(account=account)
    SyncBookmark.objects.create(account=account)
    ImageFetchFailure.objects.create(
        creative=creative, url="https://scontent.example.co/a.jpg", error="timed out"
    )
    _third_party_rows()
    extra = _django_q_rows()
    # A node's guideline, not the global default, which nobody may delete.
    extra["generation.brandguideline"] = node_guideline.pk
    for model in admin.site._registry:
        label = model._meta.label_lower
        row = model._default_manager.order_by("pk").first()
        # A model with no row here has none in world.ids: its admin rows fail, naming it.
        if label in extra or row is not None:
            world.ids[f"admin:{label}"] = extra.get(label) or row.pk
    # The admin's "view on site" for an object with an address (a brief) and without (a node).
    world.ids["content_type_brief"] = ContentType.objects.get_for_model(Brief).pk
    world.ids["content_type_node"] = ContentType.objects.get_for_model(Node).pk
    world.ids["node"] = node.pk
    assert Ad.objects.exists() and DailyMetric.objects.exists() and ModelJob.objects.exists()
    return world
