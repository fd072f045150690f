"""When progress reports and meeting packs are due.

Reporting periods are calendar periods (months, quarters, half-years, years
starting on 1 January), clipped to the convention's period. A period's report
is due from the day after the period ends. The daily dispatcher asks for the
latest period that has ended; older ones are not built again by the schedule
(Caf staff can still ask for any period by hand).
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass

from conventions.models import Convention
from ctg.dates import add_months

MONTHS_PER_PERIOD = {
    Convention.Frequency.MONTHLY: 1,
    Convention.Frequency.QUARTERLY: 3,
    Convention.Frequency.HALF_YEARLY: 6,
    Convention.Frequency.YEARLY: 12,
}

# Reports are produced only for conventions being carried out or evaluated.
REPORTING_PHASES = (Convention.Phase.IMPLEMENTATION, Convention.Phase.EVALUATION)


@dataclass(frozen=True)
class Period:
    start: datetime.date
    end: datetime.date


def period_containing(day: datetime.date, frequency: str) -> Period:
    """The calendar period of the given frequency that contains ``day``."""
    months = MONTHS_PER_PERIOD[frequency]
    first_month = ((day.month - 1) // months) * months + 1
    start = datetime.date(day.year, first_month, 1)
    end = add_months(start, months) - datetime.timedelta(days=1)
    return Period(start, end)


def latest_due_period(
    *, start: datetime.date, end: datetime.date, frequency: str, today: datetime.date
) -> Period | None:
    """The last period, clipped to [start, end], that ended before ``today``.

    None while the first period is still running.
    """
    last_day = min(today - datetime.timedelta(days=1), end)
    if last_day < start:
        return None
    period = period_containing(last_day, frequency)
    if period.end > last_day and last_day < end:
        # ``last_day`` is inside a running period: the one before it is due.
        previous_end = period.start - datetime.timedelta(days=1)
        if previous_end < start:
            return None
        period = period_containing(previous_end, frequency)
    return Period(max(period.start, start), min(period.end, end))


def report_period_due(convention: Convention, today: datetime.date) -> Period | None:
    if convention.phase not in REPORTING_PHASES:
        return None
    return latest_due_period(
        start=convention.start_date,
        end=convention.end_date,
        frequency=convention.reporting_frequency,
        today=today,
    )
