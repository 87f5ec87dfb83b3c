"""Workflows that write to the ad history."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from django.db import transaction

from campaigns.models import Campaign, NodeMappingRule, RankingRule, RankingRuleVersion
from campaigns.rollups import image_ids_for_campaigns, image_rollup_refresh


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
        if to_update:
            # Ranking reads results per node: moved campaigns move their images' results.
            image_rollup_refresh(image_ids=image_ids_for_campaigns(c.pk for c in to_update))
    changed = len(to_update)
    return NodeMappingResult(examined=examined, changed=changed, unmapped=unmapped)


def ranking_rule_save(*, rule: RankingRule, user=None) -> RankingRuleVersion | None:
    """Save a rule and record a new version with who changed what; None if nothing changed."""
    with transaction.atomic():
        latest = (
            RankingRuleVersion.objects.select_for_update()
            .filter(rule_id=rule.pk)
            .order_by("-version")
            .first()
            if rule.pk
            else None
        )
        state = rule.snapshot()
        before = latest.state if latest else {}
        changes = {
            name: [before.get(name), value]
            for name, value in state.items()
            if not latest or before.get(name) != value
        }
        if latest and not changes:
            rule.save()
            return None
        rule.version = latest.version + 1 if latest else 1
        rule.updated_by = user
        rule.save()
        return RankingRuleVersion.objects.create(
            rule=rule,
            version=rule.version,
            state=state,
            changes=changes if latest else {},
            changed_by=user,
        )
