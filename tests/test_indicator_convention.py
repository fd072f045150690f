"""« The convention of an indicator » has one home (evaluation.ownership): the fiche's or
the objective's convention, for the services (period, locks, data changed) and the pages
(the « À faire » links)."""

from __future__ import annotations

import datetime
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse

from actions.factories import ActionSheetFactory, ObjectiveFactory
from conventions.factories import ConventionFactory
from evaluation import locks, ownership, services
from evaluation.factories import IndicatorFactory, MeasurementFactory
from evaluation.models import Indicator, Measurement
from portal import todo

pytestmark = pytest.mark.django_db


@pytest.fixture
def two(world):
    """A fiche indicator and an objective indicator of the world's convention, and an
    objective indicator of another convention with another period."""
    convention = world.convention
    other = ConventionFactory(
        caf=convention.caf,
        name="CTG suivante",
        start_date=convention.end_date + datetime.timedelta(days=1),
        end_date=convention.end_date + datetime.timedelta(days=4 * 365),
    )
    return {
        "convention": convention,
        "other": other,
        "on_fiche": IndicatorFactory(action_sheet=ActionSheetFactory(convention=convention)),
        "on_objective": IndicatorFactory(
            action_sheet=None, objective=ObjectiveFactory(convention=convention)
        ),
        "on_other_objective": IndicatorFactory(
            action_sheet=None,
            objective=ObjectiveFactory(convention=other),
            baseline_date=other.start_date,
            target_date=other.end_date,
        ),
    }


def test_a_fiche_indicator_belongs_to_its_fiche_s_convention(two):
    indicator = Indicator.objects.get(pk=two["on_fiche"].pk)
    assert ownership.holder_of(indicator) == indicator.action_sheet
    assert ownership.convention_id_of(indicator) == two["convention"].pk
    assert ownership.convention_of(indicator) == two["convention"]


def test_an_objective_indicator_belongs_to_its_objective_s_convention(two):
    for key, convention in (("on_objective", "convention"), ("on_other_objective", "other")):
        indicator = Indicator.objects.get(pk=two[key].pk)
        assert ownership.holder_of(indicator) == indicator.objective
        assert ownership.convention_id_of(indicator) == two[convention].pk
        assert ownership.convention_of(indicator) == two[convention]


def test_the_convention_is_read_without_a_query_once_the_holders_are_loaded(
    two, django_assert_num_queries
):
    indicators = list(
        Indicator.objects.filter(pk__in=[i.pk for i in two.values() if isinstance(i, Indicator)])
        .select_related("action_sheet__convention", "objective__convention")
        .order_by("pk")
    )
    with django_assert_num_queries(0):
        ids = [ownership.convention_id_of(i) for i in indicators]
        names = [ownership.convention_of(i).name for i in indicators]
    convention, other = two["convention"], two["other"]
    assert ids == [convention.pk, convention.pk, other.pk]
    assert names == [convention.name, convention.name, other.name]


def test_the_locks_and_the_services_ask_the_one_home():
    # No second copy of the rule: both modules use evaluation.ownership's.
    assert locks.convention_id_of is ownership.convention_id_of
    assert not hasattr(services, "indicator_convention")


def test_a_value_of_an_objective_indicator_is_refused_outside_its_own_convention_s_period(two):
    indicator, other = two["on_other_objective"], two["other"]
    inside = other.start_date + datetime.timedelta(days=30)
    measurement = services.record_measurement(indicator=indicator, date=inside, value=Decimal(3))
    assert measurement.pk
    before_other = other.start_date - datetime.timedelta(days=30)  # in the first convention
    with pytest.raises(ValidationError) as refused:
        services.record_measurement(indicator=indicator, date=before_other, value=Decimal(3))
    assert "période de la convention" in str(refused.value)
    assert Measurement.objects.filter(indicator=indicator).count() == 1


@pytest.mark.parametrize("key", ["on_fiche", "on_other_objective"])
def test_a_returned_value_links_to_the_indicator_page_of_its_own_convention(two, world, key):
    indicator = two[key]
    convention = ownership.convention_of(indicator)
    measurement = MeasurementFactory(
        indicator=indicator,
        date=convention.start_date + datetime.timedelta(days=60),
        entered_by=world.coordinator,
        validation_state=Measurement.State.RETURNED,
        validated_at=datetime.datetime(2026, 1, 5, 9, 0, tzinfo=datetime.UTC),
        return_comment="Valeur à vérifier",
    )
    [item] = todo.returned_items(world.coordinator)
    url = reverse(
        "evaluation:indicator", kwargs={"pk": convention.pk, "indicator_pk": indicator.pk}
    )
    assert item.url == f"{url}#mesure-{measurement.pk}"
    assert item.convention == convention
