"""Payload parsing without Django or a server: the platform quirks, one by one."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from ingestion.connectors.google_ads import GoogleAdsConnector, _duration_seconds
from ingestion.connectors.linkedin import urn_id
from ingestion.connectors.meta import MetaConnector, canonical_action_value
from ingestion.connectors.records import to_int, to_micros
from ingestion.connectors.x import XConnector
from ingestion.csv_text import CsvFileError, NumberCell, NumberStyle, number_style


def test_one_canonical_action_type_is_read_per_concept():
    values = {
        "offsite_conversion.fb_pixel_purchase": 3.0,
        "purchase": 3.0,
        "omni_purchase": 3.0,
        "onsite_web_purchase": 3.0,
        "offsite_conversion.fb_pixel_lead": 2.0,
        "lead": 2.0,
    }

    assert canonical_action_value(values, "purchase") == 3.0
    assert canonical_action_value(values, "lead") == 2.0
    assert canonical_action_value(values, "offsite_conversion.fb_pixel_lead") == 2.0
    assert canonical_action_value(values, "complete_registration") == 0.0


def test_meta_reads_string_numbers_and_reports_every_action_type_as_meta_names_it():
    connector = MetaConnector(account_id="act_1")
    row = {
        "ad_id": "9",
        "campaign_id": "1",
        "date_start": "2026-01-05",
        "impressions": "361324",
        "spend": "5339.5",
        "actions": [
            {"action_type": "lead", "value": "4"},
            {"action_type": "omni_lead", "value": "4"},
            {"action_type": "offsite_conversion.custom.77", "value": "2"},
        ],
        "action_values": [{"action_type": "offsite_conversion.custom.77", "value": "150.25"}],
    }

    [metric] = connector.parse_payload("insights", {"data": [row]}).metrics

    assert (metric.impressions, metric.spend_micros) == (361324, 5_339_500_000)
    # Counting is the store's, by the account's choice: the record carries every type.
    assert metric.conversions_by_type == {
        "lead": 4.0,
        "omni_lead": 4.0,
        "offsite_conversion.custom.77": 2.0,
    }
    assert metric.conversion_values_by_type == {"offsite_conversion.custom.77": 150_250_000}


def test_amounts_become_integer_micros_exactly():
    assert to_micros("209.449") == 209_449_000
    assert to_micros(Decimal("0.0000005")) == 0
    assert to_micros("0.0000015") == 2
    assert to_micros(None) == 0
    assert to_int("2500000000") == 2_500_000_000


def test_google_durations_and_camel_case_rows_are_read():
    assert _duration_seconds("30s") == 30.0
    assert _duration_seconds("1.5s") == 1.5
    assert _duration_seconds("soon") is None
    row = {
        "segments": {"date": "2026-01-05"},
        "campaign": {"id": "1"},
        "adGroupAd": {"ad": {"id": "77"}},
        "metrics": {"impressions": "1000", "costMicros": "2500000000", "conversions": 4.5},
    }

    parsed = GoogleAdsConnector(account_id="1").parse_payload("metrics", [{"results": [row]}])
    [metric] = parsed.metrics
    assert (metric.impressions, metric.clicks, metric.spend_micros, metric.conversions) == (
        1000,
        0,
        2_500_000_000,
        4.5,
    )


def test_linkedin_urns_give_their_ids():
    assert urn_id("urn:li:sponsoredCreative:123") == "123"
    assert urn_id(456) == "456"


def test_x_stats_arrays_become_one_row_a_day_in_the_account_time_zone():
    payload = {
        "data_type": "stats",
        "time_series_length": 3,
        "data": [
            {
                "id": "pt1",
                "id_data": [
                    {
                        "segment": None,
                        "metrics": {
                            "impressions": [10, None, 30],
                            "billed_charge_local_micro": [1500000, None, None],
                            "conversion_purchases": {"metric": [1, None, 2]},
                        },
                    }
                ],
            }
        ],
        "request": {"params": {"start_time": "2026-01-05T05:00:00Z"}},
    }
    connector = XConnector(account_id="a", options={"time_zone": "America/Bogota"})

    metrics = connector.parse_payload("stats", payload).metrics

    assert [(m.date, m.impressions, m.spend_micros, m.conversions_by_type) for m in metrics] == [
        (dt.date(2026, 1, 5), 10, 1_500_000, {"conversion_purchases": 1}),
        (dt.date(2026, 1, 7), 30, 0, {"conversion_purchases": 2}),
    ]


@pytest.mark.parametrize(
    ("text", "decimal", "expected"),
    [
        ("1,234.56", ".", "1234.56"),
        ("1.234,56", ",", "1234.56"),
        ("12.450", ",", "12450"),
        ("12,450", ".", "12450"),
        ("1.234.567", ",", "1234567"),
        ("101953.00", ".", "101953.00"),
        ("0,125", ",", "0.125"),
        ("1\u00a0234,5", ",", "1234.5"),
        ("-3,5", ",", "-3.5"),
        ("--", ".", "0"),
        ("", ",", "0"),
        ("7.23%", ".", "7.23"),
        ("7,23 %", ",", "7.23"),
    ],
)
def test_csv_numbers_are_read_with_the_files_decimal_separator(text, decimal, expected):
    assert NumberStyle(decimal).read(text) == Decimal(expected)


@pytest.mark.parametrize("text", ["1.234,56", "1.2.3", "12,45.6", "1,23", "seven", "1.5e3"])
def test_a_number_that_does_not_fit_the_files_format_is_refused(text):
    with pytest.raises(ValueError, match="is not a number"):
        NumberStyle(".").read(text)


def cells(*values: str, count: bool = False) -> list[NumberCell]:
    return [
        NumberCell(line=line, column="Importe", text=text, count=count)
        for line, text in enumerate(values, start=2)
    ]


@pytest.mark.parametrize(
    ("values", "count", "decimal"),
    [
        (["1.234,56"], False, ","),
        (["1,234.56"], False, "."),
        (["48.05"], False, "."),
        (["1,5"], False, ","),
        (["0.125"], False, "."),
        (["1234,567"], False, ","),
        (["1.234.567"], False, ","),
        (["1,234,567"], False, "."),
        (["198.000", "512.340,50"], False, ","),
        (["198,000", "101953.00"], False, "."),
        (["12.450"], True, ","),
        (["12,450"], True, "."),
        (["800", "2026-01-05", "Medellín 25-44", "actions:link_click"], False, "."),
    ],
)
def test_the_decimal_separator_is_decided_by_the_numbers_themselves(values, count, decimal):
    assert number_style(cells(*values, count=count)) == NumberStyle(decimal)


def test_separators_nothing_settles_are_refused_with_both_readings():
    with pytest.raises(CsvFileError) as caught:
        number_style(cells("800", "1.500", "2.250"))

    assert caught.value.params == {
        "value": "1.500",
        "column": "Importe",
        "line": 3,
        "as_thousands": "1500",
        "as_decimal": "1.5",
    }


def test_a_file_using_both_decimal_separators_is_refused_naming_both_cells():
    with pytest.raises(CsvFileError) as caught:
        number_style(cells("48.05", "7", "1,26"))

    assert caught.value.params == {
        "first": "48.05",
        "first_column": "Importe",
        "first_line": 2,
        "first_decimal": ".",
        "second": "1,26",
        "second_column": "Importe",
        "second_line": 4,
        "second_decimal": ",",
    }
