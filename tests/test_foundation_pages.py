"""The first screens: login through the real form, the « À faire » home, the scoped convention
list."""

import datetime

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from conventions.factories import ConventionFactory, SignatoryFactory, UserFactory
from conventions.models import Convention, User
from tests.conftest import PASSWORD

LIST = reverse("conventions:list")


# --- Login ------------------------------------------------------------------------------------


def test_it_logs_in_with_email_and_password_through_the_form_and_lands_on_the_todo(world, client):
    response = client.post(
        reverse("login"), {"username": "claire@caf82.fr", "password": PASSWORD}, follow=True
    )
    assert response.redirect_chain[-1][0] == reverse("home")
    page = response.content.decode()
    assert "À faire</h1>" in page
    assert world.convention.name in page  # ended: evaluation and renewal to engage
    assert world.other_convention.name not in page


def test_it_ignores_the_case_of_the_email_at_login(world, client):
    response = client.post(
        reverse("login"), {"username": "Claire@CAF82.fr", "password": PASSWORD}, follow=True
    )
    assert response.redirect_chain[-1][0] == reverse("home")
    assert world.convention.name in response.content.decode()


def test_it_refuses_a_wrong_password_with_a_french_message(world, client):
    response = client.post(reverse("login"), {"username": "claire@caf82.fr", "password": "mauvais"})
    assert response.status_code == 200
    page = response.content.decode()
    assert "Adresse e-mail ou mot de passe incorrect." in page
    assert "_auth_user_id" not in client.session


def test_it_refuses_an_inactive_account(world, client):
    world.caf_staff.is_active = False
    world.caf_staff.save()
    response = client.post(reverse("login"), {"username": "claire@caf82.fr", "password": PASSWORD})
    assert response.status_code == 200
    assert "_auth_user_id" not in client.session


def test_the_login_page_is_in_french_with_an_email_field(client, db):
    page = client.get(reverse("login")).content.decode()
    assert "Adresse e-mail" in page
    assert "Mot de passe" in page
    assert 'type="email"' in page


def test_logout_is_a_post_and_returns_to_the_login_page(world, login):
    client = login(world.caf_staff)
    response = client.post(reverse("logout"))
    assert response.status_code == 302
    assert response["Location"] == reverse("login")
    assert client.get(LIST).status_code == 302


# --- Home ------------------------------------------------------------------------------------


def test_home_sends_anonymous_visitors_to_login(client, db):
    response = client.get(reverse("home"))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))


def test_an_elected_official_finds_the_synthese_of_each_convention_at_home(world, login):
    renewal = ConventionFactory(caf=world.caf, name="CTG 2026-2029")
    SignatoryFactory(convention=renewal, collectivity=world.commune)
    page = login(world.elected).get(reverse("home")).content.decode()
    assert reverse("portal:detail", args=[world.convention.pk]) in page
    assert reverse("portal:detail", args=[renewal.pk]) in page


@pytest.mark.parametrize("role", ["caf_staff", "coordinator", "member_caf", "superuser"])
def test_every_role_lands_on_the_todo_page(world, login, role):
    response = login(getattr(world, role)).get(reverse("home"))
    assert response.status_code == 200
    assert "À faire</h1>" in response.content.decode()


# --- The list --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "role, sees_first, sees_other",
    [
        ("caf_staff", True, False),
        ("other_caf_staff", False, True),
        ("coordinator", True, False),
        ("elected", True, False),
        ("member_territory", True, False),
        ("superuser", True, True),
    ],
)
def test_the_list_shows_only_the_conventions_in_scope(world, login, role, sees_first, sees_other):
    page = login(getattr(world, role)).get(LIST).content.decode()
    assert (world.convention.name in page) is sees_first
    assert (world.other_convention.name in page) is sees_other


def test_the_list_shows_phase_period_caf_and_signatory_count_in_french(world, login):
    world.convention.start_date = datetime.date(2021, 12, 15)
    world.convention.save()
    page = login(world.caf_staff).get(LIST).content.decode()
    assert "15 décembre 2021" in page
    assert "Mise en œuvre" in page
    assert "Caf de Tarn-et-Garonne" in page
    assert reverse("portal:detail", args=[world.convention.pk]) in page


def test_the_list_shows_an_empty_state_to_someone_without_conventions(world, login):
    page = login(world.outsider).get(LIST).content.decode()
    assert "Aucune convention ne vous est encore rattachée." in page
    assert world.convention.name not in page


def test_the_list_searches_by_name_and_by_caf(world, login):
    client = login(world.superuser)
    page = client.get(LIST, {"q": "deux rives"}).content.decode()
    assert world.convention.name in page and world.other_convention.name not in page
    page = client.get(LIST, {"q": "Loire"}).content.decode()
    assert world.other_convention.name in page and world.convention.name not in page


def test_the_search_never_widens_the_scope(world, login):
    page = login(world.caf_staff).get(LIST, {"q": "Sorbiers"}).content.decode()
    assert world.other_convention.name not in page
    assert "Aucune convention ne correspond à ces critères." in page


def test_the_list_filters_by_phase(world, login):
    world.other_convention.phase = Convention.Phase.DIAGNOSTIC
    world.other_convention.save()
    client = login(world.superuser)
    page = client.get(LIST, {"phase": "diagnostic"}).content.decode()
    assert world.other_convention.name in page and world.convention.name not in page
    page = client.get(LIST, {"phase": "evaluation"}).content.decode()
    assert "Aucune convention ne correspond à ces critères." in page


def test_an_unknown_phase_is_ignored(world, login):
    page = login(world.superuser).get(LIST, {"phase": "n-importe-quoi"}).content.decode()
    assert world.convention.name in page and world.other_convention.name in page


def _many_conventions(caf, count):
    return [
        ConventionFactory(
            caf=caf,
            name=f"CTG numéro {index:02d}",
            start_date=datetime.date(2000 + index, 1, 1),
            end_date=datetime.date(2004 + index, 12, 31),
        )
        for index in range(count)
    ]


def test_the_list_paginates_by_25(world, login):
    _many_conventions(world.caf, 29)  # + world.convention = 30 for the Caf staff
    client = login(world.caf_staff)
    first = client.get(LIST).content.decode()
    second = client.get(LIST, {"page": 2}).content.decode()
    assert "30 conventions" in first
    assert first.count('href="/conventions/') - first.count('href="/conventions/"') >= 25
    # Newest first: the oldest conventions are on page 2.
    assert "CTG numéro 00" in second and "CTG numéro 00" not in first
    assert "CTG numéro 28" in first and "CTG numéro 28" not in second


def test_the_list_keeps_filters_across_pages(world, login):
    _many_conventions(world.caf, 29)
    page = login(world.caf_staff).get(LIST, {"q": "numéro", "page": 2}).content.decode()
    assert "CTG numéro 00" in page
    assert "q=num" in page


@pytest.mark.parametrize("count", [3, 30])
def test_the_list_runs_a_constant_number_of_queries(
    world, login, count, django_assert_max_num_queries
):
    conventions = _many_conventions(world.caf, count)
    for convention in conventions:
        SignatoryFactory(convention=convention, collectivity=world.epci)
    client = login(world.coordinator)
    with django_assert_max_num_queries(8):
        response = client.get(LIST)
    assert response.status_code == 200
    assert conventions[-1].name in response.content.decode()


def test_the_list_query_count_does_not_grow_with_the_number_of_conventions(world, login):
    client = login(world.caf_staff)
    counts = []
    for batch in (3, 27):
        for convention in _many_conventions(world.caf, batch):
            SignatoryFactory(convention=convention, collectivity=world.epci)
        with CaptureQueriesContext(connection) as queries:
            assert client.get(LIST).status_code == 200
        counts.append(len(queries.captured_queries))
    assert counts[0] == counts[1]


def test_a_user_without_conventions_logs_in_and_sees_the_empty_state(client, db):
    user = UserFactory(email="agent@caf.fr", role=User.Role.OTHER)
    response = client.post(
        reverse("login"), {"username": user.email, "password": PASSWORD}, follow=True
    )
    assert response.redirect_chain[-1][0] == reverse("home")
    assert "Rien à faire pour le moment" in response.content.decode()
    assert "Aucune convention ne vous est encore rattachée." in client.get(LIST).content.decode()
