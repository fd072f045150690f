"""Date arithmetic shared by every app (calendar periods, terms, deadlines)."""

import calendar
import datetime


def add_months(day: datetime.date, months: int) -> datetime.date:
    """The same day ``months`` later (or earlier), the last day of the month when that
    month is shorter (31 January + 1 month → 28 or 29 February)."""
    index = day.month - 1 + months
    year, month = day.year + index // 12, index % 12 + 1
    return day.replace(
        year=year, month=month, day=min(day.day, calendar.monthrange(year, month)[1])
    )


def add_years(day: datetime.date, years: int) -> datetime.date:
    """The same day ``years`` later (28 February for a 29 February)."""
    return add_months(day, 12 * years)
