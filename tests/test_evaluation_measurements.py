"""Measurement entry on the indicator page; the page's chart and table."""

import datetime
import re
from decimal import Decimal

import pytest
from django.urls import reverse

from actions.factories import ActionSheetFactory
from evaluation.factories import IndicatorFactory, MeasurementFactory
from evaluation.models import Measurement


@pytest.fixture
def indicator(world):
    sheet = ActionSheetFactory(convention=world.convention, number="FA-07")
    return IndicatorFactory(
        action_sheet=sheet,
        name="Places en crèche",
        baseline_value=10,
        target_value=20,
        baseline_date=datetime.date(2022, 1, 1),
        target_date=datetime.date(2025, 12, 31),
    )


def url(world, indicator):
    return reverse("evaluation:indicator", args=[world.convention.pk, indicator.pk])


@pytest.mark.parametrize("role", ["caf_staff", "coordinator"])
def test_caf_staff_and_coordinators_record_a_measurement_with_a_decimal_comma(
    world, login, indicator, role
):
    response = login(getattr(world, role)).post(
        url(world, indicator), {"date": "2023-12-31", "value": "12,5", "comment": "Bilan annuel"}
    )
    assert response.status_code == 302
    measurement = Measurement.objects.get(indicator=indicator)
    assert measurement.value == Decimal("12.5")
    assert measurement.date == datetime.date(2023, 12, 31)
    assert measurement.entered_by == getattr(world, role)


def test_it_refuses_a_date_outside_the_convention_period(world, login, indicator):
    response = login(world.caf_staff).post(
        url(world, indicator), {"date": "2026-03-01", "value": "12"}
    )
    assert response.status_code == 200
    assert (
        "La date doit être comprise dans la période de la convention" in response.content.decode()
    )
    assert not Measurement.objects.exists()


def test_it_refuses_a_second_measurement_on_the_same_date(world, login, indicator):
    MeasurementFactory(indicator=indicator, date=datetime.date(2023, 12, 31), value=11)
    response = login(world.caf_staff).post(
        url(world, indicator), {"date": "2023-12-31", "value": "13"}
    )
    assert "Une mesure existe déjà pour cet indicateur à cette date." in response.content.decode()
    assert Measurement.objects.get().value == 11


def test_it_refuses_a_value_that_is_not_a_number(world, login, indicator):
    response = login(world.caf_staff).post(
        url(world, indicator), {"date": "2023-12-31", "value": "douze"}
    )
    assert "La valeur doit être un nombre (exemple : 12,5)." in response.content.decode()
    assert not Measurement.objects.exists()


@pytest.mark.parametrize("role", ["elected", "member_caf", "member_territory"])
def test_readers_see_the_indicator_but_cannot_record(world, login, indicator, role):
    client = login(getattr(world, role))
    page = client.get(url(world, indicator))
    assert page.status_code == 200
    assert "Places en crèche" in page.content.decode()
    assert "Nouvelle mesure" not in page.content.decode()
    response = client.post(url(world, indicator), {"date": "2023-12-31", "value": "12"})
    assert response.status_code == 403
    assert not Measurement.objects.exists()


@pytest.mark.parametrize("role", ["outsider", "other_caf_staff", "other_elected"])
def test_the_indicator_page_is_404_out_of_scope(world, login, indicator, role):
    assert login(getattr(world, role)).get(url(world, indicator)).status_code == 404


def test_an_indicator_of_another_convention_is_404(world, login):
    foreign = IndicatorFactory(action_sheet=ActionSheetFactory(convention=world.other_convention))
    response = login(world.caf_staff).get(
        reverse("evaluation:indicator", args=[world.convention.pk, foreign.pk])
    )
    assert response.status_code == 404


def test_anonymous_is_sent_to_login(world, client, indicator):
    response = client.get(url(world, indicator))
    assert response.status_code == 302 and response["Location"].startswith(reverse("login"))


def test_the_page_draws_the_series_with_baseline_and_target_and_lists_measurements(
    world, login, indicator
):
    MeasurementFactory(indicator=indicator, date=datetime.date(2022, 12, 31), value=12)
    MeasurementFactory(indicator=indicator, date=datetime.date(2023, 12, 31), value="15.5")
    html = login(world.elected).get(url(world, indicator)).content.decode()
    svg = re.search(r'<svg [^>]*role="img"[^>]*>.*?Évolution de l.*?</svg>', html, re.S).group(0)
    assert "<polyline" in svg
    assert "Référence : 10" in svg and "Cible : 20" in svg
    assert "Voir les données du graphique" in html  # the table alternative
    assert "15,5" in html  # French number
    assert "31 décembre 2023" in html
    assert "Dans les temps" in html or "En retard" in html or "En avance" in html


def test_an_indicator_without_measurement_says_so(world, login, indicator):
    html = login(world.coordinator).get(url(world, indicator)).content.decode()
    assert "Aucune mesure n'est encore enregistrée." in html
    assert "Pas de mesure" in html
