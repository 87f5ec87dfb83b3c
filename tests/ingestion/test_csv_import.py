"""CSV files downloaded by hand: Meta exports in English and Spanish, Google Ads reports."""

from __future__ import annotations

import csv
import datetime as dt
import io
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command

from campaigns.models import Ad, Campaign, DailyMetric, Objective
from ingestion.models import IngestionRun
from ingestion.services import ingestion_csv_import
from tests.factories import make_account, make_campaign
from tests.ingestion.conftest import catalog_totals

FIXTURES = Path(__file__).parent / "fixtures"


def fixture(name: str) -> bytes:
    return (FIXTURES / name).read_bytes()


def without_column(data: bytes, column: str) -> bytes:
    lines = data.decode().splitlines()
    index = lines[0].split(",").index(column)
    kept = []
    for line in lines:
        cells = next(csv.reader([line]))
        del cells[index]
        buffer = io.StringIO()
        csv.writer(buffer, lineterminator="").writerow(cells)
        kept.append(buffer.getvalue())
    return ("\n".join(kept) + "\n").encode()


def totals_by_name(account) -> dict[str, tuple[int, int, int, float]]:
    names = dict(Ad.objects.filter(campaign__account=account).values_list("external_id", "name"))
    return {names[ad_id]: values for ad_id, values in catalog_totals(account).items()}


def test_a_meta_export_in_english_imports_to_exact_totals(db):
    account = make_account(platform="meta", external_id="act_1001", currency="USD")

    run = ingestion_csv_import(account=account, data=fixture("meta_ads_manager_en.csv"))

    assert run.status == IngestionRun.Status.SUCCEEDED, run.error
    assert catalog_totals(account) == {
        "23850000000009001": (38252, 184, 383_500_000, 4.0),
        "23850000000009002": (11120, 42, 100_000_000, 0.0),
        "23850000000009003": (4095, 26, 59_500_000, 0.0),
    }
    assert DailyMetric.objects.count() == 7
    row = DailyMetric.objects.get(ad__external_id="23850000000009001", date=dt.date(2026, 1, 6))
    assert (row.link_clicks, row.reach, row.leads, row.video_views) == (40, 10101, 3, 150)
    assert row.conversion_value_micros == 179_800_000
    assert (run.kind, run.window_start, run.window_end) == (
        IngestionRun.Kind.CSV,
        dt.date(2026, 1, 5),
        dt.date(2026, 1, 7),
    )
    assert sorted(Campaign.objects.values_list("name", flat=True)) == [
        "Compras cuotas enero",
        "Wompi links",
    ]


def test_importing_the_same_file_again_changes_nothing(db):
    account = make_account(platform="meta", external_id="act_1001", currency="USD")
    ingestion_csv_import(account=account, data=fixture("meta_ads_manager_en.csv"))
    before = list(DailyMetric.objects.order_by("pk").values())

    again = ingestion_csv_import(account=account, data=fixture("meta_ads_manager_en.csv"))

    assert (again.status, again.created_count, again.updated_count) == (
        IngestionRun.Status.SUCCEEDED,
        0,
        0,
    )
    assert list(DailyMetric.objects.order_by("pk").values()) == before


def test_a_meta_export_in_spanish_with_decimal_commas_imports_to_exact_totals(db):
    account = make_account(platform="meta", currency="COP")

    run = ingestion_csv_import(account=account, data=fixture("meta_ads_manager_es.csv"))

    assert run.status == IngestionRun.Status.SUCCEEDED, run.error
    assert totals_by_name(account) == {
        "Celular azul": (25452, 124, 1_042_440_750_000, 3.0),
        "Celular rojo": (11120, 42, 408_450_750_000, 0.0),
    }
    assert sum(DailyMetric.objects.values_list("leads", flat=True)) == 6


def test_a_google_ads_report_download_imports_to_exact_totals_without_its_total_rows(db):
    account = make_account(platform="google_ads", external_id="123-456-7890", currency="USD")

    run = ingestion_csv_import(account=account, data=fixture("google_ads_ad_report.csv"))

    assert run.status == IngestionRun.Status.SUCCEEDED, run.error
    assert catalog_totals(account) == {
        "700001": (3513, 247, 128_740_000, 5.0),
        "700002": (31882, 408, 2_167_500_000, 23.5),
    }
    assert sum(DailyMetric.objects.values_list("conversion_value_micros", flat=True)) == (
        3_020_750_000
    )
    assert dict(Campaign.objects.values_list("objective_raw", "objective")) == {
        "SEARCH - MANUAL_CPC": Objective.TRAFFIC,
        "PERFORMANCE_MAX - MAXIMIZE_CONVERSIONS": Objective.CONVERSION,
    }
    ad = Ad.objects.select_related("creative").get(external_id="700001")
    assert (ad.creative.headline, ad.creative.body, ad.creative.landing_url) == (
        "Cobra con Wompi",
        "Links de pago en minutos",
        "https://wompi.co/pagos",
    )


def test_a_file_missing_a_required_column_fails_names_it_and_imports_nothing(db):
    account = make_account(platform="meta", currency="USD")
    data = without_column(fixture("meta_ads_manager_en.csv"), "Impressions")

    run = ingestion_csv_import(account=account, data=data, filename="export.csv")

    assert run.status == IngestionRun.Status.FAILED
    assert run.error.startswith(
        "export.csv: This does not look like a Meta Ads Manager export: required columns are "
        "missing: Impressions or Impresiones. Columns found: Reporting starts, Reporting ends, "
        "Campaign name,"
    )
    assert (Campaign.objects.count(), DailyMetric.objects.count()) == (0, 0)


def test_a_google_report_without_its_header_fails_listing_what_was_expected(db):
    account = make_account(platform="google_ads", currency="USD")

    run = ingestion_csv_import(account=account, data=b"Ad report\nJanuary 2026\nFoo,Bar\n1,2\n")

    assert run.status == IngestionRun.Status.FAILED
    assert "required columns are missing: Day or Día; Campaign or Campaña;" in run.error
    assert "Columns found: Foo, Bar." in run.error


def test_bad_rows_are_reported_with_their_line_numbers_and_nothing_is_imported(db):
    account = make_account(platform="meta", currency="USD")
    data = (
        fixture("meta_ads_manager_en.csv")
        .decode()
        .replace("48.05", "forty")
        .replace("2026-01-07,2026-01-07", "2026-01-07,2026-01-09")
        .encode()
    )

    run = ingestion_csv_import(account=account, data=data)

    assert run.status == IngestionRun.Status.FAILED
    assert run.error == (
        "2 rows could not be read, so nothing was imported. line 3: 'forty' is not a number; "
        "line 8: the row covers more than one day; export with the breakdown by day."
    )
    assert (Campaign.objects.count(), DailyMetric.objects.count()) == (0, 0)


def test_a_file_in_another_currency_than_the_account_is_refused(db):
    account = make_account(platform="meta", name="Compras COP", currency="COP")

    run = ingestion_csv_import(account=account, data=fixture("meta_ads_manager_en.csv"))

    assert run.status == IngestionRun.Status.FAILED
    assert "amounts are in USD, but account “Compras COP”" in run.error
    assert DailyMetric.objects.count() == 0


def test_an_import_keeps_what_the_api_said_about_a_campaign(db):
    account = make_account(platform="meta", currency="USD")
    synced = make_campaign(
        account=account,
        external_id="23850000000000101",
        name="Compras cuotas enero (API)",
        objective_raw="OUTCOME_SALES",
        objective=Objective.CONVERSION,
    )

    ingestion_csv_import(account=account, data=fixture("meta_ads_manager_en.csv"))

    synced.refresh_from_db()
    assert (synced.name, synced.objective) == ("Compras cuotas enero (API)", Objective.CONVERSION)
    assert synced.ads.count() == 2


def test_the_ingest_csv_command_imports_a_file_and_fails_loudly(db, tmp_path):
    make_account(platform="google_ads", external_id="123-456-7890", currency="USD")
    good = FIXTURES / "google_ads_ad_report.csv"
    out = io.StringIO()

    call_command(
        "ingest_csv", str(good), "--platform=google_ads", "--account=123-456-7890", stdout=out
    )

    assert "Imported 5 rows from google_ads_ad_report.csv (2026-01-05 – 2026-01-07)" in (
        out.getvalue()
    )
    broken = tmp_path / "broken.csv"
    broken.write_text("Day,Campaign\n")
    with pytest.raises(CommandError, match=r"broken\.csv: This does not look like a Google Ads"):
        call_command("ingest_csv", str(broken), "--platform=google_ads", "--account=123-456-7890")
