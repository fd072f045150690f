"""Reads of the reports app."""

from __future__ import annotations

import datetime
from collections.abc import Iterable
from dataclasses import dataclass

from django.db.models import QuerySet

from conventions.models import Convention
from evaluation.models import Indicator, Measurement

from .models import ProgressReport
from .schedule import Period, latest_due_period


def reports_of(*, convention: Convention) -> QuerySet[ProgressReport]:
    """The convention's reports, newest first, for lists: without their frozen
    snapshot (tens of kilobytes of JSON each, read only by a report's own page)."""
    return convention.reports.defer("snapshot").order_by("-period_end", "-id")


@dataclass(frozen=True)
class DueMeasurement:
    indicator: Indicator
    period: Period


def due_measurements(
    indicators: Iterable[Indicator], *, today: datetime.date
) -> list[DueMeasurement]:
    """The measurements expected and missing: for each indicator, its last period ended by
    ``today`` (by its frequency, :func:`reports.schedule.latest_due_period`) when no
    measurement falls in it. The one rule of the pilots' reminders and of « À faire »; in
    the indicators' order, one query beyond theirs."""
    indicators = list(indicators)
    periods = {}
    for indicator in indicators:
        period = latest_due_period(
            start=indicator.baseline_date,
            end=indicator.target_date,
            frequency=indicator.frequency,
            today=today,
        )
        if period is not None:
            periods[indicator.pk] = period
    if not periods:
        return []
    earliest = min(period.start for period in periods.values())
    measured: dict[int, list[datetime.date]] = {}
    for indicator_id, day in Measurement.objects.filter(
        indicator_id__in=periods, date__gte=earliest
    ).values_list("indicator_id", "date"):
        measured.setdefault(indicator_id, []).append(day)
    return [
        DueMeasurement(indicator, periods[indicator.pk])
        for indicator in indicators
        if indicator.pk in periods
        and not any(
            periods[indicator.pk].start <= day <= periods[indicator.pk].end
            for day in measured.get(indicator.pk, ())
        )
    ]
