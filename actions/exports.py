"""XLSX export of the fiches action of a convention (openpyxl).

Sheets: « Fiches action », one row per fiche (its status cell in the palette's colour
of that status); « Indicateurs » and « Financements », one row per indicator and per
funding line with their figures as numbers in their own columns (a baseline, a target,
an amount: never "35 → 70" nor "12 500,00 €" in a text); « Synthèse », the fiches per
status and the funding per funder with its rate spent ÷ planned — the figures of the
Synthèse page for the fiches exported. Dates are real dates, amounts numbers shown in
euros (``ctg.spreadsheets`` formats); a fiche is named by its number, never by an
internal id.

The indicators' progress is not here: the action plan reads only the indicators'
models from evaluation (pyproject.toml), the progress rule lives above it.
"""

from __future__ import annotations

import datetime
from decimal import Decimal
from io import BytesIO

from django.utils import timezone
from openpyxl import Workbook
from openpyxl.styles import Font
from openpyxl.worksheet.worksheet import Worksheet

from ctg import spreadsheets
from ctg.ratios import share_fraction
from ctg.spreadsheets import (
    DATE_FORMAT,
    EURO_FORMAT,
    PERCENT_FORMAT,
    safe_cell,
    status_fill,
    style_header,
)

from . import workflow
from .models import ActionSheet
from .selectors import funding_totals


def _money(value: Decimal) -> float:
    return float(value or 0)


def _number(value: Decimal | None) -> float | None:
    return None if value is None else float(value)


COLUMNS: list[tuple[str, int]] = [
    ("N°", 9),
    ("Intitulé", 40),
    ("Statut", 12),
    ("Version", 9),
    ("Version validée", 9),
    ("Thématique principale", 22),
    ("Autres thématiques", 24),
    ("Objectif", 30),
    ("Constat / contexte", 40),
    ("Objectifs opérationnels", 40),
    ("Description de l'action", 50),
    ("Public visé", 24),
    ("Pilote", 24),
    ("Compte du pilote", 24),
    ("Partenaires", 30),
    ("Communes concernées", 30),
    ("Début", 12),
    ("Fin", 12),
    ("Résultats attendus", 40),
    ("Montant prévu total", 16),
    ("Montant dépensé total", 16),
    ("Financeurs", 30),
    ("Indicateurs", 40),
    ("Motif du dernier changement de statut", 30),
    ("Soumise par", 20),
    ("Créée le", 12),
    ("Modifiée le", 12),
]
STATUS_COLUMN = 3
DATE_COLUMNS = ("Début", "Fin", "Créée le", "Modifiée le")
AMOUNT_COLUMNS = ("Montant prévu total", "Montant dépensé total")


def _column(label: str) -> int:
    return next(i for i, (name, _) in enumerate(COLUMNS, start=1) if name == label)


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
        _money(totals["planned"]),
        _money(totals["spent"]),
        funders,
        indicators,
        sheet.status_reason,
        str(sheet.submitted_by) if sheet.submitted_by_id else "",
        _local(sheet.created_at),
        _local(sheet.updated_at),
    ]


INDICATOR_COLUMNS: list[tuple[str, int]] = [
    ("N° fiche", 9),
    ("Fiche", 35),
    ("Indicateur", 40),
    ("Type", 12),
    ("Unité", 12),
    ("Valeur de référence", 12),
    ("Date de référence", 12),
    ("Valeur cible", 12),
    ("Échéance de la cible", 12),
    ("Sens attendu", 10),
    ("Fréquence de mesure", 14),
    ("Source", 25),
]
FUNDING_COLUMNS: list[tuple[str, int]] = [
    ("N° fiche", 9),
    ("Fiche", 35),
    ("Financeur", 30),
    ("Année", 8),
    ("Montant prévu", 16),
    ("Montant dépensé", 16),
]


def _table(wb: Workbook, title: str, columns: list[tuple[str, int]], rows) -> Worksheet:
    ws = wb.create_sheet(title)
    ws.append([label for label, _ in columns])
    style_header(ws[1])
    spreadsheets.widths(ws, [width for _, width in columns])
    for row in rows:
        ws.append([safe_cell(v) for v in row])
    ws.freeze_panes = "C2"
    return ws


def _indicator_sheet(wb: Workbook, sheets: list[ActionSheet]) -> None:
    """One row per indicator: its baseline and target as numbers, their dates as dates."""
    ws = _table(
        wb,
        "Indicateurs",
        INDICATOR_COLUMNS,
        (
            [
                sheet.number,
                sheet.title,
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
    spreadsheets.number_format(ws, (7, 9), DATE_FORMAT)


def _funding_sheet(wb: Workbook, sheets: list[ActionSheet]) -> None:
    """One row per funding line: funder, year, amounts planned and spent."""
    ws = _table(
        wb,
        "Financements",
        FUNDING_COLUMNS,
        (
            [
                sheet.number,
                sheet.title,
                line.funder,
                line.year,
                _money(line.planned_amount),
                _money(line.spent_amount),
            ]
            for sheet in sheets
            for line in sheet.export_funding_lines
        ),
    )
    spreadsheets.number_format(ws, (5, 6), EURO_FORMAT)


def _summary_sheet(wb: Workbook, sheets: list[ActionSheet]) -> None:
    """Fiches per status and funding per funder (planned, spent, rate) of the export."""
    ws = wb.create_sheet("Synthèse")
    ws.append(["Statut", "Fiches"])
    style_header(ws[1])
    for row in workflow.status_counts(sheet.status for sheet in sheets):
        ws.append([row["label"], row["count"]])
        status_fill(ws.cell(row=ws.max_row, column=1), row["status"])
    ws.append(["Total", len(sheets)])
    ws.cell(row=ws.max_row, column=1).font = Font(bold=True)
    ws.append([])
    ws.append(["Financeur", "Prévu", "Dépensé", "Taux de consommation"])
    style_header(ws[ws.max_row])
    lines = [line for sheet in sheets for line in sheet.export_funding_lines]
    per_funder = sorted(
        funding_totals(lines)["per_funder"], key=lambda row: (-row["planned"], row["funder"])
    )
    for row in per_funder:
        ws.append(
            [
                safe_cell(row["funder"]),
                _money(row["planned"]),
                _money(row["spent"]),
                share_fraction(row["spent"], row["planned"]),
            ]
        )
        ws.cell(row=ws.max_row, column=2).number_format = EURO_FORMAT
        ws.cell(row=ws.max_row, column=3).number_format = EURO_FORMAT
        ws.cell(row=ws.max_row, column=4).number_format = PERCENT_FORMAT
    spreadsheets.widths(ws, (35, 16, 16, 20))


def export_sheets(sheets: list[ActionSheet], *, title: str) -> bytes:
    wb = Workbook()
    ws = wb.active
    ws.title = "Fiches action"
    ws.append([label for label, _ in COLUMNS])
    style_header(ws[1])
    spreadsheets.widths(ws, [width for _, width in COLUMNS])
    dates = [_column(label) for label in DATE_COLUMNS]
    amounts = [_column(label) for label in AMOUNT_COLUMNS]
    for sheet in sheets:
        ws.append([safe_cell(v) for v in sheet_row(sheet)])
        row = ws.max_row
        status_fill(ws.cell(row=row, column=STATUS_COLUMN), sheet.status)
        for col in dates:
            ws.cell(row=row, column=col).number_format = DATE_FORMAT
        for col in amounts:
            ws.cell(row=row, column=col).number_format = EURO_FORMAT
    ws.freeze_panes = "C2"
    _indicator_sheet(wb, sheets)
    _funding_sheet(wb, sheets)
    _summary_sheet(wb, sheets)
    wb.properties.title = safe_cell(title)
    buffer = BytesIO()
    wb.save(buffer)
    return buffer.getvalue()
