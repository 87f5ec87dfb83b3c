"""Fill the library's shared cache after a rollup rebuild (library.warm)."""

from __future__ import annotations

from django.core.management.base import BaseCommand

from library.warm import library_warm


class Command(BaseCommand):
    help = (
        "Sum the library's one-click scopes (whole catalog, nodes, objectives, platforms, "
        "node × objective) and rank every node × objective's tiers into the shared cache, so "
        "the first analyst after a rollup rebuild does not wait for them. Run after "
        "refresh_ranking."
    )

    def handle(self, *args, **options) -> None:
        summary = library_warm()
        self.stdout.write(
            f"Warmed {summary.scopes} scopes and {summary.tier_maps} tier maps "
            f"in {summary.seconds:.1f} s."
        )
