"""Read the CSV files analysts download by hand: Meta Ads Manager exports, Google Ads reports.

Plain Python, no Django: `csv_parse` returns records and the problems found, each with its line
number, and the service decides to import (all or nothing).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import re
import unicodedata
from dataclasses import dataclass, field
from decimal import Decimal

from ingestion.connectors.records import (
    AdRecord,
    CampaignRecord,
    CreativeRecord,
    DailyMetricRecord,
    Parsed,
    to_micros,
)
from ingestion.csv_text import (
    NO_DATA_ROWS,
    CsvFileError,
    NumberCell,
    NumberStyle,
    csv_rows,
    number_style,
)

__all__ = ["CsvFileError", "CsvImport", "google_ads_csv_parse", "meta_csv_parse"]


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


class _Row:
    """One data row, read by concept, its numbers in the file's own style."""

    def __init__(self, row: list[str], columns: dict[str, int], *, style: NumberStyle):
        self.row, self.columns, self.style = row, columns, style

    def cell(self, concept: str) -> str:
        index = self.columns.get(concept)
        value = self.row[index].strip() if index is not None and index < len(self.row) else ""
        return "" if value == "--" else value

    def number(self, concept: str) -> Decimal:
        return self.style.read(self.cell(concept))


def _file_style(
    rows: list[list[str]],
    *,
    header: list[str],
    first_line: int,
    skip: set[int],
    counts: set[int],
) -> NumberStyle:
    """The file's number style, from every cell of its numeric columns (see csv_text)."""
    cells = (
        NumberCell(line=line, column=header[index], text=text, count=index in counts)
        for line, row in enumerate(rows, start=first_line)
        for index, text in enumerate(row[: len(header)])
        # A cell without a separator says nothing about the style: skip it before building.
        if ("," in text or "." in text) and index not in skip
    )
    return number_style(cells)


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


def _indexes(columns: dict[str, int], concepts: set[str]) -> set[int]:
    return {index for concept, index in columns.items() if concept in concepts}


def _date_formats(values: list[str], *, day_first: bool) -> tuple[str, ...]:
    """Day-first or month-first slashed dates, as the file's own dates show.

    A first part above 12 means day-first, a second part above 12 month-first; only a file
    whose every date fits both ways falls back to the header language (`day_first`).
    """
    parts = [re.match(r"^(\d{1,2})/(\d{1,2})/\d{4}$", value.strip()) for value in values]
    pairs = [(int(m[1]), int(m[2])) for m in parts if m]
    if any(first > 12 for first, _ in pairs):
        day_first = True
    elif any(second > 12 for _, second in pairs):
        day_first = False
    return ("%d/%m/%Y",) if day_first else ("%m/%d/%Y",)


def _has_rows(rows: list[list[str]]) -> bool:
    return any(any(value.strip() for value in row) for row in rows)


def _meta_header(rows: list[list[str]], platform_label: str) -> tuple[list[str], dict[str, int]]:
    header = [h.strip().lstrip("\ufeff") for h in rows[0]]
    columns = _columns(header, META_COLUMNS)
    missing = [c for c in META_REQUIRED if c not in columns]
    if "day" not in columns and "starts" not in columns:
        missing.insert(0, "day")
    if missing:
        spec = {**META_COLUMNS, "day": ["Day", "Reporting starts"]}
        raise CsvFileError(_missing_message(missing, spec, header, platform_label))
    if not _has_rows(rows[1:]):
        raise CsvFileError(NO_DATA_ROWS)
    return header, columns


# Columns read as text, and columns of whole counts (see csv_text: "12.450" there is 12450).
META_TEXT = {"day", "starts", "ends", "campaign", "campaign_id", "ad_set", "ad", "ad_id"}
META_COUNTS = {"impressions", "reach", "link_clicks", "clicks", "leads", "thruplays"}


def meta_csv_parse(data: bytes, *, platform_label: str = "Meta Ads Manager export") -> CsvImport:
    """Parse a Meta Ads Manager export with a daily breakdown, in English or Spanish."""
    rows = csv_rows(data)
    header, columns = _meta_header(rows, platform_label)
    style = _file_style(
        rows[1:],
        header=header,
        first_line=2,
        skip=_indexes(columns, META_TEXT),
        counts=_indexes(columns, META_COUNTS),
    )
    day_column = columns.get("day", columns.get("starts"))
    date_formats = _date_formats(
        [row[day_column] for row in rows[1:] if day_column < len(row)],
        day_first=_key(header[columns["spend"]]).startswith("importe"),
    )
    result = CsvImport(currency=_currency_in(header[columns["spend"]]))
    campaigns: dict[str, CampaignRecord] = {}
    ads: dict[str, AdRecord] = {}
    seen: dict[tuple[str, dt.date], int] = {}
    for line, raw in enumerate(rows[1:], start=2):
        if not any(value.strip() for value in raw):
            continue
        try:
            campaign, ad, metric = _meta_row(_Row(raw, columns, style=style), date_formats)
            key = (ad.external_id, metric.date)
            if key in seen:
                raise ValueError(
                    f"the ad {ad.name!r} already has a row for {metric.date} on line {seen[key]}"
                )
        except ValueError as exc:
            result.problems.append((line, str(exc)))
            continue
        seen[key] = line
        campaigns.setdefault(campaign.external_id, campaign)
        ads.setdefault(ad.external_id, ad)
        result.metrics.append(metric)
    result.campaigns, result.ads = list(campaigns.values()), list(ads.values())
    return result


def _meta_row(
    row: _Row, date_formats: tuple[str, ...]
) -> tuple[CampaignRecord, AdRecord, DailyMetricRecord]:
    """Read one Meta row; raise ValueError saying what is wrong with it."""
    cell, number, columns = row.cell, row.number, row.columns
    if "starts" in columns and "ends" in columns and cell("starts") != cell("ends"):
        raise ValueError("the row covers more than one day; export with the breakdown by day")
    day = _date(cell("day") or cell("starts"), date_formats)
    campaign_name, ad_name = cell("campaign"), cell("ad")
    if not campaign_name or not ad_name:
        raise ValueError("the campaign or ad name is empty")
    campaign_id = cell("campaign_id") or _synthetic_id("meta", campaign_name)
    ad_id = cell("ad_id") or _synthetic_id("meta", campaign_name, cell("ad_set"), ad_name)
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
    return (
        CampaignRecord(external_id=campaign_id, name=campaign_name),
        AdRecord(external_id=ad_id, campaign_external_id=campaign_id, name=ad_name),
        metric,
    )


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


# Columns read as text, and columns of whole counts.
GOOGLE_TEXT = {
    "day",
    "campaign",
    "campaign_id",
    "campaign_type",
    "bid_strategy",
    "status",
    "ad_group",
    "ad_id",
    "final_url",
    "headline",
    "description",
    "currency",
}
GOOGLE_COUNTS = {"impressions", "clicks", "engagements", "views"}


def _google_total(row: list[str]) -> bool:
    return any(value.strip().startswith("Total:") for value in row[:4])


def google_ads_csv_parse(data: bytes) -> CsvImport:
    """Parse a Google Ads report download: title and date-range lines, then the header."""
    rows = csv_rows(data)
    header_index, header, columns = _google_header(rows)
    body = rows[header_index + 1 :]
    if not _has_rows([row for row in body if not _google_total(row)]):
        raise CsvFileError(NO_DATA_ROWS)
    # The "Total: …" rows are numbers of the same file: they help decide its style too.
    style = _file_style(
        body,
        header=header,
        first_line=header_index + 2,
        skip=_indexes(columns, GOOGLE_TEXT),
        counts=_indexes(columns, GOOGLE_COUNTS),
    )
    day_column = columns["day"]
    days = [row[day_column] for row in body if day_column < len(row)]
    formats = ("%b %d, %Y", "%B %d, %Y", *_date_formats(days, day_first=False))
    result = CsvImport()
    campaigns: dict[str, CampaignRecord] = {}
    ads: dict[str, AdRecord] = {}
    creatives: dict[str, CreativeRecord] = {}
    seen: dict[tuple[str, dt.date], int] = {}
    currencies: set[str] = set()
    for line, raw in enumerate(body, start=header_index + 2):
        if not any(value.strip() for value in raw) or _google_total(raw):
            continue  # "Total: Account", "Total: Search", …
        row = _Row(raw, columns, style=style)
        try:
            metric = _google_metric(row, formats)
            key = (metric.ad_external_id, metric.date)
            if key in seen:
                raise ValueError(
                    f"the ad {key[0]} already has a row for {key[1]} on line {seen[key]}"
                )
        except ValueError as exc:
            result.problems.append((line, str(exc)))
            continue
        seen[key] = line
        if row.cell("currency"):
            currencies.add(row.cell("currency").upper())
        ad_id, campaign_id = metric.ad_external_id, metric.campaign_external_id
        campaigns.setdefault(campaign_id, _google_campaign(row, campaign_id, row.cell("campaign")))
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


def _google_metric(row: _Row, date_formats: tuple[str, ...]) -> DailyMetricRecord:
    """Read one Google row's figures; raise ValueError saying what is wrong with it."""
    cell, number = row.cell, row.number
    day = _date(cell("day"), date_formats)
    campaign_name, ad_id = cell("campaign"), cell("ad_id")
    if not campaign_name or not ad_id:
        raise ValueError("the campaign or ad id is empty")
    return DailyMetricRecord(
        ad_external_id=ad_id,
        campaign_external_id=cell("campaign_id") or _synthetic_id("google_ads", campaign_name),
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
