"""Dates shared by every app: the plausible window of a date, and date arithmetic
(calendar periods, terms, deadlines).

**The plausible window.** A date typed by a person or read from an import lies
between :data:`MIN_DATE` (1 January 1990) and :data:`MAX_DATE` (31 December 2100):
no CTG predates the Caf's contracts of the 1990s, and a date beyond 2100 is a typing
error (9999-12-31) that would later overflow the date arithmetic (``year 10000 is
out of range``). :func:`validate_plausible_date` is the one rule: every model date
field that users or imports fill carries it (so every ModelForm and every service's
``full_clean()`` refuses), the plain form fields use it as a validator, and the
importers call :func:`plausible_date_error` per cell.
"""

from __future__ import annotations

import calendar
import datetime

from django.core.exceptions import ValidationError
from django.utils import timezone

from ctg import formatting

MIN_DATE = datetime.date(1990, 1, 1)
MAX_DATE = datetime.date(2100, 12, 31)


def _day(value) -> datetime.date | None:
    if isinstance(value, datetime.datetime):
        if timezone.is_aware(value):
            try:
                value = timezone.localtime(value)
            except (OverflowError, ValueError):  # 0001-01-01 00:00 UTC has no local time
                pass
        return value.date()
    if isinstance(value, datetime.date):
        return value
    return None


def is_plausible(value) -> bool:
    """A date (or date-time, in local time) inside [MIN_DATE, MAX_DATE]."""
    day = _day(value)
    return day is not None and MIN_DATE <= day <= MAX_DATE


def plausible_date_message() -> str:
    return (
        f"Saisissez une date entre {MIN_DATE.year} et {MAX_DATE.year} "
        f"(du {formatting.date(MIN_DATE)} au {formatting.date(MAX_DATE)})."
    )


def plausible_date_error(value) -> str | None:
    """The French message for a date outside the window, None for a plausible one
    (or for no date at all: "required" is the field's business)."""
    if value is None or value == "" or is_plausible(value):
        return None
    return plausible_date_message()


def validate_plausible_date(value) -> None:
    """Validator of every date and date-time field filled by users or imports."""
    message = plausible_date_error(value)
    if message:
        raise ValidationError(message, code="implausible_date")


def clamp(day: datetime.date) -> datetime.date:
    """``day`` brought back inside the plausible window (a legacy row's 0001-01-01 is
    read as 1 January 1990), so that periods computed from it stay finite."""
    return min(max(day, MIN_DATE), MAX_DATE)


def add_days(day: datetime.date, days: int) -> datetime.date:
    """``day`` plus ``days`` (negative: minus); a French refusal, not an OverflowError,
    beyond the calendar (only a legacy date outside the window gets there)."""
    try:
        return day + datetime.timedelta(days=days)
    except OverflowError:
        raise ValidationError(plausible_date_message(), code="implausible_date") from None


def add_months(day: datetime.date, months: int) -> datetime.date:
    """The same day ``months`` later (or earlier), the last day of the month when that
    month is shorter (31 January + 1 month → 28 or 29 February)."""
    index = day.month - 1 + months
    year, month = day.year + index // 12, index % 12 + 1
    if not datetime.MINYEAR <= year <= datetime.MAXYEAR:
        # Only a date already outside the window gets here (9999-12-31 + 1 year): a
        # French refusal rather than "year 10000 is out of range".
        raise ValidationError(plausible_date_message(), code="implausible_date")
    return day.replace(
        year=year, month=month, day=min(day.day, calendar.monthrange(year, month)[1])
    )


def add_years(day: datetime.date, years: int) -> datetime.date:
    """The same day ``years`` later (28 February for a 29 February)."""
    return add_months(day, 12 * years)
