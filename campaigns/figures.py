"""Figures as people read them, in the active language: the one place numbers become text.

                                    Spanish        English
    number(1234.5, 1)               1.234,5        1,234.5
    compact(240_000)                240 mil        240k
    compact(1_200_000)              1,2 M          1.2M
    money(1250)                     COP 1.250      COP 1,250
    compact_money(12_500_000)       COP 12,5 M     COP 12.5M
    percent(0.021)                  2,1 %          2.1 %
    change(-0.07)                   −7 %           −7 %
    change(-0.001)                  0 %            0 %
    ratio(3.4)                      3,40×          3.40×
    rate(Decimal("4072.03000000"))  4.072,03       4,072.03
    metric("cpc", 1250)             COP 1.250      COP 1,250
    interval("ctr", 0.018, 0.024)   1,8–2,4 %      1.8–2.4 %
    ordinal(3)                      3.º            3rd

Spanish is Colombian: "1.500", not Django's `es` "1 500" (yenni_site/formats/es). Where a text
must be in one language whatever the page's (a reference's stored `reason_es`), the caller wraps
the call in `translation.override("es")`.

Django's own localisation does the separators, rather than Babel: the templates' `intcomma`,
`localize` and `floatformat` already use it, so one format module (settings.FORMAT_MODULE_PATH)
sets every number the site prints, and nothing new is installed. Django's `number_format` cuts
decimals off instead of rounding (2.19 with one decimal gives "2.1"), so `number` rounds first.
"""

from __future__ import annotations

import math
from decimal import Decimal

from django.conf import settings
from django.core.signals import setting_changed
from django.dispatch import receiver
from django.utils.formats import get_format, number_format
from django.utils.translation import get_language, gettext, ngettext

from campaigns.ranking.metrics import METRICS
from yenni_site.language import page_language

Number = int | float | Decimal


def number(value: Number, decimals: int = 0) -> str:
    """Return `value` rounded to `decimals` places, thousands grouped: "1.234,5" / "1,234.5"."""
    text = f"{value:.{decimals}f}"
    if not text.lstrip("-").strip("0."):
        text = text.lstrip("-")  # a value that rounds to zero never reads "-0"
    separators = _separators(get_language())
    if separators is None or not text[-1].isdigit():
        return number_format(Decimal(text), decimals, use_l10n=True, force_grouping=True)
    # What number_format prints, without its three format look-ups and Decimal arithmetic per
    # call: a brief's reasons print about seventy numbers.
    decimal_separator, thousand_separator = separators
    sign, digits = ("-", text[1:]) if text.startswith("-") else ("", text)
    whole, _, fraction = digits.partition(".")
    grouped = f"{int(whole):,}".replace(",", thousand_separator)
    return f"{sign}{grouped}{decimal_separator}{fraction}" if fraction else f"{sign}{grouped}"


# The active language's (decimal, thousand) separators, read from its format module once; None
# where it groups other than by threes (Django then prints the number itself).
_SEPARATORS: dict[str | None, tuple[str, str] | None] = {}


def _separators(language: str | None) -> tuple[str, str] | None:
    try:
        return _SEPARATORS[language]
    except KeyError:
        pass
    grouping = get_format("NUMBER_GROUPING", use_l10n=True)
    found = None
    if grouping == 3:
        found = (
            str(get_format("DECIMAL_SEPARATOR", use_l10n=True)),
            str(get_format("THOUSAND_SEPARATOR", use_l10n=True)),
        )
    _SEPARATORS[language] = found
    return found


@receiver(setting_changed)
def _separators_forget(**_kwargs) -> None:
    """A test that changes a format setting sees it on the next number."""
    _SEPARATORS.clear()


def compact(value: Number) -> str:
    """Return a volume people read at a glance: "240 mil" / "240k", "1,2 M" / "1.2M".

    Whole numbers below ten thousand, thousands up to a million, millions with one decimal.
    """
    if abs(value) >= 1_000_000:
        return gettext("%(number)sM") % {"number": number(value / 1_000_000, 1)}
    if abs(value) >= 10_000:
        return gettext("%(number)sk") % {"number": number(value / 1_000)}
    return number(value)


def money(value: Number, currency: str | None = None, decimals: int | None = None) -> str:
    """Return an amount with its currency first: "COP 1.250", "COP 0,85".

    Without `decimals`, whole units from 100 up and cents below, where they still matter.
    """
    return f"{_currency(currency)} {_amount(value, decimals)}"


def compact_money(value: Number, currency: str | None = None) -> str:
    """Return an amount as a volume: "COP 12,5 M" / "COP 12.5M"."""
    return f"{_currency(currency)} {compact(value)}"


def percent(fraction: float, decimals: int | None = None) -> str:
    """Return a share as a percentage: 0.021 → "2,1 %".

    Without `decimals`, one decimal from 1 % up and two below, so small rates keep a figure.
    """
    return f"{_percentage(fraction, decimals)} %"


def change(fraction: float) -> str:
    """Return a relative change in whole percents with a real minus sign: "+18 %", "−7 %".

    A change that rounds to zero reads "0 %", with no sign: "−0 %" reads as a typo to anyone
    but a statistician, and a zero contradicts no verdict it comes with.
    """
    percents = round(fraction * 100)
    if percents == 0:
        return f"{number(0)} %"
    return f"{'−' if percents < 0 else '+'}{number(abs(percents))} %"


def _plural_count(value: Number) -> int:
    """The count that picks a noun's plural for `value` ("1 conversión", "1,5 conversiones"):
    the value itself when whole, else one that is plural in both languages."""
    return int(value) if value == int(value) else 2


def _counted(value: Number, compact_: bool) -> str:
    if compact_:
        return compact(float(value))
    # Fractional conversions (a platform's attributed share) keep up to two decimals.
    decimals = next((d for d in (0, 1) if value * 10**d == int(value * 10**d)), 2)
    return number(value, decimals)


def count_of_impressions(value: Number, *, compact: bool = False) -> str:
    """Return "1 impresión", "1.000 impresiones" (with `compact`, "240 mil impresiones")."""
    return ngettext("%(n)s impression", "%(n)s impressions", _plural_count(value)) % {
        "n": _counted(value, compact)
    }


def count_of_clicks(value: Number, *, compact: bool = False) -> str:
    """Return "1 clic", "20 clics"."""
    return ngettext("%(n)s click", "%(n)s clicks", _plural_count(value)) % {
        "n": _counted(value, compact)
    }


def count_of_days(value: int) -> str:
    """Return "1 día", "30 días"."""
    return ngettext("%(n)s day", "%(n)s days", value) % {"n": number(value)}


def count_of_leads(value: Number) -> str:
    """Return "1 lead", "12 leads"."""
    return ngettext("%(n)s lead", "%(n)s leads", _plural_count(value)) % {
        "n": _counted(value, False)
    }


def count_of_conversions(value: Number, *, compact: bool = False) -> str:
    """Return "1 conversión", "1,5 conversiones"."""
    return ngettext("%(n)s conversion", "%(n)s conversions", _plural_count(value)) % {
        "n": _counted(value, compact)
    }


def ratio(value: float) -> str:
    """Return a multiple with two decimals: "3,40×"."""
    return f"{number(value, 2)}×"


def rate(value: Number) -> str:
    """Return an exchange rate: "4.072,03"; below one, four significant figures ("0,0002456").

    The table stores eight decimals, which Django's admin would print in full ("4072,03000000").
    """
    if value == 0 or abs(value) >= 1:
        return number(value, 2)
    decimals = 3 - math.floor(math.log10(abs(value)))
    return number(value, decimals)


def metric(key: str, value: float, currency: str | None = None) -> str:
    """Return a value of metric `key` with its unit: "2,1 %", "COP 1.250", "3,40×"."""
    text, unit = _number_and_unit(key, value)
    if unit == "money":
        return f"{_currency(currency)} {text}"
    return f"{text}{unit}"


def interval(key: str, low: float, high: float, currency: str | None = None) -> str:
    """Return an interval of metric `key` with its unit once: "1,8–2,4 %", "COP 1.100–1.420"."""
    low_text, unit = _number_and_unit(key, low)
    high_text, _unit = _number_and_unit(key, high)
    if unit == "money":
        return f"{_currency(currency)} {low_text}–{high_text}"
    return f"{low_text}–{high_text}{unit}"


def ordinal(n: int) -> str:
    """Return a position: "3.º" / "3rd"."""
    if page_language() == "es":
        return f"{n}.º"
    suffix = "th" if 10 <= n % 100 <= 20 else {1: "st", 2: "nd", 3: "rd"}.get(n % 10, "th")
    return f"{n}{suffix}"


def _number_and_unit(key: str, value: float) -> tuple[str, str]:
    """A metric's value without its unit, and the unit: " %", "×" or "money"."""
    unit = METRICS[key].unit
    if unit == "percent":
        return _percentage(value), " %"
    if unit == "ratio":
        return number(value, 2), "×"
    return _amount(value), "money"


def _percentage(fraction: float, decimals: int | None = None) -> str:
    value = fraction * 100
    if decimals is None:
        decimals = 1 if abs(value) >= 1 else 2
    return number(value, decimals)


def _amount(value: Number, decimals: int | None = None) -> str:
    if decimals is None:
        decimals = 0 if abs(value) >= 100 else 2
    return number(value, decimals)


def _currency(currency: str | None) -> str:
    return currency or settings.YENNI_REPORTING_CURRENCY
