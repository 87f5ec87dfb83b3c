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
from django.db import connection
from django.utils import timezone
from django.utils.translation import gettext

from campaigns import figures
from campaigns.calendar import window_first_day, window_weeks
from campaigns.models import (
    AdAccount,
    Campaign,
    DailyMetric,
    Node,
    RankingCoverage,
    RankingPending,
    RankingRule,
)
from campaigns.ranking.metrics import DAYS_COLUMN, FIGURE_COLUMNS, in_currency
from campaigns.ranking.pieces import FIELDS, PieceSource, PieceTable
from campaigns.ranking.reasons import OBJECTIVE_WORDS, ReasonContext, figure_word, reason
from campaigns.ranking.scoring import RankingResult, RuleSpec, rank_pieces
from creatives.models import CreativeImage, PlatformSlug
from yenni_site.language import each_in_both_languages

# The columns summed per piece: its figures (money in micros until `in_currency`), then days.
SUM_COLUMNS = {**FIGURE_COLUMNS, "days": DAYS_COLUMN}


class NoRuleError(LookupError):
    """No active rule covers this node and objective."""


class StaleRankingError(LookupError):
    """The ranking tables do not count all of these accounts' daily metrics yet.

    Ranking now would leave their latest results out (or, for a first load, find no pieces at
    all), so readers refuse and say so: `str()` for staff, `analyst_message()` in plain words.
    """

    def __init__(self, accounts: list[str]) -> None:
        self.accounts = accounts
        super().__init__(
            gettext(
                "The ranking results are out of date: run refresh_ranking (python manage.py "
                "refresh_ranking --account …) for {accounts}; the ranking tables do not count "
                "all of their daily metrics yet."
            ).format(accounts=", ".join(accounts))
        )

    def analyst_message(self) -> str:
        return gettext(
            "The latest results of {accounts} are not in the ranking yet, so the references "
            "would be incomplete. They are being updated; try again in a few minutes, and tell "
            "an administrator if this persists."
        ).format(accounts=", ".join(self.accounts))


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
    # The figure the ranking compared the piece with (its platform's typical one, or the
    # node's), on the metric's scale, and those platforms' slugs (empty: the node's).
    typical: float | None = None
    compared_with: list[str] = field(default_factory=list)
    # The figure the order reads, on the metric's scale: what the piece reaches with
    # `certainty` (0.8): at least this rate, at most this cost. The reason shows it.
    cautious: float | None = None
    certainty: float | None = None


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


# The SQL both freshness reads share: the newest daily metric id (a read of the primary key's
# last entry), and a node's accounts (one read of its campaigns through the (node, account)
# index, `%s` the node).
_NEWEST_METRIC_ID = f"(SELECT m.id FROM {DailyMetric._meta.db_table} m ORDER BY m.id DESC LIMIT 1)"
_NODE_ACCOUNTS = f"SELECT c.account_id FROM {Campaign._meta.db_table} c WHERE c.node_id = %s"


def ranking_behind(*, node: Node) -> list[str]:
    """The accounts (names) feeding this node whose daily metrics the ranking tables do not
    all count yet.

    Each account's coverage says through which daily metric id the tables count its rows (ids
    only grow). When every account of the node is covered through the newest id, nothing is
    behind: one small query, the usual case. Otherwise each account short of it is asked
    whether a row with an image, in a campaign of this node, lies above its coverage.
    Ids miss deleted and changed rows, and a row numbered before the tables were built but
    committed after: database triggers record every write (`RankingPending`), and an account
    with a record for this node is behind too.
    """
    # Written in SQL, not the ORM: this runs on every brief, and building the ORM's query cost
    # more than the database's answer. Writes the triggers recorded since the last refresh
    # (rows deleted or changed, or saved by a transaction that had not committed when the
    # tables were built) come in the same round trip; an account with such a record is listed
    # even when its last campaign in the node went with its results. The newest daily metric
    # id too: a read of the primary key's last entry. The node's accounts are one read of
    # its campaigns (IN, hashed), not a search of the campaigns per account (EXISTS).
    pending = (
        f"EXISTS (SELECT 1 FROM {RankingPending._meta.db_table} p "
        "WHERE p.node_id = %s AND p.account_id = a.id)"
    )
    with connection.cursor() as cursor:
        cursor.execute(
            f"""
            SELECT a.id, a.name, cov.metric_id_through, {_NEWEST_METRIC_ID}, {pending}
            FROM {AdAccount._meta.db_table} a
            LEFT JOIN {RankingCoverage._meta.db_table} cov ON cov.account_id = a.id
            WHERE a.id IN ({_NODE_ACCOUNTS}) OR {pending}
            ORDER BY a.name, a.id
            """,
            [node.pk, node.pk, node.pk],
        )
        accounts = cursor.fetchall()
    behind = []
    for account_id, name, through, newest, recorded in accounts:
        if recorded:
            behind.append(name)
            continue
        if (through or 0) >= (newest or 0):
            continue
        newer = DailyMetric.objects.filter(
            id__gt=through or 0,
            ad__campaign__account_id=account_id,
            ad__campaign__node=node,
            ad__creative__isnull=False,
        )
        if newer.exists():
            behind.append(name)
    return behind


def ranking_rule_for(*, node: Node, objective: str) -> RankingRule:
    """Return the node's active rule for the objective, else the objective's default."""
    return _rule_found(node, objective, _rule_query(node, objective))


def _rule_query(node: Node, objective: str, extra: str = "", extra_params: Iterable = ()):
    # One query: the node's own rule sorts before the default. Raw SQL: it runs on every brief
    # and the ORM took longer to build it than the database to answer.
    return RankingRule.objects.raw(
        f"SELECT *{extra} FROM {RankingRule._meta.db_table} "
        "WHERE objective = %s AND active = %s AND (node_id = %s OR node_id IS NULL) "
        "ORDER BY node_id IS NULL, id LIMIT 1",
        [*extra_params, objective, True, node.pk],
    )


def _rule_found(node: Node, objective: str, query) -> RankingRule:
    rule = next(iter(query), None)
    if rule is None:
        raise NoRuleError(
            f"No active ranking rule for {node.slug} / {objective}, and no active default for "
            f"{objective}. A marketing lead can add one in the admin (Ranking rules)."
        )
    return rule


def _rule_and_tables_current(*, node: Node, objective: str) -> tuple[RankingRule, bool]:
    """The rule (as `ranking_rule_for`), and True when the ranking tables surely count every
    daily metric of the node: no write recorded for it since the last refresh, and each of its
    accounts covered through the newest daily metric id. One round trip for a brief's usual
    case; False says only "ask `ranking_behind`", which may still find nothing behind (newer
    rows of another node, or without an image)."""
    current = f"""
        , (NOT EXISTS (SELECT 1 FROM {RankingPending._meta.db_table} p WHERE p.node_id = %s)
           AND NOT EXISTS (
               SELECT 1 FROM {AdAccount._meta.db_table} a
               LEFT JOIN {RankingCoverage._meta.db_table} cov ON cov.account_id = a.id
               WHERE a.id IN ({_NODE_ACCOUNTS})
                   AND COALESCE(cov.metric_id_through, 0) < COALESCE({_NEWEST_METRIC_ID}, 0)
           )) AS yenni_tables_current
    """
    rule = _rule_found(node, objective, _rule_query(node, objective, current, [node.pk, node.pk]))
    # SQLite answers a condition as 1 or 0.
    return rule, bool(rule.yenni_tables_current)


# The figure columns of the piece tables, in the order the readers below select them.
_PIECE_COLUMNS = ("active_days", *FIGURE_COLUMNS.values())
_FIGURE_NAMES = ("days", *FIGURE_COLUMNS)


def _series_filter(platforms: list[str], excluded: list[int]) -> tuple[str, list]:
    sql, params = "", []
    if platforms:
        sql += f" AND s.platform IN ({', '.join(['%s'] * len(platforms))})"
        params += platforms
    if excluded:
        sql += f" AND s.piece_id NOT IN ({', '.join(['%s'] * len(excluded))})"
        params += excluded
    return sql, params


def _boundary(
    cursor, *, node_id: int, objective: str, where: str, params: list, week_cond: str, week
) -> dict[int, tuple]:
    """Each listed series' cumulative row at a window edge: the last row `week_cond` the week."""
    columns = ", ".join(f"w.{name}" for name in _PIECE_COLUMNS)
    cursor.execute(
        f"""
        SELECT w.series_id, {columns}
        FROM campaigns_pieceseries s
        JOIN campaigns_pieceweek w ON w.series_id = s.id
        WHERE s.node_id = %s AND s.objective = %s {where}
            AND w.week = (
                SELECT MAX(w2.week) FROM campaigns_pieceweek w2
                WHERE w2.series_id = s.id AND w2.week {week_cond} %s
            )
        """,
        [node_id, objective, *params, week],
    )
    return {row[0]: row[1:] for row in cursor.fetchall()}


def series_window_figures(
    *,
    node: Node,
    objective: str,
    platforms: Iterable[str] = (),
    week_from: dt.date,
    week_to: dt.date,
    exclude_image_ids: Iterable[int] = (),
) -> WindowSeries:
    """Each piece series' figures over the weeks `week_from`..`week_to` (Mondays, inclusive).

    Returns the series that had results in those weeks, by piece then platform, as columns
    (`WindowSeries`), with their figures (columns `_FIGURE_NAMES`, money in micros): the series'
    cumulative row at the last week minus its row at the week before the first, in one query.
    A series whose span ends by the last week reads its totals, one that starts in the window
    reads nothing before it.
    """
    where, params = _series_filter(list(platforms), list(exclude_image_ids))
    # Each figure is the row at the last week (none when the series ends sooner: its totals)
    # minus the row at the week before the first (none when it starts inside: nothing). Every
    # week of a series' span has a row, so each edge is one range of the edge index (node,
    # objective, week), hash-joined to the series: no look-up per series.
    figures = ", ".join(
        f"COALESCE(hi.{name}, s.{name}) - COALESCE(lo.{name}, 0)" for name in _PIECE_COLUMNS
    )
    before = week_from - dt.timedelta(days=7)
    with connection.cursor() as cursor:
        cursor.execute(
            f"""
            SELECT s.id, s.piece_id, s.platform, s.phash, {figures}
            FROM campaigns_pieceseries s
            LEFT JOIN campaigns_pieceweek hi ON hi.series_id = s.id AND hi.node_id = %s
                AND hi.objective = %s AND hi.week = %s
            LEFT JOIN campaigns_pieceweek lo ON lo.series_id = s.id AND lo.node_id = %s
                AND lo.objective = %s AND lo.week = %s
            WHERE s.node_id = %s AND s.objective = %s AND s.last_week >= %s
                AND s.first_week <= %s {where}
            """,
            [
                *(node.pk, objective, week_to, node.pk, objective, before),
                node.pk,
                objective,
                week_from,
                week_to,
                *params,
            ],
        )
        found = cursor.fetchall()
    if not found:
        return WindowSeries.empty()
    # Columns, not rows: one transposition in C instead of Python work per row.
    series_ids, piece_ids, platforms, phashes, *figures_read = zip(*found, strict=True)
    values = np.array(figures_read, dtype=float).T
    pieces = np.array(piece_ids, dtype=np.int64)
    # By piece, then platform: sorted here, not in SQL, where sorting the rows cost more
    # (0.35 ms of the read on the biggest briefs) than the read that found them.
    names = sorted(set(platforms))
    code = {name: i for i, name in enumerate(names)}
    order = np.lexsort((np.array([code[name] for name in platforms], dtype=np.int64), pieces))
    # A series with weeks before and after the window but none inside it has no results here.
    keep = order[values[order, 0] > 0]
    kept = keep.tolist()
    return WindowSeries(
        series_ids=[series_ids[i] for i in kept],
        piece_ids=pieces[keep],
        platforms=[platforms[i] for i in kept],
        phashes=[phashes[i] for i in kept],
        figures=values[keep],
    )


@dataclass(frozen=True)
class WindowSeries:
    """The piece series of a window, by piece then platform: one entry per series in each."""

    series_ids: list[int]
    piece_ids: np.ndarray
    platforms: list[str]
    phashes: list[str]
    figures: np.ndarray  # one row per series, columns `_FIGURE_NAMES`, money in micros

    @classmethod
    def empty(cls) -> WindowSeries:
        return cls([], np.zeros(0, dtype=np.int64), [], [], np.zeros((0, len(_FIGURE_NAMES))))

    def __len__(self) -> int:
        return len(self.series_ids)


def _as_date(value) -> dt.date:
    # SQLite returns dates from raw SQL as text.
    return value if isinstance(value, dt.date) else dt.date.fromisoformat(value)


def _weighted_figures(
    *,
    node: Node,
    objective: str,
    series_ids: list[int],
    week_from: dt.date,
    week_to: dt.date,
    as_of: dt.date,
    half_life_days: int,
) -> np.ndarray:
    """The series' figures with each week weighted by 2^(−age / half-life), age the days from
    the week's Monday to `as_of` (0 for the current week): the slower path, exact, for rules
    whose results fade. Each week's figures are its cumulative row minus the previous one."""
    ids = series_ids
    index = {series_id: i for i, series_id in enumerate(ids)}
    columns = ", ".join(f"w.{name}" for name in _PIECE_COLUMNS)
    weighted = np.zeros((len(ids), len(_PIECE_COLUMNS)))
    with connection.cursor() as cursor:
        lower = _boundary(
            cursor,
            node_id=node.pk,
            objective=objective,
            where="AND s.first_week < %s AND s.last_week >= %s",
            params=[week_from, week_from],
            week_cond="<",
            week=week_from,
        )
        cursor.execute(
            f"""
            SELECT w.series_id, w.week, {columns}
            FROM campaigns_pieceseries s
            JOIN campaigns_pieceweek w ON w.series_id = s.id
            WHERE s.node_id = %s AND s.objective = %s AND w.week >= %s AND w.week <= %s
            ORDER BY w.series_id, w.week
            """,
            [node.pk, objective, week_from, week_to],
        )
        previous: dict[int, np.ndarray] = {}
        for row in cursor.fetchall():
            series_id = row[0]
            if series_id not in index:
                continue
            cumulative = np.array(row[2:], dtype=float)
            before = previous.get(series_id)
            if before is None:
                before = np.array(lower.get(series_id, (0,) * len(_PIECE_COLUMNS)), dtype=float)
            age_days = max((as_of - _as_date(row[1])).days, 0)
            weighted[index[series_id]] += (cumulative - before) * float(
                np.exp2(-age_days / half_life_days)
            )
            previous[series_id] = cumulative
    return weighted


def series_pieces(
    *,
    node: Node,
    objective: str,
    platforms: Iterable[str] = (),
    window_days: int,
    as_of: dt.date,
    half_life_days: int | None = None,
    exclude_image_ids: Iterable[int] = (),
) -> PieceTable:
    """The pieces of a window ending on `as_of`, read from the cumulative piece weeks.

    The window is whole weeks (`campaigns.calendar.window_weeks`). Near-duplicates are folded
    there, each piece under its first-stored image. A piece's days are its most days on one
    platform, at most the window's length; with a half-life every figure but days is weighted.
    """
    week_from, week_to = window_weeks(window_days=window_days, as_of=as_of)
    series = series_window_figures(
        node=node,
        objective=objective,
        platforms=platforms,
        week_from=week_from,
        week_to=week_to,
        exclude_image_ids=exclude_image_ids,
    )
    if not len(series):
        return PieceTable.from_pieces([], source=PieceSource.WINDOW_TOTALS)
    figures = series.figures
    if half_life_days:
        # Days count as days whatever their weight: "over 34 days" stays true.
        weighted = _weighted_figures(
            node=node,
            objective=objective,
            series_ids=series.series_ids,
            week_from=week_from,
            week_to=week_to,
            as_of=as_of,
            half_life_days=half_life_days,
        )
        weighted[:, 0] = figures[:, 0]
        figures = weighted
    ids = series.piece_ids
    # Rows come sorted by piece: each piece's rows are one run, summed with reduceat.
    starts = np.flatnonzero(np.r_[True, ids[1:] != ids[:-1]])
    sums = np.add.reduceat(figures, starts, axis=0)
    most_days = np.maximum.reduceat(figures[:, 0], starts)
    # Most pieces ran on one platform: their platform tuples are shared, not built each.
    one = {name: (name,) for name in set(series.platforms)}
    ends = [*starts[1:].tolist(), len(series)]
    platform_sets = [
        one[series.platforms[first]] if last - first == 1 else tuple(series.platforms[first:last])
        for first, last in zip(starts.tolist(), ends, strict=True)
    ]
    columns = {
        name: in_currency(name, column) for name, column in zip(_FIGURE_NAMES, sums.T, strict=True)
    }
    return PieceTable(
        image_ids=ids[starts],
        phashes=[series.phashes[i] for i in starts.tolist()],
        platforms=platform_sets,
        columns={name: columns[name] for name in FIELDS},
        days=np.minimum(most_days, window_days).astype(np.int64),
        source=PieceSource.WINDOW_TOTALS,
    )


def near_copies_of(lead_image_ids: Iterable[int]) -> dict[int, list[int]]:
    """Each image's near-copies (the images the rollup refresh pointed at it), one query."""
    copies: dict[int, list[int]] = defaultdict(list)
    leads = [int(lead) for lead in lead_image_ids]
    if not leads:
        return copies
    # Raw SQL for the same reason as the rule's look-up: the ORM cost more than the query.
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT near_duplicate_of_id, id FROM {CreativeImage._meta.db_table} "
            f"WHERE near_duplicate_of_id IN ({', '.join(['%s'] * len(leads))}) ORDER BY id",
            leads,
        )
        for lead, image_id in cursor.fetchall():
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
        minimums=rule.minimums_mode,
        min_share_of_median=float(rule.min_share_of_median),
    )


def rule_pieces(
    *,
    rule: RankingRule,
    node: Node,
    objective: str,
    as_of: dt.date,
    exclude_image_ids: Iterable[int] = (),
) -> PieceTable:
    """The pieces a rule ranks as of a day, near-copies folded: one path for any day, window
    and half-life (the cumulative piece weeks), so the answer never depends on a table's age.

    Near-copies are summed in but not named (`source` says so): `_with_near_copies` names them.
    """
    return series_pieces(
        node=node,
        objective=objective,
        platforms=rule.platforms or (),
        window_days=rule.window_days,
        as_of=as_of,
        half_life_days=rule.half_life_days,
        exclude_image_ids=exclude_image_ids,
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
    tables_current = False
    if rule is None:
        rule, tables_current = _rule_and_tables_current(node=node, objective=objective)
    if not tables_current:
        behind = ranking_behind(node=node)
        if behind:
            raise StaleRankingError(behind)
    window_end = as_of or timezone.localdate()
    window_start = window_first_day(window_days=rule.window_days, as_of=window_end)
    pieces = rule_pieces(rule=rule, node=node, objective=objective, as_of=window_end)
    spec = rule_spec(rule, top_n=top_n)
    # Excluded pieces leave the list only, after the priors are fitted on every piece: the
    # other pieces keep their figures and order (issue 15 item 4).
    result = rank_pieces(pieces, spec, exclude_image_ids=exclude_image_ids)
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
    platform_names = dict(PlatformSlug.choices)
    writers = [
        partial(
            reason,
            result.metric,
            ref.estimate,
            ref.piece,
            ReasonContext(
                node_name=node.name,
                objective=objective,
                # The place shown is the order shown: a look-alike skipped for variety (or an
                # excluded piece) must not make the numbers skip (1, 2, 3, 5).
                position=ref.order,
                ranked=result.passed,
                currency=currency,
                compared_with=tuple(platform_names.get(p, p) for p in ref.compared_with),
            ),
        )
        for ref in result.references
    ]
    writers.append(partial(_shortfall_message, spec, result, node, objective))
    # Every sentence under one switch to Spanish and one to English.
    *reasons, (message_es, message_en) = each_in_both_languages(writers)
    references = []
    for ref, (reason_es, reason_en) in zip(result.references, reasons, strict=True):
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
                reason_es=reason_es,
                reason_en=reason_en,
                typical=ref.estimate.typical,
                compared_with=list(ref.compared_with),
                cautious=ref.estimate.cautious,
                certainty=ref.estimate.certainty,
            )
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
        # The objective in words ("de tráfico"), never its code ("traffic") on a Spanish page.
        return gettext("There are no {node} pieces for {objective} in the rule's window.").format(
            node=node.name, objective=OBJECTIVE_WORDS.get(objective, objective)
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
