"""The campaigns app's models, one module per responsibility, all importable from here.

`accounts` (platforms, accounts, nodes, mapping rules: what a lead edits to group the
history), `history` (campaigns, ads, daily metrics, exchange rates: what the platforms report),
`aggregates` (the weekly rollup and the cumulative piece weeks that ranking reads), `ranking_rules`
(rules and their versions) and `recounts` (conversion recounts after a lead changes which
types an account counts). Code imports them as `campaigns.models.X`, as before the split;
Django finds them through this module.
"""

from campaigns.models.accounts import AdAccount, Node, NodeMappingRule, Platform
from campaigns.models.aggregates import (
    ImageWeeklyRollup,
    PieceSeries,
    PieceWeek,
    RankingCoverage,
    RankingPending,
)
from campaigns.models.history import (
    DAILY_METRIC_FIGURES,
    Ad,
    Campaign,
    DailyMetric,
    ExchangeRate,
    Objective,
)
from campaigns.models.ranking_rules import (
    LOWER_IS_BETTER,
    RULE_FIELDS,
    RankingMetric,
    RankingRule,
    RankingRuleVersion,
)
from campaigns.models.recounts import ConversionRecount

__all__ = [
    "DAILY_METRIC_FIGURES",
    "LOWER_IS_BETTER",
    "RULE_FIELDS",
    "Ad",
    "AdAccount",
    "Campaign",
    "ConversionRecount",
    "DailyMetric",
    "ExchangeRate",
    "ImageWeeklyRollup",
    "Node",
    "NodeMappingRule",
    "Objective",
    "PieceSeries",
    "PieceWeek",
    "Platform",
    "RankingCoverage",
    "RankingMetric",
    "RankingPending",
    "RankingRule",
    "RankingRuleVersion",
]
