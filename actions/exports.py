"""XLSX export of the fiches action of a convention (openpyxl).

One row per fiche (its status cell in the palette's colour of that status), and a
"Synthèse" sheet: the fiches per status and the funding per funder with its rate
spent ÷ planned — the figures of the Synthèse page for the fiches exported.
Amounts in text are written by ``ctg.formatting`` ("12 500,00 €").

The indicators' progress is not here: the action plan reads only the indicators'
models from evaluation (pyproject.toml), the progress rule lives above it.
"""

from __future__ import annotations

import datetime
import functools
from collections import Counter
from decimal import Decimal
from io import BytesIO

from openpyxl import Workbook
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter

from ctg import formatting, palette
from ctg.ratios import share_fraction
from ctg.spreadsheets import safe_cell

from .models import ActionSheet
from .selectors import funding_totals


def _money(value: Decimal) -> float:
    return float(value or 0)


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
    ("Montant prévu total (€)", 14),
    ("Montant dépensé total (€)", 14),
    ("Plan de financement par financeur", 40),
    ("Lignes de financement", 40),
    ("Indicateurs", 40),
    ("Motif du dernier changement de statut", 30),
    ("Soumise par", 20),
    ("Créée le", 12),
    ("Modifiée le", 12),
]


def _amount_text(value: Decimal) -> str:
    return formatting.amount(value or 0)


def sheet_row(sheet: ActionSheet) -> list:
    """One row; ``sheet`` comes from selectors.sheets_for_export (``export_*`` lists)."""
    lines = sheet.export_funding_lines
    totals = funding_totals(lines)
    per_funder = " ; ".join(
        f"{row['funder']} : prévu {_amount_text(row['planned'])}, "
        f"dépensé {_amount_text(row['spent'])}"
        for row in totals["per_funder"]
    )
    detail = " ; ".join(
        f"{li.funder} {li.year} : {_amount_text(li.planned_amount)} "
        f"(dépensé {_amount_text(li.spent_amount)})"
        for li in lines
    )
    indicators = " ; ".join(
        f"{i.name}"
        + (f" ({i.get_kind_display().lower()}, {i.unit})" if i.unit else "")
        + f" : {formatting.number(i.baseline_value)} → {formatting.number(i.target_value)}"
        for i in sheet.export_indicators
    )

    def local(dt):
        if isinstance(dt, datetime.datetime):
            from django.utils import timezone

            return timezone.localtime(dt).date()
        return dt

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
        per_funder,
        detail,
        indicators,
        sheet.status_reason,
        str(sheet.submitted_by) if sheet.submitted_by_id else "",
        local(sheet.created_at),
        local(sheet.updated_at),
    ]


STATUS_COLUMN = 3
PERCENT_FORMAT = "0 %"  # a fraction shown as a whole percentage, as on the pages
AMOUNT_FORMAT = "#,##0.00"


def _bold_header(ws) -> None:
    for cell in ws[1]:
        cell.font = Font(bold=True)
        cell.alignment = Alignment(wrap_text=True, vertical="top")


def _summary_sheet(wb: Workbook, sheets: list[ActionSheet]) -> None:
    """Fiches per status and funding per funder (planned, spent, rate) of the export."""
    ws = wb.create_sheet("Synthèse")
    ws.append(["Statut", "Fiches"])
    _bold_header(ws)
    counts = Counter(sheet.status for sheet in sheets)
    for value, label in ActionSheet.Status.choices:
        ws.append([label, counts.get(value, 0)])
        _status_fill(ws.cell(row=ws.max_row, column=1), value)
    ws.append(["Total", len(sheets)])
    ws.cell(row=ws.max_row, column=1).font = Font(bold=True)
    ws.append([])
    ws.append(["Financeur", "Prévu (€)", "Dépensé (€)", "Taux de consommation"])
    for cell in ws[ws.max_row]:
        cell.font = Font(bold=True)
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
        ws.cell(row=ws.max_row, column=2).number_format = AMOUNT_FORMAT
        ws.cell(row=ws.max_row, column=3).number_format = AMOUNT_FORMAT
        ws.cell(row=ws.max_row, column=4).number_format = PERCENT_FORMAT
    for column, width in zip("ABCD", (35, 15, 15, 20), strict=True):
        ws.column_dimensions[column].width = width


@functools.cache
def _status_style(status: str) -> tuple[PatternFill, Font]:
    tone = palette.tone(status)
    return PatternFill("solid", fgColor=tone.argb), Font(color=tone.text_argb)


def _status_fill(cell, status: str) -> None:
    """The palette's colour of a fiche status, as its badge on the pages (one style object
    per status, shared by its cells: building them per cell cost a fifth of the export)."""
    cell.fill, cell.font = _status_style(status)


def export_sheets(sheets: list[ActionSheet], *, title: str) -> bytes:
    wb = Workbook()
    ws = wb.active
    ws.title = "Fiches action"
    ws.append([label for label, _ in COLUMNS])
    _bold_header(ws)
    for index, (_, width) in enumerate(COLUMNS, start=1):
        ws.column_dimensions[get_column_letter(index)].width = width
    for sheet in sheets:
        ws.append([safe_cell(v) for v in sheet_row(sheet)])
        row = ws.max_row
        _status_fill(ws.cell(row=row, column=STATUS_COLUMN), sheet.status)
        for col in (17, 18, 27, 28):
            ws.cell(row=row, column=col).number_format = "DD/MM/YYYY"
        for col in (20, 21):
            ws.cell(row=row, column=col).number_format = AMOUNT_FORMAT
    ws.freeze_panes = "C2"
    _summary_sheet(wb, sheets)
    wb.properties.title = safe_cell(title)
    buffer = BytesIO()
    wb.save(buffer)
    return buffer.getvalue()
