"""The progress read model (evaluation.readmodel): what it stores is what the progress rule
(evaluation.progress) computes from scratch, and every kind of write keeps it so — in the
write's own transaction, or, for what the services of evaluation do not write (the
convention's dates, the passing of days), on the next read and by the daily task."""

from __future__ import annotations

import datetime
import io
import math
import os
from decimal import Decimal

import pytest
from django.core.management import call_command
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from actions import services as actions_services
from actions.factories import ActionSheetFactory, ObjectiveFactory
from conventions.factories import ConventionFactory
from conventions.models import Convention, Thematic
from conventions.services.convention import convention_update
from conventions.services.data_version import convention_data_changed
from evaluation import progress, readmodel, tasks
from evaluation import services as evaluation_services
from evaluation.factories import IndicatorFactory, MeasurementFactory
from evaluation.models import (
    ConventionProgress,
    Indicator,
    IndicatorProgress,
    IndicatorTarget,
)
from portal.selectors import convention_dashboard
from tests.evaluation_data import populate

pytestmark = pytest.mark.django_db

TODAY = datetime.date(2024, 3, 15)
DIRECTIONS = [
    Indicator.Direction.INCREASE,
    Indicator.Direction.DECREASE,
    Indicator.Direction.MAINTAIN,
]


@pytest.fixture
def frozen(monkeypatch):
    """Today is TODAY for the services, the readers and the daily task."""
    monkeypatch.setattr(timezone, "localdate", lambda *args, **kwargs: TODAY)
    return TODAY


# ------------------------------------------------------------------ comparing the two


def _indicators(qs) -> dict[int, tuple]:
    return {i.pk: tuple(getattr(i, name) for name in progress.PROGRESS_FIELDS) for i in qs}


def _same(stored, computed, where: str) -> None:
    """Equal, floats compared to 1e-9: a sum over a group of rows may be added in
    another order by the database (the same holds for two from-scratch runs)."""
    if isinstance(computed, dict):
        assert isinstance(stored, dict) and stored.keys() == computed.keys(), where
        for key in computed:
            _same(stored[key], computed[key], f"{where}.{key}")
    elif isinstance(computed, list | tuple):
        assert type(stored) is type(computed) and len(stored) == len(computed), where
        for n, (a, b) in enumerate(zip(stored, computed, strict=True)):
            _same(a, b, f"{where}[{n}]")
    elif isinstance(computed, float) and stored is not None:
        assert math.isclose(stored, computed, rel_tol=1e-9, abs_tol=1e-9), (where, stored, computed)
    else:
        assert stored == computed, (where, stored, computed)


def assert_read_model_is_the_rule(convention: Convention, today: datetime.date) -> None:
    """Per indicator (exactly), per fiche, per thematic, for the convention and its late
    list: the stored figures are those the rule computes from scratch."""
    convention = Convention.objects.get(pk=convention.pk)
    computed = progress.indicators_of(convention=convention, today=today)
    assert _indicators(readmodel.indicators_of(convention=convention, today=today)) == (
        _indicators(computed)
    )
    assert [i.pk for i in readmodel.late_indicators(convention=convention, today=today)] == [
        i.pk for i in progress.late_first(computed)
    ]
    _same(
        readmodel.progress_by_sheet(convention=convention, today=today),
        progress.progress_by_sheet(convention=convention, today=today),
        "by_sheet",
    )
    by_thematic, total = progress.progress_by_thematic_and_total(convention=convention, today=today)
    _same(
        readmodel.thematic_and_total(convention=convention, today=today), (by_thematic, total), ""
    )
    stored = ConventionProgress.objects.get(pk=convention.pk)
    assert (stored.indicator_count, stored.late_count) == (total["indicator_count"], total["late"])
    assert stored.computed_on == today


# ------------------------------------------------------------------ random data


@st.composite
def conventions_data(draw):
    """One or two conventions, each with fiches and objectives (or none) holding
    indicators of every direction, with measurements on random dates (or none) and yearly
    targets (or none) around their span."""
    result = []
    for _ in range(draw(st.integers(1, 2))):
        start = draw(st.dates(datetime.date(2021, 1, 1), datetime.date(2024, 12, 31)))
        end = start + datetime.timedelta(days=draw(st.integers(365, 5 * 365)))
        holders = []
        for _ in range(draw(st.integers(0, 4))):
            indicators = []
            for _ in range(draw(st.integers(0, 3))):
                baseline_date = start + datetime.timedelta(days=draw(st.integers(-200, 300)))
                target_date = baseline_date + datetime.timedelta(days=draw(st.integers(1, 2000)))
                amount = st.decimals(-500, 5000, places=2, allow_nan=False, allow_infinity=False)
                baseline = draw(st.one_of(st.sampled_from([Decimal(0), Decimal(20)]), amount))
                target = draw(st.one_of(st.just(baseline), st.sampled_from([Decimal(10)]), amount))
                days = draw(
                    st.lists(
                        st.integers(-100, (target_date - start).days + 200), max_size=5, unique=True
                    )
                )
                # Yearly targets, inside the indicator's span or not (the dates changed).
                targets = draw(
                    st.lists(
                        st.tuples(
                            st.integers(baseline_date.year - 1, target_date.year + 1), amount
                        ),
                        max_size=4,
                        unique_by=lambda t: t[0],
                    )
                )
                indicators.append(
                    {
                        "targets": targets,
                        "direction": draw(st.sampled_from(DIRECTIONS)),
                        "baseline": baseline,
                        "target": target,
                        "baseline_date": baseline_date,
                        "target_date": target_date,
                        "measurements": [
                            (start + datetime.timedelta(days=d), draw(amount)) for d in days
                        ],
                    }
                )
            holders.append(
                {
                    "objective": draw(st.booleans()),
                    "thematic": draw(st.integers(0, 3)),
                    "indicators": indicators,
                }
            )
        result.append({"start": start, "end": end, "holders": holders})
    return result


def build(data) -> list[Convention]:
    thematics = list(Thematic.objects.order_by("order")[:4])
    conventions = []
    for c in data:
        convention = ConventionFactory(start_date=c["start"], end_date=c["end"])
        for h in c["holders"]:
            theme = thematics[h["thematic"] % len(thematics)]
            if h["objective"]:
                holder = {"objective": ObjectiveFactory(convention=convention, thematic=theme)}
                holder["action_sheet"] = None
            else:
                holder = {"action_sheet": ActionSheetFactory(convention=convention, thematic=theme)}
            for i in h["indicators"]:
                indicator = IndicatorFactory(
                    **holder,
                    direction=i["direction"],
                    baseline_value=i["baseline"],
                    target_value=i["target"],
                    baseline_date=i["baseline_date"],
                    target_date=i["target_date"],
                )
                for day, value in i["measurements"]:
                    MeasurementFactory(indicator=indicator, date=day, value=value)
                IndicatorTarget.objects.bulk_create(
                    IndicatorTarget(indicator=indicator, year=year, value=value)
                    for year, value in i["targets"]
                )
        conventions.append(convention)
    return conventions


HYPOTHESIS = settings(
    max_examples=int(os.environ.get("CTG_READ_MODEL_EXAMPLES", "25")),
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)


@HYPOTHESIS
@given(
    data=conventions_data(),
    today=st.dates(datetime.date(2020, 6, 1), datetime.date(2028, 6, 1)),
)
def test_the_read_model_equals_the_rule_computed_from_scratch_on_random_data(db, data, today):
    with transaction.atomic():
        conventions = build(data)
        # All the conventions in one batch (as the rebuild and the portfolio refresh them).
        assert readmodel.progress_refresh_many(
            convention_ids=[c.pk for c in conventions], today=today
        ) == len(conventions)
        for convention in conventions:
            assert_read_model_is_the_rule(convention, today)
        transaction.set_rollback(True)


# ------------------------------------------------------------------ every kind of write


@pytest.fixture
def plan(world, frozen):
    """A fiche with two indicators (one measured), an objective with one, the read model
    built."""
    sheet = ActionSheetFactory(ready=True, convention=world.convention, number="FA-01")
    measured = IndicatorFactory(
        action_sheet=sheet,
        baseline_value=10,
        target_value=30,
        target_date=datetime.date(2025, 12, 31),
    )
    MeasurementFactory(indicator=measured, date=datetime.date(2023, 1, 1), value=12)
    bare = IndicatorFactory(action_sheet=sheet, direction=Indicator.Direction.DECREASE)
    objective = ObjectiveFactory(convention=world.convention)
    IndicatorFactory(action_sheet=None, objective=objective)
    readmodel.progress_refresh(convention_id=world.convention.pk)
    return sheet, measured, bare


def stored(indicator) -> IndicatorProgress:
    return IndicatorProgress.objects.get(pk=indicator.pk)


def stored_is_current(convention) -> bool:
    """The convention's rows were computed for its current data version and today."""
    row = ConventionProgress.objects.get(pk=convention.pk)
    version = Convention.objects.values_list("data_version", flat=True).get(pk=convention.pk)
    return row.data_version == version and row.computed_on == TODAY


def test_a_measurement_updates_the_read_model_in_its_own_transaction(world, plan):
    _, measured, _ = plan
    assert stored(measured).last_value == Decimal(12)
    with transaction.atomic():
        evaluation_services.record_measurement(
            indicator=measured,
            date=datetime.date(2024, 1, 1),
            value=Decimal(25),
            user=world.caf_staff,
        )
        # Read inside the write's transaction, without any reader's check.
        row = stored(measured)
        assert (row.last_value, row.last_date) == (Decimal(25), datetime.date(2024, 1, 1))
        assert stored_is_current(world.convention)
        assert_read_model_is_the_rule(world.convention, TODAY)
        transaction.set_rollback(True)
    # Rolled back with the write.
    assert stored(measured).last_value == Decimal(12)


def test_updating_and_deleting_a_measurement_update_the_read_model(world, plan):
    _, measured, _ = plan
    measurement = measured.measurements.get()
    evaluation_services.measurement_update(
        measurement=measurement, value=Decimal(28), user=world.caf_staff
    )
    assert stored(measured).last_value == Decimal(28) and stored_is_current(world.convention)
    evaluation_services.measurement_delete(measurement=measurement, user=world.caf_staff)
    row = stored(measured)
    assert (row.last_value, row.status) == (None, progress.NO_MEASURE)
    assert stored_is_current(world.convention)
    assert_read_model_is_the_rule(world.convention, TODAY)


def test_changing_a_target_updates_the_read_model(world, plan):
    sheet, measured, _ = plan
    before = stored(measured).progress_pct
    sheet.refresh_from_db()
    actions_services.action_sheet_save(
        convention=world.convention,
        by=world.coordinator,
        data={},
        indicators=[{"id": measured.pk, "target_value": Decimal(14)}],
        sheet=sheet,
        revision=sheet.revision,
    )
    assert stored(measured).progress_pct == pytest.approx(50.0) != before
    assert stored_is_current(world.convention)
    assert_read_model_is_the_rule(world.convention, TODAY)


def test_yearly_targets_update_the_read_model_in_their_own_transaction(world, plan):
    from evaluation import reference

    _, measured, _ = plan
    before = stored(measured).expected_pct
    with transaction.atomic():
        reference.indicator_targets_save(
            indicator=measured,
            targets=[(2022, Decimal(25)), (2023, Decimal(28))],
            user=world.coordinator,
        )
        # Measured on 1 January 2023: a day after the 2022 target of 25 (75 % of 10→30).
        assert stored(measured).expected_pct == pytest.approx(
            75.0 + (28 - 25) / 20 * 100 / 365, rel=1e-6
        )
        assert stored_is_current(world.convention)
        assert_read_model_is_the_rule(world.convention, TODAY)
        transaction.set_rollback(True)
    assert stored(measured).expected_pct == before


def test_deleting_an_indicator_removes_it_from_the_read_model(world, plan):
    sheet, _, bare = plan
    before = ConventionProgress.objects.get(pk=world.convention.pk).indicator_count
    assert before == progress.convention_indicators(world.convention).count()
    sheet.refresh_from_db()
    actions_services.action_sheet_save(
        convention=world.convention,
        by=world.coordinator,
        data={},
        indicators=[{"id": bare.pk, "delete": True}],
        sheet=sheet,
        revision=sheet.revision,
    )
    assert not IndicatorProgress.objects.filter(pk=bare.pk).exists()
    assert ConventionProgress.objects.get(pk=world.convention.pk).indicator_count == before - 1
    assert stored_is_current(world.convention)


def test_a_fiche_status_change_leaves_the_read_model_current(
    world, plan, django_assert_num_queries
):
    sheet, _, _ = plan
    actions_services.action_sheet_submit(sheet=sheet, by=world.coordinator)
    assert stored_is_current(world.convention)
    convention = Convention.objects.get(pk=world.convention.pk)
    with django_assert_num_queries(1):  # read, nothing computed again
        readmodel.thematic_and_total(convention=convention, today=TODAY)


def test_new_convention_dates_are_seen_by_the_next_read(world, plan):
    _, measured, _ = plan
    convention = Convention.objects.get(pk=world.convention.pk)
    assert stored(measured).status != progress.NOT_STARTED
    # The conventions app writes the dates (it cannot call evaluation): no refresh there.
    convention_update(
        convention=convention,
        data={"start_date": datetime.date(2024, 6, 1), "end_date": datetime.date(2027, 5, 31)},
        expected_version=convention.version,
        by=world.caf_staff,
    )
    convention = Convention.objects.get(pk=world.convention.pk)
    by_thematic, total = readmodel.thematic_and_total(convention=convention, today=TODAY)
    assert (
        total["not_started"]
        == total["indicator_count"]
        == len(progress.convention_indicators(convention))
    )
    assert stored(measured).status == progress.NOT_STARTED
    assert ConventionProgress.objects.get(pk=convention.pk).start_date == datetime.date(2024, 6, 1)
    assert_read_model_is_the_rule(convention, TODAY)


def test_a_write_that_only_bumps_the_data_version_is_seen_by_the_next_read(world, plan):
    _, measured, _ = plan
    # A writer outside the services (the bench's, a bulk fix): the version tells.
    MeasurementFactory(indicator=measured, date=datetime.date(2024, 2, 1), value=20)
    convention_data_changed(convention_id=world.convention.pk)
    convention = Convention.objects.get(pk=world.convention.pk)
    readmodel.indicators_of(convention=convention, today=TODAY)
    assert stored(measured).last_value == Decimal(20)
    assert_read_model_is_the_rule(convention, TODAY)


def test_the_next_day_is_computed_on_read(world, plan):
    _, measured, _ = plan
    later = TODAY + datetime.timedelta(days=400)
    expected_before = stored(measured).expected_pct
    convention = Convention.objects.get(pk=world.convention.pk)
    list(readmodel.indicators_of(convention=convention, today=later))
    row = stored(measured)
    assert row.computed_on == later
    # A measured indicator's expected share is dated by its last measurement, not the day.
    assert row.expected_pct == expected_before
    assert_read_model_is_the_rule(convention, later)


def test_the_daily_task_computes_every_convention_for_the_new_day(world, plan, monkeypatch):
    _, _, bare = plan
    populate(world.other_convention, sheets=3)
    tomorrow = TODAY + datetime.timedelta(days=1)
    before = stored(bare).expected_pct
    monkeypatch.setattr(timezone, "localdate", lambda *args, **kwargs: tomorrow)
    assert tasks.progress_refresh_all() == Convention.objects.count()
    assert set(ConventionProgress.objects.values_list("computed_on", flat=True)) == {tomorrow}
    assert stored(bare).expected_pct > before  # measured against the day: time passed
    for convention in (world.convention, world.other_convention):
        assert_read_model_is_the_rule(convention, tomorrow)


def test_the_daily_task_is_in_the_beat_schedule():
    from ctg.celery import app

    entries = [e for e in app.conf.beat_schedule.values() if e["task"].endswith("refresh_all")]
    assert [e["task"] for e in entries] == ["evaluation.tasks.progress_refresh_all"]
    assert "evaluation.tasks.progress_refresh_all" in app.tasks


def test_the_rebuild_command_computes_everything_again_from_scratch(world, plan):
    populate(world.other_convention, sheets=4)
    IndicatorProgress.objects.update(status="faux", progress_pct=-1)
    ConventionProgress.objects.filter(pk=world.other_convention.pk).delete()
    out = io.StringIO()
    call_command("progress_rebuild", stdout=out)
    assert f"Progression recalculée pour {Convention.objects.count()} convention" in out.getvalue()
    for convention in (world.convention, world.other_convention):
        assert_read_model_is_the_rule(convention, TODAY)


# ------------------------------------------------------------------ what a read costs


def test_a_stale_synthese_is_computed_again_in_a_fixed_number_of_queries(world, frozen):
    """The first view after a write outside the services: the refresh is a fixed number of
    statements (INSERT … SELECT), whatever the number of indicators; the next view reads."""
    populate(world.convention, sheets=5, committee=world.committee)
    populate(world.other_convention, sheets=150, indicators_per_sheet=2)

    def costs(convention) -> tuple[int, int]:
        convention_data_changed(convention_id=convention.pk)
        convention = Convention.objects.get(pk=convention.pk)
        with CaptureQueriesContext(connection) as cold:
            d = convention_dashboard(convention=convention)
            d.summary, d.late_indicators  # noqa: B018
        with CaptureQueriesContext(connection) as warm:
            d = convention_dashboard(convention=convention)
            d.summary, d.late_indicators  # noqa: B018
        return len(cold), len(warm)

    small, large = costs(world.convention), costs(world.other_convention)
    assert small == large
    assert small[1] == 2 and small[0] <= 12, small


def test_a_reader_holding_an_older_copy_of_the_convention_computes_nothing(world, plan):
    stale_copy = Convention.objects.get(pk=world.convention.pk)
    MeasurementFactory(indicator=plan[2], date=datetime.date(2023, 6, 1), value=5)
    convention_data_changed(convention_id=world.convention.pk)
    readmodel.progress_refresh(convention_id=world.convention.pk)  # what the service does
    with CaptureQueriesContext(connection) as queries:
        readmodel.thematic_and_total(convention=stale_copy, today=TODAY)
    assert len(queries) == 1


def test_the_portfolio_counts_are_the_rule_s(world, frozen):
    from evaluation.portfolio import portfolio, portfolio_page

    populate(world.convention, sheets=6, indicators_per_sheet=2)
    ConventionFactory(caf=world.caf, name="CTG sans indicateur")
    rows = portfolio_page(portfolio(user=world.caf_staff, sort="retard", today=TODAY))
    assert len(rows) == 2
    for row in rows:
        total = progress.progress_of_convention(convention=row, today=TODAY)
        assert (row.indicator_count, row.late_count) == (total["indicator_count"], total["late"])
    assert rows[0].late_count > 0


def test_a_stale_portfolio_is_computed_again_in_a_fixed_number_of_queries(world, login, frozen):
    from django.urls import reverse

    client = login(world.caf_staff)

    def cost(new: int) -> int:
        Convention.objects.bulk_create(
            Convention(
                caf=world.caf,
                name=f"CTG {new}-{k}",
                start_date=datetime.date(2022, 1, 1),
                end_date=datetime.date(2026, 6, 30),
            )
            for k in range(new)
        )
        for pk in Convention.objects.filter(caf=world.caf).values_list("pk", flat=True):
            convention_data_changed(convention_id=pk)  # every one stale
        with CaptureQueriesContext(connection) as queries:
            assert client.get(reverse("evaluation:portfolio"), {"tri": "retard"}).status_code == 200
        return len(queries)

    assert cost(2) == cost(30)
