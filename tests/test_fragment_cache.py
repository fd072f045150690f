"""A cache that cannot lie: the Synthèse's figures are drawn once per data version and day.

Each kind of write that changes them goes through its service, which bumps the convention's
data version in the same transaction (conventions.services.data_version): the next view
draws the figures again. Every test compares the figures served with a rendering drawn from
scratch at that moment.
"""

import datetime
import re
from decimal import Decimal

import pytest
from django.core.cache import cache
from django.db import connection, transaction
from django.template.loader import render_to_string
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from actions import services as action_services
from actions.factories import ActionSheetFactory, FundingLineFactory
from actions.models import Approval
from conventions.models import Convention
from conventions.services import convention as convention_services
from conventions.services.data_version import convention_data_changed
from evaluation import services as evaluation_services
from evaluation.factories import IndicatorFactory
from evaluation.imports import CellValue
from evaluation.models import Indicator, Measurement
from portal.selectors import convention_dashboard

TODAY = datetime.date(2026, 11, 28)


@pytest.fixture
def today(monkeypatch):
    day = {"today": TODAY}
    localdate = timezone.localdate
    monkeypatch.setattr(
        timezone,
        "localdate",
        lambda value=None, *a, **k: localdate(value) if value else day["today"],
    )
    return day


@pytest.fixture
def cached(settings, today):
    settings.FRAGMENT_CACHE_SECONDS = 3600
    cache.clear()


@pytest.fixture
def plan(world, cached):
    """A convention running from 2025 to 2027 with one fiche, its indicator, a funding line."""
    Convention.objects.filter(pk=world.convention.pk).update(
        start_date=datetime.date(2025, 1, 1), end_date=datetime.date(2027, 12, 31)
    )
    world.convention.refresh_from_db()
    sheet = ActionSheetFactory(
        ready=True, indicator=None, convention=world.convention, number="FA-01", title="Relais"
    )
    IndicatorFactory(
        action_sheet=sheet,
        name="Places ouvertes",
        baseline_value=0,
        baseline_date=datetime.date(2025, 1, 1),
        target_value=100,
        target_date=datetime.date(2027, 12, 31),
    )
    FundingLineFactory(sheet=sheet, funder="Caf", year=2026, planned_amount=10000, spent_amount=0)
    world.sheet = sheet
    return world


def same_drawing(html: str) -> str:
    """Each chart takes the next id of its process (chart19…): the drawing is the rest."""
    return re.sub(r"chart\d+", "chart", html)


def page_served(client, convention) -> str:
    """The Synthèse as served (its figures are part of the page's cached rendering)."""
    response = client.get(reverse("portal:detail", args=[convention.pk]))
    assert response.status_code == 200
    return same_drawing(response.content.decode())


def figures_from_scratch(convention) -> str:
    fresh = Convention.objects.get(pk=convention.pk)
    return same_drawing(
        render_to_string(
            "evaluation/_dashboard_figures.html",
            {"dashboard": convention_dashboard(convention=fresh)},
        )
    )


def test_the_second_view_takes_the_figures_from_the_cache(plan, login):
    client = login(plan.caf_staff)
    first = page_served(client, plan.convention)
    with CaptureQueriesContext(connection) as drawn:
        page_served(client, plan.convention)
    cache.clear()
    with CaptureQueriesContext(connection) as redrawn:
        page_served(client, plan.convention)
    assert figures_from_scratch(plan.convention) in first
    # The figures' four queries (statuses, progress, late indicators, funding) are skipped.
    assert len(drawn) <= len(redrawn) - 4


def measurement(world):
    evaluation_services.record_measurement(
        indicator=Indicator.objects.get(action_sheet=world.sheet),
        date=datetime.date(2026, 6, 30),
        value=Decimal("60"),
        # Typed by the Caf: it counts at once (a coordinator's waits for its validation).
        user=world.caf_staff,
    )


def measurement_typed_by_the_territory(world):
    evaluation_services.record_measurement(
        indicator=Indicator.objects.get(action_sheet=world.sheet),
        date=datetime.date(2026, 3, 31),
        value=Decimal("55"),
        user=world.coordinator,
    )


def measurement_validated(world):
    evaluation_services.measurement_validate(
        measurement=Measurement.objects.get(validation_state=Measurement.State.PENDING),
        user=world.caf_staff,
    )


def measurement_import(world):
    indicator = Indicator.objects.get(action_sheet=world.sheet)
    evaluation_services.import_measurements(
        convention=world.convention,
        values=[CellValue(indicator.pk, datetime.date(2026, 9, 30), Decimal("75"), 2, "C")],
        user=world.caf_staff,
    )


def _save_sheet(world, **changes):
    sheet = world.sheet
    sheet.refresh_from_db()
    indicator = Indicator.objects.get(action_sheet=sheet)
    line = sheet.funding_lines.get()
    indicator_row = {
        "id": indicator.pk,
        **{f: getattr(indicator, f) for f in action_services.INDICATOR_FIELDS},
        **changes.pop("indicator", {}),
    }
    funding_row = {
        "id": line.pk,
        **{f: getattr(line, f) for f in action_services.FUNDING_FIELDS},
        **changes.pop("funding", {}),
    }
    action_services.action_sheet_save(
        convention=world.convention,
        by=world.caf_staff,
        sheet=sheet,
        revision=sheet.revision,
        data={},
        indicators=[indicator_row],
        funding_lines=[funding_row],
    )


def indicator_target(world):
    _save_sheet(world, indicator={"target_value": Decimal("80")})


def funding_spent(world):
    _save_sheet(world, funding={"spent_amount": Decimal("9000")})


def fiche_submitted(world):
    action_services.action_sheet_submit(sheet=world.sheet, by=world.coordinator)


def fiche_validated(world):
    for seat in (world.caf_seat, world.territory_seat):
        action_services.approval_give(
            sheet=world.sheet, member=seat, decision=Approval.Decision.FAVORABLE
        )


def new_fiche(world):
    action_services.action_sheet_save(
        convention=world.convention,
        by=world.coordinator,
        data={"title": "Ludothèque", "thematic": world.sheet.thematic},
    )


def convention_dates(world):
    convention = Convention.objects.get(pk=world.convention.pk)
    convention_services.convention_update(
        convention=convention,
        data={"end_date": datetime.date(2026, 12, 31)},
        expected_version=convention.version,
        by=world.caf_staff,
    )


# (what comes before, the write whose next view is checked)
WRITES = {
    "measurement": (None, measurement),
    "measurement_import": (None, measurement_import),
    "measurement_validated": (measurement_typed_by_the_territory, measurement_validated),
    "indicator_target": (measurement, indicator_target),
    "funding_spent": (None, funding_spent),
    "fiche_submitted": (None, fiche_submitted),
    "fiche_validated": (fiche_submitted, fiche_validated),
    "new_fiche": (None, new_fiche),
    "convention_dates": (measurement, convention_dates),
}


@pytest.mark.parametrize("kind", WRITES)
def test_each_kind_of_write_changes_the_figures_on_the_next_view(plan, login, kind):
    setup, write = WRITES[kind]
    if setup:
        setup(plan)
    client = login(plan.caf_staff)
    before = figures_from_scratch(plan.convention)
    assert before in page_served(client, plan.convention)
    assert before in page_served(client, plan.convention)  # now from the cache
    write(plan)
    after = figures_from_scratch(plan.convention)
    assert after != before
    assert after in page_served(client, plan.convention)


def test_a_rolled_back_write_changes_neither_the_version_nor_the_figures(plan, login):
    client = login(plan.caf_staff)
    before = figures_from_scratch(plan.convention)
    assert before in page_served(client, plan.convention)
    version = Convention.objects.get(pk=plan.convention.pk).data_version
    with pytest.raises(RuntimeError), transaction.atomic():
        convention_data_changed(convention_id=plan.convention.pk)
        raise RuntimeError("refusée")
    assert Convention.objects.get(pk=plan.convention.pk).data_version == version
    assert before in page_served(client, plan.convention)


def test_the_figures_follow_the_day(plan, login, today):
    """Expected progress and lateness move with time alone: the next day draws them again."""
    measurement(plan)
    client = login(plan.caf_staff)
    page_served(client, plan.convention)
    today["today"] = datetime.date(2027, 11, 28)
    assert figures_from_scratch(plan.convention) in page_served(client, plan.convention)


def test_a_cache_that_fails_draws_the_page(plan, login, settings):
    settings.CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": "redis://127.0.0.1:1/0",  # nothing listens there
            "OPTIONS": {"socket_connect_timeout": 1, "socket_timeout": 1},
        }
    }
    client = login(plan.caf_staff)
    assert figures_from_scratch(plan.convention) in page_served(client, plan.convention)
