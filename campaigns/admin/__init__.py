"""Admin for the ad history, as marketing leads use it, one module per thing a lead looks after.

Leads edit what decides how the history is grouped and converted: `mapping` (nodes, node
mapping rules, a campaign's node and objective), `accounts` (platforms, ad accounts, exchange
rates) and `ranking_rules`. Everything else came from a platform and is read-only here
(`history`: ads and daily metrics): it is fixed at the source and re-ingested.
"""

from campaigns.admin import accounts, history, mapping, ranking_rules

__all__ = ["accounts", "history", "mapping", "ranking_rules"]
