"""Convention editor: create and edit pages, roles, and optimistic locking."""

import datetime

import pytest
from django.core.exceptions import ValidationError
from django.test import Client
from django.urls import reverse

from conventions.models import Convention
from conventions.services import convention as convention_services
from diagnostics.factories import thematic

EDIT_PAGES = [
    "conventions:edit",
    "conventions:signatory_create",
    "conventions:lifecycle",
    "conventions:sign",
    "conventions:renew",
]


def form_data(convention=None, **overrides):
    data = {
        "name": "CTG du Quercy",
        "start_date": "2022-01-01",
        "end_date": "2025-12-31",
        "purpose": "Projet social de territoire",
        "vision": "Un territoire où les familles trouvent les services dont elles ont besoin.",
        "horizon_year": "2025",
        "thematics": [thematic("petite-enfance").pk, thematic("jeunesse").pk],
        "territories": [],
        "previous": "",
        "reporting_frequency": "yearly",
        "meeting_pack_days": "10",
    }
    if convention is not None:
        data["version"] = str(convention.version)
    data.update(overrides)
    return data


# --- who may open the editor pages ----------------------------------------------------------


@pytest.mark.parametrize("name", EDIT_PAGES)
@pytest.mark.parametrize("role", ["caf_staff", "superuser"])
def test_editor_pages_open_for_caf_staff(world, login, name, role):
    response = login(getattr(world, role)).get(reverse(name, args=[world.convention.pk]))
    assert response.status_code == 200
    assert world.convention.name in response.content.decode()


@pytest.mark.parametrize("name", EDIT_PAGES)
@pytest.mark.parametrize("role", ["coordinator", "elected", "member_caf", "member_territory"])
def test_editor_pages_are_forbidden_to_roles_in_scope_that_do_not_edit(world, login, name, role):
    response = login(getattr(world, role)).get(reverse(name, args=[world.convention.pk]))
    assert response.status_code == 403


@pytest.mark.parametrize("name", EDIT_PAGES)
@pytest.mark.parametrize("role", ["other_caf_staff", "other_elected", "outsider"])
def test_editor_pages_are_404_out_of_scope(world, login, name, role):
    response = login(getattr(world, role)).get(reverse(name, args=[world.convention.pk]))
    assert response.status_code == 404


@pytest.mark.parametrize("name", EDIT_PAGES)
def test_editor_pages_send_anonymous_to_login(world, client, name):
    response = client.get(reverse(name, args=[world.convention.pk]))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))


def test_it_refuses_an_edit_post_from_a_coordinator_and_changes_nothing(world, login):
    response = login(world.coordinator).post(
        reverse("conventions:edit", args=[world.convention.pk]),
        form_data(world.convention, name="Piratée"),
    )
    assert response.status_code == 403
    world.convention.refresh_from_db()
    assert world.convention.name == "CTG des Deux Rives"


# --- navigation and header ------------------------------------------------------------------


def test_caf_staff_see_the_new_convention_and_collectivities_entries(world, login):
    html = login(world.caf_staff).get(reverse("conventions:list")).content.decode()
    assert reverse("conventions:create") in html
    assert "Nouvelle convention" in html
    assert reverse("conventions:collectivities") in html


@pytest.mark.parametrize("role", ["coordinator", "elected", "member_caf", "outsider"])
def test_other_roles_do_not_see_the_caf_staff_entries(world, login, role):
    html = login(getattr(world, role)).get(reverse("conventions:list")).content.decode()
    assert reverse("conventions:create") not in html
    assert reverse("conventions:collectivities") not in html


def test_the_header_offers_modifier_to_editors_only(world, login):
    url = reverse("portal:detail", args=[world.convention.pk])
    edit_url = reverse("conventions:edit", args=[world.convention.pk])
    assert edit_url in login(world.caf_staff).get(url).content.decode()
    assert edit_url not in login(world.elected).get(url).content.decode()


# --- create ---------------------------------------------------------------------------------


@pytest.mark.parametrize("role", ["caf_staff", "superuser"])
def test_the_create_page_opens_for_caf_staff(world, login, role):
    response = login(getattr(world, role)).get(reverse("conventions:create"))
    assert response.status_code == 200
    assert "Nouvelle convention territoriale globale" in response.content.decode()


@pytest.mark.parametrize("role", ["coordinator", "elected", "member_caf", "outsider"])
def test_the_create_page_is_forbidden_to_other_roles(world, login, role):
    assert login(getattr(world, role)).get(reverse("conventions:create")).status_code == 403


def test_the_create_page_sends_anonymous_to_login(world, client):
    response = client.get(reverse("conventions:create"))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))


def test_caf_staff_create_a_convention_of_their_own_caf(world, login):
    client = login(world.caf_staff)
    response = client.post(
        reverse("conventions:create"),
        form_data(territories=[world.epci.pk, world.commune.pk], previous=world.convention.pk),
    )
    convention = Convention.objects.get(name="CTG du Quercy")
    assert response.status_code == 302
    assert response["Location"] == reverse("portal:detail", args=[convention.pk])
    assert convention.caf == world.caf
    assert convention.phase == Convention.Phase.PREPARATION
    assert convention.previous == world.convention
    assert convention.version == 1
    assert {t.code for t in convention.thematics.all()} == {"petite-enfance", "jeunesse"}
    assert set(convention.territories.all()) == {world.epci, world.commune}
    record = convention.history.first()
    assert record.history_user == world.caf_staff


def test_caf_staff_cannot_choose_another_caf(world, login):
    login(world.caf_staff).post(reverse("conventions:create"), form_data(caf=world.other_caf.pk))
    assert Convention.objects.get(name="CTG du Quercy").caf == world.caf


def test_it_refuses_territories_and_previous_conventions_of_another_caf(world, login):
    response = login(world.caf_staff).post(
        reverse("conventions:create"),
        form_data(territories=[world.other_commune.pk], previous=world.other_convention.pk),
    )
    assert response.status_code == 200
    form = response.context["form"]
    assert "territories" in form.errors and "previous" in form.errors
    assert not Convention.objects.filter(name="CTG du Quercy").exists()


def test_the_superuser_creates_a_convention_for_any_caf(world, login):
    response = login(world.superuser).post(
        reverse("conventions:create"),
        form_data(caf=world.other_caf.pk, territories=[world.other_commune.pk]),
    )
    assert response.status_code == 302
    assert Convention.objects.get(name="CTG du Quercy").caf == world.other_caf


def test_it_explains_bad_dates_in_french(world, login):
    response = login(world.caf_staff).post(
        reverse("conventions:create"), form_data(end_date="2021-06-30", horizon_year="2020")
    )
    html = response.content.decode()
    assert response.status_code == 200
    assert "La date de fin doit être postérieure à la date de début." in html
    assert not Convention.objects.filter(name="CTG du Quercy").exists()


# --- edit and optimistic locking ------------------------------------------------------------


def test_caf_staff_edit_a_convention_and_the_version_increases(world, login):
    convention = world.convention
    response = login(world.caf_staff).post(
        reverse("conventions:edit", args=[convention.pk]),
        form_data(convention, name="CTG des Deux Rives 2022-2025"),
    )
    assert response.status_code == 302
    convention.refresh_from_db()
    assert convention.name == "CTG des Deux Rives 2022-2025"
    assert convention.version == 2
    assert convention.phase == Convention.Phase.IMPLEMENTATION  # not touched by the form


def test_the_edit_form_carries_the_version_it_was_loaded_with(world, login):
    world.convention.version = 7
    world.convention.save()
    response = login(world.caf_staff).get(reverse("conventions:edit", args=[world.convention.pk]))
    assert 'name="version" value="7"' in response.content.decode()


def test_the_second_of_two_concurrent_edits_is_refused_and_overwrites_nothing(world):
    url = reverse("conventions:edit", args=[world.convention.pk])
    claire, ada = Client(), Client()
    claire.force_login(world.caf_staff)
    ada.force_login(world.superuser)
    # Both open the form: both carry version 1.
    assert claire.get(url).context["form"]["version"].value() == 1
    ada_form = ada.get(url).context["form"]
    assert ada_form["version"].value() == 1

    response = claire.post(url, form_data(world.convention, name="Version de Claire"))
    assert response.status_code == 302

    response = ada.post(
        url, form_data(name="Version d'Ada", version=ada_form["version"].value(), caf=world.caf.pk)
    )
    assert response.status_code == 200
    html = response.content.decode()
    assert "La convention a été modifiée par Claire" in html
    assert "rechargez la page" in html
    world.convention.refresh_from_db()
    assert world.convention.name == "Version de Claire"
    assert world.convention.version == 2


def test_the_service_refuses_a_stale_version(world):
    convention = world.convention
    convention_services.convention_update(
        convention=convention, data={"name": "A"}, expected_version=1, by=world.caf_staff
    )
    with pytest.raises(ValidationError, match="modifiée par Claire"):
        convention_services.convention_update(
            convention=Convention.objects.get(pk=convention.pk),
            data={"name": "B"},
            expected_version=1,
            by=world.superuser,
        )
    assert Convention.objects.get(pk=convention.pk).name == "A"


def test_the_compare_and_increment_lets_only_one_of_two_saves_from_the_same_version_win(world):
    # Both requests loaded the convention at version 1 before either saved.
    a = Convention.objects.get(pk=world.convention.pk)
    b = Convention.objects.get(pk=world.convention.pk)
    convention_services.convention_update(
        convention=a, data={"name": "A"}, expected_version=1, by=world.caf_staff
    )
    with pytest.raises(convention_services.StaleVersionError):
        convention_services.convention_update(
            convention=b, data={"name": "B"}, expected_version=1, by=world.superuser
        )
    fresh = Convention.objects.get(pk=world.convention.pk)
    assert (fresh.name, fresh.version) == ("A", 2)


def test_thematic_changes_are_recorded_in_the_change_reason(world):
    convention = world.convention
    convention_services.convention_update(
        convention=convention,
        data={"thematics": [thematic("jeunesse")]},
        expected_version=convention.version,
        by=world.caf_staff,
    )
    assert "Thématiques couvertes : ajout de Jeunesse" in (
        convention.history.first().history_change_reason
    )


def test_a_phase_change_makes_an_open_edit_form_stale(world, login):
    convention = world.convention
    convention.phase = Convention.Phase.EVALUATION
    convention.signed_on = datetime.date(2022, 3, 1)
    convention.save()
    convention_services.convention_advance(
        convention=convention,
        to_phase=Convention.Phase.IMPLEMENTATION,
        reason="Évaluation reportée",
        by=world.superuser,
    )
    response = login(world.caf_staff).post(
        reverse("conventions:edit", args=[convention.pk]), form_data(name="X", version="1")
    )
    assert response.status_code == 200
    assert "modifiée par Ada" in response.content.decode()


def test_the_territories_list_starts_with_the_intercommunality(world, login):
    page = login(world.caf_staff).get(reverse("conventions:create")).content.decode()
    epci = page.index(f'name="territories" value="{world.epci.pk}"')
    commune = page.index(f'name="territories" value="{world.commune.pk}"')
    assert epci < commune  # « CC des Deux Rives » before « Laguépie », not by kind's name
    assert 'data-filter-checks="#territoires"' in page


def test_a_territory_of_another_caf_is_refused_in_the_territories_box(world, login):
    response = login(world.caf_staff).post(
        reverse("conventions:create"),
        {
            "name": "CTG refusée",
            "start_date": "2026-01-01",
            "end_date": "2029-12-31",
            "territories": [world.other_commune.pk],
            "reporting_frequency": "yearly",
            "meeting_pack_days": "10",
        },
    )
    assert response.status_code == 200
    page = response.content.decode()
    box = page[
        page.index('id="territoires"') : page.index("</fieldset>", page.index('id="territoires"'))
    ]
    assert "Sélectionnez un choix valide" in box
    assert 'id="id_territories_error"' in box
    assert page.count("Sélectionnez un choix valide") == 1  # the only error on the form
    assert not Convention.objects.filter(name="CTG refusée").exists()
