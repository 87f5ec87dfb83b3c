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


# Decimal and thousands separators come from the numbers, never from the header language --------


def test_a_spanish_meta_export_written_with_decimal_points_imports_spend_exactly(db):
    account = make_account(platform="meta", currency="COP")

    run = ingestion_csv_import(account=account, data=fixture("meta_export_es_decimal_dot.csv"))

    assert run.status == IngestionRun.Status.SUCCEEDED, run.error
    # 101953.00 is a hundred and one thousand pesos, not ten million (the ×100 bug).
    assert totals_by_name(account) == {
        "Celular azul": (25452, 124, 154_963_000_000, 3.0),
        "Celular rojo": (11120, 42, 40_845_750_000, 0.0),
    }
    assert sum(DailyMetric.objects.values_list("leads", flat=True)) == 6
    assert sum(DailyMetric.objects.values_list("conversion_value_micros", flat=True)) == (
        5_699_700_000_000
    )


def test_a_spanish_meta_export_written_with_decimal_commas_imports_to_exact_totals(db):
    account = make_account(platform="meta", currency="COP")

    run = ingestion_csv_import(account=account, data=fixture("meta_export_es_decimal_comma.csv"))

    assert run.status == IngestionRun.Status.SUCCEEDED, run.error
    # "198.000" could be 198 or 198000: the file's "1,26" and "101.953,00" say 198000.
    assert totals_by_name(account) == {
        "Celular azul": (25452, 124, 154_963_000_000, 3.0),
        "Celular rojo": (11120, 42, 219_045_750_000, 0.0),
    }
    assert sorted(DailyMetric.objects.values_list("reach", flat=True)) == [4410, 4700, 9870, 10101]
    assert sum(DailyMetric.objects.values_list("conversion_value_micros", flat=True)) == (
        5_699_700_000_000
    )


def test_an_english_meta_export_written_with_decimal_commas_imports_to_exact_totals(db):
    account = make_account(platform="meta", currency="COP")

    run = ingestion_csv_import(account=account, data=fixture("meta_export_en_decimal_comma.csv"))

    assert run.status == IngestionRun.Status.SUCCEEDED, run.error
    assert totals_by_name(account) == {
        "Celular azul": (25452, 124, 154_963_000_000, 3.0),
        "Celular rojo": (11120, 42, 219_045_750_000, 0.0),
    }


def test_a_google_ads_report_grouped_the_spanish_way_imports_to_exact_totals(db):
    account = make_account(platform="google_ads", external_id="123-456-7890", currency="COP")

    run = ingestion_csv_import(
        account=account, data=fixture("google_ads_report_es_decimal_comma.csv")
    )

    assert run.status == IngestionRun.Status.SUCCEEDED, run.error
    assert catalog_totals(account) == {
        "700001": (3513, 247, 128_740_000_000, 5.0),
        "700002": (31882, 408, 2_167_500_500_000, 23.5),
    }
    assert sum(DailyMetric.objects.values_list("conversion_value_micros", flat=True)) == (
        3_020_750_000_000
    )


def test_a_google_excel_download_in_utf16_with_tabs_imports_like_the_csv(db):
    account = make_account(platform="google_ads", external_id="123-456-7890", currency="USD")
    rows = list(csv.reader(io.StringIO(fixture("google_ads_ad_report.csv").decode())))
    buffer = io.StringIO()
    csv.writer(buffer, delimiter="\t", lineterminator="\r\n").writerows(rows)

    run = ingestion_csv_import(account=account, data=buffer.getvalue().encode("utf-16"))

    assert run.status == IngestionRun.Status.SUCCEEDED, run.error
    assert catalog_totals(account) == {
        "700001": (3513, 247, 128_740_000, 5.0),
        "700002": (31882, 408, 2_167_500_000, 23.5),
    }


META_HEADER = "Inicio del informe,Fin del informe,Nombre de la campaña,Nombre del anuncio,"


def test_a_file_whose_separators_nothing_settles_is_refused_naming_the_value(db):
    account = make_account(platform="meta", currency="COP")
    data = (
        META_HEADER + "Importe gastado (COP),Impresiones\n"
        '2026-02-02,2026-02-02,Cuotas,Azul,"1.500",800\n'
        '2026-02-03,2026-02-03,Cuotas,Azul,"2.250",900\n'
    ).encode()

    run = ingestion_csv_import(account=account, data=data, filename="gasto.csv")

    assert run.status == IngestionRun.Status.FAILED
    assert run.error == (
        "gasto.csv: No se sabe qué separador marca los decimales: 1.500, en la columna "
        "«Importe gastado (COP)» (línea 2), puede ser 1500 o 1.5, y ningún otro número del "
        "archivo lo aclara. No se importó nada. Descargue de nuevo el informe con una columna "
        "que tenga decimales (como Frecuencia o CTR) o con los números sin separador de miles."
    )
    assert (Campaign.objects.count(), DailyMetric.objects.count()) == (0, 0)


def test_a_file_mixing_decimal_points_and_commas_is_refused_naming_both(db):
    account = make_account(platform="meta", currency="COP")
    data = (
        META_HEADER + "Importe gastado (COP),Impresiones,Frecuencia\n"
        '2026-02-02,2026-02-02,Cuotas,Azul,48.05,800,"1,26"\n'
        "2026-02-03,2026-02-03,Cuotas,Azul,52.10,900,1.3\n"
    ).encode()

    run = ingestion_csv_import(account=account, data=data)

    assert run.status == IngestionRun.Status.FAILED
    assert run.error == (
        "El archivo escribe los números de dos formas: 48.05 (columna «Importe gastado (COP)», "
        "línea 2) usa «.» para los decimales y 1,26 (columna «Frecuencia», línea 2) usa «,». "
        "No se importó nada. Descargue de nuevo el informe para que todos sus números sigan "
        "un solo formato."
    )
    assert DailyMetric.objects.count() == 0


# Files that are not CSV text are refused, and no run is left open --------------------------


XLSX = b"PK\x03\x04\x14\x00\x06\x00\x08\x00\x00\x00!\x00" + b"[Content_Types].xml" + bytes(64)
EXCEL_MESSAGE = (
    "El archivo es un libro de Excel, no un archivo CSV. Ábralo y guárdelo como «CSV UTF-8 "
    "(delimitado por comas)», o descargue el informe como CSV, y suba ese archivo."
)
BINARY_MESSAGE = (
    "El archivo no es un CSV de texto: contiene datos binarios (una imagen, un PDF o un archivo "
    "comprimido, por ejemplo). Descargue el informe como CSV y suba ese archivo."
)
EMPTY_MESSAGE = "El archivo está vacío. Descargue de nuevo el informe y suba el archivo CSV."
CR_MESSAGE = (
    "Las líneas del archivo terminan solo con un retorno de carro (el formato antiguo de Mac), "
    "así que sus filas no se distinguen. Ábralo y guárdelo como «CSV UTF-8», o descargue de "
    "nuevo el informe, y suba ese archivo."
)
NO_ROWS_MESSAGE = (
    "El archivo tiene encabezado pero ninguna fila de datos. No se importó nada. Revise el rango "
    "de fechas y los filtros del informe y descárguelo de nuevo."
)


def cr_only(name: str) -> bytes:
    return fixture(name).replace(b"\r\n", b"\n").replace(b"\n", b"\r")


@pytest.mark.parametrize(
    ("platform", "data", "message"),
    [
        ("meta", XLSX, EXCEL_MESSAGE),
        ("meta", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(200), EXCEL_MESSAGE),
        ("meta", b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj\n<< /Type /Catalog >>\n", BINARY_MESSAGE),
        ("meta", b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(range(256)), BINARY_MESSAGE),
        ("google_ads", b"\x1f\x8b\x08\x00" + bytes(range(1, 200)) * 3, BINARY_MESSAGE),
        ("meta", b"", EMPTY_MESSAGE),
        ("meta", b"\xef\xbb\xbf \r\n\r\n", EMPTY_MESSAGE),
        ("meta", cr_only("meta_ads_manager_en.csv"), CR_MESSAGE),
        ("google_ads", cr_only("google_ads_ad_report.csv"), CR_MESSAGE),
        (
            "meta",
            fixture("meta_export_es_decimal_dot.csv").split(b"\n")[0] + b"\n",
            NO_ROWS_MESSAGE,
        ),
        (
            "google_ads",
            b"\n".join(fixture("google_ads_ad_report.csv").split(b"\n")[:3]),
            NO_ROWS_MESSAGE,
        ),
    ],
    ids=[
        "xlsx",
        "xls",
        "pdf",
        "png",
        "gzip",
        "empty",
        "blank",
        "cr-meta",
        "cr-google",
        "header-meta",
        "header-google",
    ],
)
def test_a_file_that_is_not_a_csv_with_rows_is_refused_and_leaves_no_run_open(
    db, platform, data, message
):
    account = make_account(platform=platform, external_id="123-456-7890", currency="USD")

    run = ingestion_csv_import(account=account, data=data, filename="informe.csv")

    assert run.status == IngestionRun.Status.FAILED
    assert run.error == f"informe.csv: {message}"
    assert run.finished_at is not None
    assert list(IngestionRun.objects.values_list("status", flat=True)) == ["failed"]
    assert (Campaign.objects.count(), DailyMetric.objects.count()) == (0, 0)


def test_the_refusal_is_in_english_for_a_lead_who_reads_english(db):
    from django.utils import translation

    account = make_account(platform="meta", currency="USD")

    with translation.override("en"):
        run = ingestion_csv_import(account=account, data=b"")

    assert run.error == "The file is empty. Download the report again and upload the CSV file."


def test_an_unexpected_error_fails_the_import_instead_of_leaving_its_run_open(db, monkeypatch):
    from ingestion.services import csv_files

    def broken_parser(data: bytes):
        raise RuntimeError("disk on fire")

    monkeypatch.setitem(csv_files.CSV_PARSERS, "meta", broken_parser)
    account = make_account(platform="meta", currency="USD")

    run = ingestion_csv_import(account=account, data=fixture("meta_ads_manager_en.csv"))

    assert run.status == IngestionRun.Status.FAILED
    assert run.error == (
        "No se importó nada: un error inesperado detuvo la importación (avise a quien "
        "administra Yenni). RuntimeError: disk on fire"
    )
    assert not IngestionRun.objects.filter(status=IngestionRun.Status.RUNNING).exists()


def test_the_admin_shows_why_a_binary_upload_was_refused_instead_of_a_server_error(client, lead):
    from django.core.files.uploadedfile import SimpleUploadedFile
    from django.urls import reverse

    account = make_account(platform="meta", currency="USD")
    client.force_login(lead)
    upload = SimpleUploadedFile("informe.xlsx", XLSX, "application/vnd.ms-excel")

    response = client.post(
        reverse("admin:ingestion_ingestionrun_import_csv"), {"account": account.pk, "file": upload}
    )

    assert response.status_code == 200
    assert "El archivo es un libro de Excel, no un archivo CSV." in response.content.decode()
    assert list(IngestionRun.objects.values_list("status", flat=True)) == ["failed"]
