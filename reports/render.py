"""Render a report snapshot as charts, an HTML body, a PDF and an XLSX workbook."""

from __future__ import annotations

import datetime
from io import BytesIO

from django.conf import settings
from django.template.loader import render_to_string
from openpyxl import Workbook
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter

from actions.models import ActionSheet
from ctg.spreadsheets import safe_cell
from evaluation import charts
from evaluation.selectors import LATE, NO_MEASURE

from .models import ProgressReport

STATUS_COLORS = {
    ActionSheet.Status.DRAFT: "#adb5bd",
    ActionSheet.Status.SUBMITTED: "#0dcaf0",
    ActionSheet.Status.VALIDATED: "#00509e",
    ActionSheet.Status.TO_REVIEW: "#e07a10",
    ActionSheet.Status.IN_PROGRESS: "#6f42c1",
    ActionSheet.Status.DONE: "#198754",
    ActionSheet.Status.ABANDONED: "#6c757d",
}


def _date(value: str | None) -> datetime.date | None:
    return datetime.date.fromisoformat(value[:10]) if value else None


def report_charts(snapshot: dict) -> dict:
    status = charts.stacked_bar(
        [
            charts.Segment(row["label"], row["count"], STATUS_COLORS.get(row["status"], "#adb5bd"))
            for row in snapshot["status_counts"]
        ],
        title="Fiches action par statut",
    )
    thematic = None
    if snapshot["thematic_progress"]:
        thematic = charts.hbar_chart(
            [
                charts.Bar(
                    row["thematic"],
                    round(row["progress"] * 100, 1),
                    display=charts.fmt_percent(row["progress"] * 100),
                )
                for row in snapshot["thematic_progress"]
            ],
            title="Progression moyenne des indicateurs par thématique",
            max_value=100,
            unit="%",
            value_header="Progression",
            label_header="Thématique",
        )
    funding = None
    if snapshot["funding"]:
        funding = charts.hbar_chart(
            [
                charts.Bar(
                    row["funder"],
                    row["spent"] or 0,
                    display=f"{charts.fmt_number(row['spent'], 0)} € / {charts.fmt_number(row['planned'], 0)} €",
                    marker=row["planned"],
                )
                for row in snapshot["funding"]
            ],
            title="Financements : dépensé et prévu par financeur",
            unit="€",
            value_header="Dépensé",
            label_header="Financeur",
            marker_label="prévu",
        )
    return {"status": status, "thematic": thematic, "funding": funding}


def report_context(report: ProgressReport, snapshot: dict) -> dict:
    def with_dates(rows, *keys):
        out = []
        for row in rows:
            row = dict(row)
            for key in keys:
                row[key + "_date"] = _date(row.get(key))
            out.append(row)
        return out

    return {
        "report": report,
        "s": snapshot,
        "period_start": _date(snapshot["period"]["start"]),
        "period_end": _date(snapshot["period"]["end"]),
        "convention_start": _date(snapshot["convention"]["start"]),
        "convention_end": _date(snapshot["convention"]["end"]),
        "elapsed_percent": round(snapshot["convention"]["elapsed_share"] * 100),
        "charts": report_charts(snapshot),
        "transitions": with_dates(snapshot["transitions"], "at"),
        "approvals": with_dates(snapshot["approvals"], "at"),
        "measurements": with_dates(snapshot["measurements"], "date"),
        "observations": with_dates(snapshot["observations"], "date"),
        "upcoming": with_dates(snapshot["upcoming_meetings"], "date"),
        "decisions": with_dates(snapshot["decisions_log"], "date"),
        "late": with_dates(snapshot["late_indicators"], "last_date"),
        "indicators": with_dates(snapshot["indicators"], "last_date"),
        "previous_end": _date((snapshot.get("previous") or {}).get("end")),
        "meeting_date": _date((snapshot.get("meeting") or {}).get("date")),
    }


def render_html(report: ProgressReport, snapshot: dict) -> str:
    return render_to_string("reports/report_document.html", report_context(report, snapshot))


# Beyond this many measurements in the period the PDF points to the XLSX workbook,
# which lists them all: a long table costs WeasyPrint tens of seconds and pages
# nobody reads (performance at scale, see bench/).
PDF_MEASUREMENT_ROWS_MAX = 150


# Beyond this many indicators the PDF shows their progress per fiche, and the XLSX
# workbook lists them one by one: a row per indicator of a large convention made
# eight pages that took three quarters of the build (performance at scale, bench/).
PDF_INDICATOR_ROWS_MAX = 60


def progress_per_holder(indicators: list[dict]) -> list[dict]:
    """The frozen indicator rows folded per fiche (or objective): how many, their
    average progress (capped to 0–100 %, measured ones only), how many late and
    without measurement."""
    groups: dict[str, dict] = {}
    for row in indicators:
        holder = row["fiche"] or row["objective"]
        group = groups.setdefault(
            holder, {"holder": holder, "count": 0, "measured": 0, "sum": 0.0, "late": 0, "none": 0}
        )
        group["count"] += 1
        if row["progress"] is not None:
            group["measured"] += 1
            group["sum"] += min(max(row["progress"], 0.0), 1.0)
        group["late"] += row["status"] == LATE
        group["none"] += row["status"] == NO_MEASURE
    for group in groups.values():
        measured = group["measured"]
        group["progress_display"] = charts.fmt_percent(
            group["sum"] * 100 / measured if measured else None
        )
    return list(groups.values())


def render_pdf(report: ProgressReport, snapshot: dict) -> bytes:
    from weasyprint import HTML

    indicators = snapshot["indicators"]
    html = render_to_string(
        "reports/report_document.html",
        {
            **report_context(report, snapshot),
            "pdf_measurement_rows_max": PDF_MEASUREMENT_ROWS_MAX,
            "pdf_progress_per_holder": (
                progress_per_holder(indicators)
                if len(indicators) > PDF_INDICATOR_ROWS_MAX
                else None
            ),
        },
    )
    return HTML(string=html, base_url=str(settings.BASE_DIR)).write_pdf()


def render_xlsx(report: ProgressReport, snapshot: dict) -> bytes:
    workbook = Workbook()
    header_font = Font(bold=True, color="FFFFFF")
    header_fill = PatternFill("solid", fgColor="00509E")

    def sheet(title: str, headers: list[str], rows: list[list], widths: list[int] | None = None):
        ws = workbook.create_sheet(title)
        ws.append(headers)
        for cell in ws[1]:
            cell.font = header_font
            cell.fill = header_fill
            cell.alignment = Alignment(vertical="top", wrap_text=True)
        for row in rows:
            ws.append([safe_cell(v) for v in row])
        for index, width in enumerate(widths or [], start=1):
            ws.column_dimensions[get_column_letter(index)].width = width
        ws.freeze_panes = "A2"
        return ws

    summary = workbook.active
    summary.title = "Synthèse"
    s = snapshot
    lines = [
        ("Convention", s["convention"]["name"]),
        ("Caf", s["convention"]["caf"]),
        ("Type de document", s["kind"]),
        ("Période du", _date(s["period"]["start"])),
        ("au", _date(s["period"]["end"])),
        ("Phase", s["convention"]["phase"]),
        ("Fiches action", s["summary"]["fiches_total"]),
        ("dont validées ou engagées", s["summary"]["fiches_validated"]),
        ("en attente d'avis", s["summary"]["fiches_pending"]),
        ("Indicateurs", s["summary"]["indicators_total"]),
        ("dont en retard", s["summary"]["indicators_late"]),
        ("Mesures saisies sur la période", s["summary"]["measurements_in_period"]),
        ("Financements prévus (€)", s["summary"]["planned_total"]),
        ("Financements dépensés (€)", s["summary"]["spent_total"]),
        (
            "Fiches ayant changé de statut depuis le rapport précédent",
            s["summary"]["fiches_changed_since_previous"],
        ),
    ]
    for label, value in lines:
        summary.append([label, safe_cell(value)])
        if isinstance(value, datetime.date):
            summary.cell(row=summary.max_row, column=2).number_format = "DD/MM/YYYY"
    summary.column_dimensions["A"].width = 55
    summary.column_dimensions["B"].width = 50
    for cell in summary["A"]:
        cell.font = Font(bold=True)

    sheet(
        "Fiches",
        [
            "Numéro",
            "Intitulé",
            "Thématique",
            "Statut",
            "Statut au rapport précédent",
            "Pilote",
            "Version",
        ],
        [
            [
                f["number"],
                f["title"],
                f["thematic"],
                f["status_label"],
                dict(ActionSheet.Status.choices).get(f["previous_status"], "")
                if f["previous_status"]
                else "",
                f["lead"],
                f["version"],
            ]
            for f in s["fiches"]
        ],
        [10, 50, 25, 15, 22, 30, 8],
    )
    sheet(
        "Changements",
        ["Fiche", "Intitulé", "De", "Vers", "Le", "Par", "Motif"],
        [
            [t["number"], t["title"], t["from"], t["to"], t["at"], t["by"], t["reason"]]
            for t in s["transitions"]
        ],
        [10, 40, 14, 14, 18, 25, 40],
    )
    sheet(
        "Avis",
        ["Fiche", "Membre", "Collège", "Avis", "Version", "Commentaire", "Le"],
        [
            [
                a["number"],
                a["member"],
                a["side"],
                a["decision"],
                a["version"],
                a["comment"],
                a["at"],
            ]
            for a in s["approvals"]
        ],
        [10, 30, 12, 12, 8, 50, 18],
    )
    indicator_sheet = sheet(
        "Indicateurs",
        [
            "Fiche",
            "Indicateur",
            "Unité",
            "Référence",
            "Cible",
            "Dernière valeur",
            "Date",
            "Progression (%)",
            "Attendu (%)",
            "Statut",
        ],
        [
            [
                r["fiche"],
                r["name"],
                r["unit"],
                r["baseline"],
                r["target"],
                r["last_value"],
                _date(r["last_date"]),
                round(r["progress"] * 100, 1) if r["progress"] is not None else None,
                round(r["expected"] * 100, 1) if r["expected"] is not None else None,
                r["status_label"],
            ]
            for r in s["indicators"]
        ],
        [10, 45, 12, 11, 11, 14, 12, 14, 12, 16],
    )
    for cell in indicator_sheet["G"][1:]:
        cell.number_format = "DD/MM/YYYY"
    measure_sheet = sheet(
        "Mesures",
        ["Fiche", "Indicateur", "Date", "Valeur", "Unité", "Commentaire"],
        [
            [m["fiche"], m["indicator"], _date(m["date"]), m["value"], m["unit"], m["comment"]]
            for m in s["measurements"]
        ],
        [10, 45, 12, 12, 12, 40],
    )
    for cell in measure_sheet["C"][1:]:
        cell.number_format = "DD/MM/YYYY"
    sheet(
        "Financements",
        ["Financeur", "Prévu (€)", "Dépensé (€)"],
        [[f["funder"], f["planned"], f["spent"]] for f in s["funding"]],
        [35, 15, 15],
    )
    sheet(
        "Observations",
        ["Changement recherché", "Niveau", "Marqueur", "Date", "Constat", "Observation"],
        [
            [o["change"], o["level"], o["marker"], _date(o["date"]), o["degree"], o["text"]]
            for o in s["observations"]
        ],
        [35, 12, 40, 12, 18, 50],
    )
    sheet(
        "Réunions",
        ["Instance", "Date", "Lieu", "Ordre du jour"],
        [[m["committee"], m["date"], m["location"], m["agenda"]] for m in s["upcoming_meetings"]],
        [30, 18, 25, 60],
    )
    out = BytesIO()
    workbook.save(out)
    return out.getvalue()
