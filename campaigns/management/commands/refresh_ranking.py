from django.core.management.base import BaseCommand, CommandError
from django.db.models import Q

from campaigns.models import AdAccount, Node
from campaigns.rollups import RollupError, ranking_refresh


class Command(BaseCommand):
    help = (
        "Rebuild the ranking tables from the daily metrics: everything, one account's images or "
        "one node's. Run it when rank or a brief says the ranking results are out of date."
    )

    def add_arguments(self, parser) -> None:
        parser.add_argument("--account", help="Account id, external id or exact name.")
        parser.add_argument("--node", help="Node slug, e.g. wompi.")

    def handle(self, *args, **options) -> None:
        account = node = None
        if options["account"]:
            wanted = options["account"]
            match = Q(external_id=wanted) | Q(name=wanted)
            if wanted.isdigit():
                match |= Q(pk=int(wanted))
            account = AdAccount.objects.filter(match).first()
            if account is None:
                raise CommandError(f"Unknown account {wanted!r}.")
        if options["node"]:
            node = Node.objects.filter(slug=options["node"]).first()
            if node is None:
                known = ", ".join(Node.objects.values_list("slug", flat=True)) or "none"
                raise CommandError(f"Unknown node {options['node']!r}. Known nodes: {known}.")
        try:
            result = ranking_refresh(account=account, node=node)
        except RollupError as exc:
            raise CommandError(str(exc)) from exc
        scope = "every image" if result.images is None else f"{result.images:,} images"
        self.stdout.write(
            f"Ranking tables refreshed for {scope}: {result.rollup_rows:,} weekly rollup rows "
            f"rebuilt, {result.piece_weeks:,} piece weeks in all, in {result.seconds:.1f} s."
        )
