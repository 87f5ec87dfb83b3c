"""The text of a hand-downloaded CSV file: its encoding, its rows, and how it writes numbers.

Plain Python, no Django. A file that is not CSV text (a workbook, a PDF, an image, nothing at
all, lines ended by CR only) is refused here with a message that says what to do; messages are
marked for translation and translated by the service that stores them on the run.

Which separator marks the decimals is decided from the numbers themselves, never from the
header language: Spanish Meta exports come both as "1.234,56" and as "1,234.56" (and as
"101953.00"), Google downloads group by the account's locale, and English headers do not mean
decimal points. The rules, in `_decimal_shown`:

- a number with both "," and "." uses the last one for decimals ("1.234,56", "1,234.56");
- a separator written twice groups thousands ("1.234.567"), so the other one is the decimal;
- one separator followed by other than three digits, after a lone 0 or after more than three
  digits is the decimal ("48.05", "1,5", "0,125", "1234.567");
- one separator followed by exactly three digits ("1.234", "12,450") is open: in a column of
  counts (impressions, clicks…) it can only group thousands; elsewhere the rest of the file
  settles it (a "1,26" frequency, a "101.953,00" spend).

A file whose numbers disagree, or whose open numbers nothing settles, is refused: guessing
wrong multiplies spend by a thousand.
"""

from __future__ import annotations

import csv
import functools
import io
import re
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation


def gettext_noop(message: str) -> str:
    """Mark a message for makemessages; the service translates it (Django's own is the same)."""
    return message


class CsvFileError(ValueError):
    """The whole file is unusable (what it is, its columns, its numbers); says what to fix.

    `template` is the English message marked for translation and `params` what fills it, so
    the service stores the message in the reader's language; str() gives it in English.
    """

    def __init__(self, template: str, **params):
        self.template = template
        self.params = params
        super().__init__(template % params if params else template)


EXCEL_WORKBOOK = gettext_noop(
    "The file is an Excel workbook, not a CSV file. Open it and save it as “CSV UTF-8 (comma "
    "delimited)”, or download the report as CSV, and upload that file."
)
BINARY_FILE = gettext_noop(
    "The file is not a CSV text file: it holds binary data (an image, a PDF or a compressed "
    "file, for example). Download the report as CSV and upload that file."
)
EMPTY_FILE = gettext_noop("The file is empty. Download the report again and upload the CSV file.")
CR_ONLY_FILE = gettext_noop(
    "The file's lines end with a carriage return only (the old Mac format), so its rows cannot "
    "be told apart. Open it and save it as “CSV UTF-8”, or download the report again, and "
    "upload that file."
)
UNREADABLE_FILE = gettext_noop(
    "The file could not be read as CSV (%(detail)s). Download the report again as CSV and "
    "upload that file."
)
NO_DATA_ROWS = gettext_noop(
    "The file has a header but no data rows. Nothing was imported. Check the report's date "
    "range and filters, and download it again."
)
OPEN_SEPARATOR = gettext_noop(
    "Cannot tell which separator marks the decimals: %(value)s, in column “%(column)s” (line "
    "%(line)s), could be %(as_thousands)s or %(as_decimal)s, and no other number in the file "
    "settles it. Nothing was imported. Download the report again with a column that has "
    "decimals (such as Frequency or CTR) or with numbers written without thousands separators."
)
MIXED_SEPARATORS = gettext_noop(
    "The file writes numbers in two ways: %(first)s (column “%(first_column)s”, line "
    "%(first_line)s) uses “%(first_decimal)s” for decimals and %(second)s (column "
    "“%(second_column)s”, line %(second_line)s) uses “%(second_decimal)s”. Nothing was "
    "imported. Download the report again so that all its numbers follow one format."
)

# Leading bytes of files people upload by mistake. Workbooks get their own advice.
_WORKBOOK_MAGIC = (b"PK\x03\x04", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1")
_BINARY_MAGIC = (
    b"%PDF-",
    b"\x89PNG",
    b"GIF8",
    b"\xff\xd8\xff",
    b"RIFF",
    b"\x1f\x8b",
    b"BZh",
    b"7z\xbc\xaf",
    b"Rar!",
)
# Control characters no CSV export writes (tab, LF, CR and form feed are allowed).
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0e-\x1f\x7f]")


def csv_rows(data: bytes) -> list[list[str]]:
    """Return the rows of an uploaded file, or raise CsvFileError saying why it is unusable."""
    if data.startswith(_WORKBOOK_MAGIC):
        raise CsvFileError(EXCEL_WORKBOOK)
    if data.startswith(_BINARY_MAGIC):
        raise CsvFileError(BINARY_FILE)
    text = _decode(data)
    controls = len(_CONTROL.findall(text[:65536]))
    if controls and (controls > 2 or "\x00" in text):
        raise CsvFileError(BINARY_FILE)
    if not text.replace("\ufeff", "").strip():
        raise CsvFileError(EMPTY_FILE)
    if "\r" in text and "\n" not in text:
        raise CsvFileError(CR_ONLY_FILE)
    text = text.removeprefix("\ufeff")
    try:
        return list(csv.reader(io.StringIO(text, newline=""), delimiter=_delimiter(text)))
    except csv.Error as exc:
        raise CsvFileError(UNREADABLE_FILE, detail=str(exc)) from exc


def _decode(data: bytes) -> str:
    """Decode UTF-8, UTF-16 (Google's "Excel CSV") or Windows-1252 (Excel's "CSV" in Spanish)."""
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        encodings = ["utf-16"]
    elif data[1:200:2].count(0) > len(data[:200]) // 4:
        encodings = ["utf-16-le"]  # UTF-16 without its byte-order mark: every other byte is 0
    elif data[0:200:2].count(0) > len(data[:200]) // 4:
        encodings = ["utf-16-be"]
    else:
        encodings = ["utf-8-sig", "cp1252"]
    for encoding in encodings:
        try:
            return data.decode(encoding)
        except UnicodeDecodeError:
            continue
    return data.decode("latin-1")  # every byte decodes; the control-character check follows


def _delimiter(text: str) -> str:
    """The delimiter that gives the most rows of the same width (ties: the wider rows).

    csv.Sniffer reads Google's title lines as data and guesses wrong on tab-separated
    downloads, so the candidates are tried on the first lines instead.
    """
    sample = text.splitlines()[:30]
    best, best_score = ",", (0, 0)
    for delimiter in (",", ";", "\t"):
        try:
            widths = Counter(len(row) for row in csv.reader(sample, delimiter=delimiter))
        except csv.Error:
            continue
        width, rows = max(
            ((w, n) for w, n in widths.items() if w > 1),
            key=lambda item: (item[1], item[0]),
            default=(0, 0),
        )
        if (rows, width) > best_score:
            best, best_score = delimiter, (rows, width)
    return best


# Numbers ------------------------------------------------------------------------------------

_NUMBER = re.compile(r"^[+-]?[\d.,]*\d[\d.,]*$")
_EMPTY = ("", "--", "-")


# Spaces used for grouping ("1 234,5", with no-break spaces too) and Swiss apostrophes.
_NOT_DIGITS = str.maketrans("", "", " \t\u00a0\u202f'")


def _clean(text: str) -> str:
    """Drop what is not part of the digits: grouping spaces, a percent sign."""
    return (text or "").translate(_NOT_DIGITS).removesuffix("%")


@functools.cache
def _grouped(decimal: str) -> re.Pattern:
    """A number as a file of this decimal separator writes it: grouped by threes, or not."""
    t, d = re.escape(_other(decimal)), re.escape(decimal)
    return re.compile(rf"^[+-]?(\d{{1,3}}({t}\d{{3}})+|\d*)({d}\d+)?$")


def _other(separator: str) -> str:
    return "," if separator == "." else "."


@dataclass(frozen=True)
class NumberCell:
    """One cell of a numeric column: where it is, for the messages, and whether it counts."""

    line: int
    column: str
    text: str
    # A column of whole counts (impressions, clicks): "12.450" there can only group thousands.
    count: bool = False


@dataclass(frozen=True)
class NumberStyle:
    """How a file writes numbers: its decimal separator (the other one groups thousands)."""

    decimal: str = "."

    @property
    def thousands(self) -> str:
        return _other(self.decimal)

    def read(self, text: str) -> Decimal:
        """Read a cell ("1.234,56", "12%", "--", "" is 0); raise ValueError if it does not fit."""
        value = _clean(text)
        if value.isdigit():
            return Decimal(value)  # most cells: no sign, no separator
        if value in _EMPTY:
            return Decimal(0)
        if not _NUMBER.match(value) or not _grouped(self.decimal).match(value):
            raise ValueError(f"{text!r} is not a number")
        try:
            return Decimal(value.replace(self.thousands, "").replace(self.decimal, "."))
        except InvalidOperation as exc:
            raise ValueError(f"{text!r} is not a number") from exc


def _decimal_shown(value: str) -> tuple[str | None, str | None]:
    """Return (the decimal separator the number proves, the separator it leaves open)."""
    dot, comma = value.rfind("."), value.rfind(",")
    if dot >= 0 and comma >= 0:
        return ("." if dot > comma else ","), None
    separator = "." if dot >= 0 else "," if comma >= 0 else ""
    if not separator:
        return None, None
    if value.count(separator) > 1:
        return _other(separator), None
    whole, fraction = value.lstrip("+-").split(separator)
    if len(fraction) != 3 or not whole or whole.startswith("0") or len(whole) > 3:
        return separator, None
    return None, separator


def number_style(cells: Iterable[NumberCell]) -> NumberStyle:
    """Decide a file's decimal separator from its numbers; raise CsvFileError if they cannot."""
    proofs: dict[str, tuple[NumberCell, str]] = {}
    open_cell: tuple[NumberCell, str] | None = None
    for cell in cells:
        if "," not in cell.text and "." not in cell.text:
            continue  # no separator: nothing to learn
        value = _clean(cell.text)
        if not _NUMBER.match(value):
            continue
        proven, undecided = _decimal_shown(value)
        if undecided and cell.count:
            proven = _other(undecided)
        if proven:
            proofs.setdefault(proven, (cell, value))
        elif undecided and open_cell is None:
            open_cell = (cell, undecided)
    if len(proofs) > 1:
        (first, _), (second, _) = sorted(proofs.values(), key=lambda p: p[0].line)
        raise CsvFileError(
            MIXED_SEPARATORS,
            first=first.text.strip(),
            first_column=first.column,
            first_line=first.line,
            first_decimal=_decimal_of(first, proofs),
            second=second.text.strip(),
            second_column=second.column,
            second_line=second.line,
            second_decimal=_decimal_of(second, proofs),
        )
    if proofs:
        return NumberStyle(next(iter(proofs)))
    if open_cell is not None:
        cell, separator = open_cell
        value = _clean(cell.text)
        raise CsvFileError(
            OPEN_SEPARATOR,
            value=cell.text.strip(),
            column=cell.column,
            line=cell.line,
            as_thousands=value.replace(separator, ""),
            as_decimal=format(Decimal(value.replace(separator, ".")).normalize(), "f"),
        )
    return NumberStyle(".")


def _decimal_of(cell: NumberCell, proofs: dict[str, tuple[NumberCell, str]]) -> str:
    return next(decimal for decimal, (proof, _) in proofs.items() if proof is cell)
