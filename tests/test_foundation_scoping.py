"""Roles and scope: role × convention in or out of scope → 200 / 404, what each role may
do on a convention it sees (403 when it lacks the action), and the visible set per role."""

import pytest
from django.contrib.auth.models import AnonymousUser
from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.urls import reverse

from conventions.factories import (
    CollectivityFactory,
    CommitteeFactory,
    CommitteeMemberFactory,
    ConventionFactory,
    SignatoryFactory,
    UserFactory,
)
from conventions.models import User
from conventions.permissions import (
    convention_access,
    conventions_visible_to,
    get_convention_or_404,
    is_caf_staff,
    seats_of,
)

# role → (sees world.convention, sees world.other_convention)
SCOPE = {
    "caf_staff": (True, False),
    "other_caf_staff": (False, True),
    "coordinator": (True, False),
    "elected": (True, False),
    "other_elected": (False, True),
    "member_caf": (True, False),
    "member_territory": (True, False),
    "outsider": (False, False),
    "superuser": (True, True),
}

# role → (can_view, can_edit_convention, can_edit_actions, can_approve) on world.convention
FLAGS = {
    "caf_staff": (True, True, True, False),
    "other_caf_staff": (False, False, False, False),
    "coordinator": (True, False, True, False),
    "elected": (True, False, False, False),
    "other_elected": (False, False, False, False),
    "member_caf": (True, False, False, True),
    "member_territory": (True, False, False, True),
    "outsider": (False, False, False, False),
    "superuser": (True, True, True, False),
}

PAGES = ["portal:detail", "conventions:governance", "portal:history"]


@pytest.mark.parametrize("page", PAGES)
@pytest.mark.parametrize("role", SCOPE)
def test_each_role_gets_200_in_scope_and_404_out_of_scope(world, login, role, page):
    client = login(getattr(world, role))
    for convention, visible in zip(
        (world.convention, world.other_convention), SCOPE[role], strict=True
    ):
        response = client.get(reverse(page, args=[convention.pk]))
        if visible:
            assert response.status_code == 200, (role, convention.name)
            assert convention.name in response.content.decode()
        else:
            assert response.status_code == 404, (role, convention.name)
            assert convention.name not in response.content.decode()


@pytest.mark.parametrize("role", SCOPE)
def test_a_convention_that_does_not_exist_is_404_for_everyone(world, login, role):
    response = login(getattr(world, role)).get(reverse("portal:detail", args=[999_999]))
    assert response.status_code == 404


@pytest.mark.parametrize("page", PAGES)
def test_anonymous_visitors_are_sent_to_the_login_page(world, client, page):
    url = reverse(page, args=[world.convention.pk])
    response = client.get(url)
    assert response.status_code == 302
    assert response["Location"] == f"{reverse('login')}?next={url}"


@pytest.mark.parametrize("role", FLAGS)
def test_each_role_has_exactly_its_rights_on_the_convention(world, role):
    access = convention_access(getattr(world, role), world.convention)
    assert (
        access.can_view,
        access.can_edit_convention,
        access.can_edit_actions,
        access.can_approve,
    ) == FLAGS[role]


@pytest.mark.parametrize("role", FLAGS)
def test_require_raises_403_in_french_for_an_action_the_role_lacks(world, role):
    access = convention_access(getattr(world, role), world.convention)
    for allowed in (access.can_edit_convention, access.can_edit_actions, access.can_approve):
        if allowed:
            access.require(allowed)
        else:
            with pytest.raises(PermissionDenied) as exc:
                access.require(allowed)
            assert str(exc.value) == "Votre rôle ne permet pas cette action sur cette convention."


@pytest.mark.parametrize("role", SCOPE)
def test_get_convention_or_404_follows_the_scope(world, role):
    user = getattr(world, role)
    for convention, visible in zip(
        (world.convention, world.other_convention), SCOPE[role], strict=True
    ):
        if visible:
            found, access = get_convention_or_404(user, convention.pk)
            assert found == convention and access.can_view
        else:
            with pytest.raises(Http404):
                get_convention_or_404(user, convention.pk)


@pytest.mark.parametrize("role", SCOPE)
def test_conventions_visible_to_each_role(world, role):
    expected = {
        convention.pk
        for convention, visible in zip(
            (world.convention, world.other_convention), SCOPE[role], strict=True
        )
        if visible
    }
    assert set(conventions_visible_to(getattr(world, role)).values_list("pk", flat=True)) == (
        expected
    )


def test_conventions_visible_to_is_one_query_without_duplicates(world, django_assert_num_queries):
    # The same person is Caf staff, sits on two committees of the same convention:
    # the convention must still come once.
    world.caf_staff.committee_memberships.create(committee=world.committee, side="caf", name="C")
    second = CommitteeFactory(convention=world.convention, name="Comité technique")
    CommitteeMemberFactory(committee=second, user=world.caf_staff)
    seats_of(world.caf_staff)  # read once per request (the menu reads them too)
    with django_assert_num_queries(1):
        pks = list(conventions_visible_to(world.caf_staff).values_list("pk", flat=True))
    assert pks == [world.convention.pk]


def test_anonymous_and_inactive_users_see_nothing(world):
    assert not conventions_visible_to(AnonymousUser()).exists()
    world.caf_staff.is_active = False
    world.caf_staff.save()
    assert not conventions_visible_to(world.caf_staff).exists()
    assert not convention_access(world.caf_staff, world.convention).can_view


def test_an_elected_official_of_a_non_signatory_member_commune_sees_nothing(world):
    """Belonging to the signing EPCI is not signing: only signatories' people see it."""
    member_commune = CollectivityFactory(
        name="Varen", code="82190", caf=world.caf, parent_epci=world.epci
    )
    elected = UserFactory(role=User.Role.ELECTED, collectivity=member_commune)
    assert not conventions_visible_to(elected).exists()


def test_a_coordinator_sees_every_convention_their_collectivity_signs(world):
    second = ConventionFactory(caf=world.caf, name="CTG renouvelée")
    SignatoryFactory(convention=second, collectivity=world.epci)
    assert set(conventions_visible_to(world.coordinator)) == {world.convention, second}


def test_a_caf_staff_member_sees_every_convention_of_their_caf_even_unsigned(world):
    draft = ConventionFactory(caf=world.caf, name="CTG en préparation")
    assert draft in conventions_visible_to(world.caf_staff)
    assert draft not in conventions_visible_to(world.coordinator)


def test_caf_staff_of_another_caf_are_not_caf_staff_of_this_convention(world):
    access = convention_access(world.other_caf_staff, world.convention)
    assert not access.is_caf_staff
    assert is_caf_staff(world.other_caf_staff)
    assert not is_caf_staff(world.coordinator)
    assert is_caf_staff(world.superuser)
