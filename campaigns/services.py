"""Workflows that write to the ad history."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from django.db import transaction

from campaigns.models import Campaign, NodeMappingRule


@dataclass(frozen=True)
class NodeMappingResult:
    examined: int
    changed: int
    unmapped: int


def node_for_campaign(
    *, campaign: Campaign, rules: Iterable[NodeMappingRule]
) -> tuple[int | None, str]:
    """Return the node id a campaign belongs to and what decided it.

    `rules` must be active rules in priority order; the first match wins, then the account's
    default node.
    """
    for rule in rules:
        if rule.matches(account_id=campaign.account_id, campaign_name=campaign.name):
            return rule.node_id, Campaign.NodeSource.RULE
    if campaign.account.default_node_id:
        return campaign.account.default_node_id, Campaign.NodeSource.ACCOUNT
    return None, Campaign.NodeSource.UNMAPPED


def node_mapping_apply(*, campaigns: Iterable[Campaign] | None = None) -> NodeMappingResult:
    """Re-apply the mapping rules to campaigns (all by default); hand-set nodes stay."""
    rules = list(NodeMappingRule.objects.filter(active=True).order_by("priority", "id"))
    if campaigns is None:
        campaigns = Campaign.objects.exclude(node_source=Campaign.NodeSource.MANUAL)
    if hasattr(campaigns, "select_related"):
        campaigns = campaigns.select_related("account").iterator(chunk_size=2000)
    examined = changed = unmapped = 0
    to_update: list[Campaign] = []
    for campaign in campaigns:
        if campaign.node_source == Campaign.NodeSource.MANUAL:
            continue
        examined += 1
        node_id, source = node_for_campaign(campaign=campaign, rules=rules)
        if node_id is None:
            unmapped += 1
        if campaign.node_id != node_id or campaign.node_source != source:
            campaign.node_id = node_id
            campaign.node_source = source
            to_update.append(campaign)
    with transaction.atomic():
        Campaign.objects.bulk_update(to_update, ["node", "node_source"], batch_size=1000)
    changed = len(to_update)
    return NodeMappingResult(examined=examined, changed=changed, unmapped=unmapped)
