"""The fragments cached for speed (bench/, issue #20) cannot lie: each write that changes what
they show is seen on the next view, and those who get forms get their own token.

- the indicator page's curve and measurements (``evaluation.indicator_views``), drawn once
  per data version, day, person and right to edit for those who do not validate;
- the Synthèse's tables by commune (``portal.views``), drawn once per data version and list
  of communes (a signatory commune added changes the list without a data version).
"""

import datetime
import re
from decimal import Decimal

import pytest
from django.core.cache import cache
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from actions.factories import ActionSheetFactory
from conventions.factories import CollectivityFactory
from conventions.services.signatory import signatory_create
from evaluation import services as evaluation_services
from evaluation.factories import IndicatorFactory
from evaluation.models import Measurement


@pytest.fixture
def cached(settings):
    settings.FRAGMENT_CACHE_SECONDS = 3600
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def indicator(world, cached):
    sheet = ActionSheetFactory(ready=True, indicator=None, convention=world.convention)
    return IndicatorFactory(action_sheet=sheet, name="Places ouvertes")


def page(client, world, indicator) -> str:
    url = reverse("evaluation:indicator", args=[world.convention.pk, indicator.pk])
    response = client.get(url)
    assert response.status_code == 200
    return response.content.decode()


def same_page(html: str) -> str:
    """A page without what changes at each request: chart ids, masked CSRF tokens."""
    return re.sub(r'chart\d+|name="csrfmiddlewaretoken" value="[^"]+"', "", html)


def record(world, indicator, day, value, user=None):
    return evaluation_services.record_measurement(
        indicator=indicator, date=day, value=Decimal(value), user=user or world.caf_staff
    )


def test_the_indicator_page_is_drawn_once_then_read_from_the_cache(world, indicator, login):
    record(world, indicator, datetime.date(2024, 6, 30), "12")
    client = login(world.elected)
    first = page(client, world, indicator)
    with CaptureQueriesContext(connection) as warm:
        second = page(client, world, indicator)
    cache.clear()
    with CaptureQueriesContext(connection) as drawn:
        page(client, world, indicator)
    assert "30 juin 2024" in first
    assert same_page(first) == same_page(second)
    # The measurements, their evidence and the locks are not read again.
    assert len(warm) <= len(drawn) - 3


def test_a_new_measurement_is_on_the_next_view(world, indicator, login):
    record(world, indicator, datetime.date(2024, 6, 30), "12")
    client = login(world.elected)
    assert "31 décembre 2024" not in page(client, world, indicator)
    record(world, indicator, datetime.date(2024, 12, 31), "17")
    html = page(client, world, indicator)
    assert "31 décembre 2024" in html
    assert "17" in html


def test_a_lock_is_on_the_next_view(world, indicator, login):
    record(world, indicator, datetime.date(2024, 6, 30), "12")
    client = login(world.coordinator)
    assert "Verrouillée" not in page(client, world, indicator)
    evaluation_services.period_lock_create(
        convention=world.convention,
        start=datetime.date(2024, 1, 1),
        end=datetime.date(2024, 12, 31),
        label="Bilan 2024",
        reference="rapport:2024",
        by=world.caf_staff,
    )
    html = page(client, world, indicator)
    assert "Verrouillée" in html
    assert "Bilan 2024" in html


def test_a_validation_is_on_the_next_view(world, indicator, login):
    record(world, indicator, datetime.date(2024, 6, 30), "12", user=world.coordinator)
    client = login(world.elected)
    assert "À valider" in page(client, world, indicator)
    evaluation_services.measurement_validate(
        measurement=Measurement.objects.get(indicator=indicator), user=world.caf_staff
    )
    html = page(client, world, indicator)
    assert "À valider" not in html
    assert "Validée" in html


def test_the_right_to_edit_is_part_of_the_key(world, indicator, login):
    record(world, indicator, datetime.date(2024, 6, 30), "12")
    assert "Modifier" not in page(login(world.elected), world, indicator)
    assert "Modifier" in page(login(world.coordinator), world, indicator)


def test_those_who_validate_get_forms_with_their_own_token(world, indicator, client):
    record(world, indicator, datetime.date(2024, 6, 30), "12", user=world.coordinator)
    client.force_login(world.caf_staff)
    url = reverse("evaluation:indicator", args=[world.convention.pk, indicator.pk])
    client.get(url)
    client.handler.enforce_csrf_checks = True
    html = page(client, world, indicator)
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', html).group(1)
    measurement = Measurement.objects.get(indicator=indicator)
    response = client.post(
        reverse("evaluation:measurement_validate", args=[world.convention.pk, measurement.pk]),
        {"csrfmiddlewaretoken": token},
    )
    assert response.status_code == 302
    measurement.refresh_from_db()
    assert measurement.validation_state == Measurement.State.VALIDATED


def test_the_synthese_tables_by_commune_follow_a_new_signatory_commune(world, cached, login):
    sheet = ActionSheetFactory(ready=True, indicator=None, convention=world.convention)
    IndicatorFactory(
        action_sheet=sheet, name="Places par commune", breakdown="commune", aggregation="somme"
    )
    client = login(world.caf_staff)
    url = reverse("portal:detail", args=[world.convention.pk])
    assert "Varen" not in client.get(url).content.decode()
    varen = CollectivityFactory(name="Varen", code="82190", caf=world.caf)
    signatory_create(convention=world.convention, data={"collectivity": varen}, by=world.caf_staff)
    html = client.get(url).content.decode()
    assert "Indicateurs par commune" in html
    assert "Varen" in html
