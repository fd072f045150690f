"""Governance pages: who may read and change committees, members and meetings."""

import datetime

import pytest
from django.urls import reverse

from conventions.factories import CommitteeFactory, CommitteeMemberFactory, MeetingFactory
from conventions.models import Committee, CommitteeMember, Meeting

READ_ROLES = ["caf_staff", "coordinator", "elected", "member_caf", "member_territory", "superuser"]
REFUSED_IN_SCOPE = ["coordinator", "elected", "member_caf", "member_territory"]
OUT_OF_SCOPE = ["other_caf_staff", "other_elected", "outsider"]


@pytest.fixture
def meeting(world):
    return MeetingFactory(committee=world.committee, location="Mairie de Laguépie")


def edit_urls(world, meeting):
    c, k = world.convention.pk, world.committee.pk
    m = world.caf_seat.pk
    return {
        "committee_create": reverse("conventions:committee_create", args=[c]),
        "committee_update": reverse("conventions:committee_update", args=[c, k]),
        "committee_delete": reverse("conventions:committee_delete", args=[c, k]),
        "member_create": reverse("conventions:member_create", args=[c, k]),
        "member_update": reverse("conventions:member_update", args=[c, k, m]),
        "member_delete": reverse("conventions:member_delete", args=[c, k, m]),
        "meeting_create": reverse("conventions:meeting_create", args=[c, k]),
        "meeting_update": reverse("conventions:meeting_update", args=[c, k, meeting.pk]),
        "meeting_delete": reverse("conventions:meeting_delete", args=[c, k, meeting.pk]),
    }


def read_urls(world, meeting):
    c, k = world.convention.pk, world.committee.pk
    return {
        "committee_detail": reverse("conventions:committee_detail", args=[c, k]),
        "meeting_detail": reverse("conventions:meeting_detail", args=[c, k, meeting.pk]),
    }


EDIT_NAMES = [
    "committee_create",
    "committee_update",
    "committee_delete",
    "member_create",
    "member_update",
    "member_delete",
    "meeting_create",
    "meeting_update",
    "meeting_delete",
]


# --- Access --------------------------------------------------------------------------------


@pytest.mark.parametrize("name", EDIT_NAMES)
@pytest.mark.parametrize("role", ["caf_staff", "superuser"])
def test_caf_staff_open_every_edit_page(world, login, meeting, name, role):
    response = login(getattr(world, role)).get(edit_urls(world, meeting)[name])
    assert response.status_code == 200
    assert world.convention.name in response.content.decode()


@pytest.mark.parametrize("name", EDIT_NAMES)
@pytest.mark.parametrize("role", REFUSED_IN_SCOPE)
def test_it_refuses_edit_pages_to_roles_in_scope_that_do_not_edit(
    world, login, meeting, name, role
):
    client = login(getattr(world, role))
    url = edit_urls(world, meeting)[name]
    assert client.get(url).status_code == 403
    assert client.post(url, {"kind": "copil", "side": "caf", "name": "X"}).status_code == 403


@pytest.mark.parametrize("name", EDIT_NAMES)
@pytest.mark.parametrize("role", OUT_OF_SCOPE)
def test_edit_pages_are_404_out_of_scope(world, login, meeting, name, role):
    client = login(getattr(world, role))
    url = edit_urls(world, meeting)[name]
    assert client.get(url).status_code == 404
    assert client.post(url, {"kind": "copil", "side": "caf", "name": "X"}).status_code == 404


@pytest.mark.parametrize("name", EDIT_NAMES + ["committee_detail", "meeting_detail"])
def test_governance_pages_send_anonymous_to_login(world, client, meeting, name):
    url = (edit_urls(world, meeting) | read_urls(world, meeting))[name]
    response = client.get(url)
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))


@pytest.mark.parametrize("name", ["committee_detail", "meeting_detail"])
@pytest.mark.parametrize("role", READ_ROLES)
def test_every_role_in_scope_reads_committees_and_meetings(world, login, meeting, name, role):
    response = login(getattr(world, role)).get(read_urls(world, meeting)[name])
    assert response.status_code == 200
    body = response.content.decode()
    assert "Comité de pilotage" in body
    assert "Mairie de Laguépie" in body or "Marc Caf" in body


@pytest.mark.parametrize("name", ["committee_detail", "meeting_detail"])
@pytest.mark.parametrize("role", OUT_OF_SCOPE)
def test_committee_pages_are_404_out_of_scope(world, login, meeting, name, role):
    assert login(getattr(world, role)).get(read_urls(world, meeting)[name]).status_code == 404


def test_it_hides_a_committee_of_another_convention_behind_a_404(world, login):
    url = reverse(
        "conventions:committee_detail", args=[world.convention.pk, world.other_committee.pk]
    )
    assert login(world.caf_staff).get(url).status_code == 404
    url = reverse("conventions:member_create", args=[world.convention.pk, world.other_committee.pk])
    assert login(world.caf_staff).post(url, {"side": "caf", "name": "Intrus"}).status_code == 404
    assert not world.other_committee.members.exists()


def test_read_only_roles_see_no_edit_buttons(world, login):
    body = login(world.elected).get(reverse("conventions:governance", args=[world.convention.pk]))
    body = body.content.decode()
    assert "Marc Caf" in body
    assert "Nouvelle instance" not in body
    assert "Ajouter côté Caf" not in body
    staff = login(world.caf_staff).get(
        reverse("conventions:governance", args=[world.convention.pk])
    )
    assert "Nouvelle instance" in staff.content.decode()


# --- Committees ----------------------------------------------------------------------------


def test_caf_staff_create_a_technical_committee(world, login):
    url = reverse("conventions:committee_create", args=[world.convention.pk])
    response = login(world.caf_staff).post(
        url, {"kind": "technical", "name": "", "approvals_required_per_side": 2}
    )
    committee = Committee.objects.get(convention=world.convention, kind="technical")
    assert response.status_code == 302
    assert response["Location"] == reverse(
        "conventions:committee_detail", args=[world.convention.pk, committee.pk]
    )
    assert committee.name == "Comité technique / opérationnel"
    assert committee.approvals_required_per_side == 2
    assert committee.thematic is None


def test_it_requires_a_thematic_for_a_thematic_group(world, login):
    url = reverse("conventions:committee_create", args=[world.convention.pk])
    response = login(world.caf_staff).post(
        url, {"kind": "thematic", "name": "Groupe jeunesse", "approvals_required_per_side": 1}
    )
    assert response.status_code == 200
    assert "Un groupe thématique doit avoir une thématique." in response.content.decode()
    assert not Committee.objects.filter(name="Groupe jeunesse").exists()


def test_a_thematic_group_keeps_its_thematic(world, login):
    from diagnostics.factories import thematic

    jeunesse = thematic("jeunesse")
    world.convention.thematics.add(jeunesse)
    url = reverse("conventions:committee_create", args=[world.convention.pk])
    login(world.caf_staff).post(
        url, {"kind": "thematic", "thematic": jeunesse.pk, "approvals_required_per_side": 1}
    )
    group = Committee.objects.get(convention=world.convention, kind="thematic")
    assert group.thematic == jeunesse
    assert group.name == f"Groupe thématique « {jeunesse.label} »"
    page = login(world.elected).get(reverse("conventions:governance", args=[world.convention.pk]))
    assert jeunesse.label in page.content.decode()


def test_it_refuses_zero_approvals_per_side(world, login):
    url = reverse("conventions:committee_update", args=[world.convention.pk, world.committee.pk])
    response = login(world.caf_staff).post(
        url, {"kind": "copil", "name": "COPIL", "approvals_required_per_side": 0}
    )
    assert response.status_code == 200
    assert "Au moins un avis favorable par collège est requis." in response.content.decode()
    world.committee.refresh_from_db()
    assert world.committee.approvals_required_per_side == 1


def test_caf_staff_edit_a_committee(world, login):
    client = login(world.caf_staff)
    url = reverse("conventions:committee_update", args=[world.convention.pk, world.committee.pk])
    token = client.get(url).context["form"].initial["token"]
    response = client.post(
        url,
        {"kind": "copil", "name": "COPIL CTG", "approvals_required_per_side": 2, "token": token},
    )
    assert response.status_code == 302
    world.committee.refresh_from_db()
    assert (world.committee.name, world.committee.approvals_required_per_side) == ("COPIL CTG", 2)


def test_it_refuses_a_committee_edit_made_on_a_stale_form(world, login):
    client = login(world.caf_staff)
    url = reverse("conventions:committee_update", args=[world.convention.pk, world.committee.pk])
    token = client.get(url).context["form"].initial["token"]
    # Someone else saves in between.
    client.post(
        url,
        {"kind": "copil", "name": "Version A", "approvals_required_per_side": 1, "token": token},
    )
    response = client.post(
        url,
        {"kind": "copil", "name": "Version B", "approvals_required_per_side": 1, "token": token},
    )
    assert response.status_code == 200
    assert "modifié·e par quelqu&#x27;un d&#x27;autre" in response.content.decode()
    world.committee.refresh_from_db()
    assert world.committee.name == "Version A"


def test_deleting_a_committee_asks_for_confirmation_first(world, login, meeting):
    client = login(world.caf_staff)
    url = reverse("conventions:committee_delete", args=[world.convention.pk, world.committee.pk])
    body = client.get(url).content.decode()
    assert "sera supprimée, avec ses 2 membres et ses 1 réunion" in body
    assert Committee.objects.filter(pk=world.committee.pk).exists()
    response = client.post(url)
    assert response.status_code == 302
    assert response["Location"] == reverse("conventions:governance", args=[world.convention.pk])
    assert not Committee.objects.filter(pk=world.committee.pk).exists()
    assert not Meeting.objects.filter(pk=meeting.pk).exists()


def test_it_refuses_to_delete_a_committee_whose_members_gave_opinions(world, login):
    from actions.factories import ActionSheetFactory
    from actions.models import Approval

    sheet = ActionSheetFactory(convention=world.convention)
    Approval.objects.create(sheet=sheet, member=world.caf_seat, version=1, decision="favorable")
    url = reverse("conventions:committee_delete", args=[world.convention.pk, world.committee.pk])
    response = login(world.caf_staff).post(url)
    assert response.status_code == 400
    assert "ont déjà rendu 1 avis" in response.content.decode()
    assert Committee.objects.filter(pk=world.committee.pk).exists()


# --- Members -------------------------------------------------------------------------------


def member_url(world, committee=None):
    committee = committee or world.committee
    return reverse("conventions:member_create", args=[world.convention.pk, committee.pk])


def test_caf_staff_add_a_member_linked_to_an_account(world, login):
    world.caf_staff.last_name = "Dupont"
    world.caf_staff.job_title = "Conseillère territoriale"
    world.caf_staff.save()
    copil = CommitteeFactory(convention=world.convention, kind="technical", name="COTECH")
    response = login(world.caf_staff).post(
        member_url(world, copil), {"side": "caf", "user": world.caf_staff.pk}
    )
    assert response.status_code == 302
    member = copil.members.get()
    assert member.user == world.caf_staff
    assert member.name == "Claire Dupont"
    assert member.function == "Conseillère territoriale"


def test_it_offers_accounts_of_the_caf_and_of_signatory_collectivities_only(world, login):
    form = login(world.caf_staff).get(member_url(world)).context["form"]
    offered = set(form.fields["user"].queryset)
    assert {world.caf_staff, world.coordinator, world.elected} <= offered
    assert world.other_caf_staff not in offered
    assert world.other_elected not in offered
    assert world.outsider not in offered


def test_it_refuses_an_account_of_another_caf(world, login):
    response = login(world.caf_staff).post(
        member_url(world), {"side": "caf", "user": world.other_caf_staff.pk}
    )
    assert response.status_code == 200
    assert "Sélectionnez un choix valide" in response.content.decode()
    assert not world.committee.members.filter(user=world.other_caf_staff).exists()


def test_it_refuses_the_same_account_twice_in_a_committee_with_a_french_error(world, login):
    client = login(world.caf_staff)
    client.post(member_url(world), {"side": "territory", "user": world.coordinator.pk})
    response = client.post(
        member_url(world), {"side": "caf", "user": world.coordinator.pk, "name": "Autre nom"}
    )
    assert response.status_code == 200
    assert (
        f"{world.coordinator} est déjà membre de l&#x27;instance « Comité de pilotage »."
        in response.content.decode()
    )
    assert world.committee.members.filter(user=world.coordinator).count() == 1


def test_the_same_account_may_sit_on_two_committees(world, login):
    cotech = CommitteeFactory(convention=world.convention, kind="technical", name="COTECH")
    client = login(world.caf_staff)
    client.post(member_url(world), {"side": "territory", "user": world.coordinator.pk})
    client.post(member_url(world, cotech), {"side": "territory", "user": world.coordinator.pk})
    assert CommitteeMember.objects.filter(user=world.coordinator).count() == 2


def test_a_member_without_account_needs_a_name(world, login):
    response = login(world.caf_staff).post(member_url(world), {"side": "caf", "name": "  "})
    assert response.status_code == 200
    assert "Indiquez le nom du membre" in response.content.decode()
    assert world.committee.members.count() == 2


def test_caf_staff_add_a_member_without_account(world, login):
    response = login(world.caf_staff).post(
        member_url(world),
        {"side": "territory", "name": "Jeanne Martin", "function": "Maire de Laguépie"},
    )
    assert response.status_code == 302
    member = world.committee.members.get(name="Jeanne Martin")
    assert (member.side, member.function, member.user) == ("territory", "Maire de Laguépie", None)


def test_caf_staff_edit_a_member_and_keep_an_account_linked_earlier(world, login):
    client = login(world.caf_staff)
    url = reverse(
        "conventions:member_update",
        args=[world.convention.pk, world.committee.pk, world.caf_seat.pk],
    )
    form = client.get(url).context["form"]
    assert world.member_caf in form.fields["user"].queryset
    response = client.post(
        url,
        {
            "side": "caf",
            "user": world.member_caf.pk,
            "name": "Marc Caf",
            "function": "Responsable action sociale",
            "token": form.initial["token"],
        },
    )
    assert response.status_code == 302
    world.caf_seat.refresh_from_db()
    assert world.caf_seat.function == "Responsable action sociale"
    assert world.caf_seat.user == world.member_caf


def test_removing_a_member_asks_for_confirmation(world, login):
    client = login(world.caf_staff)
    url = reverse(
        "conventions:member_delete",
        args=[world.convention.pk, world.committee.pk, world.territory_seat.pk],
    )
    assert "Maud Territoire (Territoire) sera retiré·e" in client.get(url).content.decode()
    assert client.post(url).status_code == 302
    assert not CommitteeMember.objects.filter(pk=world.territory_seat.pk).exists()


def test_it_refuses_to_remove_a_member_who_gave_opinions(world, login):
    from actions.factories import ActionSheetFactory
    from actions.models import Approval

    sheet = ActionSheetFactory(convention=world.convention)
    Approval.objects.create(
        sheet=sheet, member=world.territory_seat, version=1, decision="a_revoir", comment="Non"
    )
    url = reverse(
        "conventions:member_delete",
        args=[world.convention.pk, world.committee.pk, world.territory_seat.pk],
    )
    response = login(world.caf_staff).post(url)
    assert response.status_code == 400
    assert "a déjà rendu 1 avis" in response.content.decode()
    assert CommitteeMember.objects.filter(pk=world.territory_seat.pk).exists()


# --- Meetings ------------------------------------------------------------------------------


def test_caf_staff_record_a_meeting(world, login):
    url = reverse("conventions:meeting_create", args=[world.convention.pk, world.committee.pk])
    response = login(world.caf_staff).post(
        url,
        {
            "date": "2024-12-05T14:30",
            "location": "Siège de la communauté de communes",
            "agenda": "Bilan annuel\nPerspectives 2025",
            "minutes": "Le comité a examiné le bilan.",
            "decisions": "Ouverture d'un LAEP validée.",
        },
    )
    meeting = world.committee.meetings.get()
    assert response.status_code == 302
    assert meeting.location == "Siège de la communauté de communes"
    body = login(world.member_territory).get(response["Location"]).content.decode()
    assert "5 décembre 2024 à 14:30" in body
    assert "Ouverture d&#x27;un LAEP validée." in body
    assert "Perspectives 2025" in body


def test_it_refuses_a_meeting_without_a_valid_date(world, login):
    url = reverse("conventions:meeting_create", args=[world.convention.pk, world.committee.pk])
    response = login(world.caf_staff).post(url, {"date": "32/13/2024", "agenda": "Bilan"})
    assert response.status_code == 200
    assert "Saisissez une date et une heure valides." in response.content.decode()
    assert not world.committee.meetings.exists()


def test_it_lists_upcoming_and_past_meetings_apart(world, login):
    now = datetime.datetime.now(datetime.UTC)
    MeetingFactory(
        committee=world.committee, date=now + datetime.timedelta(days=30), location="Futur"
    )
    MeetingFactory(
        committee=world.committee, date=now - datetime.timedelta(days=400), location="Ancien"
    )
    MeetingFactory(
        committee=world.committee, date=now - datetime.timedelta(days=30), location="Récent"
    )
    url = reverse("conventions:committee_detail", args=[world.convention.pk, world.committee.pk])
    body = login(world.elected).get(url).content.decode()
    upcoming, past = body.index("À venir"), body.index("Passées")
    assert upcoming < body.index("Futur") < past
    # Past meetings newest first.
    assert past < body.index("Récent") < body.index("Ancien")
    governance = login(world.elected).get(
        reverse("conventions:governance", args=[world.convention.pk])
    )
    assert "Toutes les réunions (3)" in governance.content.decode()


def test_caf_staff_write_the_minutes_of_a_meeting(world, login, meeting):
    client = login(world.caf_staff)
    url = reverse(
        "conventions:meeting_update", args=[world.convention.pk, world.committee.pk, meeting.pk]
    )
    form = client.get(url).context["form"]
    data = dict(form.initial) | {"minutes": "Compte rendu rédigé.", "decisions": "Rien."}
    response = client.post(url, data)
    assert response.status_code == 302
    meeting.refresh_from_db()
    assert meeting.minutes == "Compte rendu rédigé."
    assert meeting.date == datetime.datetime(2024, 6, 15, 14, 0, tzinfo=datetime.UTC)
    # A second save from the same (now stale) form is refused.
    stale = client.post(url, data | {"minutes": "Écrasé"})
    assert "modifié·e par quelqu&#x27;un d&#x27;autre" in stale.content.decode()
    meeting.refresh_from_db()
    assert meeting.minutes == "Compte rendu rédigé."


def test_deleting_a_meeting_asks_for_confirmation(world, login, meeting):
    client = login(world.caf_staff)
    url = reverse(
        "conventions:meeting_delete", args=[world.convention.pk, world.committee.pk, meeting.pk]
    )
    assert "La réunion du 15 juin 2024 à 16:00" in client.get(url).content.decode()
    assert client.post(url).status_code == 302
    assert not Meeting.objects.filter(pk=meeting.pk).exists()


# --- The governance tab: constant queries ----------------------------------------------------


def grow(world, committees: int):
    for index in range(committees):
        committee = CommitteeFactory(convention=world.convention, name=f"Groupe {index}")
        for side in ("caf", "territory", "territory"):
            CommitteeMemberFactory(committee=committee, side=side)
        MeetingFactory(committee=committee)


@pytest.mark.parametrize("committees", [1, 8])
def test_governance_tab_runs_a_constant_number_of_queries(
    world, login, django_assert_max_num_queries, committees
):
    grow(world, committees)
    client = login(world.caf_staff)
    url = reverse("conventions:governance", args=[world.convention.pk])
    with django_assert_max_num_queries(16):
        response = client.get(url)
    assert response.content.decode().count("Parité non respectée") == committees


def test_the_committee_form_loads_its_script_and_the_member_form_names_the_committee(world, login):
    client = login(world.caf_staff)
    args = [world.convention.pk, world.committee.pk]
    committee_page = client.get(reverse("conventions:committee_update", args=args))
    html = committee_page.content.decode()
    assert "js/committee-form.js" in html
    assert "Instance :" not in html
    member_page = client.get(reverse("conventions:member_create", args=args)).content.decode()
    assert f"Instance : {world.committee.name}" in member_page
    assert "js/committee-form.js" not in member_page
