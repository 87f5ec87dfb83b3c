"""The full ranking: every piece of a node × objective that passes its rule, in order, and tiers.

A brief gets a few references, thinned so that they look different (campaigns.ranking.selectors).
The insights page, the creative page and the library's tier filter need the whole order: the
same pieces, window, gates and positions, without the diversity filter. The tier cut (best and
worst fifths) is here too, so a piece shows the same tier on every page.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.utils import timezone

from campaigns.calendar import window_first_day
from campaigns.models import Node, RankingRule
from campaigns.ranking.metrics import METRICS, MetricSpec
from campaigns.ranking.pieces import PieceFigures, PieceSource
from campaigns.ranking.scoring import rank_pieces
from campaigns.ranking.selectors import near_copies_of, ranking_rule_for, rule_pieces, rule_spec
from creatives.models import CreativeImage

# A piece is in the top (bottom) tier when it ranks in the best (worst) fifth of the pieces that
# pass the rule's gates.
TIER_SHARE = 0.2


@dataclass(frozen=True)
class RankedPiece:
    """One piece that passed the gates, at its place in the rule's order (1 = best)."""

    image_id: int  # the image the piece is shown as
    member_image_ids: tuple[int, ...]  # its near-copies folded in, itself included
    position: int
    estimate: float
    lower: float
    upper: float
    observed: float | None  # the piece's own raw figure (None: a cost with no events yet)
    figures: PieceFigures


@dataclass(frozen=True)
class FullRanking:
    node: Node
    objective: str
    rule: RankingRule
    window_start: dt.date
    window_end: dt.date
    considered: int
    pieces: list[RankedPiece]  # every piece that passed the gates, best first
    considered_image_ids: frozenset[int]
    # The table the pieces were read from. From the prebuilt window totals, each piece stands
    # under its first image only: its near-copies are not among the members.
    source: PieceSource

    @property
    def spec(self) -> MetricSpec:
        return METRICS[self.rule.metric]

    @property
    def passed(self) -> int:
        return len(self.pieces)

    def tier(self, position: int) -> str:
        return tier_of(position, self.passed)

    def find(self, image: CreativeImage) -> RankedPiece | None:
        """The piece this image counts in: itself, or the near-copy group it was folded into."""
        wanted = {image.pk, image.near_duplicate_of_id} - {None}
        for piece in self.pieces:
            if wanted & {piece.image_id, *piece.member_image_ids}:
                return piece
        return None

    def counts(self, image: CreativeImage) -> bool:
        """Whether the image had results in the rule's window (passing the gates or not)."""
        return bool({image.pk, image.near_duplicate_of_id} & self.considered_image_ids)


def tier_of(position: int, passed: int) -> str:
    """Return "top", "middle" or "bottom": the best and worst fifths, at least one piece each."""
    band = max(1, round(passed * TIER_SHARE))
    if position <= band:
        return "top"
    if position > passed - band:
        return "bottom"
    return "middle"


def full_ranking(
    *, node: Node, objective: str, rule: RankingRule | None = None, as_of: dt.date | None = None
) -> FullRanking:
    """Rank every piece of the node and objective under its rule (raises NoRuleError).

    Reads the same tables as `brief_ranking` (the prebuilt window totals when they hold the
    rule's window, else the weekly rollup), so positions here match a brief's reasons.
    """
    rule = rule or ranking_rule_for(node=node, objective=objective)
    window_end = as_of or timezone.localdate()
    table = rule_pieces(rule=rule, node=node, objective=objective, as_of=window_end)
    # Every piece, and no diversity filter (a distance of -1 never matches): the insights
    # need the whole order, not a visibly varied handful.
    result = rank_pieces(table, rule_spec(rule, top_n=max(len(table), 1)), diverse_distance=-1)
    pieces = [
        RankedPiece(
            image_id=ref.piece.image_id,
            member_image_ids=ref.piece.members,
            position=ref.position,
            estimate=ref.estimate.point,
            lower=ref.estimate.lower,
            upper=ref.estimate.upper,
            observed=ref.estimate.observed,
            figures=ref.piece,
        )
        for ref in result.references
    ]
    return FullRanking(
        node=node,
        objective=objective,
        rule=rule,
        window_start=window_first_day(window_days=rule.window_days, as_of=window_end),
        window_end=window_end,
        considered=result.considered,
        pieces=pieces,
        considered_image_ids=table.image_ids_named(),
        source=table.source,
    )


def image_tiers(ranking: FullRanking) -> dict[int, str]:
    """Each image's tier: its piece's ("top", "middle", "bottom"), or "thin" for an image that
    ran in the window but whose piece misses a gate. A piece's near-copies share its tier."""
    if not ranking.considered_image_ids:
        return {}
    tiers: dict[int, str] = {}
    for piece in ranking.pieces:
        tier = ranking.tier(piece.position)
        for member in piece.member_image_ids:
            tiers[member] = tier
    for image_id in ranking.considered_image_ids:
        tiers.setdefault(image_id, "thin")
    if not ranking.source.lists_near_copies:
        for lead, copies in near_copies_of(tiers).items():
            for image_id in copies:
                tiers.setdefault(image_id, tiers[lead])
    return tiers
