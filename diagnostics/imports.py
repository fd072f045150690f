"""Reading territory statistics from a CSV or XLSX file: pure functions, no database.

The file has five columns, in this order: the official code of the collectivity
(INSEE code of a commune, SIREN of an EPCI), the statistic code, the year, the value
and the source. A first row whose cells are the column names is skipped.

:func:`read_table` turns the bytes of the file into raw rows that remember where they
come from (sheet and line), :func:`parse_rows` checks each of them against the
collectivities and statistics the caller allows, and returns the good rows and one
French error per bad row. Nothing here touches the database: the caller imports the
rows (all of them, or none when there is any error).
"""

from __future__ import annotations

import csv
import datetime
import io
import re
import unicodedata
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from typing import Any

from ctg import formatting, uploads
from ctg.dates import MAX_DATE

COLUMNS = ("code_collectivite", "code_statistique", "annee", "valeur", "source")
TEMPLATE_HEADER = COLUMNS
# A statistic's year: series may start well before the CTG (census of 1968, 1975…), so
# the lower bound is the database's (TerritoryStatistic's check); the upper bound is
# the plausible window's (ctg.dates).
MIN_YEAR = 1900
MAX_YEAR = MAX_DATE.year
#: An XLSX file is read within bounds, whatever dimensions it declares: lines (empty
#: ones included, all sheets together) and columns (five are read, a few more to say
#: that a line has too many).
MAX_XLSX_LINES = 50_000
MAX_XLSX_COLUMNS = 20
MAX_SOURCE_LENGTH = 200
# TerritoryStatistic.value: 14 digits, 2 decimals.
MAX_ABS_VALUE = Decimal("999999999999.99")
TWO_PLACES = Decimal("0.01")

HEADER_ALIASES = {
    "code_collectivite",
    "code",
    "code_officiel",
    "code_insee",
    "insee",
    "siren",
    "collectivite",
    "code_insee_siren",
    "code_statistique",
    "statistique",
    "annee",
    "valeur",
    "source",
}


class ImportFileError(ValueError):
    """The file as a whole cannot be read (wrong type, broken file, empty)."""


@dataclass(frozen=True)
class RawRow:
    line: int
    cells: tuple[Any, ...]
    sheet: str = ""

    @property
    def where(self) -> str:
        if self.sheet:
            return f"Feuille « {self.sheet} », ligne {self.line}"
        return f"Ligne {self.line}"


@dataclass(frozen=True)
class StatisticRow:
    line: int
    sheet: str
    collectivity_code: str
    collectivity_id: int
    statistic_code: str
    statistic_id: int
    year: int
    value: Decimal
    source: str


@dataclass(frozen=True)
class RowError:
    line: int
    sheet: str
    reasons: tuple[str, ...]

    @property
    def where(self) -> str:
        return RawRow(line=self.line, cells=(), sheet=self.sheet).where

    @property
    def message(self) -> str:
        return f"{self.where} : {' ; '.join(self.reasons)}"

    def __str__(self) -> str:
        return self.message


@dataclass(frozen=True)
class ParseResult:
    rows: list[StatisticRow]
    errors: list[RowError]

    @property
    def ok(self) -> bool:
        return not self.errors and bool(self.rows)


# --- cells -------------------------------------------------------------------------


def _text(cell: Any) -> str:
    if cell is None:
        return ""
    if isinstance(cell, float) and cell.is_integer():
        cell = int(cell)
    return str(cell).strip()


def _normalise_header(cell: Any) -> str:
    text = unicodedata.normalize("NFKD", _text(cell).lower())
    text = "".join(c for c in text if not unicodedata.combining(c))
    return re.sub(r"[^a-z0-9]+", "_", text).strip("_")


def parse_decimal(cell: Any) -> Decimal:
    """A number written the French way ("1 234,5", "12,5") or the English way ("12.5").

    Raises ValueError when the cell is not a number.
    """
    if isinstance(cell, bool):
        raise ValueError("not a number")
    if isinstance(cell, int | Decimal):
        return Decimal(cell)
    if isinstance(cell, float):
        return Decimal(str(cell))
    text = _text(cell)
    # Thousands separators: spaces of any kind, including non-breaking ones.
    text = re.sub(r"[\s\u00a0\u202f\u2009]", "", text)
    text = text.replace("\u2212", "-")
    if "," in text and "." in text:
        raise ValueError("ambiguous separators")
    text = text.replace(",", ".")
    if not re.fullmatch(r"[+-]?(\d+(\.\d*)?|\.\d+)", text):
        raise ValueError("not a number")
    try:
        return Decimal(text)
    except InvalidOperation as exc:  # pragma: no cover - the regex above guards it
        raise ValueError("not a number") from exc


def parse_year(cell: Any) -> int:
    """A year between MIN_YEAR and MAX_YEAR; ValueError with a French reason otherwise."""
    if isinstance(cell, datetime.date):
        # A year typed in a cell formatted as a date (2022 shows as 14/07/1905).
        raise ValueError(
            f"l'année est une date ({cell.day:02d}/{cell.month:02d}/{cell.year}) : "
            "saisissez l'année seule, par exemple 2022"
        )
    text = _text(cell)
    if not text:
        raise ValueError("l'année est vide")
    if not re.fullmatch(r"\d+", text):
        raise ValueError(f"l'année « {text} » n'est pas un nombre entier")
    # Checked before int(): Python refuses to convert strings of more than 4 300 digits.
    year = int(text) if len(text) <= 4 else MAX_YEAR + 1
    if year > MAX_YEAR:
        raise ValueError(
            f"l'année « {text[:12]} » n'est pas comprise entre {MIN_YEAR} et {MAX_YEAR}"
        )
    if not MIN_YEAR <= year <= MAX_YEAR:
        raise ValueError(f"l'année {year} n'est pas comprise entre {MIN_YEAR} et {MAX_YEAR}")
    return year


def normalise_code(cell: Any) -> str:
    """An official code as text; a spreadsheet may have dropped the leading zero (1004 → 01004)."""
    text = _text(cell).replace(" ", "").upper()
    if re.fullmatch(r"\d{4}", text):
        text = f"0{text}"
    return text


# --- reading files -----------------------------------------------------------------


def _decode(content: bytes) -> str:
    try:
        return uploads.decode_csv(content).text
    except uploads.CsvRefused as exc:
        raise ImportFileError(str(exc)) from exc


def sniff_delimiter(first_line: str) -> str:
    """The separator of a CSV file from its first line: ';' (French spreadsheets), ',' or tab."""
    delimiter = ";" if first_line.count(";") >= first_line.count(",") else ","
    if "\t" in first_line and first_line.count("\t") > first_line.count(delimiter):
        delimiter = "\t"
    return delimiter


def read_csv(content: bytes) -> list[RawRow]:
    text = _decode(content)
    delimiter = sniff_delimiter(text.splitlines()[0])
    try:
        return [
            RawRow(line=line, cells=tuple(cells))
            for line, cells in uploads.csv_lines(text, delimiter=delimiter)
        ]
    except uploads.CsvRefused as exc:
        raise ImportFileError(str(exc)) from exc


def _trimmed(cells: tuple) -> tuple:
    """A line without its trailing empty cells."""
    end = len(cells)
    while end and (cells[end - 1] is None or cells[end - 1] == ""):
        end -= 1
    return cells[:end]


def read_xlsx(content: bytes) -> list[RawRow]:
    # A "zip bomb" (a million shared strings in 300 KB) never reaches openpyxl.
    try:
        workbook = uploads.open_workbook(content, data_only=True)
    except uploads.SpreadsheetRefused as exc:
        raise ImportFileError(str(exc)) from exc
    rows: list[RawRow] = []
    lines = 0
    try:
        for sheet in workbook.worksheets:
            # The declared dimensions are not trusted ("A1:XFD1048576").
            sheet.reset_dimensions()
            cells_of = sheet.iter_rows(max_col=MAX_XLSX_COLUMNS, values_only=True)
            for line, cells in enumerate(cells_of, start=1):
                lines += 1
                if lines > MAX_XLSX_LINES:
                    raise ImportFileError(
                        f"Le fichier compte plus de {formatting.number(MAX_XLSX_LINES, 0)} "
                        "lignes : scindez-le en plusieurs fichiers."
                    )
                rows.append(RawRow(line=line, cells=_trimmed(tuple(cells)), sheet=sheet.title))
    except ImportFileError:
        raise
    except Exception as exc:  # noqa: BLE001 — a sheet is read lazily: any broken XML inside
        raise ImportFileError("Le fichier XLSX est illisible ou endommagé.") from exc
    finally:
        workbook.close()
    return rows


def read_table(*, filename: str, content: bytes) -> list[RawRow]:
    name = filename.lower()
    if name.endswith(".csv"):
        return read_csv(content)
    if name.endswith(".xlsx"):
        return read_xlsx(content)
    raise ImportFileError("Seuls les fichiers .csv et .xlsx sont acceptés.")


# --- checking rows -----------------------------------------------------------------


def _is_blank(row: RawRow) -> bool:
    return all(_text(cell) == "" for cell in row.cells)


def _is_header(row: RawRow) -> bool:
    names = [_normalise_header(cell) for cell in row.cells[:5]]
    return len(names) >= 3 and sum(name in HEADER_ALIASES for name in names) >= 3


def parse_rows(
    raw_rows: list[RawRow],
    *,
    collectivities: dict[str, int],
    statistics: dict[str, int],
) -> ParseResult:
    """Check every row; return the good rows and one error (with all its reasons) per bad row.

    ``collectivities`` maps the official codes the caller accepts to collectivity ids,
    ``statistics`` maps statistic codes to definition ids.
    """
    rows: list[StatisticRow] = []
    errors: list[RowError] = []
    seen: dict[tuple[int, int, int], RawRow] = {}
    first_of_sheet: set[str] = set()
    for raw in raw_rows:
        if _is_blank(raw):
            continue
        if raw.sheet not in first_of_sheet:
            first_of_sheet.add(raw.sheet)
            if _is_header(raw):
                continue
        cells = list(raw.cells) + [None] * (5 - len(raw.cells))
        extra = [c for c in cells[5:] if _text(c)]
        reasons: list[str] = []
        if extra:
            reasons.append(f"{len(cells)} colonnes au lieu de 5")

        code = normalise_code(cells[0])
        collectivity_id = collectivities.get(code)
        if not code:
            reasons.append("le code de la collectivité est vide")
        elif collectivity_id is None:
            reasons.append(f"collectivité inconnue pour cette convention (code « {code} »)")

        statistic_code = _text(cells[1]).lower()
        statistic_id = statistics.get(statistic_code)
        if not statistic_code:
            reasons.append("le code de la statistique est vide")
        elif statistic_id is None:
            reasons.append(f"statistique inconnue (« {statistic_code} »)")

        year = None
        try:
            year = parse_year(cells[2])
        except ValueError as exc:
            reasons.append(str(exc))

        value = None
        value_text = _text(cells[3])
        if not value_text:
            reasons.append("la valeur est vide")
        else:
            try:
                value = parse_decimal(cells[3])
                if not value.is_finite():
                    raise ValueError("not a number")
            except (ValueError, InvalidOperation):
                reasons.append(f"la valeur « {value_text[:40]} » n'est pas un nombre")
                value = None
            else:
                # Compared before rounding: quantize() fails beyond 28 digits.
                if abs(value) > MAX_ABS_VALUE or (
                    abs(value := value.quantize(TWO_PLACES, rounding=ROUND_HALF_UP)) > MAX_ABS_VALUE
                ):
                    reasons.append(f"la valeur « {value_text[:40]} » est trop grande")
                    value = None

        source = _text(cells[4])
        if len(source) > MAX_SOURCE_LENGTH:
            reasons.append(f"la source dépasse {MAX_SOURCE_LENGTH} caractères")

        if not reasons and collectivity_id and statistic_id and year:
            key = (collectivity_id, statistic_id, year)
            if key in seen:
                reasons.append(
                    f"doublon ({seen[key].where.lower()} : même collectivité, statistique et année)"
                )
            else:
                seen[key] = raw

        if reasons:
            errors.append(RowError(line=raw.line, sheet=raw.sheet, reasons=tuple(reasons)))
            continue
        rows.append(
            StatisticRow(
                line=raw.line,
                sheet=raw.sheet,
                collectivity_code=code,
                collectivity_id=collectivity_id,
                statistic_code=statistic_code,
                statistic_id=statistic_id,
                year=year,
                value=value,
                source=source,
            )
        )
    return ParseResult(rows=rows, errors=errors)


def template_csv() -> str:
    """The header of an import file, with ';' as French spreadsheets write it."""
    buffer = io.StringIO()
    csv.writer(buffer, delimiter=";", lineterminator="\r\n").writerow(TEMPLATE_HEADER)
    return buffer.getvalue()
