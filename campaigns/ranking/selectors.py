"""Rank a node's past pieces for an objective: find the rule, read the rollup, score.

The database does the aggregation (over the weekly rollup, never the daily table); the pure
scoring core does the statistics.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import asdict, dataclass, field

import numpy as np
from django.conf import settings
from django.db.models import F, Sum
from django.utils import timezone

from campaigns.models import ImageWeeklyRollup, Node, RankingRule
from campaigns.ranking.reasons import ReasonContext, compact, reason
from campaigns.ranking.scoring import PieceFigures, RankingResult, RuleSpec, rank_pieces

SUM_FIELDS = {
    "impressions": "impressions",
    "clicks": "clicks",
    "link_clicks": "link_clicks",
    "spend_micros": "spend_reporting_micros",
    "conversions": "conversions",
    "value_micros": "conversion_value_reporting_micros",
    "leads": "leads",
    "video_views": "video_views",
    "engagements": "engagements",
    "days": "active_days",
}


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


def _monday(day: dt.date) -> dt.date:
    return day - dt.timedelta(days=day.weekday())


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
        node=node, objective=objective, week__gte=_monday(window_start), week__lte=window_end
    )
    platforms = list(platforms)
    if platforms:
        rows = rows.filter(platform__in=platforms)
    excluded = list(exclude_image_ids)
    if excluded:
        rows = rows.exclude(image_id__in=excluded)
    sums = {alias: Sum(column) for alias, column in SUM_FIELDS.items()}
    platform_sets: dict[int, set[str]] = defaultdict(set)
    for image_id, platform in rows.values_list("image_id", "platform").distinct():
        platform_sets[image_id].add(platform)

    if half_life_days:
        return _weighted_pieces(rows, sums, platform_sets, window_end, half_life_days)

    grouped = rows.values("image_id", phash=F("image__phash")).annotate(**sums)
    return [
        _piece(row, platform_sets, weight=1.0, window=window_end - window_start) for row in grouped
    ]


def _piece(
    row: dict, platform_sets: dict[int, set[str]], *, weight: float, window: dt.timedelta
) -> PieceFigures:
    return PieceFigures(
        image_id=row["image_id"],
        phash=row["phash"],
        impressions=(row["impressions"] or 0) * weight,
        clicks=(row["clicks"] or 0) * weight,
        link_clicks=(row["link_clicks"] or 0) * weight,
        spend=(row["spend_micros"] or 0) / 1_000_000 * weight,
        conversions=(row["conversions"] or 0.0) * weight,
        conversion_value=(row["value_micros"] or 0) / 1_000_000 * weight,
        leads=(row["leads"] or 0) * weight,
        video_views=(row["video_views"] or 0) * weight,
        engagements=(row["engagements"] or 0) * weight,
        # Rows per platform may share days: never claim more days than the window has.
        days=min(int(row["days"] or 0), window.days + 1),
        platforms=tuple(sorted(platform_sets.get(row["image_id"], ()))),
    )


def _weighted_pieces(rows, sums, platform_sets, window_end, half_life_days) -> list[PieceFigures]:
    """Weigh each week by its age, so results fade with a half-life and tired pieces sink."""
    per_week = rows.values("image_id", "week", phash=F("image__phash")).annotate(**sums)
    totals: dict[int, dict] = {}
    for row in per_week:
        age_days = (window_end - row["week"]).days
        weight = float(np.exp2(-max(age_days, 0) / half_life_days))
        current = totals.setdefault(
            row["image_id"], {"image_id": row["image_id"], "phash": row["phash"]}
        )
        for alias in SUM_FIELDS:
            value = (row[alias] or 0) * (1.0 if alias == "days" else weight)
            current[alias] = current.get(alias, 0) + value
    return [
        _piece(row, platform_sets, weight=1.0, window=dt.timedelta(days=10**6))
        for row in totals.values()
    ]


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
    window_start = window_end - dt.timedelta(days=rule.window_days - 1)
    pieces = ranking_pieces(
        node=node,
        objective=objective,
        platforms=rule.platforms or (),
        window_start=window_start,
        window_end=window_end,
        half_life_days=rule.half_life_days,
        exclude_image_ids=exclude_image_ids,
    )
    spec = rule_spec(rule, top_n=top_n)
    result = rank_pieces(pieces, spec)
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
                reason_es=reason(result.metric, ref.estimate, piece, ctx, "es"),
                reason_en=reason(result.metric, ref.estimate, piece, ctx, "en"),
            )
        )
    message_es, message_en = _shortfall_messages(spec, result, node, objective)
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


GATE_WORDS = {
    "impressions": ("impressions", "impresiones"),
    "spend": ("spend", "inversión"),
    "clicks": ("clicks", "clics"),
    "conversions": ("conversions", "conversiones"),
    "leads": ("leads", "leads"),
    "video_views": ("video views", "reproducciones"),
    "engagements": ("engagements", "interacciones"),
}


def _shortfall_messages(
    spec: RuleSpec, result: RankingResult, node: Node, objective: str
) -> tuple[str, str]:
    """Say plainly why fewer references came back than the rule asks for, or nothing."""
    found = len(result.references)
    if found >= spec.top_n:
        return "", ""
    if result.considered == 0:
        return (
            f"No hay piezas de {node.name} con objetivo {objective} en la ventana de la regla.",
            f"There are no {node.name} pieces for {objective} in the rule's window.",
        )
    misses_en, misses_es = [], []
    for miss in result.gate_misses:
        en, es = GATE_WORDS.get(miss.gate, (miss.gate, miss.gate))
        if miss.minimum:
            misses_en.append(
                f"{miss.missed} below the minimum {en} ({compact(miss.minimum, 'en')})"
            )
            misses_es.append(
                f"{miss.missed} por debajo del mínimo de {es} ({compact(miss.minimum, 'es')})"
            )
        else:
            misses_en.append(f"{miss.missed} with no {en}")
            misses_es.append(f"{miss.missed} sin {es}")
    detail_en = "; ".join(misses_en) or "the rest are near-duplicates of chosen pieces"
    detail_es = "; ".join(misses_es) or "las demás son casi idénticas a las elegidas"
    return (
        f"Solo {found} de {spec.top_n} referencias: de {result.considered} piezas, "
        f"{result.passed} pasan los mínimos de la regla ({detail_es}).",
        f"Only {found} of {spec.top_n} references: of {result.considered} pieces, "
        f"{result.passed} pass the rule's minimums ({detail_en}).",
    )
