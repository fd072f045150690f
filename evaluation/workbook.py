"""The measurements workbook round-trip: the lines to fill in, and the preview of an
uploaded workbook against the database.

An indicator broken down by commune (:mod:`evaluation.breakdown`) has a line of its total
and one per commune of the territory; the preview applies the breakdown's rule to what the
workbook changes (:func:`evaluation.breakdown.workbook_plan`): a total that is not the sum
of the communes is an error with its cell, a total left as it was beside a commune that
changed is their new sum.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass, field
from decimal import Decimal

from django.db.models import F

from conventions.models import Collectivity, Convention

from . import breakdown, locks, sources
from .imports import CellError, CellValue, IndicatorLine
from .models import Indicator, Measurement
from .progress import convention_indicators


def workbook_lines(*, convention: Convention) -> list:
    """One line per indicator of the convention with its measured values and their
    sources, the communes of the broken-down ones (4 queries at most)."""
    indicators = list(
        convention_indicators(convention)
        .select_related("action_sheet", "objective")
        .order_by(F("action_sheet__number").asc(nulls_last=True), "objective__title", "id")
    )
    values: dict[int, dict] = {}
    labels: dict[int, dict] = {}
    for m in Measurement.objects.filter(indicator__in=[i.pk for i in indicators]).select_related(
        *sources.RELATED
    ):
        values.setdefault(m.indicator_id, {})[m.date] = m.value
        labels.setdefault(m.indicator_id, {})[m.date] = sources.source_label(m)
    broken_down = [i for i in indicators if breakdown.is_broken_down(i)]
    communes = breakdown.communes_of(convention=convention) if broken_down else []
    parts = breakdown.existing_parts({(i.pk, d) for i in broken_down for d in values.get(i.pk, {})})
    return [
        IndicatorLine(
            id=i.pk,
            holder=(
                f"{i.action_sheet.number} — {i.action_sheet.title}"
                if i.action_sheet_id
                else f"Objectif : {i.objective.title}"
            ),
            name=i.name,
            unit=i.unit,
            baseline=i.baseline_value,
            target=i.target_value,
            frequency=i.frequency,
            values=values.get(i.pk, {}),
            communes=(
                [
                    (
                        c.pk,
                        c.name,
                        {
                            d: found[c.pk]
                            for (indicator_id, d), found in parts.items()
                            if indicator_id == i.pk and c.pk in found
                        },
                    )
                    for c in communes
                ]
                if breakdown.is_broken_down(i)
                else None
            ),
            sources=labels.get(i.pk, {}),
        )
        for i in indicators
    ]


@dataclass
class PreviewLine:
    indicator: Indicator
    date: datetime.date
    old: Decimal | None
    new: Decimal
    row: int
    column: str
    refusal: str = ""  # why the value is not imported (a report locked it)
    commune: Collectivity | None = None  # a commune's value of a broken-down indicator
    computed: bool = False  # a total computed as the sum of the communes

    @property
    def name(self) -> str:
        if self.commune is not None:
            return f"{self.indicator.name} — {self.commune.name}"
        if breakdown.is_broken_down(self.indicator):
            return f"{self.indicator.name} — total du territoire"
        return self.indicator.name


@dataclass
class ImportPreview:
    new: list[PreviewLine]
    changed: list[PreviewLine]
    unchanged: list[PreviewLine]
    refused: list[PreviewLine] = field(default_factory=list)  # a report locked them
    # Cells refused by the breakdown's rule: nothing is imported while there are some.
    errors: list[CellError] = field(default_factory=list)

    @property
    def has_changes(self) -> bool:
        return bool(self.new or self.changed)


def import_preview(*, convention: Convention, values) -> ImportPreview:
    """Compare parsed values with the measurements in the database; a new or changed value in
    a period a report locked is refused; the communes of broken-down indicators are checked
    (4 queries, 6 with communes)."""
    indicators = {
        i.pk: i
        for i in convention_indicators(convention).select_related("action_sheet", "objective")
    }
    keys = {(v.indicator_id, v.date) for v in values}
    existing = {
        (indicator_id, day): value
        for indicator_id, day, value in Measurement.objects.filter(
            indicator_id__in={v.indicator_id for v in values}, date__in={v.date for v in values}
        ).values_list("indicator_id", "date", "value")
        if (indicator_id, day) in keys
    }
    broken_down = any(breakdown.is_broken_down(indicators[i]) for i, _ in keys if i in indicators)
    communes = (
        {c.pk: c for c in breakdown.communes_of(convention=convention)} if broken_down else {}
    )
    old_parts = breakdown.existing_parts(
        {k for k in keys if breakdown.is_broken_down(indicators[k[0]])} if broken_down else set()
    )
    plan = breakdown.workbook_plan(
        indicators=indicators,
        communes={pk: c.name for pk, c in communes.items()},
        values=values,
        old_totals=existing,
        old_parts=old_parts,
    )
    preview = ImportPreview([], [], [], errors=plan.errors)
    if plan.errors:
        return preview
    book = locks.ConventionLocks(convention.pk)
    for v in _in_sheet_order(plan.totals, plan.part_cells.values()):
        key = (v.indicator_id, v.date)
        if v.collectivity_id is None:
            old = existing.get(key)
            changed = old != v.value or key in plan.changed
        else:
            old = old_parts.get(key, {}).get(v.collectivity_id)
            changed = old != v.value
        line = PreviewLine(
            indicators[v.indicator_id],
            v.date,
            old,
            v.value,
            v.row,
            v.column,
            commune=communes.get(v.collectivity_id),
            computed=v.collectivity_id is None and key in plan.computed,
        )
        state = book.state(v.indicator_id, v.date)
        if changed and state.locked:
            line.refusal = state.refusal
            preview.refused.append(line)
        elif old is None:
            preview.new.append(line)
        elif old != v.value:
            preview.changed.append(line)
        else:
            preview.unchanged.append(line)
    return preview


def _in_sheet_order(totals, parts) -> list[CellValue]:
    return sorted([*totals, *parts], key=lambda v: (v.row, v.date))


def kept_values(*, values, preview: ImportPreview) -> list[CellValue]:
    """The values to import once confirmed: all but those of the measurements a report
    locked (their total and their communes)."""
    refused = {(line.indicator.pk, line.date) for line in preview.refused}
    return [v for v in values if (v.indicator_id, v.date) not in refused]
