"""campaigns.figures: every figure the site prints, in Colombian Spanish and in English."""

from __future__ import annotations

from contextlib import contextmanager
from decimal import Decimal

import pytest
from django.template import Context, Template
from django.test import override_settings
from django.utils import translation
from django.utils.formats import reset_format_cache
from hypothesis import given, settings
from hypothesis import strategies as st

from campaigns import figures


@pytest.fixture
def es():
    with translation.override("es"):
        yield


@pytest.fixture
def en():
    with translation.override("en"):
        yield


@pytest.mark.parametrize(
    ("value", "decimals", "spanish", "english"),
    [
        (1500, 0, "1.500", "1,500"),
        (1_234_567, 0, "1.234.567", "1,234,567"),
        (1234.5, 1, "1.234,5", "1,234.5"),
        (999, 0, "999", "999"),
        (0, 0, "0", "0"),
        (0, 2, "0,00", "0.00"),
        (-1500.25, 2, "-1.500,25", "-1,500.25"),
        (Decimal("2.5"), 1, "2,5", "2.5"),
    ],
)
def test_numbers_group_thousands_the_colombian_way_in_spanish(value, decimals, spanish, english):
    with translation.override("es"):
        assert figures.number(value, decimals) == spanish
    with translation.override("en"):
        assert figures.number(value, decimals) == english


def test_a_number_is_rounded_not_cut_off(es):
    # Django's number_format alone would print 2.19 with one decimal as "2,1".
    assert figures.number(2.19, 1) == "2,2"
    assert figures.number(1234.56) == "1.235"


def test_a_value_that_rounds_to_zero_has_no_minus_sign(es):
    assert figures.number(-0.001, 2) == "0,00"
    assert figures.number(-0.4) == "0"


@pytest.mark.parametrize(
    ("value", "spanish", "english"),
    [
        (0, "0", "0"),
        (9_999, "9.999", "9,999"),
        (240_000, "240 mil", "240k"),
        (1_200_000, "1,2 M", "1.2M"),
        (12_345_678, "12,3 M", "12.3M"),
        (-240_000, "-240 mil", "-240k"),
    ],
)
def test_volumes_read_at_a_glance(value, spanish, english):
    with translation.override("es"):
        assert figures.compact(value) == spanish
    with translation.override("en"):
        assert figures.compact(value) == english


def test_money_puts_the_currency_first_and_keeps_cents_only_below_a_hundred(es):
    assert figures.money(1250) == "COP 1.250"
    assert figures.money(0.85) == "COP 0,85"
    assert figures.money(1_234_567.89, "USD", 2) == "USD 1.234.567,89"
    assert figures.money(-1500) == "COP -1.500"
    assert figures.money(0) == "COP 0,00"
    assert figures.compact_money(12_500_000) == "COP 12,5 M"


def test_money_in_english(en):
    assert figures.money(1250) == "COP 1,250"
    assert figures.compact_money(12_500_000) == "COP 12.5M"


def test_percentages_keep_two_decimals_below_one_percent():
    with translation.override("es"):
        assert figures.percent(0.021) == "2,1 %"
        assert figures.percent(0.0042) == "0,42 %"
        assert figures.percent(0.0125, 2) == "1,25 %"
        assert figures.percent(0) == "0,00 %"
        assert figures.percent(-0.05) == "-5,0 %"
    with translation.override("en"):
        assert figures.percent(0.021) == "2.1 %"


def test_a_change_has_a_real_minus_sign_and_whole_percents(es):
    assert figures.change(0.18) == "+18 %"
    assert figures.change(-0.07) == "−7 %"
    assert figures.change(-0.001) == "0 %"
    assert figures.change(0.004) == "0 %"
    assert figures.change(0) == "0 %"
    assert figures.change(-0.005001) == "−1 %"
    assert figures.change(12.5) == "+1.250 %"


def test_a_ratio_has_two_decimals():
    with translation.override("es"):
        assert figures.ratio(3.4) == "3,40×"
    with translation.override("en"):
        assert figures.ratio(3.4) == "3.40×"


def test_a_metric_prints_with_its_own_unit():
    with translation.override("es"):
        assert figures.metric("ctr", 0.021) == "2,1 %"
        assert figures.metric("cpc", 1250) == "COP 1.250"
        assert figures.metric("cpm", 85.5) == "COP 85,50"
        assert figures.metric("roas", 3.4) == "3,40×"
    with translation.override("en"):
        assert figures.metric("cpc", 1250, "USD") == "USD 1,250"


def test_an_interval_names_its_unit_once():
    with translation.override("es"):
        assert figures.interval("ctr", 0.018, 0.024) == "1,8–2,4 %"
        assert figures.interval("cpc", 1100, 1420) == "COP 1.100–1.420"
        assert figures.interval("roas", 1.2, 1.5) == "1,20–1,50×"
        assert figures.interval("ctr", 0.0, 0.004) == "0,00–0,40 %"
    with translation.override("en"):
        assert figures.interval("ctr", 0.018, 0.024) == "1.8–2.4 %"
        assert figures.interval("cpc", 1100, 1420) == "COP 1,100–1,420"


def test_ordinals():
    with translation.override("es"):
        assert [figures.ordinal(n) for n in (1, 3, 11)] == ["1.º", "3.º", "11.º"]
    with translation.override("en"):
        assert [figures.ordinal(n) for n in (1, 2, 3, 4, 11, 12, 13, 21, 112)] == [
            "1st",
            "2nd",
            "3rd",
            "4th",
            "11th",
            "12th",
            "13th",
            "21st",
            "112th",
        ]


def test_templates_group_numbers_like_the_figures(es):
    template = Template('{% load humanize l10n %}{{ n|intcomma }} {{ x|floatformat:"2g" }}')

    assert template.render(Context({"n": 1500, "x": 1234.5})) == "1.500 1.234,50"


def test_ids_are_not_grouped_outside_the_figures(es):
    # USE_THOUSAND_SEPARATOR stays off: an id in a URL or a hidden input prints as it is.
    assert Template("{{ n }}").render(Context({"n": 12345})) == "12345"


# --- the separators read once per language (a brief's reasons print ~70 numbers) ---------------


def _django_number(value, decimals: int) -> str:
    """What `figures.number` printed through Django's `number_format` on every call."""
    from django.utils.formats import number_format

    text = f"{value:.{decimals}f}"
    if Decimal(text) == 0:
        text = text.lstrip("-")
    return number_format(Decimal(text), decimals, use_l10n=True, force_grouping=True)


@settings(max_examples=400, deadline=None)
@given(
    value=st.one_of(
        st.floats(min_value=-1e15, max_value=1e15, allow_nan=False),
        st.integers(min_value=-(10**15), max_value=10**15),
        st.decimals(min_value=-(10**12), max_value=10**12, allow_nan=False, places=6),
    ),
    decimals=st.integers(0, 6),
    language=st.sampled_from(["es", "en"]),
)
def test_a_number_prints_as_djangos_number_format_printed_it(value, decimals, language):
    with translation.override(language):
        assert figures.number(value, decimals) == _django_number(value, decimals)


@pytest.fixture
def format_modules():
    """Set FORMAT_MODULE_PATH for a test. Django keeps the format modules it read until told
    (the setting is not among those its test signal resets; a deployment changes it by
    restarting), so its cache is reset on the way in and again once the setting is back."""

    @contextmanager
    def path(module_path):
        try:
            with override_settings(FORMAT_MODULE_PATH=module_path):
                reset_format_cache()
                yield
        finally:
            reset_format_cache()

    return path


def test_a_change_to_the_format_settings_shows_on_the_next_number(format_modules, es):
    assert figures.number(1234567.5, 1) == "1.234.567,5"

    with format_modules(None):
        # Django's own `es`: a no-break space groups thousands.
        assert figures.number(1234567.5, 1) == "1\xa0234\xa0567,5"

    assert figures.number(1234567.5, 1) == "1.234.567,5"


def test_a_grouping_other_than_threes_is_left_to_django(format_modules, es):
    with format_modules("tests.number_formats"):
        assert figures.number(1234567, 0) == "12,34,567"
        assert figures.number(-1234567.25, 1) == _django_number(-1234567.25, 1)
