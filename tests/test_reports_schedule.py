import datetime

import pytest

from conventions.factories import ConventionFactory
from conventions.models import Convention
from reports.schedule import Period, latest_due_period, period_containing, report_period_due

D = datetime.date
START, END = D(2022, 1, 1), D(2025, 12, 31)


@pytest.mark.parametrize(
    "frequency, day, expected",
    [
        ("monthly", D(2024, 2, 15), Period(D(2024, 2, 1), D(2024, 2, 29))),
        ("quarterly", D(2024, 5, 15), Period(D(2024, 4, 1), D(2024, 6, 30))),
        ("half_yearly", D(2024, 8, 1), Period(D(2024, 7, 1), D(2024, 12, 31))),
        ("yearly", D(2024, 8, 1), Period(D(2024, 1, 1), D(2024, 12, 31))),
    ],
)
def test_periods_are_calendar_periods(frequency, day, expected):
    assert period_containing(day, frequency) == expected


@pytest.mark.parametrize(
    "frequency, today, expected",
    [
        # The day after a period ends, its report is due.
        ("monthly", D(2024, 3, 1), Period(D(2024, 2, 1), D(2024, 2, 29))),
        ("monthly", D(2024, 3, 31), Period(D(2024, 2, 1), D(2024, 2, 29))),
        ("quarterly", D(2024, 4, 1), Period(D(2024, 1, 1), D(2024, 3, 31))),
        ("quarterly", D(2024, 6, 30), Period(D(2024, 1, 1), D(2024, 3, 31))),
        ("half_yearly", D(2024, 7, 1), Period(D(2024, 1, 1), D(2024, 6, 30))),
        ("half_yearly", D(2024, 12, 31), Period(D(2024, 1, 1), D(2024, 6, 30))),
        ("yearly", D(2024, 1, 1), Period(D(2023, 1, 1), D(2023, 12, 31))),
        ("yearly", D(2024, 12, 31), Period(D(2023, 1, 1), D(2023, 12, 31))),
    ],
)
def test_the_latest_ended_period_is_due(frequency, today, expected):
    assert latest_due_period(start=START, end=END, frequency=frequency, today=today) == expected


def test_nothing_is_due_while_the_first_period_runs():
    start = D(2024, 2, 10)
    assert (
        latest_due_period(start=start, end=END, frequency="quarterly", today=D(2024, 3, 31)) is None
    )
    # The first period is clipped to the convention's start.
    assert latest_due_period(
        start=start, end=END, frequency="quarterly", today=D(2024, 4, 1)
    ) == Period(start, D(2024, 3, 31))


def test_the_last_period_is_clipped_to_the_end_of_the_convention():
    end = D(2025, 5, 15)
    assert latest_due_period(
        start=START, end=end, frequency="half_yearly", today=D(2025, 5, 16)
    ) == Period(D(2025, 1, 1), end)
    # Long after the end, the last period stays the last one.
    assert latest_due_period(
        start=START, end=end, frequency="half_yearly", today=D(2027, 1, 1)
    ) == Period(D(2025, 1, 1), end)


def test_a_convention_shorter_than_one_period_is_due_when_it_ends():
    start, end = D(2024, 2, 1), D(2024, 5, 31)
    assert latest_due_period(start=start, end=end, frequency="yearly", today=D(2024, 5, 31)) is None
    assert latest_due_period(
        start=start, end=end, frequency="yearly", today=D(2024, 6, 1)
    ) == Period(start, end)


@pytest.mark.django_db
@pytest.mark.parametrize(
    "phase, due",
    [
        (Convention.Phase.DIAGNOSTIC, False),
        (Convention.Phase.ACTION_PLAN, False),
        (Convention.Phase.IMPLEMENTATION, True),
        (Convention.Phase.EVALUATION, True),
        (Convention.Phase.CLOSED, False),
    ],
)
def test_reports_are_due_only_for_conventions_in_implementation_or_evaluation(phase, due):
    convention = ConventionFactory(phase=phase, reporting_frequency="quarterly")
    assert (report_period_due(convention, D(2024, 4, 2)) is not None) is due
