"""Qualitative follow-up (changes sought, markers, observations) and territory comparison."""

import datetime
import re

import pytest
from django.urls import reverse

from diagnostics.factories import TerritoryStatisticFactory
from diagnostics.models import StatisticDefinition
from evaluation.models import ChangeSought, Observation, ProgressMarker
from tests.evaluation_data import populate


@pytest.fixture
def change(world):
    change = ChangeSought.objects.create(
        convention=world.convention, title="Les parents se rencontrent", actor="Parents"
    )
    ProgressMarker.objects.create(
        change=change, level="attendu", text="Les parents viennent au LAEP"
    )
    return change


def changes_url(world):
    return reverse("evaluation:changes", args=[world.convention.pk])


@pytest.mark.parametrize("role", ["caf_staff", "coordinator", "elected", "member_territory"])
def test_changes_sought_are_listed_for_every_role_in_scope(world, login, change, role):
    html = login(getattr(world, role)).get(changes_url(world)).content.decode()
    assert "Les parents se rencontrent" in html
    assert "Les parents viennent au LAEP" in html
    assert "Pas encore d'observation." in html


@pytest.mark.parametrize("role", ["outsider", "other_caf_staff", "other_elected"])
def test_changes_sought_are_404_out_of_scope(world, login, change, role):
    assert login(getattr(world, role)).get(changes_url(world)).status_code == 404


def test_caf_staff_describe_a_change_and_its_markers(world, login):
    client = login(world.caf_staff)
    response = client.post(
        reverse("evaluation:change_create", args=[world.convention.pk]),
        {"title": "Les jeunes s'engagent", "actor": "Jeunes de 14 à 17 ans", "description": ""},
    )
    assert response.status_code == 302
    change = ChangeSought.objects.get(convention=world.convention)
    response = client.post(
        reverse("evaluation:marker_create", args=[world.convention.pk, change.pk]),
        {"level": "ideal", "text": "Les jeunes portent un projet"},
    )
    assert response.status_code == 302
    assert change.markers.get().get_level_display() == "Idéal"


@pytest.mark.parametrize("role", ["coordinator", "elected", "member_caf"])
def test_only_caf_staff_define_changes_and_markers(world, login, change, role):
    client = login(getattr(world, role))
    assert (
        client.post(
            reverse("evaluation:change_create", args=[world.convention.pk]), {"title": "X"}
        ).status_code
        == 403
    )
    assert (
        client.post(
            reverse("evaluation:marker_create", args=[world.convention.pk, change.pk]),
            {"level": "attendu", "text": "X"},
        ).status_code
        == 403
    )
    assert ChangeSought.objects.count() == 1 and ProgressMarker.objects.count() == 1


@pytest.mark.parametrize("role", ["caf_staff", "coordinator"])
def test_caf_staff_and_coordinators_record_observations(world, login, change, role):
    marker = change.markers.get()
    response = login(getattr(world, role)).post(
        reverse("evaluation:observation_create", args=[world.convention.pk, marker.pk]),
        {"date": "2023-05-12", "degree": "partiel", "text": "Dix familles au premier atelier"},
    )
    assert response.status_code == 302
    observation = Observation.objects.get()
    assert observation.observed_by == getattr(world, role)
    html = login(world.elected).get(changes_url(world)).content.decode()
    assert "12 mai 2023" in html and "Partiellement observé" in html


def test_an_observation_in_the_future_is_refused(world, login, change):
    marker = change.markers.get()
    tomorrow = datetime.date.today() + datetime.timedelta(days=2)
    response = login(world.caf_staff).post(
        reverse("evaluation:observation_create", args=[world.convention.pk, marker.pk]),
        {"date": tomorrow.isoformat(), "degree": "oui", "text": "Trop tôt"},
    )
    assert "ne peut pas être datée dans le futur" in response.content.decode()
    assert not Observation.objects.exists()


def test_elected_officials_cannot_record_observations(world, login, change):
    marker = change.markers.get()
    response = login(world.elected).post(
        reverse("evaluation:observation_create", args=[world.convention.pk, marker.pk]),
        {"date": "2023-05-12", "degree": "oui", "text": "X"},
    )
    assert response.status_code == 403


def test_a_marker_of_another_convention_is_404(world, login):
    foreign = ChangeSought.objects.create(convention=world.other_convention, title="Ailleurs")
    marker = ProgressMarker.objects.create(change=foreign, level="attendu", text="X")
    response = login(world.caf_staff).get(
        reverse("evaluation:observation_create", args=[world.convention.pk, marker.pk])
    )
    assert response.status_code == 404


@pytest.mark.parametrize("size", [5, 200])
def test_the_changes_page_runs_a_fixed_number_of_queries(
    world, login, size, django_assert_max_num_queries
):
    for _ in range(size // 5):
        populate(world.convention, sheets=1, prefix=f"P{_}")
    client = login(world.elected)
    with django_assert_max_num_queries(12):
        assert client.get(changes_url(world)).status_code == 200


# ----------------------------------------------------- territory comparison


@pytest.fixture
def coverage(world):
    world.convention.territories.add(world.epci, world.commune)
    statistic = StatisticDefinition.objects.get(code="taux-couverture")
    for year, a, b in [(2020, "41.5", "30"), (2021, "43", "32.5"), (2022, "45.2", "35")]:
        TerritoryStatisticFactory(collectivity=world.epci, statistic=statistic, year=year, value=a)
        TerritoryStatisticFactory(
            collectivity=world.commune, statistic=statistic, year=year, value=b
        )
    # Another territory's figures stay out.
    TerritoryStatisticFactory(
        collectivity=world.other_commune, statistic=statistic, year=2022, value="99"
    )
    return statistic


def test_the_comparison_shows_collectivities_side_by_side_and_over_the_years(
    world, login, coverage
):
    response = login(world.elected).get(
        reverse("evaluation:territories", args=[world.convention.pk]),
        {"statistique": "taux-couverture"},
    )
    html = response.content.decode()
    assert "Taux de couverture en accueil formel en 2022" in html
    assert "CC des Deux Rives" in html and "Laguépie" in html
    assert "Sorbiers" not in html
    assert "45,2" in html and "32,5" in html
    # Years are written as years, never grouped as numbers ("2 022").
    assert '<th scope="col" class="text-end">2022</th>' in html
    assert not re.search(r"2[\s\xa0\u202f]02[0-2]", html)
    svgs = re.findall(r'<svg class="ctg-chart-wide" [^>]*role="img"', html)
    assert len(svgs) == 2  # each also drawn for a phone (class ctg-chart-phone)
    assert html.count('<details class="chart-data') == 2


def test_the_comparison_without_statistics_says_so(world, login):
    html = (
        login(world.caf_staff)
        .get(reverse("evaluation:territories", args=[world.convention.pk]))
        .content.decode()
    )
    assert "Aucune statistique territoriale n'est encore saisie" in html


@pytest.mark.parametrize("role", ["outsider", "other_caf_staff"])
def test_the_comparison_is_404_out_of_scope(world, login, coverage, role):
    response = login(getattr(world, role)).get(
        reverse("evaluation:territories", args=[world.convention.pk])
    )
    assert response.status_code == 404
