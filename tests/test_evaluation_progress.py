"""The progress rule of indicators, computed in the database (SQLite and PostgreSQL)."""

import datetime
from decimal import Decimal

import pytest

from actions.factories import ActionSheetFactory, ObjectiveFactory
from conventions.factories import ConventionFactory
from diagnostics.factories import thematic
from evaluation import progress as rule
from evaluation.factories import IndicatorFactory, MeasurementFactory
from evaluation.models import Indicator

pytestmark = pytest.mark.django_db

BASE = datetime.date(2022, 1, 1)
TARGET = datetime.date(2026, 1, 1)  # 1461 days later
MID = datetime.date(2024, 1, 1)  # 730 days: 49.97 % of the way


@pytest.fixture
def convention():
    return ConventionFactory(start_date=BASE, end_date=datetime.date(2025, 12, 31))


def make(convention, *, baseline, target, direction=Indicator.Direction.INCREASE, values=()):
    sheet = ActionSheetFactory(convention=convention)
    indicator = IndicatorFactory(
        action_sheet=sheet,
        baseline_value=baseline,
        target_value=target,
        baseline_date=BASE,
        target_date=TARGET,
        direction=direction,
    )
    for date, value in values:
        MeasurementFactory(indicator=indicator, date=date, value=value)
    return indicator


def progress(convention, indicator, today=MID):
    return rule.indicator_of(convention=convention, pk=indicator.pk, today=today)


def test_day_numbers_match_python_dates(convention):
    from django.db.models import F

    make(convention, baseline=0, target=10)
    row = (
        Indicator.objects.annotate(
            a=rule.day_number(F("baseline_date")), b=rule.day_number(F("target_date"))
        )
        .values("a", "b")
        .get()
    )
    assert row["b"] - row["a"] == (TARGET - BASE).days
    assert row["a"] == BASE.toordinal() + 1721425  # the Julian day number


@pytest.mark.parametrize(
    "day",
    [
        datetime.date(2000, 2, 29),
        datetime.date(2023, 3, 1),
        datetime.date(2024, 12, 31),
        datetime.date(1999, 1, 1),
    ],
)
def test_day_number_is_continuous_across_months_and_leap_years(convention, day):
    from django.db.models import F

    indicator = make(convention, baseline=0, target=10)
    Indicator.objects.filter(pk=indicator.pk).update(baseline_date=day)
    value = (
        Indicator.objects.annotate(a=rule.day_number(F("baseline_date")))
        .values_list("a", flat=True)
        .get()
    )
    assert value == day.toordinal() + 1721425


def test_an_increase_halfway_at_half_time_is_on_track(convention):
    indicator = make(convention, baseline=10, target=20, values=[(MID, 15)])
    row = progress(convention, indicator)
    assert row.last_value == Decimal("15")
    assert row.last_date == MID
    assert row.progress_pct == pytest.approx(50.0)
    assert row.expected_pct == pytest.approx(730 / 1461 * 100)
    assert row.status == rule.ON_TRACK


def test_an_increase_behind_the_elapsed_time_is_late(convention):
    indicator = make(convention, baseline=10, target=20, values=[(MID, 12)])
    row = progress(convention, indicator)
    assert row.progress_pct == pytest.approx(20.0)
    assert row.status == rule.LATE


def test_an_increase_well_ahead_of_time_is_ahead(convention):
    indicator = make(convention, baseline=10, target=20, values=[(datetime.date(2022, 12, 31), 18)])
    row = progress(convention, indicator)
    assert row.progress_pct == pytest.approx(80.0)
    assert row.expected_pct == pytest.approx(364 / 1461 * 100)
    assert row.status == rule.AHEAD


def test_a_decrease_counts_the_way_down(convention):
    indicator = make(
        convention,
        baseline=20,
        target=10,
        direction=Indicator.Direction.DECREASE,
        values=[(datetime.date(2022, 6, 1), 19), (MID, 15)],
    )
    row = progress(convention, indicator)
    assert row.last_value == Decimal("15")
    assert row.progress_pct == pytest.approx(50.0)
    assert row.status == rule.ON_TRACK


def test_a_decrease_going_the_wrong_way_is_negative_and_late(convention):
    indicator = make(
        convention,
        baseline=20,
        target=10,
        direction=Indicator.Direction.DECREASE,
        values=[(MID, 22)],
    )
    row = progress(convention, indicator)
    assert row.progress_pct == pytest.approx(-20.0)
    assert row.progress_bar_pct == 0.0
    assert row.status == rule.LATE


def test_a_maintained_level_within_tolerance_is_reached(convention):
    indicator = make(
        convention,
        baseline=100,
        target=100,
        direction=Indicator.Direction.MAINTAIN,
        values=[(MID, Decimal("96.5"))],
    )
    row = progress(convention, indicator)
    assert row.progress_pct == 100.0
    assert row.status == rule.ON_TRACK


def test_a_maintained_level_that_drifts_is_late(convention):
    indicator = make(
        convention,
        baseline=100,
        target=100,
        direction=Indicator.Direction.MAINTAIN,
        values=[(MID, 90)],
    )
    row = progress(convention, indicator)
    assert row.progress_pct == 0.0
    assert row.status == rule.LATE


def test_without_measurement_there_is_no_progress(convention):
    indicator = make(convention, baseline=10, target=20)
    row = progress(convention, indicator)
    assert row.last_value is None and row.last_date is None
    assert row.progress_pct is None
    assert row.status == rule.NO_MEASURE
    # The expected share is measured at today's date when nothing was measured.
    assert row.expected_pct == pytest.approx(730 / 1461 * 100)


def test_a_target_passed_is_capped_for_display_but_kept(convention):
    indicator = make(convention, baseline=10, target=20, values=[(MID, 25)])
    row = progress(convention, indicator)
    assert row.progress_pct == pytest.approx(150.0)
    assert row.progress_bar_pct == 100.0
    assert row.status == rule.AHEAD


def test_a_target_reached_at_its_date_is_on_track(convention):
    indicator = make(convention, baseline=10, target=20, values=[(TARGET, 20)])
    row = progress(convention, indicator, today=TARGET)
    assert row.progress_pct == pytest.approx(100.0)
    assert row.expected_pct == pytest.approx(100.0)
    assert row.status == rule.ON_TRACK


def test_a_target_equal_to_the_baseline_is_undefined_not_a_division_by_zero(convention):
    indicator = make(convention, baseline=10, target=10, values=[(MID, 12)])
    row = progress(convention, indicator)
    assert row.progress_pct is None
    assert row.status == rule.UNDEFINED


def test_decimal_values_keep_their_precision(convention):
    indicator = make(
        convention, baseline=Decimal("0.10"), target=Decimal("0.30"), values=[(MID, Decimal("0.2"))]
    )
    row = progress(convention, indicator)
    assert row.progress_pct == pytest.approx(50.0)


def test_groups_average_capped_progress_and_count_statuses(convention):
    a = make(convention, baseline=10, target=20, values=[(MID, 15)])  # 50 %, on track
    make(convention, baseline=10, target=20, values=[(MID, 40)])  # 300 % → 100 %, ahead
    make(convention, baseline=10, target=20)  # no measurement
    objective = ObjectiveFactory(convention=convention, thematic=thematic("jeunesse"))
    IndicatorFactory(
        action_sheet=None,
        objective=objective,
        baseline_value=0,
        target_value=10,
        baseline_date=BASE,
        target_date=TARGET,
    )
    summary = rule.progress_of_convention(convention=convention, today=MID)
    assert summary["indicator_count"] == 4
    assert summary["avg_progress"] == pytest.approx(75.0)
    assert summary["on_track"] == 1 and summary["ahead"] == 1 and summary["no_measure"] == 2

    by_thematic = rule.progress_by_thematic(convention=convention, today=MID)
    assert [r["group_title"] for r in by_thematic] == ["Petite enfance", "Jeunesse"]
    assert by_thematic[0]["indicator_count"] == 3
    assert by_thematic[1]["indicator_count"] == 1 and by_thematic[1]["avg_progress"] is None

    by_sheet = rule.progress_by_sheet(convention=convention, today=MID)
    assert len(by_sheet) == 3
    first = next(r for r in by_sheet if r["action_sheet_id"] == a.action_sheet_id)
    assert first["avg_progress"] == pytest.approx(50.0)

    a.action_sheet.objective = objective
    a.action_sheet.save()
    by_objective = rule.progress_by_objective(convention=convention, today=MID)
    assert len(by_objective) == 1
    assert by_objective[0]["indicator_count"] == 2
    assert by_objective[0]["avg_progress"] == pytest.approx(50.0)


def test_indicators_of_another_convention_are_left_out(convention):
    make(convention, baseline=10, target=20, values=[(MID, 15)])
    make(ConventionFactory(), baseline=10, target=20, values=[(MID, 15)])
    assert rule.indicators_of(convention=convention, today=MID).count() == 1
    assert rule.progress_of_convention(convention=convention, today=MID)["indicator_count"] == 1
