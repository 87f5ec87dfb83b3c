"""Create an agency share link for a brief and print its URL, or revoke a brief's links."""

from __future__ import annotations

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.urls import reverse
from django.utils import timezone

from generation.models import Brief
from generation.sharing import links as sharing

DEFAULT_DAYS = 14
FALLBACK_BASE_URL = "http://127.0.0.1:8000"


class Command(BaseCommand):
    help = (
        "Print a new read-only share link for brief ID (the token is shown only now), or "
        "with --revoke withdraw the brief's active links (only the agency's with --agency)."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("brief_id", type=int, metavar="ID", help="The brief's id.")
        parser.add_argument("--agency", help="Who the link is for (required unless --revoke).")
        parser.add_argument(
            "--days",
            type=int,
            default=DEFAULT_DAYS,
            help=f"How long the link works, 1 to {sharing.MAX_DAYS} days (default {DEFAULT_DAYS}).",
        )
        parser.add_argument(
            "--figures",
            action="store_true",
            help="Show the references' results (estimates, impressions, spend, …) to the agency.",
        )
        parser.add_argument(
            "--base-url",
            help="Start of the printed URL (default: YENNI_BASE_URL, else http://127.0.0.1:8000).",
        )
        parser.add_argument("--revoke", action="store_true", help="Revoke instead of creating.")

    def handle(self, *args, **options) -> None:
        brief = Brief.objects.filter(pk=options["brief_id"]).first()
        if brief is None:
            raise CommandError(f"No brief with id {options['brief_id']}.")
        if options["revoke"]:
            self._revoke(brief, options["agency"])
            return
        if not options["agency"] or not options["agency"].strip():
            raise CommandError("Name the agency the link is for: --agency NAME.")
        try:
            link, token = sharing.share_link_create(
                brief=brief,
                agency=options["agency"],
                days=options["days"],
                show_figures=options["figures"],
            )
        except ValueError as exc:
            raise CommandError(str(exc)) from exc
        base = (
            options["base_url"] or getattr(settings, "YENNI_BASE_URL", "") or FALLBACK_BASE_URL
        ).rstrip("/")
        figures = "with figures" if link.show_figures else "without figures"
        expires = timezone.localtime(link.expires_at).strftime("%Y-%m-%d %H:%M")
        self.stderr.write(
            f"Share link for {link.agency} on brief {brief.pk} ({brief.title}), {figures}, "
            f"expires {expires}. The token is shown only now:"
        )
        # Alone on stdout, so scripts can take it with $(…).
        self.stdout.write(base + reverse("share_page", args=[token]))

    def _revoke(self, brief: Brief, agency: str | None) -> None:
        now = timezone.now()
        links = brief.share_links.filter(revoked_at=None, expires_at__gt=now)
        if agency:
            links = links.filter(agency__iexact=agency.strip())
        revoked = 0
        for link in links:
            sharing.share_link_revoke(link)
            revoked += 1
        whose = f" for {agency.strip()}" if agency else ""
        noun = "link" if revoked == 1 else "links"
        self.stdout.write(f"Revoked {revoked} active {noun}{whose} on brief {brief.pk}.")
