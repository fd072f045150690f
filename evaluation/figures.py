"""The charts of the evaluation figures, drawn the same way wherever they are shown:
the Synthèse, the evaluation overview, the progress reports (web page and PDF).

Each builder takes the rows of :mod:`evaluation.progress` (or of
:mod:`evaluation.funding`), so that a report, frozen years ago, and today's
Synthèse draw their numbers with the same scale, colours and words.
"""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal

from ctg import formatting

from . import charts
from .progress import (
    AHEAD,
    LATE,
    NO_MEASURE,
    NO_THEMATIC,
    NOT_STARTED,
    ON_TRACK,
    STATUS_LABELS,
    UNDEFINED,
)


def status_segments(summary: dict) -> list[charts.Segment]:
    """Indicators per progress status (the keys of a progress summary)."""
    keys = [(AHEAD, "ahead"), (ON_TRACK, "on_track"), (LATE, "late"), (NO_MEASURE, "no_measure")]
    segments = [charts.Segment.of_status(STATUS_LABELS[s], summary.get(k) or 0, s) for s, k in keys]
    for status, key in ((UNDEFINED, "undefined"), (NOT_STARTED, "not_started")):
        if summary.get(key):
            segments.append(charts.Segment.of_status(STATUS_LABELS[status], summary[key], status))
    return segments


def progress_display(avg_progress: float | None) -> str:
    """The words of a group's average progress: ``100 %``, or ``pas de mesure``."""
    return "pas de mesure" if avg_progress is None else formatting.percent(avg_progress)


def progress_figure(rows: Sequence[dict], *, title: str) -> charts.Figure:
    """Horizontal bars of average progress per group (a row of
    :func:`evaluation.progress.progress_by_thematic`: ``group_title``,
    ``avg_progress``, ``avg_expected``, ``indicator_count``, ``late``), on a 0–100 %
    scale, the expected share as a tick."""
    bars = [
        charts.Bar(
            label=row["group_title"] or NO_THEMATIC,
            value=row["avg_progress"],
            display=progress_display(row["avg_progress"]),
            marker=row.get("avg_expected"),
            color=charts.BLUE,
        )
        for row in rows
    ]
    return charts.hbar_chart(
        bars,
        title=title,
        max_value=100,
        label_header="Thématique",
        value_header="Progression moyenne",
        marker_label="Progression attendue à la date de la dernière mesure",
        extra_columns=[
            ("Attendu", [formatting.percent(r.get("avg_expected")) for r in rows]),
            ("Indicateurs", [formatting.number(r.get("indicator_count"), 0) for r in rows]),
            ("En retard", [formatting.number(r.get("late"), 0) for r in rows]),
        ],
    )


def sheet_status_figure(rows: Sequence[dict], *, title: str, width: int = 640) -> charts.Figure:
    """Fiches per status (rows: ``status``, ``label``, ``count``), in the palette's colours."""
    return charts.stacked_bar(
        [charts.Segment.of_status(row["label"], row["count"], row["status"]) for row in rows],
        title=title,
        width=width,
    )


def funding_figure(rows: Sequence[dict], *, title: str) -> charts.Figure:
    """Spent on planned per funder (the ``per_funder`` rows of :func:`evaluation.funding.funding_of`):
    each bar is its own line's planned amount, filled by what was spent of it."""
    return charts.budget_chart(
        [
            charts.Budget(
                row["funder"],
                Decimal(str(row["planned"] or 0)),
                Decimal(str(row["spent"] or 0)),
            )
            for row in rows
        ],
        title=title,
    )
