"""The measurements workbook round-trip: the lines to fill in, and the preview of an
uploaded workbook against the database."""

from __future__ import annotations

import datetime
from dataclasses import dataclass, field
from decimal import Decimal

from django.db.models import F

from conventions.models import Convention

from . import locks
from .imports import IndicatorLine
from .models import Indicator, Measurement
from .progress import convention_indicators


def workbook_lines(*, convention: Convention) -> list:
    """One line per indicator of the convention with its measured values (2 queries)."""
    indicators = list(
        convention_indicators(convention)
        .select_related("action_sheet", "objective")
        .order_by(F("action_sheet__number").asc(nulls_last=True), "objective__title", "id")
    )
    values: dict[int, dict] = {}
    for indicator_id, day, value in Measurement.objects.filter(
        indicator__in=[i.pk for i in indicators]
    ).values_list("indicator_id", "date", "value"):
        values.setdefault(indicator_id, {})[day] = value
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


@dataclass
class ImportPreview:
    new: list[PreviewLine]
    changed: list[PreviewLine]
    unchanged: list[PreviewLine]
    refused: list[PreviewLine] = field(default_factory=list)  # a report locked them

    @property
    def has_changes(self) -> bool:
        return bool(self.new or self.changed)


def import_preview(*, convention: Convention, values) -> ImportPreview:
    """Compare parsed values with the measurements in the database; a new or changed value in
    a period a report locked is refused (4 queries)."""
    indicators = {
        i.pk: i
        for i in convention_indicators(convention).select_related("action_sheet", "objective")
    }
    existing = {
        (indicator_id, day): value
        for indicator_id, day, value in Measurement.objects.filter(
            indicator_id__in={v.indicator_id for v in values}, date__in={v.date for v in values}
        ).values_list("indicator_id", "date", "value")
    }
    preview = ImportPreview([], [], [])
    book = locks.ConventionLocks(convention.pk)
    for v in values:
        old = existing.get((v.indicator_id, v.date))
        line = PreviewLine(indicators[v.indicator_id], v.date, old, v.value, v.row, v.column)
        state = book.state(v.indicator_id, v.date)
        if old != v.value and state.locked:
            line.refusal = state.refusal
            preview.refused.append(line)
        elif old is None:
            preview.new.append(line)
        elif old != v.value:
            preview.changed.append(line)
        else:
            preview.unchanged.append(line)
    return preview
