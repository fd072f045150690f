"""Read the plan workbook back (pure functions: no database).

The layout — sheet names, columns, the field each column fills — is the export's
(:mod:`actions.exports`), so that an exported plan, edited in Excel or LibreOffice, imports
back. Headers are found by their title (columns may be moved, read-only columns removed);
a required column missing is one error, a bad cell another, each with its sheet, row and
column and a French reason. Values are typed here (dates, numbers, amounts, years, the
reference choices of the workflow); what needs the database (thematics, objectives,
communes, fiches named by their number) is resolved by :mod:`plans.services`.

Hostile files: the archive is checked by ``ctg.uploads.check_xlsx_archive`` before openpyxl
opens it (bombs, too many cells), each sheet is read within :data:`MAX_ROWS` rows and
:data:`MAX_COLUMNS` columns whatever it declares, a formula is refused (its value would be
whatever the spreadsheet last computed, or nothing), texts are bounded by their field's
length and cleared of control characters.
"""

from __future__ import annotations

import datetime
import re
import unicodedata
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from openpyxl.utils import get_column_letter

from actions import exports
from actions.exports import Column
from actions.models import ActionSheet, FundingLine, Objective
from ctg import formatting, uploads
from ctg.dates import plausible_date_error
from ctg.spreadsheets import FORMULA_PREFIXES
from evaluation.imports import UNREADABLE, CellError, parse_number
from evaluation.models import Indicator

MAX_ROWS = 2000
MAX_COLUMNS = 60
#: A text without a length of its own (a description) is bounded all the same.
MAX_TEXT = 10_000
MAX_AMOUNT = Decimal("9999999999.99")  # DecimalField(max_digits=12, decimal_places=2)

__all__ = ["CellError", "ParsedPlan", "PlanRow", "parse_plan", "norm"]

_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


def norm(text: Any) -> str:
    """A key to compare names typed by people: spaces, case and accents ignored."""
    text = re.sub(r"\s+", " ", str(text or "")).strip().casefold()
    return "".join(c for c in unicodedata.normalize("NFD", text) if unicodedata.category(c) != "Mn")


@dataclass
class PlanRow:
    """One row of a sheet: the values read (by field) and where each came from."""

    sheet: str
    row: int
    values: dict[str, Any] = field(default_factory=dict)
    letters: dict[str, str] = field(default_factory=dict)
    #: Fields whose cell is already reported (unreadable, formula, required and empty).
    bad: set[str] = field(default_factory=set)

    def error(self, name: str | None, message: str) -> CellError:
        return CellError(self.sheet, self.row, self.letters.get(name) if name else None, message)


@dataclass
class ParsedPlan:
    rows: dict[str, list[PlanRow]] = field(default_factory=dict)
    errors: list[CellError] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.errors


# --------------------------------------------------------------------------- cell readers


def _choices(choices) -> dict[str, str]:
    """A choice by its label or its stored value (« Validée », « validee »)."""
    found = {}
    for value, label in choices:
        found[norm(label)] = value
        found[norm(value)] = value
    return found


STATUSES = _choices(ActionSheet.Status.choices)
LEVELS = _choices(Objective.Level.choices) | {
    norm("général"): Objective.Level.GENERAL,
    norm("opérationnel"): Objective.Level.OPERATIONAL,
}
KINDS = _choices(Indicator.Kind.choices)
DIRECTIONS = _choices(Indicator.Direction.choices)
FREQUENCIES = _choices(Indicator.Frequency.choices)
NATURES = _choices(FundingLine.Nature.choices)
CHOICE_FIELDS = {
    exports.FICHES_SHEET: {"status": (STATUSES, ActionSheet.Status)},
    exports.OBJECTIVES_SHEET: {"level": (LEVELS, Objective.Level)},
    exports.INDICATORS_SHEET: {
        "kind": (KINDS, Indicator.Kind),
        "direction": (DIRECTIONS, Indicator.Direction),
        "frequency": (FREQUENCIES, Indicator.Frequency),
    },
    exports.FUNDING_SHEET: {"nature": (NATURES, FundingLine.Nature)},
}
DATE_FIELDS = {"start_date", "end_date", "baseline_date", "target_date"}
NUMBER_FIELDS = {"baseline_value", "target_value"}
AMOUNT_FIELDS = {"planned_amount", "spent_amount"}
LIST_FIELDS = {"other_thematics", "communes"}
BOOLEAN_FIELDS = {"no_funding"}
YES = {norm(word) for word in (formatting.YES, "vrai", "x", "1", "yes", "true")}
NO = {norm(word) for word in (formatting.NO, "faux", "0", "no", "false")}
MODEL_OF_SHEET = {
    exports.FICHES_SHEET: ActionSheet,
    exports.OBJECTIVES_SHEET: Objective,
    exports.INDICATORS_SHEET: Indicator,
    exports.FUNDING_SHEET: FundingLine,
}


def _blank(value) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


def _text(value, limit: int) -> str:
    """A cell as text: the apostrophe the export puts before a formula-like text is removed,
    control characters too; refused beyond ``limit`` characters."""
    if isinstance(value, bool):
        raise ValueError("une valeur VRAI/FAUX n'est pas un texte attendu ici.")
    if isinstance(value, datetime.datetime | datetime.date):
        raise ValueError("une date n'est pas attendue ici.")
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    text = _CONTROL.sub("", str(value)).replace("\r\n", "\n").strip()
    if text.startswith("'") and text[1:2] and text[1:2] in "".join(FORMULA_PREFIXES):
        text = text[1:]
    if len(text) > limit:
        raise ValueError(
            f"texte trop long ({formatting.number(len(text), 0)} caractères, "
            f"{formatting.number(limit, 0)} au plus)."
        )
    return text


DATE_RE = re.compile(r"^(\d{1,2})/(\d{1,2})/(\d{4})$")


def _date(value) -> datetime.date:
    if isinstance(value, datetime.datetime):
        day = value.date()
    elif isinstance(value, datetime.date):
        day = value
    elif isinstance(value, int | float) and not isinstance(value, bool):
        raise ValueError(f"« {value} » n'est pas une date (format JJ/MM/AAAA).")
    else:
        text = str(value).strip()
        match = DATE_RE.match(text)
        try:
            if match:
                day = datetime.date(int(match[3]), int(match[2]), int(match[1]))
            else:
                day = datetime.date.fromisoformat(text)
        except ValueError:
            raise ValueError(f"« {text[:40]} » n'est pas une date (format JJ/MM/AAAA).") from None
    message = plausible_date_error(day)
    if message:
        raise ValueError(f"la date {formatting.date(day)} n'est pas plausible. {message}")
    return day


def _amount(value) -> Decimal:
    amount = parse_number(value)
    if amount < 0:
        raise ValueError("un montant ne peut pas être négatif.")
    if amount > MAX_AMOUNT:
        raise ValueError("le montant est trop grand.")
    return amount


def _year(value) -> int:
    number = parse_number(value)
    if number != number.to_integral_value() or not 1990 <= number <= 2100:
        raise ValueError(f"« {value} » n'est pas une année entre 1990 et 2100.")
    return int(number)


def _boolean(value) -> bool:
    """« oui » / « non » (the export's words), VRAI / FAUX cells, « x »…"""
    if isinstance(value, bool):
        return value
    text = norm(_text(value, 10))
    if text in YES:
        return True
    if text in NO:
        return False
    raise ValueError(f"« {str(value)[:20]} » : répondez « oui » ou « non ».")


def _choice(value, choices: dict[str, str], enum) -> str:
    text = _text(value, 100)
    found = choices.get(norm(text))
    if found is None:
        labels = ", ".join(f"« {label} »" for _, label in enum.choices)
        raise ValueError(f"« {text[:40]} » n'est pas une valeur possible ({labels}).")
    return found


def _limit(model, name: str) -> int:
    try:
        return model._meta.get_field(name).max_length or MAX_TEXT
    except Exception:  # noqa: BLE001 — a reference column (thematic, objective…)
        return 255


def read_cell(sheet: str, name: str, value) -> Any:
    """The value of field ``name`` from a cell of ``sheet``; ValueError with a French reason."""
    if name in DATE_FIELDS:
        return _date(value)
    if name in NUMBER_FIELDS:
        return parse_number(value)
    if name in AMOUNT_FIELDS:
        return _amount(value)
    if name == "year":
        return _year(value)
    if name in BOOLEAN_FIELDS:
        return _boolean(value)
    choice = CHOICE_FIELDS.get(sheet, {}).get(name)
    if choice:
        return _choice(value, *choice)
    if name in LIST_FIELDS:
        text = _text(value, MAX_TEXT)
        return [part.strip() for part in text.split(exports.LIST_SEPARATOR) if part.strip()]
    if name in ("sheet", "number"):
        return _text(value, 20)
    return _text(value, _limit(MODEL_OF_SHEET[sheet], name))


# --------------------------------------------------------------------------- sheets


def _header(ws, sheet: str, columns: list[Column], result: ParsedPlan) -> dict[int, str] | None:
    """Column index (0-based) → field, from the titles of row 1; None when unusable."""
    raw = next(ws.iter_rows(max_row=1, max_col=MAX_COLUMNS + 1, values_only=True), ())
    titles = list(raw or ())
    while titles and _blank(titles[-1]):
        titles.pop()
    if not titles:
        result.errors.append(CellError(sheet, 1, None, "la ligne d'en-têtes est vide."))
        return None
    if len(titles) > MAX_COLUMNS:
        result.errors.append(
            CellError(
                sheet,
                1,
                None,
                f"plus de {MAX_COLUMNS} colonnes : ce n'est pas la feuille du modèle.",
            )
        )
        return None
    by_title = {norm(c.label): c for c in columns}
    found: dict[int, str] = {}
    seen: dict[str, str] = {}
    for index, title in enumerate(titles):
        column = by_title.get(norm(title)) if isinstance(title, str) else None
        if column is None or column.field is None:
            continue  # a read-only or unknown column: ignored
        letter = get_column_letter(index + 1)
        if column.field in seen:
            result.errors.append(
                CellError(
                    sheet,
                    1,
                    letter,
                    f"la colonne « {column.label} » figure déjà en colonne {seen[column.field]}.",
                )
            )
            continue
        seen[column.field] = letter
        found[index] = column.field
    missing = [c.label for c in columns if c.required and c.field not in seen]
    if missing:
        result.errors.append(
            CellError(
                sheet,
                1,
                None,
                "colonne(s) obligatoire(s) absente(s) : "
                + ", ".join(f"« {m} »" for m in missing)
                + ". Reprenez les en-têtes du modèle.",
            )
        )
        return None
    return found


def _read_sheet(ws, sheet: str, columns: list[Column], result: ParsedPlan) -> list[PlanRow]:
    ws.reset_dimensions()  # the declared size ("A1:XFD1048576") is not trusted
    fields = _header(ws, sheet, columns, result)
    if fields is None:
        return []
    required = {c.field for c in columns if c.required}
    width = max(fields) + 1
    rows = []
    for row_number, cells in enumerate(ws.iter_rows(min_row=2, max_col=width), start=2):
        if row_number > MAX_ROWS + 1:
            result.errors.append(
                CellError(
                    sheet,
                    row_number,
                    None,
                    f"plus de {MAX_ROWS} lignes (des données au-delà de la ligne {MAX_ROWS + 1}) : "
                    "arrêt de la lecture. Supprimez les lignes en trop ou scindez le classeur.",
                )
            )
            break
        cells = list(cells)
        if all(_blank(getattr(c, "value", None)) for c in cells):
            continue
        row = PlanRow(sheet, row_number)
        for index, name in fields.items():
            cell = cells[index] if index < len(cells) else None
            letter = get_column_letter(index + 1)
            row.letters[name] = letter
            value = getattr(cell, "value", None)
            if getattr(cell, "data_type", None) == "f":
                row.bad.add(name)
                result.errors.append(
                    CellError(
                        sheet,
                        row_number,
                        letter,
                        f"la cellule contient une formule (« {str(value)[:40]} ») : "
                        "saisissez sa valeur.",
                    )
                )
                continue
            if _blank(value):
                if name in required:
                    row.bad.add(name)
                    label = next(c.label for c in columns if c.field == name)
                    result.errors.append(
                        CellError(sheet, row_number, letter, f"« {label} » est obligatoire.")
                    )
                continue
            try:
                row.values[name] = read_cell(sheet, name, value)
            except ValueError as exc:
                row.bad.add(name)
                result.errors.append(CellError(sheet, row_number, letter, str(exc)))
        rows.append(row)
    return rows


def parse_plan(data: bytes) -> ParsedPlan:
    """Every row of the plan's sheets, typed; every bad cell."""
    result = ParsedPlan()
    try:
        wb = uploads.open_workbook(data, data_only=False, unreadable=UNREADABLE)
    except uploads.SpreadsheetRefused as exc:
        result.errors.append(CellError("", None, None, str(exc)))
        return result
    try:
        names = {norm(name): name for name in wb.sheetnames}
        if norm(exports.FICHES_SHEET) not in names:
            result.errors.append(
                CellError(
                    "",
                    None,
                    None,
                    f"Le classeur ne contient pas de feuille « {exports.FICHES_SHEET} » "
                    f"(feuilles trouvées : {', '.join(wb.sheetnames)[:300]}). Partez du modèle "
                    "à télécharger sur cette page.",
                )
            )
            return result
        for sheet, columns in exports.IMPORTED_SHEETS.items():
            name = names.get(norm(sheet))
            if name is None:
                result.rows[sheet] = []
                continue
            ws = wb[name]
            if not hasattr(ws, "iter_rows") or not hasattr(ws, "reset_dimensions"):
                result.errors.append(
                    CellError(sheet, None, None, "ce n'est pas une feuille de données.")
                )
                continue
            result.rows[sheet] = _read_sheet(ws, sheet, columns, result)
    except Exception:  # noqa: BLE001 — the sheets are read lazily: any broken XML inside
        result.rows.clear()
        result.errors.append(CellError("", None, None, UNREADABLE))
    finally:
        wb.close()
    return result
