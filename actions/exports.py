"""The plan workbook (openpyxl): the XLSX export of the fiches action of a convention, and
the template of the plan import — one layout, read back by ``plans.workbook``.

Sheets: « Fiches action », one row per fiche (its status cell in the palette's colour
of that status); « Indicateurs » and « Financements », one row per indicator and per
funding line with their figures as numbers in their own columns (a baseline, a target,
an amount: never "35 → 70" nor "12 500,00 €" in a text); « Synthèse », the fiches per
status and the funding per funder with its rate spent ÷ planned — the figures of the
Synthèse page for the fiches exported. Dates are real dates, amounts numbers shown in
euros (``ctg.spreadsheets`` formats); a fiche is named by its number, never by an
internal id. « Objectifs » lists the objectives (their title is the key the fiches use),
« Mode d'emploi » explains the import, the hidden « Listes » holds the values of the
drop-down lists (data validation) of thematics, statuses, pilots, units… Each
:class:`Column` names the field an import reads from it; the other columns are for reading.

The indicators' progress is not here: the action plan reads only the indicators'
models from evaluation (pyproject.toml), the progress rule lives above it.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass
from decimal import Decimal
from io import BytesIO

from django.utils import timezone
from openpyxl import Workbook
from openpyxl.styles import Alignment, Font
from openpyxl.utils import get_column_letter, quote_sheetname
from openpyxl.worksheet.datavalidation import DataValidation
from openpyxl.worksheet.worksheet import Worksheet

from conventions.models import Convention, Signatory
from ctg import formatting, spreadsheets
from ctg.ratios import share_fraction
from ctg.spreadsheets import (
    DATE_FORMAT,
    EURO_FORMAT,
    PERCENT_FORMAT,
    safe_cell,
    status_fill,
    style_header,
)
from evaluation.models import Indicator

from . import workflow
from .funding import GAP_LABEL, funding_totals
from .models import ActionSheet, FundingLine, Objective
from .selectors import thematics_offered


def _money(value: Decimal) -> float:
    return float(value or 0)


def _number(value: Decimal | None) -> float | None:
    return None if value is None else float(value)


@dataclass(frozen=True)
class Column:
    """A column of the plan workbook: its French header, its width and the field an import
    reads from it (``None``: written for reading only, ignored by an import)."""

    label: str
    width: int
    field: str | None = None
    required: bool = False


# The one layout of the plan workbook, written by the export and the template below and
# read back by the plan import (``plans.workbook``). The keys that tie rows together are
# the fiche number (« N° », « N° fiche »), the indicator code and the objective's title.
FICHES_SHEET = "Fiches action"
OBJECTIVES_SHEET = "Objectifs"
INDICATORS_SHEET = "Indicateurs"
FUNDING_SHEET = "Financements"
SUMMARY_SHEET = "Synthèse"
HELP_SHEET = "Mode d'emploi"
LISTS_SHEET = "Listes"

COLUMNS: list[Column] = [
    Column("N°", 9, "number", required=True),
    Column("Intitulé", 40, "title", required=True),
    Column("Statut", 12, "status"),
    Column("Version", 9),
    Column("Version validée", 9),
    Column("Thématique principale", 22, "thematic", required=True),
    Column("Autres thématiques", 24, "other_thematics"),
    Column("Objectif", 30, "objective"),
    Column("Constat / contexte", 40, "context"),
    Column("Objectifs opérationnels", 40, "goals"),
    Column("Description de l'action", 50, "description"),
    Column("Public visé", 24, "target_public"),
    Column("Pilote", 24, "lead"),
    Column("Compte du pilote", 24),
    Column("Partenaires", 30, "partners"),
    Column("Communes concernées", 30, "communes"),
    Column("Début", 12, "start_date"),
    Column("Fin", 12, "end_date"),
    Column("Résultats attendus", 40, "expected_results"),
    Column("Sans financement", 12, "no_funding"),
    Column("Montant prévu total", 16),
    Column("Montant dépensé total", 16),
    Column("Financeurs", 30),
    Column("Indicateurs", 40),
    Column("Motif du dernier changement de statut", 30),
    Column("Soumise par", 20),
    Column("Créée le", 12),
    Column("Modifiée le", 12),
]
STATUS_COLUMN = 3
DATE_COLUMNS = ("Début", "Fin", "Créée le", "Modifiée le")
AMOUNT_COLUMNS = ("Montant prévu total", "Montant dépensé total")

OBJECTIVE_COLUMNS: list[Column] = [
    Column("Objectif", 45, "title", required=True),
    Column("Niveau", 22, "level"),
    Column("Thématique", 22, "thematic", required=True),
    Column("Objectif général", 40, "parent"),
    Column("Changement recherché", 50, "change_sought"),
]
INDICATOR_COLUMNS: list[Column] = [
    Column("N° fiche", 9, "sheet", required=True),
    Column("Fiche", 35),
    Column("Code", 10, "code"),
    Column("Indicateur", 40, "name", required=True),
    Column("Type", 12, "kind"),
    Column("Unité", 12, "unit"),
    Column("Valeur de référence", 12, "baseline_value", required=True),
    Column("Date de référence", 12, "baseline_date", required=True),
    Column("Valeur cible", 12, "target_value", required=True),
    Column("Échéance de la cible", 12, "target_date", required=True),
    Column("Sens attendu", 10, "direction"),
    Column("Fréquence de mesure", 14, "frequency"),
    Column("Source", 25, "source"),
]
FUNDING_COLUMNS: list[Column] = [
    Column("N° fiche", 9, "sheet", required=True),
    Column("Fiche", 35),
    Column("Financeur", 30, "funder", required=True),
    Column("Année", 8, "year", required=True),
    Column("Nature", 16, "nature"),
    Column("Montant prévu", 16, "planned_amount"),
    Column("Montant dépensé", 16, "spent_amount"),
]
#: The sheets an import reads, in the order it applies them, with their columns.
IMPORTED_SHEETS: dict[str, list[Column]] = {
    OBJECTIVES_SHEET: OBJECTIVE_COLUMNS,
    FICHES_SHEET: COLUMNS,
    INDICATORS_SHEET: INDICATOR_COLUMNS,
    FUNDING_SHEET: FUNDING_COLUMNS,
}
#: Several values in one cell (other thematics, communes) are separated by commas.
LIST_SEPARATOR = ","
#: Rows of a sheet that carry the drop-down lists (data validation) below the header.
VALIDATED_ROWS = 1000


def column_index(columns: list[Column], label: str) -> int:
    """The 1-based position of ``label`` in ``columns``."""
    return next(i for i, column in enumerate(columns, start=1) if column.label == label)


def _local(value):
    """A date-time as its local date (a spreadsheet holds no time zone)."""
    if isinstance(value, datetime.datetime):
        return timezone.localtime(value).date()
    return value


def sheet_row(sheet: ActionSheet) -> list:
    """One row; ``sheet`` comes from selectors.sheets_for_export (``export_*`` lists)."""
    lines = sheet.export_funding_lines
    totals = funding_totals(lines)
    funders = ", ".join(row["funder"] for row in totals["per_funder"])
    indicators = " ; ".join(
        i.name + (f" ({i.get_kind_display().lower()}, {i.unit})" if i.unit else "")
        for i in sheet.export_indicators
    )
    return [
        sheet.number,
        sheet.title,
        sheet.get_status_display(),
        sheet.version,
        sheet.approved_version,
        str(sheet.thematic),
        ", ".join(t.label for t in sheet.export_thematics),
        str(sheet.objective) if sheet.objective_id else "",
        sheet.context,
        sheet.goals,
        sheet.description,
        sheet.target_public,
        sheet.lead,
        str(sheet.lead_user) if sheet.lead_user_id else "",
        sheet.partners,
        ", ".join(c.name for c in sheet.export_communes),
        sheet.start_date,
        sheet.end_date,
        sheet.expected_results,
        formatting.yes_no(sheet.no_funding),
        _money(totals["planned"]),
        _money(totals["spent"]),
        funders,
        indicators,
        sheet.status_reason,
        str(sheet.submitted_by) if sheet.submitted_by_id else "",
        _local(sheet.created_at),
        _local(sheet.updated_at),
    ]


def _table(wb: Workbook, title: str, columns: list[Column], rows) -> Worksheet:
    ws = wb.create_sheet(title)
    _header(ws, columns)
    for row in rows:
        ws.append([safe_cell(v) for v in row])
    ws.freeze_panes = "C2"
    return ws


def _header(ws: Worksheet, columns: list[Column]) -> None:
    ws.append([column.label for column in columns])
    style_header(ws[1])
    spreadsheets.widths(ws, [column.width for column in columns])


def _indicator_sheet(wb: Workbook, sheets: list[ActionSheet]) -> Worksheet:
    """One row per indicator: its code, its baseline and target as numbers, their dates as
    dates."""
    ws = _table(
        wb,
        INDICATORS_SHEET,
        INDICATOR_COLUMNS,
        (
            [
                sheet.number,
                sheet.title,
                i.code,
                i.name,
                i.get_kind_display(),
                i.unit,
                _number(i.baseline_value),
                i.baseline_date,
                _number(i.target_value),
                i.target_date,
                i.get_direction_display(),
                i.get_frequency_display(),
                i.source,
            ]
            for sheet in sheets
            for i in sheet.export_indicators
        ),
    )
    dates = [
        column_index(INDICATOR_COLUMNS, c) for c in ("Date de référence", "Échéance de la cible")
    ]
    spreadsheets.number_format(ws, dates, DATE_FORMAT)
    return ws


def _funding_sheet(wb: Workbook, sheets: list[ActionSheet]) -> Worksheet:
    """One row per funding line: funder, year, nature, amounts planned and spent."""
    ws = _table(
        wb,
        FUNDING_SHEET,
        FUNDING_COLUMNS,
        (
            [
                sheet.number,
                sheet.title,
                line.funder,
                line.year,
                line.get_nature_display(),
                _money(line.planned_amount),
                _money(line.spent_amount),
            ]
            for sheet in sheets
            for line in sheet.export_funding_lines
        ),
    )
    amounts = [column_index(FUNDING_COLUMNS, c) for c in ("Montant prévu", "Montant dépensé")]
    spreadsheets.number_format(ws, amounts, EURO_FORMAT)
    return ws


def _objective_sheet(wb: Workbook, objectives: list[Objective], *, index: int) -> Worksheet:
    """One row per objective, general ones first: its title is the key the fiches use."""
    ws = wb.create_sheet(OBJECTIVES_SHEET, index)
    _header(ws, OBJECTIVE_COLUMNS)
    for o in sorted(objectives, key=lambda o: (o.level != Objective.Level.GENERAL, o.pk)):
        ws.append(
            [
                safe_cell(v)
                for v in (
                    o.title,
                    o.get_level_display(),
                    str(o.thematic),
                    o.parent.title if o.parent_id else "",
                    o.change_sought,
                )
            ]
        )
    ws.freeze_panes = "B2"
    return ws


def _summary_sheet(wb: Workbook, sheets: list[ActionSheet]) -> None:
    """Fiches per status, funding per funder (planned, spent, rate, gap) and per year of
    the export (the totals of :func:`actions.funding.funding_totals`)."""
    ws = wb.create_sheet(SUMMARY_SHEET)
    ws.append(["Statut", "Fiches"])
    style_header(ws[1])
    for row in workflow.status_counts(sheet.status for sheet in sheets):
        ws.append([row["label"], row["count"]])
        status_fill(ws.cell(row=ws.max_row, column=1), row["status"])
    ws.append(["Total", len(sheets)])
    ws.cell(row=ws.max_row, column=1).font = Font(bold=True)
    ws.append([])
    lines = [line for sheet in sheets for line in sheet.export_funding_lines]
    totals = funding_totals(lines)
    per_funder = sorted(totals["per_funder"], key=lambda row: (-row["planned"], row["funder"]))
    _funding_table(ws, "Financeur", [(safe_cell(row["funder"]), row) for row in per_funder])
    ws.append([])
    _funding_table(ws, "Année", [(row["year"], row) for row in totals["per_year"]])
    spreadsheets.widths(ws, (35, 16, 16, 20, 22))


def _funding_table(ws: Worksheet, label: str, rows: list[tuple]) -> None:
    """A table of amounts (planned, spent, rate, gap) under a header, one row per
    (label, totals row)."""
    ws.append([label, "Prévu", "Dépensé", "Taux de consommation", GAP_LABEL])
    style_header(ws[ws.max_row])
    for name, row in rows:
        ws.append(
            [
                name,
                _money(row["planned"]),
                _money(row["spent"]),
                share_fraction(row["spent"], row["planned"]),
                _money(row["gap"]),
            ]
        )
        for column in (2, 3, 5):
            ws.cell(row=ws.max_row, column=column).number_format = EURO_FORMAT
        ws.cell(row=ws.max_row, column=4).number_format = PERCENT_FORMAT


# --------------------------------------------------------------------------- drop-down lists

#: Units offered in the « Unité » list besides the ones the convention already uses.
COMMON_UNITS = ("enfants", "familles", "jeunes", "personnes", "places", "actions", "heures", "%")


@dataclass(frozen=True)
class WorkbookLists:
    """The values of the drop-down lists: strict for the reference values (a typed value
    outside the list is refused by the spreadsheet), suggestions for the free ones."""

    thematics: tuple[str, ...] = ()
    pilots: tuple[str, ...] = ()
    units: tuple[str, ...] = COMMON_UNITS
    objectives: tuple[str, ...] = ()

    def columns(self) -> list[tuple[str, tuple[str, ...], bool]]:
        """(title, values, strict) of each list, in the order of the sheet « Listes »."""
        return [
            ("Thématiques", self.thematics, True),
            ("Statuts", tuple(str(label) for _, label in ActionSheet.Status.choices), True),
            ("Niveaux", tuple(str(label) for _, label in Objective.Level.choices), True),
            ("Types", tuple(str(label) for _, label in Indicator.Kind.choices), True),
            ("Sens", tuple(str(label) for _, label in Indicator.Direction.choices), True),
            ("Fréquences", tuple(str(label) for _, label in Indicator.Frequency.choices), True),
            ("Pilotes", self.pilots, False),
            ("Unités", self.units, False),
            ("Objectifs", self.objectives, False),
            ("Oui / non", (formatting.YES, formatting.NO), True),
            ("Natures", tuple(str(label) for _, label in FundingLine.Nature.choices), True),
        ]


#: Which list each column of each sheet offers.
LIST_OF_COLUMN: dict[str, dict[str, str]] = {
    FICHES_SHEET: {
        "Statut": "Statuts",
        "Thématique principale": "Thématiques",
        "Objectif": "Objectifs",
        "Pilote": "Pilotes",
        "Sans financement": "Oui / non",
    },
    OBJECTIVES_SHEET: {"Niveau": "Niveaux", "Thématique": "Thématiques"},
    INDICATORS_SHEET: {
        "Type": "Types",
        "Unité": "Unités",
        "Sens attendu": "Sens",
        "Fréquence de mesure": "Fréquences",
    },
    FUNDING_SHEET: {"Nature": "Natures"},
}
COLUMNS_OF_SHEET = {
    FICHES_SHEET: COLUMNS,
    OBJECTIVES_SHEET: OBJECTIVE_COLUMNS,
    INDICATORS_SHEET: INDICATOR_COLUMNS,
    FUNDING_SHEET: FUNDING_COLUMNS,
}


def workbook_lists(
    *,
    convention: Convention,
    sheets: list[ActionSheet] | None = None,
    objectives: list[Objective] | None = None,
) -> WorkbookLists:
    """The lists of the convention's workbook: the thematics a fiche may take
    (selectors.thematics_offered), the signatories and the
    pilots already named, the units already used, the objectives. The pilots and units of
    ``sheets`` (from selectors.sheets_for_export) and the ``objectives`` given cost no query;
    without them they are read (2 queries, 5 in all)."""
    pilots = {
        str(s)
        for s in Signatory.objects.filter(convention=convention).select_related(
            "collectivity", "caf"
        )
    }
    if sheets is None:
        pilots |= set(
            ActionSheet.objects.filter(convention=convention)
            .exclude(lead="")
            .values_list("lead", flat=True)
        )
        units = set(
            Indicator.objects.filter(action_sheet__convention=convention).values_list(
                "unit", flat=True
            )
        )
    else:
        pilots |= {sheet.lead for sheet in sheets}
        units = {i.unit for sheet in sheets for i in sheet.export_indicators}
    if objectives is None:
        titles = set(convention.objectives.values_list("title", flat=True))
    else:
        titles = {o.title for o in objectives}
    return WorkbookLists(
        thematics=tuple(
            thematics_offered(convention=convention)
            .order_by("order", "label")
            .values_list("label", flat=True)
        ),
        pilots=tuple(sorted(pilots - {""}, key=str.casefold)),
        units=tuple(sorted((units | set(COMMON_UNITS)) - {""}, key=str.casefold)),
        objectives=tuple(sorted(titles, key=str.casefold)),
    )


def _lists_sheet(wb: Workbook, lists: WorkbookLists) -> dict[str, str]:
    """The hidden sheet « Listes », one list per column; returns each list's range."""
    ws = wb.create_sheet(LISTS_SHEET)
    ranges = {}
    for index, (title, values, _strict) in enumerate(lists.columns(), start=1):
        letter = get_column_letter(index)
        ws.cell(row=1, column=index, value=title)
        for row, value in enumerate(values, start=2):
            ws.cell(row=row, column=index, value=safe_cell(value))
        last = max(len(values) + 1, 2)
        ranges[title] = f"{quote_sheetname(LISTS_SHEET)}!${letter}$2:${letter}${last}"
    style_header(ws[1])
    spreadsheets.widths(ws, [28] * len(ranges))
    ws.sheet_state = "hidden"
    return ranges


def _add_validations(wb: Workbook, lists: WorkbookLists, ranges: dict[str, str]) -> None:
    """Drop-down lists on the columns of :data:`LIST_OF_COLUMN` (an import checks the
    values all the same: a spreadsheet lets a pasted value through)."""
    strict = {title: is_strict for title, _values, is_strict in lists.columns()}
    for sheet_name, by_column in LIST_OF_COLUMN.items():
        ws = wb[sheet_name]
        last = max(ws.max_row, 1) + VALIDATED_ROWS
        for label, list_title in by_column.items():
            letter = get_column_letter(column_index(COLUMNS_OF_SHEET[sheet_name], label))
            validation = DataValidation(
                type="list", formula1=f"={ranges[list_title]}", allow_blank=True
            )
            validation.showErrorMessage = strict[list_title]
            validation.errorTitle = "Valeur hors liste"
            validation.error = f"Choisissez une valeur de la liste « {list_title} »."
            validation.promptTitle = label
            validation.prompt = (
                f"Choisissez dans la liste « {list_title} »."
                if strict[list_title]
                else f"Choisissez dans la liste « {list_title} » ou saisissez une autre valeur."
            )
            validation.showInputMessage = True
            validation.add(f"{letter}2:{letter}{last}")
            ws.add_data_validation(validation)


# --------------------------------------------------------------------------- instructions

HELP_TEXT: tuple[str, ...] = (
    "Ce classeur décrit le plan d'actions : une feuille par nature — « Objectifs », "
    "« Fiches action », « Indicateurs », « Financements ». Il s'importe depuis la page "
    "« Plan d'actions » › « Importer un plan (XLSX) » (agents de la Caf).",
    "Un aperçu liste ce qui sera créé et modifié, et chaque cellule à corriger (feuille, ligne, "
    "colonne) : rien n'est enregistré avant votre confirmation. Importer deux fois le même "
    "fichier ne change rien.",
    "Les clés relient les lignes entre elles : le numéro de fiche (« N° », par exemple FA-01) "
    "dans « Fiches action », repris dans la colonne « N° fiche » des indicateurs et des "
    "financements ; l'intitulé de l'objectif, repris dans la colonne « Objectif » des fiches ; "
    "le code de l'indicateur (IND-01…) dans sa fiche. Ne les modifiez pas : une fiche dont on "
    "change le numéro est lue comme une nouvelle fiche.",
    "Une fiche, un indicateur ou un financement absent du classeur n'est jamais supprimé : "
    "supprimez-le sur sa page.",
    "Nouvel indicateur : laissez la colonne « Code » vide (il est attribué à l'import) ; un "
    "indicateur sans code est reconnu par sa fiche et son intitulé.",
    "Un financement est reconnu par sa fiche, son financeur et son année (une ligne par "
    "financeur et par année). Sa nature est « Fonctionnement » ou « Investissement » ; "
    "vide, elle reste celle de la ligne existante (« Fonctionnement » pour une nouvelle).",
    "Statut d'une nouvelle fiche : « Brouillon » (ou vide). « Validée », « En cours » ou "
    "« Réalisée » ne sont acceptés que pour une convention déjà signée, reprise de l'existant. "
    "Le statut d'une fiche existante change sur sa page (soumission au comité, avis).",
    "Modifier le fond d'une fiche soumise, validée ou en cours ouvre une nouvelle version, "
    "soumise à nouveau au comité (motif : « Import du plan : <nom du fichier> »).",
    "Listes déroulantes : thématiques, statuts, niveaux, types, sens, fréquences et natures "
    "n'acceptent que leurs valeurs ; pilotes, unités et objectifs proposent des valeurs, "
    "une autre reste possible.",
    "Plusieurs valeurs dans une cellule (autres thématiques, communes) : séparez-les par des "
    "virgules.",
    "Dates au format JJ/MM/AAAA ; nombres avec une virgule ou un point (12,5) ; montants en "
    "euros, sans symbole. Pas de formule : saisissez les valeurs.",
    "Colonnes lues à l'import — Fiches action : "
    + ", ".join(c.label for c in COLUMNS if c.field)
    + ". Les autres colonnes (version, totaux, dates de création…) sont données pour "
    "information et ignorées à l'import.",
    "Colonnes obligatoires — Objectifs : "
    + ", ".join(c.label for c in OBJECTIVE_COLUMNS if c.required)
    + " ; Fiches action : "
    + ", ".join(c.label for c in COLUMNS if c.required)
    + " ; Indicateurs : "
    + ", ".join(c.label for c in INDICATOR_COLUMNS if c.required)
    + " ; Financements : "
    + ", ".join(c.label for c in FUNDING_COLUMNS if c.required)
    + ".",
)


def _help_sheet(wb: Workbook, *, title: str) -> None:
    ws = wb.create_sheet(HELP_SHEET)
    ws.append([safe_cell(title)])
    ws["A1"].font = Font(bold=True, size=13)
    for text in HELP_TEXT:
        ws.append([text])
        ws.cell(row=ws.max_row, column=1).alignment = Alignment(wrap_text=True, vertical="top")
    ws.column_dimensions["A"].width = 120


# --------------------------------------------------------------------------- the workbook


def export_sheets(
    sheets: list[ActionSheet],
    *,
    title: str,
    objectives: list[Objective] | None = None,
    lists: WorkbookLists | None = None,
    summary: bool = True,
) -> bytes:
    """The plan workbook: « Fiches action » (the active sheet), « Objectifs »,
    « Indicateurs », « Financements », « Synthèse » (``summary``), « Mode d'emploi » and
    the hidden « Listes » of the drop-down lists."""
    wb = Workbook()
    ws = wb.active
    ws.title = FICHES_SHEET
    _header(ws, COLUMNS)
    dates = [column_index(COLUMNS, label) for label in DATE_COLUMNS]
    amounts = [column_index(COLUMNS, label) for label in AMOUNT_COLUMNS]
    for sheet in sheets:
        ws.append([safe_cell(v) for v in sheet_row(sheet)])
        row = ws.max_row
        status_fill(ws.cell(row=row, column=STATUS_COLUMN), sheet.status)
        for col in dates:
            ws.cell(row=row, column=col).number_format = DATE_FORMAT
        for col in amounts:
            ws.cell(row=row, column=col).number_format = EURO_FORMAT
    ws.freeze_panes = "C2"
    _objective_sheet(wb, objectives or [], index=1)
    _indicator_sheet(wb, sheets)
    _funding_sheet(wb, sheets)
    if summary:
        _summary_sheet(wb, sheets)
    _help_sheet(wb, title=title)
    lists = lists or WorkbookLists()
    _add_validations(wb, lists, _lists_sheet(wb, lists))
    wb.active = 0
    wb.properties.title = safe_cell(title)
    buffer = BytesIO()
    wb.save(buffer)
    return buffer.getvalue()


def plan_export(*, convention: Convention, sheets: list[ActionSheet]) -> bytes:
    """The plan of ``convention`` (``sheets``: from selectors.sheets_for_export), with its
    objectives and the drop-down lists: edited, it imports back."""
    objectives = list(convention.objectives.select_related("thematic", "parent"))
    return export_sheets(
        sheets,
        title=f"Fiches action — {convention.name}",
        objectives=objectives,
        lists=workbook_lists(convention=convention, sheets=sheets, objectives=objectives),
    )


def plan_template(*, convention: Convention) -> bytes:
    """The empty plan workbook of ``convention``: headers, lists and instructions."""
    return export_sheets(
        [],
        title=f"Plan d'actions à importer — {convention.name}",
        lists=workbook_lists(convention=convention),
        summary=False,
    )
