"""The measurement workbook: build it pre-filled, parse it back (pure functions).

Layout of the sheet « Mesures » (row 1 holds the headers):

    A: Clé (ne pas modifier), hidden | B: Fiche / objectif (« FA-01 — Crèche ») |
    C: Indicateur | D: Unité | E: Référence | F: Cible
    G…: one column per period end (« 31/12/2023 »), pre-filled with the values already
        measured on that date.

Column A is the indicator's key, the only way back from a row to its indicator: it is
hidden, as a person names an indicator by its fiche and its name, never by an internal
number. An indicator broken down by commune (:mod:`evaluation.breakdown`) has its row (the
total of the territory) followed by one row per commune of the territory, keyed
« indicateur:commune » (« 12:345 ») and named « Indicateur — Commune » in column C.

The sheet « Sources » says where each value already entered comes from (a « Source »
column, :func:`evaluation.sources.source_label`); it is never read back. Workbooks downloaded before (key header « N° indicateur », ISO dates such as
« 2023-12-31 » as column titles) are read all the same.

The periods are calendar periods (month, quarter, half-year, year) clipped to the
convention's period; the columns are the union of the periods due for the
indicators present, and a cell outside an indicator's own frequency is greyed
(a value typed there is accepted all the same: any date of the period is valid).

Parsing never touches the database: it receives the ids of the convention's
indicators and its period, and returns the values read and every bad cell. An
empty cell means "no value" (it does not delete a measurement). Values are
rounded to 2 decimals, the precision of the database. The file is first checked by
``ctg.uploads.check_xlsx_archive`` (a "zip bomb" never reaches openpyxl), and the
sheet is read within bounds: :data:`MAX_ROWS` rows, :data:`MAX_COLUMNS` columns,
whatever dimensions the file declares.
"""

from __future__ import annotations

import datetime
import io
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal

from openpyxl import Workbook
from openpyxl.styles import Font, PatternFill
from openpyxl.utils import get_column_letter

from ctg import formatting, spreadsheets, uploads
from ctg.dates import add_months, clamp, is_plausible, plausible_date_message
from ctg.spreadsheets import header_date, safe_cell, style_header

SHEET_NAME = "Mesures"
HELP_SHEET_NAME = "Mode d'emploi"
SOURCES_SHEET_NAME = "Sources"
SOURCES_HEADERS = ("Fiche / objectif", "Indicateur", "Commune", "Date", "Valeur", "Source")
#: The name of a broken-down indicator's row of the total, and of its commune rows.
TOTAL_SUFFIX = "total du territoire"
KEY_RE = re.compile(r"^\s*(\d+)\s*:\s*(\d+)\s*$")
KEY_HEADER = "Clé (ne pas modifier)"
#: Column A's title in the workbooks downloaded before the key was hidden.
LEGACY_KEY_HEADER = "N° indicateur"
FIXED_HEADERS = (KEY_HEADER, "Fiche / objectif", "Indicateur", "Unité", "Référence", "Cible")
FIRST_PERIOD_COLUMN = len(FIXED_HEADERS) + 1
MAX_VALUE = Decimal("999999999999.99")  # DecimalField(max_digits=14, decimal_places=2)
MAX_ROWS = 5000
#: Monthly periods from 1990 to 2100 are 1 332 columns.
MAX_COLUMNS = len(FIXED_HEADERS) + 1500
UNREADABLE = "Le fichier n'est pas un classeur Excel (.xlsx) lisible."

MONTHS = {"monthly": 1, "quarterly": 3, "half_yearly": 6, "yearly": 12}


# ---------------------------------------------------------------- periods


def period_ends(start: datetime.date, end: datetime.date, frequency: str) -> list[datetime.date]:
    """Ends of the calendar periods of ``frequency`` overlapping [start, end], clipped to end.

    The period is first brought inside the plausible window (``ctg.dates``): a legacy
    convention "from 0001-01-01 to 9999-12-31" gets columns from 1990 to 2100, not ten
    thousand years of them ending in an overflow."""
    start, end = clamp(start), clamp(end)
    months = MONTHS[frequency]
    first = datetime.date(start.year, ((start.month - 1) // months) * months + 1, 1)
    ends, period_start = [], first
    while period_start <= end:
        next_start = add_months(period_start, months)
        ends.append(min(next_start - datetime.timedelta(days=1), end))
        period_start = next_start
    return ends


# ----------------------------------------------------------------- export


@dataclass(frozen=True)
class IndicatorLine:
    id: int
    holder: str  # "FA-01 — title" or the objective's title
    name: str
    unit: str
    baseline: Decimal
    target: Decimal
    frequency: str
    values: dict = field(default_factory=dict)  # date → Decimal
    # Broken down by commune: (commune id, name, {date: value}) for each commune.
    communes: Sequence[tuple[int, str, dict]] | None = None
    sources: dict = field(default_factory=dict)  # date → where the value comes from


def commune_key(indicator_id: int, collectivity_id: int) -> str:
    """The key of a commune's row (column A): « indicateur:commune »."""
    return f"{indicator_id}:{collectivity_id}"


GREY = PatternFill("solid", fgColor="E9ECEF")


def build_workbook(
    *,
    convention_name: str,
    start: datetime.date,
    end: datetime.date,
    lines: Sequence[IndicatorLine],
) -> bytes:
    """The pre-filled workbook, as XLSX bytes."""
    due = {line.id: set(period_ends(start, end, line.frequency)) for line in lines}
    columns = sorted(set().union(*due.values())) if due else period_ends(start, end, "yearly")
    wb = Workbook()
    ws = wb.active
    ws.title = SHEET_NAME
    headers = list(FIXED_HEADERS) + [header_date(d) for d in columns]
    ws.append(headers)
    style_header(ws[1])
    for line in lines:
        # Written text that a spreadsheet would run as a formula (=, +, -, @) is neutralised.
        name = line.name if line.communes is None else f"{line.name} — {TOTAL_SUFFIX}"
        row = [line.id, safe_cell(line.holder), safe_cell(name), safe_cell(line.unit)]
        row += [line.baseline, line.target]
        row += [line.values.get(d) for d in columns]
        ws.append(row)
        _grey(ws, columns, due[line.id])
        for collectivity_id, commune, values in line.communes or ():
            row = [commune_key(line.id, collectivity_id), safe_cell(line.holder)]
            row += [safe_cell(f"{line.name} — {commune}"), safe_cell(line.unit), None, None]
            row += [values.get(d) for d in columns]
            ws.append(row)
            _grey(ws, columns, due[line.id])
    spreadsheets.widths(ws, [14, 28, 48, 12, 12, 12] + [13] * len(columns))
    ws.column_dimensions["A"].hidden = True  # the key: internal, never shown
    ws.freeze_panes = ws.cell(row=2, column=FIRST_PERIOD_COLUMN)

    help_ws = wb.create_sheet(HELP_SHEET_NAME)
    for text in (
        f"Mesures des indicateurs — {convention_name}",
        f"Période de la convention : du {formatting.date(start)} au {formatting.date(end)}.",
        "Saisissez les valeurs dans les colonnes datées (une colonne par fin de période).",
        "Les cellules grisées ne correspondent pas à la fréquence de l'indicateur : "
        "une valeur y reste acceptée.",
        "Une cellule vide n'efface pas une mesure existante.",
        "Ne modifiez ni le nom de la feuille « Mesures », ni les en-têtes, ni la colonne A "
        "(masquée : elle relie chaque ligne à son indicateur).",
        "Nombres décimaux : virgule ou point (ex. 12,5). Deux décimales au plus sont gardées.",
        "Vous pouvez ajouter une colonne datée (JJ/MM/AAAA) comprise dans la période.",
        "Un indicateur ventilé par commune a une ligne pour le total du territoire, suivie "
        "d'une ligne par commune. Pour un effectif (agrégation « somme »), le total doit "
        "être égal à la somme des communes : laissé vide ou inchangé, il est recalculé.",
        f"La feuille « {SOURCES_SHEET_NAME} » indique l'origine de chaque valeur déjà "
        "saisie ; elle n'est pas relue à l'import.",
    ):
        help_ws.append([text])
    help_ws.column_dimensions["A"].width = 110
    help_ws["A1"].font = Font(bold=True, size=13)

    sources_ws = wb.create_sheet(SOURCES_SHEET_NAME)
    sources_ws.append(list(SOURCES_HEADERS))
    style_header(sources_ws[1])
    for line in lines:
        for day in sorted(line.values):
            sources_ws.append(
                [
                    safe_cell(line.holder),
                    safe_cell(line.name),
                    None if line.communes is None else TOTAL_SUFFIX,
                    day,
                    line.values[day],
                    safe_cell(line.sources.get(day, "")),
                ]
            )
            sources_ws.cell(row=sources_ws.max_row, column=4).number_format = "DD/MM/YYYY"
    spreadsheets.widths(sources_ws, [28, 40, 22, 12, 12, 70])

    buffer = io.BytesIO()
    wb.save(buffer)
    return buffer.getvalue()


def _grey(ws, columns, due) -> None:
    """Grey the fixed cells of the last row, and its periods outside the frequency."""
    r = ws.max_row
    for c in range(1, FIRST_PERIOD_COLUMN):
        ws.cell(row=r, column=c).fill = GREY
    for offset, day in enumerate(columns):
        if day not in due:
            ws.cell(row=r, column=FIRST_PERIOD_COLUMN + offset).fill = GREY


# ------------------------------------------------------------------ parse


@dataclass(frozen=True)
class CellError:
    sheet: str
    row: int | None
    column: str | None
    message: str

    def __str__(self) -> str:
        where = [f"feuille « {self.sheet} »"] if self.sheet else []
        if self.row:
            where.append(f"ligne {self.row}")
        if self.column:
            where.append(f"colonne {self.column}")
        prefix = ", ".join(where)
        return f"{prefix[:1].upper()}{prefix[1:]} : {self.message}" if prefix else self.message


@dataclass(frozen=True)
class CellValue:
    indicator_id: int
    date: datetime.date
    value: Decimal
    row: int
    column: str
    collectivity_id: int | None = None  # a commune's value of a broken-down indicator


@dataclass
class ParsedWorkbook:
    values: list[CellValue] = field(default_factory=list)
    errors: list[CellError] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.errors


NUMBER_RE = re.compile(r"^[+-]?\d+(\.\d+)?$")


def parse_number(raw) -> Decimal:
    """A number from a cell: int/float, or text with a decimal comma and spaces.

    Raises ValueError with a French message.
    """
    if isinstance(raw, bool):
        raise ValueError(f"« {'VRAI' if raw else 'FAUX'} » n'est pas un nombre.")
    if isinstance(raw, int | Decimal):
        value = Decimal(raw)
    elif isinstance(raw, float):
        value = Decimal(str(raw))
    else:
        text = str(raw).strip()
        compact = re.sub(r"[\s\u00a0\u202f]", "", text).replace(",", ".")
        if not NUMBER_RE.match(compact):
            raise ValueError(f"« {text} » n'est pas un nombre (exemple : 12,5).")
        value = Decimal(compact)
    if not value.is_finite():
        raise ValueError(f"« {raw} » n'est pas un nombre.")
    # Compared before rounding too: quantize() fails beyond 28 digits.
    if abs(value) > MAX_VALUE:
        raise ValueError("le nombre est trop grand.")
    value = value.quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)
    if abs(value) > MAX_VALUE:
        raise ValueError("le nombre est trop grand.")
    return value


def parse_header_date(raw) -> datetime.date | None:
    """A column title as a date: a date cell, « 31/12/2023 » (the workbook's own titles)
    or « 2023-12-31 » (the titles of the workbooks downloaded before)."""
    if isinstance(raw, datetime.datetime):
        return raw.date()
    if isinstance(raw, datetime.date):
        return raw
    text = str(raw or "").strip()
    try:
        return datetime.date.fromisoformat(text)
    except ValueError:
        pass
    match = re.match(r"^(\d{1,2})/(\d{1,2})/(\d{4})$", text)
    if match:
        try:
            return datetime.date(int(match[3]), int(match[2]), int(match[1]))
        except ValueError:
            return None
    return None


def _norm(text) -> str:
    return re.sub(r"\s+", " ", str(text or "")).strip().casefold()


def _is_blank(value) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


def _trimmed(row) -> list:
    """A row without its trailing empty cells."""
    cells = list(row)
    while cells and _is_blank(cells[-1]):
        cells.pop()
    return cells


def parse_workbook(
    data: bytes | io.BytesIO,
    *,
    indicator_ids: Iterable[int],
    start: datetime.date,
    end: datetime.date,
) -> ParsedWorkbook:
    """Read every value of the sheet « Mesures »; collect every bad cell."""
    result = ParsedWorkbook()
    known = set(indicator_ids)
    try:
        wb = uploads.open_workbook(data, data_only=True, unreadable=UNREADABLE)
    except uploads.SpreadsheetRefused as exc:
        result.errors.append(CellError("", None, None, str(exc)))
        return result
    try:
        if SHEET_NAME not in wb.sheetnames:
            result.errors.append(
                CellError(
                    "",
                    None,
                    None,
                    f"Le classeur ne contient pas de feuille « {SHEET_NAME} » "
                    f"(feuilles trouvées : {', '.join(wb.sheetnames)}).",
                )
            )
            return result
        ws = wb[SHEET_NAME]
        # The dimensions a file declares are not trusted: "A1:XFD1048576" would make
        # every row sixteen thousand cells wide.
        ws.reset_dimensions()
        header = next(ws.iter_rows(max_row=1, max_col=MAX_COLUMNS + 1, values_only=True), None)
        header = _trimmed(header or ())
        if not header:
            result.errors.append(CellError(SHEET_NAME, 1, None, "La feuille est vide."))
            return result
        if len(header) > MAX_COLUMNS:
            result.errors.append(
                CellError(
                    SHEET_NAME,
                    1,
                    None,
                    f"Plus de {formatting.number(MAX_COLUMNS, 0)} colonnes : arrêt.",
                )
            )
            return result
        period_columns = _check_header(header, start, end, result)
        width = max(len(header), len(FIXED_HEADERS))
        seen_ids: dict[tuple[int, int | None], int] = {}
        rows = ws.iter_rows(min_row=2, max_col=width, values_only=True)
        for row_number, row in enumerate(rows, start=2):
            if row_number > MAX_ROWS:
                result.errors.append(
                    CellError(SHEET_NAME, row_number, None, f"Plus de {MAX_ROWS} lignes : arrêt.")
                )
                break
            _parse_row(list(row), row_number, period_columns, known, seen_ids, result)
    except Exception:  # noqa: BLE001 — the sheet is read lazily: any broken XML inside
        result.values.clear()
        result.errors.append(CellError("", None, None, UNREADABLE))
    finally:
        wb.close()
    return result


def _check_header(header, start, end, result: ParsedWorkbook) -> list[tuple[int, datetime.date]]:
    for index, expected in enumerate(FIXED_HEADERS):
        found = header[index] if index < len(header) else None
        accepted = {_norm(expected)}
        if index == 0:
            accepted.add(_norm(LEGACY_KEY_HEADER))
        if _norm(found) not in accepted:
            result.errors.append(
                CellError(
                    SHEET_NAME,
                    1,
                    get_column_letter(index + 1),
                    f"l'en-tête devrait être « {expected} »"
                    + (f", trouvé « {found} »." if not _is_blank(found) else " (colonne vide)."),
                )
            )
    columns, seen = [], {}
    for index in range(len(FIXED_HEADERS), len(header)):
        raw = header[index]
        if _is_blank(raw):
            continue
        letter = get_column_letter(index + 1)
        day = parse_header_date(raw)
        if day is None:
            result.errors.append(
                CellError(
                    SHEET_NAME,
                    1,
                    letter,
                    f"l'en-tête « {raw} » n'est pas une date au format JJ/MM/AAAA.",
                )
            )
            continue
        if not is_plausible(day):
            result.errors.append(
                CellError(
                    SHEET_NAME,
                    1,
                    letter,
                    f"la date {formatting.date(day)} n'est pas plausible. "
                    f"{plausible_date_message()}",
                )
            )
            continue
        if not start <= day <= end:
            result.errors.append(
                CellError(
                    SHEET_NAME,
                    1,
                    letter,
                    f"la date {formatting.date(day)} est en dehors de la période de la convention "
                    f"(du {formatting.date(start)} au {formatting.date(end)}).",
                )
            )
            continue
        if day in seen:
            result.errors.append(
                CellError(
                    SHEET_NAME,
                    1,
                    letter,
                    f"la date {formatting.date(day)} figure déjà en colonne {seen[day]}.",
                )
            )
            continue
        seen[day] = letter
        columns.append((index, day))
    return columns


def _row_name(row) -> str:
    """How a person names the row's indicator: its name (column C), else its holder."""
    for index in (2, 1):
        value = row[index] if index < len(row) else None
        if not _is_blank(value):
            text = re.sub(r"\s+", " ", str(value)).strip()
            return f"« {text[:80]} »"
    return ""


def _parse_row(row, row_number, period_columns, known, seen_ids, result: ParsedWorkbook) -> None:
    cells = [row[i] if i < len(row) else None for i, _ in period_columns]
    raw_id = row[0] if row else None
    name = _row_name(row)
    if _is_blank(raw_id):
        if all(_is_blank(v) for v in cells):
            return  # an empty line, or a line of text without values
        result.errors.append(
            CellError(
                SHEET_NAME,
                row_number,
                "A",
                "valeurs saisies sur une ligne qui n'est pas celle d'un indicateur du classeur "
                "(sa clé, en colonne A masquée, est vide) : saisissez-les sur la ligne de "
                "l'indicateur.",
            )
        )
        return
    collectivity_id = None
    try:
        if isinstance(raw_id, str) and (match := KEY_RE.match(raw_id)):
            indicator_id, collectivity_id = int(match[1]), int(match[2])
        else:
            indicator_id = int(parse_number(raw_id))
            if Decimal(indicator_id) != parse_number(raw_id):
                raise ValueError
    except ValueError:
        result.errors.append(
            CellError(
                SHEET_NAME,
                row_number,
                "A",
                f"la clé « {str(raw_id)[:40]} » (colonne A masquée) a été modifiée : "
                "reprenez-la d'un classeur téléchargé depuis cette page.",
            )
        )
        return
    if indicator_id not in known:
        result.errors.append(
            CellError(
                SHEET_NAME,
                row_number,
                "A",
                f"l'indicateur {name or f'de clé {indicator_id}'} n'appartient pas à cette "
                "convention (ou a été supprimé) : téléchargez à nouveau le classeur.",
            )
        )
        return
    key = (indicator_id, collectivity_id)
    if key in seen_ids:
        what = "l'indicateur" if collectivity_id is None else "la commune de l'indicateur"
        result.errors.append(
            CellError(
                SHEET_NAME,
                row_number,
                "A",
                f"{what} {name or f'de clé {raw_id if collectivity_id else indicator_id}'} "
                f"figure déjà ligne {seen_ids[key]}.",
            )
        )
        return
    seen_ids[key] = row_number
    for (index, day), raw in zip(period_columns, cells, strict=True):
        if _is_blank(raw):
            continue
        letter = get_column_letter(index + 1)
        try:
            value = parse_number(raw)
        except ValueError as exc:
            result.errors.append(CellError(SHEET_NAME, row_number, letter, str(exc)))
            continue
        result.values.append(
            CellValue(indicator_id, day, value, row_number, letter, collectivity_id)
        )
