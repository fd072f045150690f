"""The shared indicators of a Caf across its conventions: the reads (a fixed number of
queries whatever the number of conventions) and the XLSX export.

For each shared indicator (:mod:`evaluation.shared`), one row per indicator linked to it —
one per convention, or more when several fiches of a convention follow it — with its last
counted value and date, target, progress and status as the progress read model stored them
(:mod:`evaluation.readmodel`, the rule's one home: :mod:`evaluation.progress`; nothing is
computed again here), and a **departmental figure** by the shared indicator's aggregation:
the sum of the conventions' last values and targets for « somme » (a count: places,
children…), their simple mean for « moyenne » (a rate: each convention counts once, the
mean of territories' rates is not the département's rate), none for « aucune ». The average
progress of the conventions is the progress rule's average
(:func:`evaluation.progress.average_progress`), whatever the aggregation.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass, field
from decimal import Decimal
from io import BytesIO

from django.db.models import Count, F, OuterRef, QuerySet, Subquery
from django.db.models.functions import Coalesce
from django.utils import timezone
from openpyxl import Workbook

from conventions.models import Convention, User
from ctg import formatting, spreadsheets
from ctg.spreadsheets import DATE_FORMAT, DECIMAL_FORMAT, PERCENT_FORMAT, safe_cell

from . import progress, readmodel
from .models import Aggregation, Indicator, SharedIndicator

#: Sorts of the rows of each shared indicator: GET value → (field, French label). A
#: leading « - » sorts the other way.
SORTS = {
    "convention": ("convention_name", "Convention"),
    "valeur": ("last_value", "Dernière valeur"),
    "date": ("last_date", "Date de la dernière valeur"),
    "cible": ("target_value", "Cible"),
    "progression": ("progress_pct", "Progression"),
    "retard": ("schedule_gap", "État"),
}
DEFAULT_SORT = "convention"

SUM_LABEL = "Total départemental"
MEAN_LABEL = "Moyenne départementale"
MEAN_NOTE = "moyenne simple des conventions, chacune compte pour une"
NONE_NOTE = "Pas de total ni de moyenne : l'agrégation de cet indicateur est « aucune »."


def valid_sort(value: str | None) -> str:
    """The sort asked for if it is one of :data:`SORTS` (with or without « - »), else the
    default."""
    value = (value or "").strip()
    return value if value.lstrip("-") in SORTS and value.count("-") <= 1 else DEFAULT_SORT


def shared_scope(*, user: User) -> QuerySet[SharedIndicator]:
    """The shared indicators a Caf agent manages (every Caf's for a superuser)."""
    qs = SharedIndicator.objects.all()
    return qs if user.is_superuser else qs.filter(caf_id=user.caf_id)


def _convention_of_indicator():
    return Coalesce(F("action_sheet__convention_id"), F("objective__convention_id"))


def shared_list(*, user: User) -> QuerySet[SharedIndicator]:
    """The Caf's shared indicators, each with the number of conventions that follow it
    (``convention_count``), in one query."""
    linked = (
        Indicator.objects.filter(shared=OuterRef("pk"))
        .order_by()
        .annotate(convention=_convention_of_indicator())
        .values("shared")
        .annotate(n=Count("convention", distinct=True))
        .values("n")[:1]
    )
    return (
        shared_scope(user=user)
        .select_related("caf")
        .annotate(convention_count=Coalesce(Subquery(linked), 0))
        .order_by("caf__name", "code")
    )


@dataclass
class DepartmentalFigure:
    """The figure of a shared indicator over the Caf's conventions."""

    label: str  # « Total départemental », « Moyenne départementale » or ""
    note: str
    value: Decimal | None = None  # of the last values
    target: Decimal | None = None  # of the targets
    measured: int = 0  # conventions with a counted value
    count: int = 0  # rows
    progress_pct: float | None = None  # the average progress (progress rule)

    @property
    def combines(self) -> bool:
        return bool(self.label)


def departmental_figure(shared: SharedIndicator, rows: list[Indicator]) -> DepartmentalFigure:
    values = [r.last_value for r in rows if r.last_value is not None]
    targets = [r.target_value for r in rows]
    average = progress.average_progress(r.progress_pct for r in rows)
    common = {"measured": len(values), "count": len(rows), "progress_pct": average}
    if shared.aggregation == Aggregation.SUM:
        return DepartmentalFigure(
            SUM_LABEL,
            "somme des dernières valeurs des conventions",
            value=sum(values, Decimal(0)) if values else None,
            target=sum(targets, Decimal(0)) if targets else None,
            **common,
        )
    if shared.aggregation == Aggregation.MEAN:
        return DepartmentalFigure(
            MEAN_LABEL,
            MEAN_NOTE,
            value=sum(values, Decimal(0)) / len(values) if values else None,
            target=sum(targets, Decimal(0)) / len(targets) if targets else None,
            **common,
        )
    return DepartmentalFigure("", NONE_NOTE, **common)


@dataclass
class SharedBlock:
    shared: SharedIndicator
    rows: list[Indicator] = field(default_factory=list)
    figure: DepartmentalFigure | None = None


def _order(sort: str) -> list:
    name = SORTS[sort.lstrip("-")][0]
    key = F(name).desc(nulls_last=True) if sort.startswith("-") else F(name).asc(nulls_last=True)
    return ["shared_id", key, "convention_name", "pk"]


def cross_convention(
    *,
    user: User,
    sort: str = DEFAULT_SORT,
    shared_id: int | None = None,
    today: datetime.date | None = None,
) -> list[SharedBlock]:
    """Every shared indicator of the Caf (or the one asked for) with its rows across the
    conventions, sorted by ``sort`` (:data:`SORTS`), and its departmental figure: four
    queries when the read model is fresh, whatever the number of conventions and rows."""
    today = today or timezone.localdate()
    sort = valid_sort(sort)
    shared = shared_scope(user=user).select_related("caf").order_by("caf__name", "code")
    if shared_id is not None:
        shared = shared.filter(pk=shared_id)
    blocks = {s.pk: SharedBlock(s) for s in shared}
    if not blocks:
        return []
    linked = Indicator.objects.filter(shared_id__in=list(blocks)).annotate(
        convention=_convention_of_indicator()
    )
    conventions = list(
        Convention.objects.filter(pk__in=Subquery(linked.values("convention"))).only(
            "pk", "start_date", "end_date", "data_version"
        )
    )
    if conventions:
        # The progress read model, made fresh where stale (one query when all are).
        readmodel.fresh(conventions, today=today)
        rows = (
            readmodel.with_stored_progress(
                Indicator.objects.filter(
                    shared_id__in=list(blocks), progress_row__convention_id__isnull=False
                )
            )
            .annotate(
                late=F("progress_row__late"),
                convention_pk=F("progress_row__convention_id"),
                convention_name=F("progress_row__convention__name"),
            )
            .select_related("action_sheet", "objective")
            .order_by(*_order(sort))
        )
        for row in rows:
            blocks[row.shared_id].rows.append(row)
    for block in blocks.values():
        block.figure = departmental_figure(block.shared, block.rows)
    return list(blocks.values())


# ----------------------------------------------------------------------------- XLSX

ROWS_SHEET = "Par convention"
FIGURES_SHEET = "Départemental"

ROW_COLUMNS = [
    ("Code", 14),
    ("Indicateur partagé", 40),
    ("Unité", 14),
    ("Convention", 36),
    ("Fiche", 12),
    ("Valeur de référence", 14),
    ("Date de référence", 13),
    ("Dernière valeur", 14),
    ("Date de la dernière valeur", 14),
    ("Cible", 12),
    ("Échéance de la cible", 13),
    ("Progression", 12),
    ("État", 18),
    ("En retard", 10),
]
FIGURE_COLUMNS = [
    ("Code", 14),
    ("Indicateur partagé", 40),
    ("Unité", 14),
    ("Agrégation", 22),
    ("Conventions", 12),
    ("Conventions mesurées", 12),
    ("Valeur départementale", 16),
    ("Cible départementale", 16),
    ("Progression moyenne", 14),
    ("Calcul", 44),
]


def _number(value) -> float | None:
    return None if value is None else float(value)


def _fraction(pct: float | None) -> float | None:
    """A % of the pages as the fraction a ``0 %`` cell shows."""
    return None if pct is None else pct / 100


def _holder(row: Indicator) -> str:
    return row.action_sheet.number if row.action_sheet_id else f"Objectif : {row.objective.title}"


def _table(ws, columns, rows) -> None:
    ws.append([label for label, _ in columns])
    spreadsheets.style_header(ws[1])
    spreadsheets.widths(ws, [width for _, width in columns])
    for row in rows:
        ws.append([safe_cell(v) for v in row])
    ws.freeze_panes = "C2"


def cross_convention_xlsx(blocks: list[SharedBlock]) -> bytes:
    """The cross-convention view as a workbook: one row per convention and shared indicator
    (figures as numbers, dates as dates, progress as a percentage), then the departmental
    figures."""
    wb = Workbook()
    ws = wb.active
    ws.title = ROWS_SHEET
    rows = [(block, row) for block in blocks for row in block.rows]
    _table(
        ws,
        ROW_COLUMNS,
        (
            [
                block.shared.code,
                block.shared.name,
                block.shared.unit,
                row.convention_name,
                _holder(row),
                _number(row.baseline_value),
                row.baseline_date,
                _number(row.last_value),
                row.last_date,
                _number(row.target_value),
                row.target_date,
                _fraction(row.progress_pct),
                progress.STATUS_LABELS.get(row.status, row.status),
                formatting.yes_no(row.late),
            ]
            for block, row in rows
        ),
    )
    spreadsheets.number_format(ws, "FHJ", DECIMAL_FORMAT)
    spreadsheets.number_format(ws, "GIK", DATE_FORMAT)
    spreadsheets.number_format(ws, "L", PERCENT_FORMAT)
    for (cell,), (_, row) in zip(
        ws.iter_rows(min_row=2, min_col=13, max_col=13), rows, strict=True
    ):
        spreadsheets.status_fill(cell, row.status)
    figures = wb.create_sheet(FIGURES_SHEET)
    _table(
        figures,
        FIGURE_COLUMNS,
        (
            [
                block.shared.code,
                block.shared.name,
                block.shared.unit,
                block.shared.get_aggregation_display(),
                block.figure.count,
                block.figure.measured,
                _number(block.figure.value),
                _number(block.figure.target),
                _fraction(block.figure.progress_pct),
                f"{block.figure.label} : {block.figure.note}"
                if block.figure.combines
                else block.figure.note,
            ]
            for block in blocks
        ),
    )
    spreadsheets.number_format(figures, "GH", DECIMAL_FORMAT)
    spreadsheets.number_format(figures, "I", PERCENT_FORMAT)
    wb.properties.title = "Indicateurs partagés de la Caf"
    buffer = BytesIO()
    wb.save(buffer)
    return buffer.getvalue()
