"""The progress rule with yearly targets (evaluation.progress): the expected share follows
the line through the baseline, each year's target at 31 December and the final target,
and the late flag follows it; the read model stores the same."""

import datetime
from decimal import Decimal

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from actions.factories import ActionSheetFactory
from conventions.factories import ConventionFactory
from evaluation import progress as rule
from evaluation import readmodel, reference
from evaluation.factories import IndicatorFactory, MeasurementFactory
from evaluation.models import Indicator, IndicatorProgress, IndicatorTarget

pytestmark = pytest.mark.django_db

BASE = datetime.date(2022, 1, 1)
TARGET = datetime.date(2025, 12, 31)  # 1460 days later
END_2022, END_2023, END_2024 = (datetime.date(y, 12, 31) for y in (2022, 2023, 2024))


def days(a: datetime.date, b: datetime.date) -> int:
    return (b - a).days


@pytest.fixture
def convention():
    return ConventionFactory(start_date=BASE, end_date=TARGET)


def make(
    convention,
    *,
    baseline=10,
    target=50,
    direction=Indicator.Direction.INCREASE,
    targets=(),
    values=(),
    baseline_date=BASE,
    target_date=TARGET,
):
    indicator = IndicatorFactory(
        action_sheet=ActionSheetFactory(convention=convention),
        baseline_value=baseline,
        target_value=target,
        baseline_date=baseline_date,
        target_date=target_date,
        direction=direction,
    )
    for year, value in targets:
        IndicatorTarget.objects.create(indicator=indicator, year=year, value=value)
    for date, value in values:
        MeasurementFactory(indicator=indicator, date=date, value=value)
    return indicator


def row(convention, indicator, today):
    return rule.indicator_of(convention=convention, pk=indicator.pk, today=today)


# A front-loaded plan: 10 → 30 in the first year, then 40, 45 and 50 at the end.
PLAN = [(2022, 30), (2023, 40), (2024, 45)]


def test_before_the_first_yearly_target_the_line_goes_from_the_baseline_to_it(convention):
    indicator = make(convention, targets=PLAN)
    today = datetime.date(2022, 7, 2)
    expected_value = 10 + (30 - 10) * days(BASE, today) / days(BASE, END_2022)
    assert row(convention, indicator, today).expected_pct == pytest.approx(
        (expected_value - 10) / 40 * 100
    )
    # A straight line to the final target would expect far less.
    plain = make(convention)
    assert row(convention, plain, today).expected_pct == pytest.approx(
        days(BASE, today) / days(BASE, TARGET) * 100
    )


def test_on_the_31st_of_december_of_a_target_year_its_target_is_expected(convention):
    indicator = make(convention, targets=PLAN)
    assert row(convention, indicator, END_2023).expected_pct == pytest.approx(75.0)  # 40 of 10→50


def test_between_two_yearly_targets_the_line_joins_them(convention):
    indicator = make(convention, targets=PLAN)
    today = datetime.date(2024, 5, 1)
    expected_value = 40 + (45 - 40) * days(END_2023, today) / days(END_2023, END_2024)
    assert row(convention, indicator, today).expected_pct == pytest.approx(
        (expected_value - 10) / 40 * 100
    )


def test_after_the_last_yearly_target_the_line_goes_to_the_final_target(convention):
    indicator = make(convention, targets=PLAN)
    today = datetime.date(2025, 9, 1)
    expected_value = 45 + (50 - 45) * days(END_2024, today) / days(END_2024, TARGET)
    assert row(convention, indicator, today).expected_pct == pytest.approx(
        (expected_value - 10) / 40 * 100
    )


def test_from_the_target_date_on_everything_is_expected(convention):
    indicator = make(convention, targets=PLAN)
    assert row(convention, indicator, TARGET).expected_pct == pytest.approx(100.0)
    assert row(convention, indicator, datetime.date(2027, 1, 1)).expected_pct == pytest.approx(
        100.0
    )


def test_before_the_baseline_date_nothing_is_expected(convention):
    indicator = make(convention, targets=PLAN, baseline_date=datetime.date(2022, 6, 1))
    # Measured before its baseline date (the convention has started).
    MeasurementFactory(indicator=indicator, date=datetime.date(2022, 3, 1), value=11)
    assert row(convention, indicator, datetime.date(2022, 3, 2)).expected_pct == 0.0


def test_the_expected_share_is_dated_by_the_last_measurement(convention):
    indicator = make(convention, targets=PLAN, values=[(END_2023, 40)])
    got = row(convention, indicator, datetime.date(2025, 3, 1))
    assert got.expected_pct == pytest.approx(75.0)
    assert got.progress_pct == pytest.approx(75.0)
    assert got.status == rule.ON_TRACK


def test_a_decrease_follows_its_yearly_targets_down(convention):
    indicator = make(
        convention,
        baseline=100,
        target=60,
        direction=Indicator.Direction.DECREASE,
        targets=[(2022, 90), (2023, 70)],
    )
    assert row(convention, indicator, END_2023).expected_pct == pytest.approx(75.0)  # 70 of 100→60
    today = datetime.date(2023, 4, 1)
    expected_value = 90 + (70 - 90) * days(END_2022, today) / days(END_2022, END_2023)
    assert row(convention, indicator, today).expected_pct == pytest.approx(
        (expected_value - 100) / (60 - 100) * 100
    )


def test_the_late_flag_follows_the_yearly_targets(convention):
    """22 at the end of 2022 is 30 % of the way: on track along a straight line (25 %
    expected), late against a plan expecting 30 then (50 %)."""
    values = [(END_2022, 22)]
    straight = row(convention, make(convention, values=values), datetime.date(2023, 1, 15))
    planned = row(
        convention, make(convention, targets=PLAN, values=values), datetime.date(2023, 1, 15)
    )
    assert straight.progress_pct == planned.progress_pct == pytest.approx(30.0)
    assert straight.expected_pct == pytest.approx(days(BASE, END_2022) / days(BASE, TARGET) * 100)
    assert straight.status == rule.ON_TRACK
    assert planned.expected_pct == pytest.approx(50.0)
    assert planned.status == rule.LATE
    assert [i.pk for i in rule.late_indicators(convention=convention, today=TARGET)] == [planned.pk]


def test_a_back_loaded_plan_makes_an_early_slow_start_on_track(convention):
    values = [(END_2023, 14)]  # 10 % of the way after two years of four
    straight = row(convention, make(convention, values=values), END_2023)
    planned = row(
        convention,
        make(convention, targets=[(2022, 11), (2023, 14), (2024, 30)], values=values),
        END_2023,
    )
    assert straight.status == rule.LATE
    assert planned.expected_pct == pytest.approx(10.0)
    assert planned.status == rule.ON_TRACK


def test_a_maintained_level_keeps_the_share_of_time(convention):
    indicator = make(
        convention,
        baseline=100,
        target=100,
        direction=Indicator.Direction.MAINTAIN,
        targets=[(2022, 100), (2023, 100)],
    )
    assert row(convention, indicator, END_2023).expected_pct == pytest.approx(
        days(BASE, END_2023) / days(BASE, TARGET) * 100
    )


def test_a_target_equal_to_the_baseline_keeps_the_share_of_time(convention):
    indicator = make(convention, baseline=10, target=10, targets=[(2022, 10)])
    got = row(convention, indicator, END_2023)
    assert got.expected_pct == pytest.approx(days(BASE, END_2023) / days(BASE, TARGET) * 100)
    assert got.status == rule.NO_MEASURE


def test_yearly_targets_outside_the_indicator_s_span_change_nothing(convention):
    # Left from before the indicator's dates changed: 2021 is before the baseline, 2025
    # falls on the target date (the final target wins), 2026 after it.
    indicator = make(convention, targets=[(2021, 40), (2025, 12), (2026, 49)])
    plain = make(convention)
    for today in (datetime.date(2022, 6, 1), END_2024, datetime.date(2025, 12, 30)):
        assert row(convention, indicator, today).expected_pct == pytest.approx(
            row(convention, plain, today).expected_pct
        )


def test_a_convention_not_started_expects_nothing_even_with_yearly_targets():
    convention = ConventionFactory(start_date=datetime.date(2023, 1, 1), end_date=TARGET)
    indicator = make(convention, targets=PLAN)
    got = row(convention, indicator, datetime.date(2022, 9, 1))
    assert got.expected_pct is None and got.status == rule.NOT_STARTED


def test_groups_average_the_expected_share_along_the_targets(convention):
    make(convention, targets=PLAN, values=[(END_2023, 40)])  # 75 % expected
    make(convention, values=[(END_2023, 30)])  # straight: 729 / 1460 days
    _, total = rule.progress_by_thematic_and_total(convention=convention, today=TARGET)
    straight = days(BASE, END_2023) / days(BASE, TARGET) * 100
    assert total["avg_expected"] == pytest.approx((75.0 + straight) / 2)


def test_the_rule_costs_one_query_whatever_the_yearly_targets(
    convention, django_assert_num_queries
):
    for n in range(5):
        make(convention, targets=PLAN[:n], values=[(END_2023, 20 + n)])
    with django_assert_num_queries(1):
        rows = list(rule.indicators_of(convention=convention, today=TARGET))
    assert len(rows) == 5


# ------------------------------------------------------------------ written by the service


def test_saving_yearly_targets_refreshes_the_read_model(world, monkeypatch):
    from django.utils import timezone

    today = datetime.date(2023, 1, 15)
    monkeypatch.setattr(timezone, "localdate", lambda *args, **kwargs: today)
    convention = world.convention
    indicator = make(convention, values=[(END_2022, 22)])
    readmodel.progress_refresh(convention_id=convention.pk)
    assert IndicatorProgress.objects.get(pk=indicator.pk).status == rule.ON_TRACK
    version = type(convention).objects.get(pk=convention.pk).data_version

    reference.indicator_targets_save(
        indicator=indicator,
        targets=[(y, Decimal(v)) for y, v in PLAN],
        user=world.coordinator,
    )
    stored = IndicatorProgress.objects.get(pk=indicator.pk)
    assert (stored.status, stored.expected_pct) == (rule.LATE, pytest.approx(50.0))
    assert type(convention).objects.get(pk=convention.pk).data_version > version
    computed = rule.indicator_of(convention=convention, pk=indicator.pk, today=today)
    assert stored.expected_pct == computed.expected_pct and stored.status == computed.status

    reference.indicator_targets_save(indicator=indicator, targets=[], user=world.coordinator)
    assert IndicatorProgress.objects.get(pk=indicator.pk).status == rule.ON_TRACK
    assert not indicator.yearly_targets.exists()


# ------------------------------------------------------------------ against a plain reading


def expected_by_hand(indicator, targets, day: datetime.date) -> float:
    """The rule of the module docstring, read literally: the line through the baseline,
    the yearly targets strictly inside the span (at 31 December) and the final target."""
    points = [(indicator.baseline_date, float(indicator.baseline_value))]
    points += [
        (datetime.date(year, 12, 31), float(value))
        for year, value in sorted(targets)
        if indicator.baseline_date < datetime.date(year, 12, 31) < indicator.target_date
    ]
    points.append((indicator.target_date, float(indicator.target_value)))
    if day <= points[0][0]:
        value = points[0][1]
    elif day >= points[-1][0]:
        value = points[-1][1]
    else:
        (d0, v0), (d1, v1) = next(
            (a, b) for a, b in zip(points, points[1:], strict=False) if a[0] <= day < b[0]
        )
        value = v0 + (v1 - v0) * (day - d0).days / (d1 - d0).days
    baseline, final = float(indicator.baseline_value), float(indicator.target_value)
    return min(max((value - baseline) * 100 / (final - baseline), 0.0), 100.0)


@settings(
    max_examples=30,
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    direction=st.sampled_from([Indicator.Direction.INCREASE, Indicator.Direction.DECREASE]),
    span=st.integers(30, 2500),
    offset=st.integers(-400, 2900),
    targets=st.lists(
        st.tuples(
            st.integers(2021, 2030),
            st.decimals(-100, 1000, places=2, allow_nan=False, allow_infinity=False),
        ),
        max_size=5,
        unique_by=lambda t: t[0],
    ),
)
def test_the_sql_line_is_the_rule_read_literally(db, direction, span, offset, targets):
    from django.db import transaction

    with transaction.atomic():
        convention = ConventionFactory(start_date=datetime.date(2021, 1, 1), end_date=TARGET)
        baseline_date = datetime.date(2022, 3, 10)
        up = direction == Indicator.Direction.INCREASE
        indicator = make(
            convention,
            baseline=10 if up else 900,
            target=900 if up else 10,
            direction=direction,
            targets=targets,
            baseline_date=baseline_date,
            target_date=baseline_date + datetime.timedelta(days=span),
        )
        day = baseline_date + datetime.timedelta(days=offset)
        got = row(convention, indicator, day).expected_pct
        assert got == pytest.approx(expected_by_hand(indicator, targets, day), abs=1e-6)
        transaction.set_rollback(True)
