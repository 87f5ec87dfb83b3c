import contextlib
import json
import sys

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
        if options["json"]:
            # Only the JSON on stdout, so `rank --json | jq` and json.loads(stdout) work: anything
            # printed on the way (a library's log line, a warning) goes to stderr.
            with contextlib.redirect_stdout(sys.stderr):
                _node, ranking = self._rank(options)
            with translation.override(options["lang"]):
                summary = self._summary(ranking)
            self.stdout.write(json.dumps(summary, indent=2))
            return
        node, ranking = self._rank(options)
        with translation.override(options["lang"]):
            self._write_ranking(node, options["objective"], ranking)

    def _rank(self, options) -> tuple[Node, BriefRanking]:
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
        return node, ranking

    @staticmethod
    def _summary(ranking: BriefRanking) -> dict:
        """The whole answer: which rule and version, how many pieces were considered and
        passed, the message in --lang (both languages stay under message_es / message_en),
        and the references."""
        data = ranking.as_dict()
        summary = {
            "node": data.pop("node"),
            "objective": data.pop("objective"),
            "rule": {"id": data.pop("rule_id"), "version": data.pop("rule_version")},
            "considered": data.pop("considered"),
            "passed": data.pop("passed"),
            "message": in_page_language(es=ranking.message_es, en=ranking.message_en),
        }
        return {**summary, **data}

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
