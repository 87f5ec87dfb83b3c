"""Reads for the creative page: one past image, its copy, where it ran, how it did day by day.

The daily series sum DailyMetric over every ad whose creative holds the image (a carousel's
results count for each of its images, as in the weekly rollup). Spend is converted to the
reporting currency with ExchangeRate: each day at that day's rate, or the last earlier rate when
the source published none that day (the rule `exchange_rates_fill_gaps` applies before the
rollup). Spend on a day with no rate at or before it is left out of the series, and the page
says how much was left out.
"""

from __future__ import annotations

import datetime as dt
from bisect import bisect_right
from collections import defaultdict
from dataclasses import dataclass, field
from decimal import Decimal

from django.conf import settings
from django.db.models import Exists, F, Max, Min, OuterRef, Q, Sum
from django.utils import formats
from django.utils.translation import gettext as _

from campaigns import figures
from campaigns.models import Ad, DailyMetric, ExchangeRate, Node, Objective
from campaigns.models.ranking_rules import MinimumsMode
from campaigns.ranking.full import FullRanking, full_ranking
from campaigns.ranking.metrics import in_currency
from campaigns.ranking.selectors import NoRuleError
from creatives.models import Creative, CreativeImage, ImageDescription
from library.intervals import wilson_interval
from library.models import Board, BoardItem
from yenni_site.language import page_language

# Fatigue shows as the last week's CTR against the first week's: both need this many days.
FATIGUE_DAYS = 7


@dataclass(frozen=True)
class DailySeries:
    dates: list[dt.date]
    impressions: list[int]
    clicks: list[int]
    spend: list[float]  # reporting currency, 2 decimals
    ctr: list[float | None]  # clicks / impressions; None on days without impressions
    ctr_low: list[float | None]  # Wilson 95 % interval
    ctr_high: list[float | None]
    spend_left_out: float = 0.0  # account-currency spend on days with no exchange rate
    left_out_currencies: tuple[str, ...] = ()

    @property
    def days(self) -> int:
        return len(self.dates)

    def chart_data(self, currency: str) -> dict:
        def pct(values: list[float | None]) -> list[float | None]:
            return [None if v is None else round(v * 100, 4) for v in values]

        return {
            # Written as the page writes a date ("27/10/2026" in Spanish): the chart shows them.
            "labels": [formats.date_format(day, "SHORT_DATE_FORMAT") for day in self.dates],
            "impressions": self.impressions,
            "clicks": self.clicks,
            "ctr": pct(self.ctr),
            "ctr_low": pct(self.ctr_low),
            "ctr_high": pct(self.ctr_high),
            "spend": self.spend,
            "currency": currency,
            "text": {
                "impressions": _("Impressions"),
                "clicks": _("Clicks"),
                "ctr": _("CTR (%)"),
                "ctr_band": _("95 % interval"),
                "spend": _("Spend ({currency})").format(currency=currency),
            },
        }


@dataclass(frozen=True)
class Fatigue:
    first_ctr: float
    last_ctr: float
    first_interval: tuple[float, float]
    last_interval: tuple[float, float]

    @property
    def change(self) -> float:
        return self.last_ctr / self.first_ctr - 1 if self.first_ctr > 0 else 0.0

    def texts(self) -> dict[str, str]:
        return {
            "first": figures.metric("ctr", self.first_ctr),
            "first_interval": figures.interval("ctr", *self.first_interval),
            "last": figures.metric("ctr", self.last_ctr),
            "last_interval": figures.interval("ctr", *self.last_interval),
            "change": figures.change(self.change),
        }

    @property
    def clear_drop(self) -> bool:
        """The last week's interval lies wholly below the first week's."""
        return self.last_interval[1] < self.first_interval[0]


def _rates_by_currency(
    currencies: set[str], last_day: dt.date, reporting: str
) -> dict[str, tuple[list[dt.date], list[Decimal]]]:
    rows = (
        ExchangeRate.objects.filter(
            currency__in=currencies, reporting_currency=reporting, date__lte=last_day
        )
        .order_by("currency", "date")
        .values_list("currency", "date", "rate")
    )
    found: dict[str, tuple[list[dt.date], list[Decimal]]] = defaultdict(lambda: ([], []))
    for currency, day, rate in rows:
        found[currency][0].append(day)
        found[currency][1].append(rate)
    return found


def daily_series(creative_ids: list[int]) -> DailySeries:
    """Sum the image's ads' results per day (two queries), gaps between days filled with 0."""
    reporting = settings.YENNI_REPORTING_CURRENCY
    grouped = (
        DailyMetric.objects.filter(ad__creative_id__in=creative_ids)
        .values("date", currency=F("ad__campaign__account__currency"))
        .annotate(
            impressions=Sum("impressions"), clicks=Sum("clicks"), spend_micros=Sum("spend_micros")
        )
        .order_by("date")
    )
    rows = list(grouped)
    if not rows:
        return DailySeries([], [], [], [], [], [], [])
    foreign = {row["currency"] for row in rows} - {reporting}
    rates = _rates_by_currency(foreign, rows[-1]["date"], reporting) if foreign else {}
    by_day: dict[dt.date, list] = {}
    left_out = 0.0
    missing: set[str] = set()
    for row in rows:
        sums = by_day.setdefault(row["date"], [0, 0, Decimal(0)])
        sums[0] += row["impressions"] or 0
        sums[1] += row["clicks"] or 0
        micros = Decimal(row["spend_micros"] or 0)
        if row["currency"] == reporting:
            sums[2] += micros
            continue
        days, values = rates.get(row["currency"], ([], []))
        at = bisect_right(days, row["date"]) - 1
        if at < 0:
            left_out += in_currency("spend", float(micros))
            missing.add(row["currency"])
            continue
        sums[2] += micros * values[at]
    first, last = rows[0]["date"], rows[-1]["date"]
    dates, impressions, clicks, spend, ctr, low, high = [], [], [], [], [], [], []
    day = first
    while day <= last:
        shown, clicked, micros = by_day.get(day, (0, 0, Decimal(0)))
        dates.append(day)
        impressions.append(int(shown))
        clicks.append(int(clicked))
        spend.append(round(float(in_currency("spend", micros)), 2))
        interval = wilson_interval(clicked, shown)
        ctr.append(min(clicked, shown) / shown if shown else None)
        low.append(interval[0] if interval else None)
        high.append(interval[1] if interval else None)
        day += dt.timedelta(days=1)
    return DailySeries(
        dates=dates,
        impressions=impressions,
        clicks=clicks,
        spend=spend,
        ctr=ctr,
        ctr_low=low,
        ctr_high=high,
        spend_left_out=round(left_out, 2),
        left_out_currencies=tuple(sorted(missing)),
    )


def fatigue(series: DailySeries) -> Fatigue | None:
    """The pooled CTR of the first and the last FATIGUE_DAYS days with impressions."""
    active = [(i, c) for i, c in zip(series.impressions, series.clicks, strict=True) if i > 0]
    if len(active) < 2 * FATIGUE_DAYS:
        return None
    first, last = active[:FATIGUE_DAYS], active[-FATIGUE_DAYS:]
    first_shown, first_clicked = sum(i for i, _c in first), sum(c for _i, c in first)
    last_shown, last_clicked = sum(i for i, _c in last), sum(c for _i, c in last)
    return Fatigue(
        first_ctr=min(first_clicked, first_shown) / first_shown,
        last_ctr=min(last_clicked, last_shown) / last_shown,
        first_interval=wilson_interval(first_clicked, first_shown),
        last_interval=wilson_interval(last_clicked, last_shown),
    )


@dataclass(frozen=True)
class DailyRow:
    day: dt.date
    impressions: int
    clicks: int
    ctr: str
    interval: str
    spend: float


def daily_rows(series: DailySeries) -> list[DailyRow]:
    """The series as table rows, for people who read figures rather than charts."""
    rows = []
    for i, day in enumerate(series.dates):
        ctr, low, high = series.ctr[i], series.ctr_low[i], series.ctr_high[i]
        rows.append(
            DailyRow(
                day=day,
                impressions=series.impressions[i],
                clicks=series.clicks[i],
                ctr="—" if ctr is None else figures.metric("ctr", ctr),
                interval="—" if low is None else figures.interval("ctr", low, high),
                spend=series.spend[i],
            )
        )
    return rows


@dataclass(frozen=True)
class AdRun:
    ad: Ad
    first_day: dt.date | None
    last_day: dt.date | None
    impressions: int


@dataclass(frozen=True)
class RankRow:
    node: Node
    objective: str
    objective_label: str
    metric_label: str
    status: str  # "ranked", "gated" (below the rule's minimums), "outside", "no_rule"
    position: int | None = None
    passed: int = 0
    tier: str = ""
    estimate: str = ""
    interval: str = ""
    window_start: dt.date | None = None
    window_end: dt.date | None = None
    minimums: str = ""  # "1,000 impressions, 20 clicks": the rule's gates, for a gated piece


@dataclass(frozen=True)
class DescriptionRow:
    description: ImageDescription
    text: str
    in_page_language: bool  # False: a Spanish page shows the English text (no Spanish yet)


@dataclass(frozen=True)
class BoardChoice:
    board: Board
    holds_image: bool


@dataclass(frozen=True)
class CreativePage:
    image: CreativeImage
    piece_images: list[CreativeImage]  # near-copies ranked with it as one piece
    creatives: list[Creative]
    runs: list[AdRun]
    series: DailySeries
    fatigue: Fatigue | None
    fatigue_text: dict[str, str]
    ranks: list[RankRow]
    descriptions: list[DescriptionRow]
    boards: list[BoardChoice] = field(default_factory=list)
    daily_rows: list[DailyRow] = field(default_factory=list)
    currency: str = "COP"

    @property
    def totals(self) -> dict[str, float]:
        impressions, clicks = sum(self.series.impressions), sum(self.series.clicks)
        return {
            "impressions": impressions,
            "clicks": clicks,
            "ctr": clicks / impressions if impressions else 0.0,
            "spend": round(sum(self.series.spend), 2),
        }


def _runs(creative_ids: list[int]) -> list[AdRun]:
    ads = list(
        Ad.objects.filter(creative_id__in=creative_ids)
        .select_related("campaign__account__platform", "campaign__node")
        .order_by("-start_date", "-id")
    )
    spans = {
        row["ad_id"]: row
        for row in DailyMetric.objects.filter(ad__in=[ad.pk for ad in ads])
        .values("ad_id")
        .annotate(first=Min("date"), last=Max("date"), impressions=Sum("impressions"))
        .order_by()
    }
    runs = []
    for ad in ads:
        span = spans.get(ad.pk, {})
        runs.append(
            AdRun(
                ad=ad,
                first_day=span.get("first"),
                last_day=span.get("last"),
                impressions=int(span.get("impressions") or 0),
            )
        )
    return runs


def _rank_rows(image: CreativeImage, runs: list[AdRun]) -> list[RankRow]:
    """One row per node × objective the image ran in, under that pair's active rule.

    Each pair is ranked once per page, however many of the image's ads ran in it.
    """
    pairs: dict[tuple[int, str], Node] = {}
    for run in runs:
        campaign = run.ad.campaign
        if campaign.node_id is not None:
            pairs.setdefault((campaign.node_id, campaign.objective), campaign.node)
    rows = []
    for (_node_id, objective), node in sorted(
        pairs.items(), key=lambda item: (item[1].name, item[0][1])
    ):
        objective_label = str(Objective(objective).label)
        try:
            ranking = full_ranking(node=node, objective=objective)
        except NoRuleError:
            rows.append(RankRow(node, objective, objective_label, "", "no_rule"))
            continue
        spec = ranking.spec
        metric_label = str(spec.label)
        common = {
            "node": node,
            "objective": objective,
            "objective_label": objective_label,
            "metric_label": metric_label,
            "passed": ranking.passed,
            "window_start": ranking.window_start,
            "window_end": ranking.window_end,
        }
        piece = ranking.find(image)
        if piece is None:
            status = "gated" if ranking.counts(image) else "outside"
            rows.append(RankRow(status=status, minimums=_minimums(ranking), **common))
            continue
        metric = ranking.rule.metric
        rows.append(
            RankRow(
                status="ranked",
                position=piece.position,
                tier=ranking.tier(piece.position),
                estimate=figures.metric(metric, piece.estimate),
                interval=figures.interval(metric, piece.lower, piece.upper),
                **common,
            )
        )
    return rows


def _minimums(ranking: FullRanking) -> str:
    """The rule's gates: "1.000 impresiones, COP 50 mil, 1 conversión"."""
    rule = ranking.rule
    if rule.minimums_mode == MinimumsMode.SCALED:
        # The fixed figures are kept but unused: name the share the rule asks for.
        return _("%(share)s %% of the median impressions") % {"share": rule.min_share_of_median}
    gates = []
    if rule.min_impressions:
        gates.append(figures.count_of_impressions(rule.min_impressions, compact=True))
    if rule.min_spend:
        gates.append(figures.compact_money(float(rule.min_spend)))
    if rule.min_clicks:
        gates.append(figures.count_of_clicks(rule.min_clicks, compact=True))
    if rule.min_conversions:
        gates.append(figures.count_of_conversions(rule.min_conversions, compact=True))
    return ", ".join(gates)


def _descriptions(image: CreativeImage) -> list[DescriptionRow]:
    """Each description in the page's language, else in English (the describers' own)."""
    english = page_language() == "en"
    rows = []
    for description in image.descriptions.order_by("backend", "-created_at"):
        if not english and description.text_es:
            rows.append(DescriptionRow(description, description.text_es, True))
        else:
            rows.append(DescriptionRow(description, description.text, english))
    return rows


def board_choices(user, image: CreativeImage) -> list[BoardChoice]:
    """The user's boards, marking those that already hold the image (one query)."""
    boards = Board.objects.filter(owner=user).annotate(
        holds=Exists(BoardItem.objects.filter(board=OuterRef("pk"), image=image))
    )
    return [BoardChoice(board, board.holds) for board in boards.order_by("name")]


def creative_page(image: CreativeImage, *, user) -> CreativePage:
    """Everything the creative page shows, in a number of queries that does not grow with the
    image's ads, days or descriptions (only with the node × objective pairs it ran in)."""
    leader_id = image.near_duplicate_of_id or image.pk
    piece_images = list(
        CreativeImage.objects.filter(Q(pk=leader_id) | Q(near_duplicate_of_id=leader_id))
        .exclude(pk=image.pk)
        .order_by("pk")
    )
    creatives = list(Creative.objects.filter(image_slots__image=image).distinct().order_by("-id"))
    creative_ids = [creative.pk for creative in creatives]
    runs = _runs(creative_ids)
    series = daily_series(creative_ids)
    tired = fatigue(series)
    return CreativePage(
        image=image,
        piece_images=piece_images,
        creatives=creatives,
        runs=runs,
        series=series,
        fatigue=tired,
        fatigue_text=tired.texts() if tired else {},
        ranks=_rank_rows(image, runs),
        descriptions=_descriptions(image),
        boards=board_choices(user, image),
        daily_rows=daily_rows(series),
        currency=settings.YENNI_REPORTING_CURRENCY,
    )
