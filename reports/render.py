"""Render a report snapshot as charts, an HTML body, a PDF and an XLSX workbook."""

from __future__ import annotations

import datetime
import gc
from contextlib import contextmanager
from decimal import Decimal
from io import BytesIO

from django.conf import settings
from django.template.loader import render_to_string
from django.utils.safestring import mark_safe
from openpyxl import Workbook
from openpyxl.styles import Font

from actions.funding import GAP_LABEL
from actions.funding import gap as funding_gap
from actions.models import ActionSheet
from ctg import spreadsheets
from ctg.ratios import share_fraction, share_pct
from ctg.spreadsheets import (
    DATE_FORMAT,
    DATE_TIME_FORMAT,
    EURO_FORMAT,
    PERCENT_FORMAT,
    safe_cell,
    status_fill,
    style_header,
)
from evaluation.charts import Figure
from evaluation.figures import funding_figure, progress_figure, sheet_status_figure
from evaluation.funding import funding_year_figure
from evaluation.progress import LATE, NO_MEASURE, average_progress

from .models import ProgressReport


def _date(value: str | None) -> datetime.date | None:
    return datetime.date.fromisoformat(value[:10]) if value else None


def _moment(value: str | None) -> datetime.datetime | None:
    """A frozen local date and time (ISO with its offset) as a spreadsheet date-time
    (local clock, as on the pages; spreadsheets hold no time zone)."""
    return datetime.datetime.fromisoformat(value).replace(tzinfo=None) if value else None


def _pct(fraction: float | None) -> float | None:
    """A stored fraction back in % (through its decimal text: 0.285 gives 28.5, not
    28.499999999999996, so that it rounds as the Synthèse's 28.5 does)."""
    return None if fraction is None else float(Decimal(str(fraction)) * 100)


def thematic_rows(snapshot: dict) -> list[dict]:
    """The frozen progress per thematic in the shape of
    :func:`evaluation.progress.progress_by_thematic` rows (values in %), for the
    Synthèse's chart and table builders. Reports built before the figures were
    shared lack the expected share and the counts of late indicators: "—"."""
    return [
        {
            "group_title": row["thematic"],
            "avg_progress": _pct(row.get("progress")),
            "avg_expected": _pct(row.get("expected")),
            "indicator_count": row.get("indicators"),
            "late": row.get("late"),
        }
        for row in snapshot["thematic_progress"]
    ]


def funding_rows(snapshot: dict, key: str = "funding") -> list[dict]:
    """The frozen funding per funder (``key="funding_years"``: per year) with its rate
    (spent ÷ planned of the line) and its gap (:func:`actions.funding.gap`). Reports
    built before the yearly budget have no rows per year."""
    return [
        {
            **row,
            "ratio_pct": share_pct(row["spent"] or 0, row["planned"]),
            "gap": funding_gap(row["planned"], row["spent"]),
        }
        for row in snapshot.get(key, [])
    ]


def report_charts(snapshot: dict) -> dict:
    """The report's charts, drawn by the Synthèse's own builders."""
    status = sheet_status_figure(snapshot["status_counts"], title="Fiches action par statut")
    thematic = None
    if snapshot["thematic_progress"]:
        thematic = progress_figure(
            thematic_rows(snapshot), title="Progression moyenne des indicateurs par thématique"
        )
    funding = funding_years = None
    if snapshot["funding"]:
        funding = funding_figure(
            snapshot["funding"], title="Financements : dépensé sur prévu, par financeur"
        )
    if snapshot.get("funding_years"):
        funding_years = funding_year_figure(snapshot["funding_years"])
    return {
        "status": status,
        "thematic": thematic,
        "funding": funding,
        "funding_years": funding_years,
    }


def _with_pct(rows: list[dict]) -> list[dict]:
    return [
        {**row, "progress_pct": _pct(row["progress"]), "expected_pct": _pct(row["expected"])}
        for row in rows
    ]


def report_context(report: ProgressReport, snapshot: dict) -> dict:
    def with_dates(rows, *keys):
        out = []
        for row in rows:
            row = dict(row)
            for key in keys:
                row[key + "_date"] = _date(row.get(key))
            out.append(row)
        return out

    summary = snapshot["summary"]
    return {
        "report": report,
        "s": snapshot,
        "period_start": _date(snapshot["period"]["start"]),
        "period_end": _date(snapshot["period"]["end"]),
        "convention_start": _date(snapshot["convention"]["start"]),
        "convention_end": _date(snapshot["convention"]["end"]),
        "elapsed_pct": snapshot["convention"]["elapsed_share"] * 100,
        # Older snapshots were frozen without it.
        "time_status": snapshot["convention"].get("time_status"),
        "progress_average_pct": _pct(summary.get("progress_average")),
        "expected_average_pct": _pct(summary.get("expected_average")),
        "charts": report_charts(snapshot),
        "thematics": thematic_rows(snapshot),
        "funding": funding_rows(snapshot),
        "funding_years": funding_rows(snapshot, "funding_years"),
        "gap_label": GAP_LABEL,
        "transitions": with_dates(snapshot["transitions"], "at"),
        "approvals": with_dates(snapshot["approvals"], "at"),
        "measurements": with_dates(snapshot["measurements"], "date"),
        # Older snapshots were frozen without it.
        "unlocked_changes": with_dates(snapshot.get("unlocked_changes", []), "date", "unlocked_at"),
        "observations": with_dates(snapshot["observations"], "date"),
        "upcoming": with_dates(snapshot["upcoming_meetings"], "date"),
        "decisions": with_dates(snapshot["decisions_log"], "date"),
        "late": _with_pct(with_dates(snapshot["late_indicators"], "last_date")),
        "indicators": _with_pct(with_dates(snapshot["indicators"], "last_date")),
        "previous_end": _date((snapshot.get("previous") or {}).get("end")),
        "meeting_date": _date((snapshot.get("meeting") or {}).get("date")),
    }


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
    average progress (the progress rule's average, :func:`average_progress`), how
    many late and without measurement."""
    groups: dict[str, dict] = {}
    for row in indicators:
        holder = row["fiche"] or row["objective"]
        group = groups.setdefault(
            holder, {"holder": holder, "count": 0, "progress": [], "late": 0, "none": 0}
        )
        group["count"] += 1
        group["progress"].append(_pct(row["progress"]))
        group["late"] += row["status"] == LATE
        group["none"] += row["status"] == NO_MEASURE
    for group in groups.values():
        group["progress_pct"] = average_progress(group.pop("progress"))
    return list(groups.values())


# Allocations between two collections of the youngest generation during a build.
BUILD_GC_GEN0_THRESHOLD = 50_000


@contextmanager
def long_lived_objects_frozen():
    """The objects alive before a report's build (Django, its modules and caches) left out of
    the garbage collector's passes during it (:func:`gc.freeze`). WeasyPrint makes hundreds
    of thousands of short-lived objects: each collection they trigger also walked every
    object of the process: about a seventh of the PDF's time in a worker. The build's own garbage is
    still collected; the frozen objects go back to the collector's care after it. Not
    nested (``gc.unfreeze`` thaws everything): the build service uses it once.

    The youngest generation is also collected every :data:`BUILD_GC_GEN0_THRESHOLD`
    allocations instead of every 700: a collection per few hundred of WeasyPrint's
    objects cost about 5 % of the PDF (bench/, issue #20)."""
    threshold = gc.get_threshold()
    gc.freeze()
    gc.set_threshold(BUILD_GC_GEN0_THRESHOLD, *threshold[1:])
    try:
        yield
    finally:
        gc.set_threshold(*threshold)
        gc.unfreeze()


def pdf_chart(figure: Figure | None) -> str | None:
    """A chart as the PDF draws it: its wide drawing alone. The phone drawing and the table
    of the chart's numbers, which the PDF's CSS hides, are left out of the document rather
    than parsed and styled by WeasyPrint for nothing (the report's own tables give the
    numbers)."""
    if figure is None:
        return None
    # The SVG is built and escaped by evaluation.charts.
    return mark_safe(f'<figure class="ctg-chart">{figure.svg}</figure>')


def render_pdf(report: ProgressReport, snapshot: dict) -> bytes:
    from weasyprint import HTML

    indicators = snapshot["indicators"]
    context = report_context(report, snapshot)
    html = render_to_string(
        "reports/report_document.html",
        {
            **context,
            "charts": {key: pdf_chart(figure) for key, figure in context["charts"].items()},
            "pdf_measurement_rows_max": PDF_MEASUREMENT_ROWS_MAX,
            # The annex's lines end with newlines, kept by the PDF's CSS (the web page: <br>).
            "pdf_line_break": "\n",
            "pdf_progress_per_holder": (
                progress_per_holder(indicators)
                if len(indicators) > PDF_INDICATOR_ROWS_MAX
                else None
            ),
        },
    )
    return HTML(string=html, base_url=str(settings.BASE_DIR)).write_pdf()


def render_xlsx(report: ProgressReport, snapshot: dict) -> bytes:
    """The report as a workbook: real dates and date-times, amounts in euros, shares as
    percentages (``ctg.spreadsheets`` formats), one sheet per part."""
    workbook = Workbook()

    def sheet(title: str, headers: list[str], rows: list[list], widths: list[int] | None = None):
        ws = workbook.create_sheet(title)
        ws.append(headers)
        style_header(ws[1])
        for row in rows:
            ws.append([safe_cell(v) for v in row])
        spreadsheets.widths(ws, widths or [])
        ws.freeze_panes = "A2"
        return ws

    def formats(ws, columns: str, number_format: str) -> None:
        spreadsheets.number_format(ws, columns, number_format)

    summary = workbook.active
    summary.title = "Synthèse"
    s = snapshot
    status_labels = dict(ActionSheet.Status.choices)
    lines = [
        ("Convention", s["convention"]["name"], None),
        ("Caf", s["convention"]["caf"], None),
        ("Type de document", s["kind"], None),
        ("Période du", _date(s["period"]["start"]), DATE_FORMAT),
        ("au", _date(s["period"]["end"]), DATE_FORMAT),
        ("Phase", s["convention"]["phase"], None),
        ("Fiches action", s["summary"]["fiches_total"], None),
        ("dont validées ou engagées", s["summary"]["fiches_validated"], None),
        ("en attente d'avis", s["summary"]["fiches_pending"], None),
        *(
            (f"Fiches au statut « {row['label']} »", row["count"], None)
            for row in s["status_counts"]
        ),
        ("Indicateurs", s["summary"]["indicators_total"], None),
        ("dont en retard", s["summary"]["indicators_late"], None),
        (
            "Progression moyenne des indicateurs",
            s["summary"].get("progress_average"),
            PERCENT_FORMAT,
        ),
        ("Mesures saisies sur la période", s["summary"]["measurements_in_period"], None),
        (
            "Valeurs en attente de validation (non comptées)",
            s["summary"].get("measurements_awaiting_validation", 0),
            None,
        ),
        ("Financements prévus", s["summary"]["planned_total"], EURO_FORMAT),
        ("Financements dépensés", s["summary"]["spent_total"], EURO_FORMAT),
        (
            "Fiches ayant changé de statut depuis le rapport précédent",
            s["summary"]["fiches_changed_since_previous"],
            None,
        ),
    ]
    for label, value, number_format in lines:
        summary.append([label, safe_cell(value)])
        if number_format:
            summary.cell(row=summary.max_row, column=2).number_format = number_format
    summary.column_dimensions["A"].width = 55
    summary.column_dimensions["B"].width = 50
    for cell in summary["A"]:
        cell.font = Font(bold=True)

    fiches = sheet(
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
                status_labels.get(f["previous_status"], "") if f["previous_status"] else "",
                f["lead"],
                f["version"],
            ]
            for f in s["fiches"]
        ],
        [10, 50, 25, 15, 22, 30, 8],
    )
    for cell, f in zip(fiches["D"][1:], s["fiches"], strict=True):
        status_fill(cell, f["status"])
    changes_sheet = sheet(
        "Changements",
        ["Fiche", "Intitulé", "De", "Vers", "Le", "Par", "Motif"],
        [
            [t["number"], t["title"], t["from"], t["to"], _moment(t["at"]), t["by"], t["reason"]]
            for t in s["transitions"]
        ],
        [10, 40, 14, 14, 18, 25, 40],
    )
    formats(changes_sheet, "E", DATE_TIME_FORMAT)
    opinions_sheet = sheet(
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
                _moment(a["at"]),
            ]
            for a in s["approvals"]
        ],
        [10, 30, 12, 12, 8, 50, 18],
    )
    formats(opinions_sheet, "G", DATE_TIME_FORMAT)
    thematic_sheet = sheet(
        "Thématiques",
        ["Thématique", "Indicateurs", "Progression moyenne", "Attendu", "En retard"],
        [
            [
                row["thematic"],
                row.get("indicators"),
                row.get("progress"),
                row.get("expected"),
                row.get("late"),
            ]
            for row in s["thematic_progress"]
        ],
        [35, 12, 20, 12, 12],
    )
    formats(thematic_sheet, "CD", PERCENT_FORMAT)
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
            "Progression",
            "Attendu",
            "Statut",
            "Source de la dernière valeur",
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
                r["progress"],
                r["expected"],
                r["status_label"],
                r.get("source", ""),  # older snapshots were frozen without it
            ]
            for r in s["indicators"]
        ],
        [10, 45, 12, 11, 11, 14, 12, 14, 12, 16, 60],
    )
    formats(indicator_sheet, "G", DATE_FORMAT)
    formats(indicator_sheet, "HI", PERCENT_FORMAT)
    for cell, r in zip(indicator_sheet["J"][1:], s["indicators"], strict=True):
        status_fill(cell, r["status"])
    measure_sheet = sheet(
        "Mesures",
        ["Fiche", "Indicateur", "Date", "Valeur", "Unité", "Commentaire", "Source"],
        [
            [
                m["fiche"],
                m["indicator"],
                _date(m["date"]),
                m["value"],
                m["unit"],
                m["comment"],
                m.get("source", ""),  # older snapshots were frozen without it
            ]
            for m in s["measurements"]
        ],
        [10, 45, 12, 12, 12, 40, 60],
    )
    formats(measure_sheet, "C", DATE_FORMAT)
    for title, label, key, rows, width in (
        ("Financements", "Financeur", "funder", "funding", 35),
        ("Financements par année", "Année", "year", "funding_years", 12),
    ):
        funding_sheet = sheet(
            title,
            [label, "Prévu", "Dépensé", "Taux de consommation", GAP_LABEL],
            [
                [
                    f[key],
                    f["planned"],
                    f["spent"],
                    share_fraction(f["spent"] or 0, f["planned"]),
                    float(f["gap"]),
                ]
                for f in funding_rows(s, rows)
            ],
            [width, 15, 15, 20, 22],
        )
        formats(funding_sheet, "BCE", EURO_FORMAT)
        formats(funding_sheet, "D", PERCENT_FORMAT)
    observations_sheet = sheet(
        "Observations",
        ["Changement recherché", "Niveau", "Marqueur", "Date", "Constat", "Observation"],
        [
            [o["change"], o["level"], o["marker"], _date(o["date"]), o["degree"], o["text"]]
            for o in s["observations"]
        ],
        [35, 12, 40, 12, 18, 50],
    )
    formats(observations_sheet, "D", DATE_FORMAT)
    meetings_sheet = sheet(
        "Réunions",
        ["Instance", "Date", "Lieu", "Ordre du jour"],
        [
            [m["committee"], _moment(m["date"]), m["location"], m["agenda"]]
            for m in s["upcoming_meetings"]
        ],
        [30, 18, 25, 60],
    )
    formats(meetings_sheet, "B", DATE_TIME_FORMAT)
    out = BytesIO()
    workbook.save(out)
    return out.getvalue()
