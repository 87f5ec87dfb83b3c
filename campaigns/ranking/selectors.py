"""Rank a node's past pieces for an objective: find the rule, read the rollup, score.

The database does the aggregation (over the weekly rollup, never the daily table); the pure
scoring core does the statistics.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import asdict, dataclass, field, replace
from functools import partial

import numpy as np
from django.conf import settings
from django.db.models import F, Sum
from django.utils import timezone
from django.utils.translation import gettext

from campaigns import figures
from campaigns.calendar import week_monday, window_first_day, window_weeks
from campaigns.models import (
    Campaign,
    ImageWeeklyRollup,
    Node,
    PieceWindowTotal,
    PieceWindowTotalsBuild,
    RankingRule,
)
from campaigns.ranking.metrics import DAYS_COLUMN, FIGURE_COLUMNS, in_currency
from campaigns.ranking.pieces import FIELDS, PieceFigures, PieceSource, PieceTable, piece_table
from campaigns.ranking.reasons import ReasonContext, figure_word, reason
from campaigns.ranking.scoring import RankingResult, RuleSpec, rank_pieces
from creatives.models import CreativeImage
from yenni_site.language import in_both_languages

# The columns summed per piece: its figures (money in micros until `in_currency`), then days.
SUM_COLUMNS = {**FIGURE_COLUMNS, "days": DAYS_COLUMN}


class NoRuleError(LookupError):
    """No active rule covers this node and objective."""


@dataclass(frozen=True)
class RankedReference:
    order: int
    position: int
    image_id: int
    member_image_ids: list[int]
    platforms: list[str]
    figures: dict[str, float]
    metric: str
    estimate: float
    interval: tuple[float, float]
    observed: float | None
    reason_es: str
    reason_en: str


@dataclass(frozen=True)
class BriefRanking:
    node: str
    objective: str
    rule_id: int
    rule_version: int
    metric: str
    lower_is_better: bool
    window_start: dt.date
    window_end: dt.date
    considered: int
    passed: int
    references: list[RankedReference] = field(default_factory=list)
    gate_misses: list[dict] = field(default_factory=list)
    message_es: str = ""
    message_en: str = ""

    def as_dict(self) -> dict:
        data = asdict(self)
        data["window_start"] = self.window_start.isoformat()
        data["window_end"] = self.window_end.isoformat()
        return data


def node_objective_pairs() -> list[tuple[Node, str]]:
    """Return every node × objective that has campaigns, by node slug then objective."""
    found = (
        Campaign.objects.exclude(node=None)
        .values_list("node_id", "objective")
        .distinct()
        .order_by()
    )
    nodes = Node.objects.in_bulk({node_id for node_id, _ in found})
    return sorted(
        ((nodes[node_id], objective) for node_id, objective in found),
        key=lambda pair: (pair[0].slug, pair[1]),
    )


def ranking_rule_for(*, node: Node, objective: str) -> RankingRule:
    """Return the node's active rule for the objective, else the objective's default."""
    rules = RankingRule.objects.filter(objective=objective, active=True, node=node)
    rule = (
        rules.first()
        or RankingRule.objects.filter(objective=objective, active=True, node__isnull=True).first()
    )
    if rule is None:
        raise NoRuleError(
            f"No active ranking rule for {node.slug} / {objective}, and no active default for "
            f"{objective}. A marketing lead can add one in the admin (Ranking rules)."
        )
    return rule


def ranking_pieces(
    *,
    node: Node,
    objective: str,
    platforms: Iterable[str] = (),
    window_start: dt.date,
    window_end: dt.date,
    half_life_days: int | None = None,
    exclude_image_ids: Iterable[int] = (),
) -> list[PieceFigures]:
    """Sum each image's weekly results inside the window (weeks that start in it)."""
    rows = ImageWeeklyRollup.objects.filter(
        node=node, objective=objective, week__gte=week_monday(window_start), week__lte=window_end
    )
    platforms = list(platforms)
    if platforms:
        rows = rows.filter(platform__in=platforms)
    excluded = list(exclude_image_ids)
    if excluded:
        rows = rows.exclude(image_id__in=excluded)
    sums = {alias: Sum(column) for alias, column in SUM_COLUMNS.items()}
    # One scan of the rollup, grouped per image and platform (and week when results fade with
    # age); the few rows per image are merged here.
    keys = ["image_id", "platform", *(["week"] if half_life_days else [])]
    grouped = rows.values(*keys, phash=F("image__phash")).annotate(**sums).order_by()
    totals: dict[int, dict] = {}
    platform_sets: dict[int, set[str]] = defaultdict(set)
    for row in grouped:
        weight = 1.0
        if half_life_days:
            age_days = max((window_end - row["week"]).days, 0)
            weight = float(np.exp2(-age_days / half_life_days))
        image_id = row["image_id"]
        platform_sets[image_id].add(row["platform"])
        current = totals.setdefault(image_id, {"image_id": image_id, "phash": row["phash"]})
        for alias in SUM_COLUMNS:
            # Days count as days whatever their weight: "over 34 days" stays true.
            value = (row[alias] or 0) * (1.0 if alias == "days" else weight)
            current[alias] = current.get(alias, 0) + value
    window_days = (window_end - window_start).days + 1
    return [_piece(row, platform_sets, window_days=window_days) for row in totals.values()]


def _piece(row: dict, platform_sets: dict[int, set[str]], *, window_days: int) -> PieceFigures:
    return PieceFigures(
        image_id=row["image_id"],
        phash=row["phash"],
        impressions=row["impressions"],
        clicks=row["clicks"],
        link_clicks=row["link_clicks"],
        spend=in_currency("spend", row["spend"]),
        conversions=float(row["conversions"]),
        conversion_value=in_currency("conversion_value", row["conversion_value"]),
        leads=row["leads"],
        video_views=row["video_views"],
        engagements=row["engagements"],
        # Rows per platform may share days: never claim more days than the window has.
        days=min(int(row["days"]), window_days),
        platforms=tuple(sorted(platform_sets[row["image_id"]])),
    )


def window_total_pieces(
    *,
    node: Node,
    objective: str,
    platforms: Iterable[str] = (),
    window_days: int,
    as_of: dt.date,
    exclude_image_ids: Iterable[int] = (),
) -> PieceTable | None:
    """Read pieces from the prebuilt window totals, or None when they hold another window.

    Near-duplicates are already folded there, each piece under its first-stored image. The
    rows (one per piece and platform) are summed per piece with numpy, never as objects.
    """
    week_from, week_to = window_weeks(window_days=window_days, as_of=as_of)
    built = PieceWindowTotalsBuild.objects.filter(
        window_days=window_days, week_from=week_from, week_to=week_to
    ).exists()
    if not built:
        return None
    rows = PieceWindowTotal.objects.filter(
        node=node, objective=objective, window_days=window_days, week_from=week_from
    )
    platforms = list(platforms)
    if platforms:
        rows = rows.filter(platform__in=platforms)
    excluded = list(exclude_image_ids)
    if excluded:
        rows = rows.exclude(piece_id__in=excluded)
    found = list(
        rows.order_by("piece_id", "platform").values_list(
            "piece_id", "platform", "phash", *SUM_COLUMNS.values()
        )
    )
    if not found:
        return PieceTable.from_pieces([], source=PieceSource.WINDOW_TOTALS)
    ids = np.fromiter((row[0] for row in found), dtype=np.int64, count=len(found))
    figures = np.array([row[3:] for row in found], dtype=float)
    # Rows come sorted by piece: each piece's rows are one run, summed with reduceat.
    starts = np.flatnonzero(np.r_[True, ids[1:] != ids[:-1]])
    sums = np.add.reduceat(figures, starts, axis=0)
    platform_sets: list[tuple[str, ...]] = []
    for first, last in zip(starts, [*starts[1:], len(found)], strict=True):
        platform_sets.append(tuple(row[1] for row in found[first:last]))
    columns = {
        name: in_currency(name, column) for name, column in zip(SUM_COLUMNS, sums.T, strict=True)
    }
    return PieceTable(
        image_ids=ids[starts],
        phashes=[found[i][2] for i in starts],
        platforms=platform_sets,
        columns={name: columns[name] for name in FIELDS},
        # Rows per platform may share days: never claim more days than the window has.
        days=np.minimum(columns["days"], window_days).astype(np.int64),
        source=PieceSource.WINDOW_TOTALS,
    )


def near_copies_of(lead_image_ids: Iterable[int]) -> dict[int, list[int]]:
    """Each image's near-copies (the images the rollup refresh pointed at it), one query."""
    copies: dict[int, list[int]] = defaultdict(list)
    for lead, image_id in CreativeImage.objects.filter(
        near_duplicate_of__in=list(lead_image_ids)
    ).values_list("near_duplicate_of", "id"):
        copies[lead].append(image_id)
    return copies


def _with_near_copies(result: RankingResult) -> RankingResult:
    """Name the near-copies folded into each reference (the totals keep only the first)."""
    copies = near_copies_of(ref.piece.image_id for ref in result.references)
    if not copies:
        return result
    references = [
        replace(
            ref,
            piece=replace(
                ref.piece,
                member_image_ids=tuple(sorted([ref.piece.image_id, *copies[ref.piece.image_id]])),
            ),
        )
        for ref in result.references
    ]
    return replace(result, references=references)


def rule_spec(rule: RankingRule, *, top_n: int | None = None) -> RuleSpec:
    return RuleSpec(
        metric=rule.metric,
        min_impressions=rule.min_impressions,
        min_spend=float(rule.min_spend),
        min_clicks=rule.min_clicks,
        min_conversions=float(rule.min_conversions),
        top_n=top_n or rule.top_n,
        tie_break_metric=rule.tie_break_metric,
        within_platform=rule.within_platform,
        version=rule.version,
    )


def rule_pieces(
    *,
    rule: RankingRule,
    node: Node,
    objective: str,
    as_of: dt.date,
    exclude_image_ids: Iterable[int] = (),
) -> PieceTable:
    """The pieces a rule ranks, near-copies folded, read from the best table that holds them.

    The prebuilt window totals hold pieces already folded (each under its first image, its
    near-copies not named: `source` says so); fading results, or a window the totals were not
    built for, sum the weekly rollup and fold it here.
    """
    excluded = list(exclude_image_ids)
    if not rule.half_life_days:
        table = window_total_pieces(
            node=node,
            objective=objective,
            platforms=rule.platforms or (),
            window_days=rule.window_days,
            as_of=as_of,
            exclude_image_ids=excluded,
        )
        if table is not None:
            return table
    listed = ranking_pieces(
        node=node,
        objective=objective,
        platforms=rule.platforms or (),
        window_start=window_first_day(window_days=rule.window_days, as_of=as_of),
        window_end=as_of,
        half_life_days=rule.half_life_days,
        exclude_image_ids=excluded,
    )
    return piece_table(listed, source=PieceSource.WEEKLY_ROLLUP)


def brief_ranking(
    *,
    node: Node,
    objective: str,
    top_n: int | None = None,
    as_of: dt.date | None = None,
    exclude_image_ids: Iterable[int] = (),
    rule: RankingRule | None = None,
) -> BriefRanking:
    """Rank the node's pieces for the objective under its rule, with reasons."""
    rule = rule or ranking_rule_for(node=node, objective=objective)
    window_end = as_of or timezone.localdate()
    window_start = window_first_day(window_days=rule.window_days, as_of=window_end)
    pieces = rule_pieces(
        rule=rule,
        node=node,
        objective=objective,
        as_of=window_end,
        exclude_image_ids=exclude_image_ids,
    )
    spec = rule_spec(rule, top_n=top_n)
    result = rank_pieces(pieces, spec)
    if not pieces.source.lists_near_copies:
        result = _with_near_copies(result)
    return _brief_ranking(node, objective, rule, spec, result, window_start, window_end)


def _brief_ranking(
    node: Node,
    objective: str,
    rule: RankingRule,
    spec: RuleSpec,
    result: RankingResult,
    window_start: dt.date,
    window_end: dt.date,
) -> BriefRanking:
    currency = settings.YENNI_REPORTING_CURRENCY
    references = []
    for ref in result.references:
        ctx = ReasonContext(
            node_name=node.name,
            objective=objective,
            position=ref.position,
            ranked=result.passed,
            currency=currency,
        )
        piece = ref.piece
        reason_es, reason_en = in_both_languages(
            partial(reason, result.metric, ref.estimate, piece, ctx)
        )
        references.append(
            RankedReference(
                order=ref.order,
                position=ref.position,
                image_id=piece.image_id,
                member_image_ids=list(piece.members),
                platforms=list(piece.platforms),
                figures={
                    "impressions": round(piece.impressions),
                    "clicks": round(piece.clicks),
                    "link_clicks": round(piece.link_clicks),
                    "spend": round(piece.spend, 2),
                    "conversions": round(piece.conversions, 2),
                    "conversion_value": round(piece.conversion_value, 2),
                    "leads": round(piece.leads),
                    "video_views": round(piece.video_views),
                    "engagements": round(piece.engagements),
                    "days": piece.days,
                },
                metric=result.metric,
                estimate=ref.estimate.point,
                interval=(ref.estimate.lower, ref.estimate.upper),
                observed=ref.estimate.observed,
                reason_es=reason_es,
                reason_en=reason_en,
            )
        )
    message_es, message_en = in_both_languages(
        partial(_shortfall_message, spec, result, node, objective)
    )
    return BriefRanking(
        node=node.slug,
        objective=objective,
        rule_id=rule.pk,
        rule_version=rule.version,
        metric=result.metric,
        lower_is_better=rule.lower_is_better,
        window_start=window_start,
        window_end=window_end,
        considered=result.considered,
        passed=result.passed,
        references=references,
        gate_misses=[asdict(miss) for miss in result.gate_misses],
        message_es=message_es,
        message_en=message_en,
    )


def _shortfall_message(spec: RuleSpec, result: RankingResult, node: Node, objective: str) -> str:
    """Say plainly why fewer references came back than the rule asks for, or nothing."""
    found = len(result.references)
    if found >= spec.top_n:
        return ""
    if result.considered == 0:
        return gettext("There are no {node} pieces for {objective} in the rule's window.").format(
            node=node.name, objective=objective
        )
    misses = []
    for miss in result.gate_misses:
        if miss.minimum:
            text = gettext("{missed} below the minimum {figure} ({minimum})").format(
                missed=miss.missed,
                figure=figure_word(miss.gate),
                minimum=figures.compact(miss.minimum),
            )
        else:
            text = gettext("{missed} with no {figure}").format(
                missed=miss.missed, figure=figure_word(miss.gate)
            )
        misses.append(text)
    detail = "; ".join(misses) or gettext("the rest are near-duplicates of chosen pieces")
    return gettext(
        "Only {found} of {top_n} references: of {considered} pieces, {passed} pass the rule's "
        "minimums ({detail})."
    ).format(
        found=found,
        top_n=spec.top_n,
        considered=result.considered,
        passed=result.passed,
        detail=detail,
    )
