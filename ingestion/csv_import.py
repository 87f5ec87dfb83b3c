"""Read the CSV files analysts download by hand: Meta Ads Manager exports, Google Ads reports.

Plain Python, no Django: `csv_parse` returns records and the problems found, each with its line
number, and the service decides to import (all or nothing).
"""

from __future__ import annotations

import csv
import datetime as dt
import hashlib
import io
import re
import unicodedata
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation

from ingestion.connectors.records import (
    AdRecord,
    CampaignRecord,
    CreativeRecord,
    DailyMetricRecord,
    Parsed,
    to_micros,
)


class CsvFileError(ValueError):
    """The whole file is unusable (columns, encoding); the message says what to fix."""


@dataclass
class CsvImport(Parsed):
    """The records of a file, the currency its amounts are in, and the rows it could not read."""

    currency: str = ""
    # (line number, message) for every row that could not be read.
    problems: list[tuple[int, str]] = field(default_factory=list)


def _key(header: str) -> str:
    """Compare headers ignoring case, accents and spacing; the currency part is cut off."""
    text = unicodedata.normalize("NFKD", header).encode("ascii", "ignore").decode().lower()
    text = re.sub(r"\(([a-z]{3})\)\s*$", "", text.strip())
    return " ".join(text.replace("\ufeff", "").split())


def _currency_in(header: str) -> str:
    match = re.search(r"\(([A-Z]{3})\)\s*$", header.strip())
    return match.group(1) if match else ""


def _number(text: str, *, decimal_comma: bool) -> Decimal:
    """Read "1,234.56", "1.234,56", "12%", "--" or "" as a Decimal (empty is 0)."""
    value = (text or "").strip().replace("\u00a0", "").replace(" ", "").rstrip("%")
    if value in ("", "--", "-"):
        return Decimal(0)
    if "," in value and "." in value:
        decimal_comma = value.rfind(",") > value.rfind(".")
    thousands, decimal = (".", ",") if decimal_comma else (",", ".")
    value = value.replace(thousands, "").replace(decimal, ".")
    try:
        return Decimal(value)
    except InvalidOperation as exc:
        raise ValueError(f"{text!r} is not a number") from exc


class _Row:
    """One data row, read by concept."""

    def __init__(self, row: list[str], columns: dict[str, int], *, decimal_comma: bool):
        self.row, self.columns, self.decimal_comma = row, columns, decimal_comma

    def cell(self, concept: str) -> str:
        index = self.columns.get(concept)
        value = self.row[index].strip() if index is not None and index < len(self.row) else ""
        return "" if value == "--" else value

    def number(self, concept: str) -> Decimal:
        return _number(self.cell(concept), decimal_comma=self.decimal_comma)


def _date(text: str, formats: tuple[str, ...]) -> dt.date:
    value = (text or "").strip()
    for fmt in ("%Y-%m-%d", *formats):
        try:
            return dt.datetime.strptime(value, fmt).date()
        except ValueError:
            continue
    raise ValueError(f"{text!r} is not a date")


def _synthetic_id(*parts: str) -> str:
    """An id for rows that carry only names: stable, so a re-import updates the same rows."""
    return "csv-" + hashlib.sha1("\x1f".join(parts).encode()).hexdigest()[:20]


def _decode(data: bytes) -> str:
    for encoding in ("utf-8-sig", "utf-16"):
        try:
            return data.decode(encoding)
        except UnicodeDecodeError:
            continue
    return data.decode("latin-1")


def _sniff(text: str) -> type[csv.Dialect] | csv.Dialect:
    try:
        return csv.Sniffer().sniff(text[:4096], delimiters=",;\t")
    except csv.Error:
        return csv.excel


# Meta Ads Manager ---------------------------------------------------------------------------

# Concept → headers in English and Spanish exports (compared with _key).
META_COLUMNS = {
    "day": ["Day", "Día"],
    "starts": ["Reporting starts", "Inicio del informe"],
    "ends": ["Reporting ends", "Fin del informe"],
    "campaign": ["Campaign name", "Nombre de la campaña"],
    "campaign_id": ["Campaign ID", "Identificador de la campaña", "ID de la campaña"],
    "ad_set": ["Ad set name", "Nombre del conjunto de anuncios"],
    "ad": ["Ad name", "Nombre del anuncio"],
    "ad_id": ["Ad ID", "Identificador del anuncio", "ID del anuncio"],
    "spend": ["Amount spent", "Importe gastado"],
    "impressions": ["Impressions", "Impresiones"],
    "reach": ["Reach", "Alcance"],
    "link_clicks": ["Link clicks", "Clics en el enlace"],
    "clicks": ["Clicks (all)", "Clics (todos)"],
    "leads": ["Leads", "Clientes potenciales"],
    "purchases": ["Purchases", "Compras"],
    "purchase_value": ["Purchases conversion value", "Valor de conversión de compras"],
    "thruplays": ["ThruPlays", "Reproducciones de ThruPlay"],
}
META_REQUIRED = ["campaign", "ad", "spend", "impressions"]

# Google Ads report download ------------------------------------------------------------------

GOOGLE_COLUMNS = {
    "day": ["Day", "Día"],
    "campaign": ["Campaign", "Campaña"],
    "campaign_id": ["Campaign ID", "ID de campaña"],
    "campaign_type": ["Campaign type", "Tipo de campaña"],
    "bid_strategy": ["Bid strategy type", "Tipo de estrategia de oferta"],
    "status": ["Campaign status", "Campaign state", "Estado de la campaña"],
    "ad_group": ["Ad group", "Grupo de anuncios"],
    "ad_id": ["Ad ID", "ID del anuncio"],
    "final_url": ["Final URL", "URL final"],
    "headline": ["Headline 1", "Long headline 1", "Título 1"],
    "description": ["Description 1", "Descripción 1"],
    "impressions": ["Impr.", "Impressions", "Impresiones", "Impr"],
    "clicks": ["Clicks", "Clics"],
    "cost": ["Cost", "Costo", "Coste"],
    "conversions": ["Conversions", "Conversiones"],
    "conversion_value": ["Conv. value", "Valor de conv."],
    "engagements": ["Engagements", "Interacciones"],
    "views": ["Views", "Vistas", "Reproducciones"],
    "currency": ["Currency code", "Código de moneda", "Currency"],
}
GOOGLE_REQUIRED = ["day", "campaign", "ad_id", "impressions", "clicks", "cost"]


def _columns(header: list[str], spec: dict[str, list[str]]) -> dict[str, int]:
    wanted = {_key(name): concept for concept, names in spec.items() for name in names}
    found: dict[str, int] = {}
    for index, name in enumerate(header):
        concept = wanted.get(_key(name))
        if concept and concept not in found:
            found[concept] = index
    return found


def _missing_message(
    missing: list[str], spec: dict[str, list[str]], header: list[str], source: str
) -> str:
    expected = "; ".join(f"{' or '.join(spec[c][:2])}" for c in missing)
    return (
        f"This does not look like a {source}: required columns are missing: {expected}. "
        f"Columns found: {', '.join(h for h in header if h) or 'none'}."
    )


def meta_csv_parse(data: bytes, *, platform_label: str = "Meta Ads Manager export") -> CsvImport:
    """Parse a Meta Ads Manager export with a daily breakdown, in English or Spanish."""
    text = _decode(data)
    rows = list(csv.reader(io.StringIO(text), _sniff(text)))
    if not rows:
        raise CsvFileError("The file is empty.")
    header = [h.strip().lstrip("\ufeff") for h in rows[0]]
    columns = _columns(header, META_COLUMNS)
    missing = [c for c in META_REQUIRED if c not in columns]
    if "day" not in columns and "starts" not in columns:
        missing.insert(0, "day")
    if missing:
        spec = {**META_COLUMNS, "day": ["Day", "Reporting starts"]}
        raise CsvFileError(_missing_message(missing, spec, header, platform_label))
    spanish = _key(header[columns["spend"]]).startswith("importe")
    result = CsvImport(currency=_currency_in(header[columns["spend"]]))
    date_formats = ("%d/%m/%Y",) if spanish else ("%m/%d/%Y",)
    campaigns: dict[str, CampaignRecord] = {}
    ads: dict[str, AdRecord] = {}
    seen: dict[tuple[str, dt.date], int] = {}
    for line, raw in enumerate(rows[1:], start=2):
        if not any(value.strip() for value in raw):
            continue
        row = _Row(raw, columns, decimal_comma=spanish)
        cell, number = row.cell, row.number
        try:
            if "starts" in columns and "ends" in columns and cell("starts") != cell("ends"):
                raise ValueError(
                    "the row covers more than one day; export with the breakdown by day"
                )
            day = _date(cell("day") or cell("starts"), date_formats)
            campaign_name, ad_name = cell("campaign"), cell("ad")
            if not campaign_name or not ad_name:
                raise ValueError("the campaign or ad name is empty")
            campaign_id = cell("campaign_id") or _synthetic_id("meta", campaign_name)
            ad_id = cell("ad_id") or _synthetic_id("meta", campaign_name, cell("ad_set"), ad_name)
            if (ad_id, day) in seen:
                raise ValueError(
                    f"the ad {ad_name!r} already has a row for {day} on line {seen[(ad_id, day)]}"
                )
            link_clicks = int(number("link_clicks"))
            metric = DailyMetricRecord(
                ad_external_id=ad_id,
                campaign_external_id=campaign_id,
                date=day,
                impressions=int(number("impressions")),
                reach=int(number("reach")),
                clicks=int(number("clicks")) if "clicks" in columns else link_clicks,
                link_clicks=link_clicks,
                spend_micros=to_micros(number("spend")),
                conversions=float(number("purchases")),
                conversion_value_micros=to_micros(number("purchase_value")),
                leads=int(number("leads")),
                video_views=int(number("thruplays")),
            )
        except ValueError as exc:
            result.problems.append((line, str(exc)))
            continue
        seen[(ad_id, day)] = line
        campaigns.setdefault(
            campaign_id, CampaignRecord(external_id=campaign_id, name=campaign_name)
        )
        ads.setdefault(
            ad_id, AdRecord(external_id=ad_id, campaign_external_id=campaign_id, name=ad_name)
        )
        result.metrics.append(metric)
    result.campaigns, result.ads = list(campaigns.values()), list(ads.values())
    return result


def _google_enum(text: str) -> str:
    return re.sub(r"[^A-Z0-9]+", "_", text.strip().upper()).strip("_")


def _google_header(rows: list[list[str]]) -> tuple[int, list[str], dict[str, int]]:
    """Find the header under the report's title and date-range lines; return it and its columns."""
    header_index = next(
        (
            i
            for i, row in enumerate(rows[:10])
            if {"day", "campaign"} <= set(_columns(row, GOOGLE_COLUMNS))
        ),
        None,
    )
    if header_index is None:
        header = rows[2] if len(rows) > 2 else (rows[0] if rows else [])
        missing = GOOGLE_REQUIRED
        raise CsvFileError(
            _missing_message(missing, GOOGLE_COLUMNS, header, "Google Ads report download")
        )
    header = [h.strip().lstrip("\ufeff") for h in rows[header_index]]
    columns = _columns(header, GOOGLE_COLUMNS)
    missing = [c for c in GOOGLE_REQUIRED if c not in columns]
    if missing:
        raise CsvFileError(
            _missing_message(missing, GOOGLE_COLUMNS, header, "Google Ads report download")
        )
    return header_index, header, columns


def google_ads_csv_parse(data: bytes) -> CsvImport:
    """Parse a Google Ads report download: title and date-range lines, then the header."""
    text = _decode(data)
    rows = list(csv.reader(io.StringIO(text), _sniff(text)))
    header_index, _header, columns = _google_header(rows)
    result = CsvImport()
    campaigns: dict[str, CampaignRecord] = {}
    ads: dict[str, AdRecord] = {}
    creatives: dict[str, CreativeRecord] = {}
    seen: dict[tuple[str, dt.date], int] = {}
    currencies: set[str] = set()
    for line, raw in enumerate(rows[header_index + 1 :], start=header_index + 2):
        if not any(value.strip() for value in raw):
            continue
        if any(value.strip().startswith("Total:") for value in raw[:4]):
            continue  # "Total: Account", "Total: Search", …
        row = _Row(raw, columns, decimal_comma=False)
        cell, number = row.cell, row.number
        try:
            day = _date(cell("day"), ("%b %d, %Y", "%B %d, %Y", "%m/%d/%Y"))
            campaign_name, ad_id = cell("campaign"), cell("ad_id")
            if not campaign_name or not ad_id:
                raise ValueError("the campaign or ad id is empty")
            campaign_id = cell("campaign_id") or _synthetic_id("google_ads", campaign_name)
            if (ad_id, day) in seen:
                raise ValueError(
                    f"the ad {ad_id} already has a row for {day} on line {seen[(ad_id, day)]}"
                )
            metric = DailyMetricRecord(
                ad_external_id=ad_id,
                campaign_external_id=campaign_id,
                date=day,
                impressions=int(number("impressions")),
                clicks=int(number("clicks")),
                link_clicks=int(number("clicks")),
                spend_micros=to_micros(number("cost")),
                conversions=float(number("conversions")),
                conversion_value_micros=to_micros(number("conversion_value")),
                video_views=int(number("views")),
                engagements=int(number("engagements")),
            )
        except ValueError as exc:
            result.problems.append((line, str(exc)))
            continue
        seen[(ad_id, day)] = line
        if cell("currency"):
            currencies.add(cell("currency").upper())
        campaigns.setdefault(campaign_id, _google_campaign(row, campaign_id, campaign_name))
        copy = _google_creative(row, ad_id)
        ads.setdefault(
            ad_id,
            AdRecord(
                external_id=ad_id,
                campaign_external_id=campaign_id,
                creative_external_id=ad_id if copy else "",
            ),
        )
        if copy:
            creatives.setdefault(ad_id, copy)
        result.metrics.append(metric)
    if len(currencies) > 1:
        result.problems.append((header_index + 1, f"several currencies: {sorted(currencies)}"))
    result.currency = next(iter(currencies), "")
    result.campaigns, result.ads = list(campaigns.values()), list(ads.values())
    result.creatives = list(creatives.values())
    return result


def _google_campaign(row: _Row, campaign_id: str, name: str) -> CampaignRecord:
    """The campaign of a row; its objective is the channel type and the bidding strategy."""
    parts = (_google_enum(row.cell("campaign_type")), _google_enum(row.cell("bid_strategy")))
    objective = " - ".join(part for part in parts if part)
    return CampaignRecord(
        external_id=campaign_id,
        name=name,
        objective_raw=objective,
        status=_google_enum(row.cell("status")),
    )


def _google_creative(row: _Row, ad_id: str) -> CreativeRecord | None:
    """The ad's copy as a creative of its own, when the report has any."""
    if not (row.cell("headline") or row.cell("final_url")):
        return None
    return CreativeRecord(
        external_id=ad_id,
        headline=row.cell("headline"),
        body=row.cell("description"),
        landing_url=row.cell("final_url"),
    )
