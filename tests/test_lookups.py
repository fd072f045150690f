"""``pk__in_ids``: the same rows as ``pk__in``; on PostgreSQL, fetched by index."""

import pytest
from django.db import connection

import ctg.lookups  # noqa: F401 - registers the lookup
from evaluation.factories import IndicatorFactory
from evaluation.models import Indicator
from evaluation.progress import convention_indicators

pytestmark = pytest.mark.django_db


def test_it_selects_the_same_rows_as_in(world):
    from actions.factories import ActionSheetFactory

    mine = [IndicatorFactory(action_sheet=ActionSheetFactory(convention=world.convention))]
    IndicatorFactory(action_sheet=ActionSheetFactory(convention=world.other_convention))
    ids = Indicator.objects.filter(action_sheet__convention=world.convention).values("pk")
    assert list(Indicator.objects.filter(pk__in_ids=ids)) == mine
    assert list(Indicator.objects.filter(pk__in_ids=[m.pk for m in mine])) == mine
    assert set(convention_indicators(world.convention)) == set(mine)


def test_on_postgresql_the_subquery_becomes_an_array():
    sql = str(convention_indicators_sql())
    if connection.vendor == "postgresql":
        assert "= ANY(ARRAY((SELECT" in sql
    else:
        assert " IN (" in sql and "ANY(" not in sql


def convention_indicators_sql():
    from conventions.models import Convention

    return convention_indicators(Convention(pk=1)).query
