"""Write the one-sentence reason a reference was chosen, in Spanish and English.

"CTR 2.1 % (1.8–2.4 %) on 240k impressions over 34 days; 3rd of 312 wompi traffic pieces"
Plain Python: the figures come in, two strings go out.
"""

from __future__ import annotations

from dataclasses import dataclass

from campaigns.ranking.metrics import METRICS, Model
from campaigns.ranking.pieces import PieceFigures
from campaigns.ranking.scoring import Estimate

OBJECTIVE_WORDS = {
    "en": {
        "awareness": "awareness",
        "traffic": "traffic",
        "engagement": "engagement",
        "leads": "leads",
        "conversion": "conversion",
        "other": "other-objective",
    },
    "es": {
        "awareness": "de reconocimiento",
        "traffic": "de tráfico",
        "engagement": "de interacción",
        "leads": "de leads",
        "conversion": "de conversión",
        "other": "de otros objetivos",
    },
}

# What each figure is called, in English and Spanish: reasons and shortfall messages share it.
FIGURE_WORDS = {
    "impressions": ("impressions", "impresiones"),
    "clicks": ("clicks", "clics"),
    "spend": ("spend", "inversión"),
    "leads": ("leads", "leads"),
    "conversions": ("conversions", "conversiones"),
    "video_views": ("video views", "reproducciones"),
    "engagements": ("engagements", "interacciones"),
}


def figure_word(figure: str, lang: str) -> str:
    english, spanish = FIGURE_WORDS.get(figure, (figure, figure))
    return spanish if lang == "es" else english


@dataclass(frozen=True)
class ReasonContext:
    node_name: str
    objective: str
    position: int
    ranked: int
    currency: str


def _number(value: float, lang: str, decimals: int = 0) -> str:
    text = f"{value:,.{decimals}f}"
    if lang == "es":
        # 1,234.5 → 1.234,5
        text = text.replace(",", "\u0000").replace(".", ",").replace("\u0000", ".")
    return text


def compact(value: float, lang: str) -> str:
    """Return 240k / 240 mil, 1.2M / 1,2 M: volumes people read at a glance."""
    if value >= 1_000_000:
        return f"{_number(value / 1_000_000, lang, 1)}{'M' if lang == 'en' else ' M'}"
    if value >= 10_000:
        return f"{_number(value / 1_000, lang, 0)}{'k' if lang == 'en' else ' mil'}"
    return _number(value, lang, 0)


def format_metric(metric: str, value: float, lang: str, currency: str) -> str:
    """Return a value with its unit: "2,1 %", "COP 1.250", "3,40×"."""
    number, unit = _number_and_unit(metric, value, lang, currency)
    return f"{currency} {number}" if unit == currency else f"{number}{unit}"


def format_interval(metric: str, low: float, high: float, lang: str, currency: str) -> str:
    """Return an interval with its unit once: "1,8–2,4 %", "COP 1.100–1.420"."""
    low_text, unit = _number_and_unit(metric, low, lang, currency)
    high_text, _ = _number_and_unit(metric, high, lang, currency)
    if unit == currency:
        return f"{currency} {low_text}–{high_text}"
    return f"{low_text}–{high_text}{unit}"


def _number_and_unit(metric: str, value: float, lang: str, currency: str) -> tuple[str, str]:
    spec = METRICS[metric]
    if spec.unit == "percent":
        pct = value * 100
        return _number(pct, lang, 1 if pct >= 1 else 2), " %"
    if spec.unit == "ratio":
        return _number(value, lang, 2), "×"
    return _number(value, lang, 0 if value >= 100 else 2), currency


def _ordinal(n: int, lang: str) -> str:
    if lang == "es":
        return f"{n}.º"
    suffix = "th" if 10 <= n % 100 <= 20 else {1: "st", 2: "nd", 3: "rd"}.get(n % 10, "th")
    return f"{n}{suffix}"


def _volume(metric: str, piece: PieceFigures) -> tuple[float, str]:
    spec = METRICS[metric]
    if spec.model is Model.SHARE:
        return piece.value(spec.denominator), spec.denominator
    if spec.model is Model.YIELD:
        return piece.spend, "spend"
    return piece.value(spec.numerator), spec.numerator


def reason(
    metric: str, estimate: Estimate, piece: PieceFigures, ctx: ReasonContext, lang: str
) -> str:
    """Return the reason sentence in `lang` ("es" or "en")."""
    spec = METRICS[metric]
    label = spec.label_es if lang == "es" else spec.label_en
    point = format_metric(metric, estimate.point, lang, ctx.currency)
    interval = format_interval(metric, estimate.lower, estimate.upper, lang, ctx.currency)
    volume, volume_field = _volume(metric, piece)
    if volume_field == "spend":
        # An amount, not a count: "COP 12 M de inversión" / "COP 12M spend".
        spend_word = "de inversión" if lang == "es" else "spend"
        amount = f"{ctx.currency} {compact(volume, lang)} {spend_word}"
    else:
        amount = f"{compact(volume, lang)} {figure_word(volume_field, lang)}"
    objective = OBJECTIVE_WORDS[lang].get(ctx.objective, ctx.objective)
    days = piece.days
    if lang == "es":
        return (
            f"{label} {point} ({interval}) con {amount} en {days} días; "
            f"{_ordinal(ctx.position, lang)} de {ctx.ranked} piezas {objective} de {ctx.node_name}"
        )
    return (
        f"{label} {point} ({interval}) on {amount} over {days} days; "
        f"{_ordinal(ctx.position, lang)} of {ctx.ranked} {ctx.node_name} {objective} pieces"
    )
