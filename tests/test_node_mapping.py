"""Mapping rules send campaigns to nodes: by priority, by pattern, by account, then by default."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError
from django.utils import translation

from campaigns.models import Campaign, NodeMappingRule
from campaigns.services import NodeMappingResult, node_mapping_apply
from tests.factories import make_account, make_campaign, make_node, make_rule

REGEX = NodeMappingRule.PatternKind.REGEX


def node_of(campaign: Campaign) -> tuple[object, str]:
    campaign.refresh_from_db()
    return campaign.node, campaign.node_source


def test_the_rule_with_the_lowest_priority_number_wins(db):
    first, second = make_node(), make_node()
    make_rule(node=second, pattern="compras", priority=20)
    make_rule(node=first, pattern="tu360", priority=10)
    campaign = make_campaign(name="Tu360Compras marzo")

    node_mapping_apply()

    assert node_of(campaign) == (first, Campaign.NodeSource.RULE)


def test_rules_of_equal_priority_apply_in_the_order_they_were_made(db):
    older, newer = make_node(), make_node()
    make_rule(node=older, pattern="compras", priority=10)
    make_rule(node=newer, pattern="marzo", priority=10)
    campaign = make_campaign(name="Compras marzo")

    node_mapping_apply()

    assert node_of(campaign) == (older, Campaign.NodeSource.RULE)


def test_a_contains_pattern_ignores_case(db):
    node = make_node()
    make_rule(node=node, pattern="TU360COMPRAS")
    campaign = make_campaign(name="Cuotas tu360compras navidad")

    node_mapping_apply()

    assert node_of(campaign) == (node, Campaign.NodeSource.RULE)


def test_a_regex_pattern_ignores_case(db):
    node = make_node()
    make_rule(node=node, pattern=r"^wompi\s+(links|pagos)$", kind=REGEX)
    matching = make_campaign(name="WOMPI Links")
    not_matching = make_campaign(name="Nuevo Wompi Links")

    node_mapping_apply()

    assert node_of(matching) == (node, Campaign.NodeSource.RULE)
    assert node_of(not_matching) == (None, Campaign.NodeSource.UNMAPPED)


def test_a_contains_pattern_is_not_read_as_a_regex(db):
    node = make_node()
    make_rule(node=node, pattern="2x1 (promo)")
    campaign = make_campaign(name="Gran 2X1 (PROMO) marzo")

    node_mapping_apply()

    assert node_of(campaign) == (node, Campaign.NodeSource.RULE)


def test_an_account_rule_takes_every_campaign_of_that_account_only(db):
    node = make_node()
    account, other_account = make_account(), make_account()
    make_rule(node=node, account=account)
    ours = make_campaign(account=account, name="Anything")
    theirs = make_campaign(account=other_account, name="Anything")

    node_mapping_apply()

    assert node_of(ours) == (node, Campaign.NodeSource.RULE)
    assert node_of(theirs) == (None, Campaign.NodeSource.UNMAPPED)


def test_a_rule_with_account_and_pattern_needs_both_to_match(db):
    node = make_node()
    account = make_account()
    make_rule(node=node, account=account, pattern="wompi")
    both = make_campaign(account=account, name="Wompi marzo")
    pattern_only = make_campaign(account=make_account(), name="Wompi marzo")
    account_only = make_campaign(account=account, name="Compras marzo")

    node_mapping_apply()

    assert [node_of(c)[0] for c in (both, pattern_only, account_only)] == [node, None, None]


def test_a_campaign_no_rule_matches_takes_its_accounts_default_node(db):
    default, ruled = make_node(), make_node()
    make_rule(node=ruled, pattern="compras")
    campaign = make_campaign(account=make_account(default_node=default), name="Links de pago")

    node_mapping_apply()

    assert node_of(campaign) == (default, Campaign.NodeSource.ACCOUNT)


def test_a_campaign_without_rule_or_default_stays_unmapped_and_is_counted(db):
    node = make_node()
    mapped = make_campaign(node=node, node_source=Campaign.NodeSource.RULE, name="Old")
    make_campaign(name="Nothing matches")

    result = node_mapping_apply()

    assert result == NodeMappingResult(examined=2, changed=1, unmapped=2)
    assert node_of(mapped) == (None, Campaign.NodeSource.UNMAPPED)


def test_inactive_rules_are_ignored(db):
    make_rule(node=make_node(), pattern="compras", active=False)
    campaign = make_campaign(name="Compras marzo")

    node_mapping_apply()

    assert node_of(campaign) == (None, Campaign.NodeSource.UNMAPPED)


def test_a_node_set_by_hand_is_kept_when_rules_are_reapplied(db):
    by_hand, ruled = make_node(), make_node()
    make_rule(node=ruled, pattern="compras")
    campaign = make_campaign(
        name="Compras marzo", node=by_hand, node_source=Campaign.NodeSource.MANUAL
    )

    result = node_mapping_apply()
    result_for_selection = node_mapping_apply(campaigns=Campaign.objects.filter(pk=campaign.pk))

    assert result == result_for_selection == NodeMappingResult(examined=0, changed=0, unmapped=0)
    assert node_of(campaign) == (by_hand, Campaign.NodeSource.MANUAL)


def test_reapplying_twice_changes_nothing_the_second_time(db):
    make_rule(node=make_node(), pattern="compras")
    make_campaign(name="Compras marzo")
    make_campaign(name="Compras abril")

    first = node_mapping_apply()
    second = node_mapping_apply()

    assert (first.changed, second.changed) == (2, 0)
    assert second.examined == 2


def test_an_invalid_regex_is_rejected_by_clean(db):
    rule = NodeMappingRule(node=make_node(), campaign_name_pattern="compras[", pattern_kind=REGEX)

    with pytest.raises(ValidationError) as error, translation.override("en"):
        rule.clean()

    assert error.value.message_dict == {
        "campaign_name_pattern": [
            "Not a valid regular expression: unterminated character set at position 7"
        ]
    }


def test_the_same_text_is_fine_as_a_contains_pattern(db):
    rule = NodeMappingRule(node=make_node(), campaign_name_pattern="compras[")

    rule.clean()

    assert rule.matches(account_id=1, campaign_name="COMPRAS[2024]") is True


def test_a_rule_without_account_or_pattern_is_rejected_by_clean(db):
    rule = NodeMappingRule(node=make_node())

    with translation.override("en"):  # the message is lazy: read it in English too
        with pytest.raises(ValidationError) as error:
            rule.clean()

        assert error.value.messages == ["Give an account, a campaign name pattern, or both."]
