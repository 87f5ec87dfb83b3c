import json

from django.core.management.base import BaseCommand, CommandError
from django.utils import translation

from campaigns.management.arguments import iso_date
from campaigns.models import Node, Objective
from campaigns.ranking.selectors import (
    BriefRanking,
    NoRuleError,
    StaleRankingError,
    brief_ranking,
)
from yenni_site.language import in_page_language


class Command(BaseCommand):
    help = "Rank a node's past pieces for an objective under its ranking rule."

    def add_arguments(self, parser) -> None:
        parser.add_argument("--node", required=True, help="Node slug, e.g. wompi.")
        parser.add_argument("--objective", required=True, choices=Objective.values)
        parser.add_argument("--top", type=int, default=None, help="References to return.")
        parser.add_argument("--as-of", type=iso_date, default=None, help="Window end (YYYY-MM-DD).")
        parser.add_argument("--json", action="store_true", help="Print JSON.")
        parser.add_argument("--lang", choices=["es", "en"], default="es")

    def handle(self, *args, **options) -> None:
        try:
            node = Node.objects.get(slug=options["node"])
        except Node.DoesNotExist as exc:
            known = ", ".join(Node.objects.values_list("slug", flat=True)) or "none"
            raise CommandError(f"Unknown node {options['node']!r}. Known nodes: {known}.") from exc
        if options["top"] is not None and not 1 <= options["top"] <= 50:
            raise CommandError("--top must be between 1 and 50.")
        try:
            ranking = brief_ranking(
                node=node,
                objective=options["objective"],
                top_n=options["top"],
                as_of=options["as_of"],
            )
        except (NoRuleError, StaleRankingError) as exc:
            # Stale tables would rank without the latest results: refuse, non-zero exit.
            raise CommandError(str(exc)) from exc

        if options["json"]:
            self.stdout.write(json.dumps(ranking.as_dict()["references"], indent=2))
            message = ranking.message_en
            if message:
                self.stderr.write(message)
            return
        with translation.override(options["lang"]):
            self._write_ranking(node, options["objective"], ranking)

    def _write_ranking(self, node: Node, objective: str, ranking: BriefRanking) -> None:
        self.stdout.write(
            f"{node.name} · {objective} · rule v{ranking.rule_version} "
            f"({ranking.metric}) · {ranking.window_start} → {ranking.window_end}"
        )
        for ref in ranking.references:
            text = in_page_language(es=ref.reason_es, en=ref.reason_en)
            self.stdout.write(f"  {ref.order}. image {ref.image_id}: {text}")
        message = in_page_language(es=ranking.message_es, en=ranking.message_en)
        if message:
            self.stdout.write(message)
