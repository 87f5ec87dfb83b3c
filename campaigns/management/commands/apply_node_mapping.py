from django.core.management.base import BaseCommand

from campaigns.services import node_mapping_apply


class Command(BaseCommand):
    help = "Re-apply the node mapping rules to every campaign (campaigns set by hand keep theirs)."

    def handle(self, *args, **options) -> None:
        result = node_mapping_apply()
        self.stdout.write(
            f"{result.examined} campaigns examined, {result.changed} changed, "
            f"{result.unmapped} without a node."
        )
