"""Print a user's API token, creating it the first time; --rotate replaces it."""

from __future__ import annotations

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction
from rest_framework.authtoken.models import Token

from yenni_site.roles import uses_briefs


class Command(BaseCommand):
    help = (
        "Print the API token of an analyst or marketing lead (created the first time). "
        "Use it as the header `Authorization: Token <token>`. --rotate replaces the old one, "
        "which stops working at once."
    )

    def add_arguments(self, parser) -> None:
        parser.add_argument("username")
        parser.add_argument(
            "--rotate", action="store_true", help="Replace the token; the old one stops working."
        )

    def handle(self, *args, username: str, rotate: bool, **options) -> None:
        user = get_user_model().objects.filter(username=username).first()
        if user is None:
            raise CommandError(f"There is no user named {username!r}.")
        if not user.is_active:
            raise CommandError(f"{username} is deactivated; reactivate the account first.")
        # The API answers 403 to anyone else, so a token for them would only mislead.
        if not uses_briefs(user):
            raise CommandError(
                f"{username} is neither an analyst nor a marketing lead, so the API would refuse "
                "the token. Add the user to the Analysts or Marketing leads group first."
            )
        with transaction.atomic():
            if rotate:
                Token.objects.filter(user=user).delete()
            token, _created = Token.objects.get_or_create(user=user)
        # Only the key on stdout, so `TOKEN=$(python manage.py api_token ana)` works.
        self.stdout.write(token.key)
