"""XLSX export of the fiches action of a convention (openpyxl)."""

from __future__ import annotations

import datetime
from decimal import Decimal
from io import BytesIO

from openpyxl import Workbook
from openpyxl.styles import Alignment, Font
from openpyxl.utils import get_column_letter

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
    return f"{value:,.2f}".replace(",", " ").replace(".", ",") + " €"


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
        + f" : {i.baseline_value} → {i.target_value}"
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


def export_sheets(sheets: list[ActionSheet], *, title: str) -> bytes:
    wb = Workbook()
    ws = wb.active
    ws.title = "Fiches action"
    ws.append([label for label, _ in COLUMNS])
    for cell in ws[1]:
        cell.font = Font(bold=True)
        cell.alignment = Alignment(wrap_text=True, vertical="top")
    for index, (_, width) in enumerate(COLUMNS, start=1):
        ws.column_dimensions[get_column_letter(index)].width = width
    for sheet in sheets:
        ws.append([safe_cell(v) for v in sheet_row(sheet)])
        row = ws.max_row
        for col in (17, 18, 27, 28):
            ws.cell(row=row, column=col).number_format = "DD/MM/YYYY"
        for col in (20, 21):
            ws.cell(row=row, column=col).number_format = "#,##0.00"
    ws.freeze_panes = "C2"
    wb.properties.title = safe_cell(title)
    buffer = BytesIO()
    wb.save(buffer)
    return buffer.getvalue()
