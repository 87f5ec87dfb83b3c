"""Issue an API token for an analyst or a lead and print it once; --rotate and --revoke."""

from __future__ import annotations

import datetime as dt

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction
from django.utils import timezone
from knox.models import AuthToken
from knox.settings import knox_settings

from yenni_site.roles import uses_briefs

MAX_DAYS = 3650


class Command(BaseCommand):
    help = (
        "Issue a new API token for an analyst or marketing lead and print it, this once: Yenni "
        "keeps only a hash of it, so it cannot be shown again. Use it as the header "
        "`Authorization: Token <token>`. A user may hold several (one per script); --rotate "
        "revokes the user's other tokens, --revoke revokes them all and issues none."
    )

    def add_arguments(self, parser) -> None:
        parser.add_argument("username")
        parser.add_argument(
            "--rotate",
            action="store_true",
            help="Revoke the user's other tokens: they stop working at once.",
        )
        parser.add_argument(
            "--revoke",
            action="store_true",
            help="Revoke every token of the user and issue none.",
        )
        parser.add_argument(
            "--days",
            type=int,
            help="Days the new token works (default: YENNI_API_TOKEN_DAYS, 90).",
        )

    def handle(
        self, *args, username: str, rotate: bool, revoke: bool, days: int | None, **options
    ) -> None:
        user = get_user_model().objects.filter(username=username).first()
        if user is None:
            raise CommandError(f"There is no user named {username!r}.")
        if revoke:
            if rotate or days is not None:
                raise CommandError("--revoke issues no token: use it without --rotate or --days.")
            count, _by_model = AuthToken.objects.filter(user=user).delete()
            self.stderr.write(f"Revoked {count} token(s) of {username}.")
            return
        if not user.is_active:
            raise CommandError(f"{username} is deactivated; reactivate the account first.")
        # The API answers 403 to anyone else, so a token for them would only mislead.
        if not uses_briefs(user):
            raise CommandError(
                f"{username} is neither an analyst nor a marketing lead, so the API would refuse "
                "the token. Add the user to the Analysts or Marketing leads group first."
            )
        if days is not None and not 1 <= days <= MAX_DAYS:
            raise CommandError(f"--days must be between 1 and {MAX_DAYS}.")
        lifetime = dt.timedelta(days=days) if days is not None else knox_settings.TOKEN_TTL
        with transaction.atomic():
            if rotate:
                AuthToken.objects.filter(user=user).delete()
            else:
                AuthToken.objects.filter(user=user, expiry__lt=timezone.now()).delete()
            instance, token = AuthToken.objects.create(user=user, expiry=lifetime)
        # Only the token on stdout, so `TOKEN=$(python manage.py api_token ana)` works.
        self.stdout.write(token)
        expires = timezone.localtime(instance.expiry).strftime("%Y-%m-%d %H:%M %Z")
        self.stderr.write(
            f"Shown once: Yenni keeps only a hash of this token. It works until {expires}."
        )
