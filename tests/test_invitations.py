"""Partners invited by the Caf (issue 15, item 1): the invitation from the Gouvernance tab, the
e-mail after the commit, the single-use link valid 7 days, re-inviting, removing from the seat,
and who may invite whom."""

from __future__ import annotations

import datetime
import re

import pytest
from django.urls import reverse

from conventions.models import CommitteeMember, Invitation, Side, User
from conventions.services import invitation as invitations
from tests.conftest import PASSWORD

NEW_PASSWORD = "Ruisseau-Quercy-2026"
LINK = re.compile(r"https?://[^\s\"<>]+/invitation/[^\s\"<>/]+/[^\s\"<>/]+/")


def link_path(message) -> str:
    """The path of the invitation link of an e-mail (text and HTML carry the same one)."""
    links = set(LINK.findall(message.body))
    html = message.alternatives[0][0]
    assert links and links == set(LINK.findall(html)), "one link, in both parts of the e-mail"
    (url,) = links
    return "/" + url.split("/", 3)[3]


def invite(client, convention, **fields):
    data = {f"invitation-{key}": value for key, value in fields.items()}
    return client.post(reverse("conventions:invitation_create", args=[convention.pk]), data)


def coordinator_fields(world, **extra):
    return {
        "email": "Nadia.Rives@CCDR.fr",
        "first_name": "Nadia",
        "last_name": "Rives",
        "kind": "coordinator",
        "collectivity": world.commune.pk,
        **extra,
    }


def member_fields(world, **extra):
    return {
        "email": "paul.copil@mairie-laguepie.fr",
        "first_name": "Paul",
        "last_name": "Copil",
        "function": "Adjoint à l'enfance",
        "kind": "member",
        "committee": world.committee.pk,
        "side": Side.TERRITORY,
        **extra,
    }


@pytest.fixture
def send_now(django_capture_on_commit_callbacks):
    """Run the on-commit callbacks (the e-mail task, eager in tests) of what is inside."""

    def _capture():
        return django_capture_on_commit_callbacks(execute=True)

    return _capture


def accept(client, path, password=NEW_PASSWORD):
    return client.post(path, {"new_password1": password, "new_password2": password})


def test_the_governance_page_shows_the_invitation_form_to_the_caf_only(world, client):
    url = reverse("conventions:governance", args=[world.convention.pk])
    client.force_login(world.caf_staff)
    html = client.get(url).content.decode()
    assert "Inviter une personne" in html
    assert "Envoyer l'invitation" in html
    for role in ("elected", "member_caf"):
        client.force_login(getattr(world, role))
        html = client.get(url).content.decode()
        assert "Envoyer l'invitation" not in html, role


def test_a_caf_agent_invites_a_coordinator_who_sets_a_password_and_lands_logged_in(
    world, client, mailoutbox, send_now
):
    client.force_login(world.caf_staff)
    with send_now():
        response = invite(client, world.convention, **coordinator_fields(world))
    assert response.status_code == 302
    assert response["Location"].endswith("#h-invitations")
    user = User.objects.get(email="nadia.rives@ccdr.fr")
    assert (user.is_active, user.has_usable_password()) == (False, False)
    assert (user.role, user.collectivity) == (User.Role.COORDINATOR, world.commune)
    invitation = Invitation.objects.get(user=user)
    assert invitation.invited_by == world.caf_staff
    assert invitation.expires_at - invitation.sent_at == datetime.timedelta(days=7)

    (message,) = mailoutbox
    assert message.to == ["nadia.rives@ccdr.fr"]
    assert message.subject == "[CTG] Invitation : Chargé·e de coopération CTG — CTG des Deux Rives"
    assert "Chargé·e de coopération CTG — Laguépie" in message.body
    assert "valable 7 jours" in message.body
    path = link_path(message)

    client.logout()
    page = client.get(path)
    assert page.status_code == 200
    assert "Choisissez votre mot de passe" in page.content.decode()
    response = accept(client, path)
    assert response.status_code == 302 and response["Location"] == reverse("home")
    user.refresh_from_db()
    assert user.is_active and user.check_password(NEW_PASSWORD)
    assert client.get(reverse("conventions:list")).wsgi_request.user == user
    invitation.refresh_from_db()
    assert invitation.accepted_at is not None


def test_the_password_must_pass_the_validators(world, client, mailoutbox, send_now):
    client.force_login(world.caf_staff)
    with send_now():
        invite(client, world.convention, **coordinator_fields(world))
    path = link_path(mailoutbox[0])
    client.logout()
    response = accept(client, path, password="1234")
    assert response.status_code == 400
    assert "trop court" in response.content.decode()
    assert not User.objects.get(email="nadia.rives@ccdr.fr").is_active


def test_a_committee_member_is_invited_with_a_seat_on_the_chosen_side(
    world, client, mailoutbox, send_now
):
    client.force_login(world.caf_staff)
    with send_now():
        response = invite(client, world.convention, **member_fields(world))
    assert response.status_code == 302
    member = CommitteeMember.objects.get(user__email="paul.copil@mairie-laguepie.fr")
    assert (member.committee, member.side) == (world.committee, Side.TERRITORY)
    assert (member.name, member.function) == ("Paul Copil", "Adjoint à l'enfance")
    path = link_path(mailoutbox[0])
    client.logout()
    assert accept(client, path).status_code == 302
    # The seat gives the convention: the new member reads it.
    page = client.get(reverse("conventions:governance", args=[world.convention.pk]))
    assert page.status_code == 200


def test_the_email_leaves_only_after_the_commit(
    world, client, mailoutbox, django_capture_on_commit_callbacks
):
    client.force_login(world.caf_staff)
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        invite(client, world.convention, **coordinator_fields(world))
    assert len(callbacks) == 1 and mailoutbox == []
    callbacks[0]()
    assert len(mailoutbox) == 1


def test_an_expired_link_says_so_and_offers_a_new_one(
    world, client, mailoutbox, send_now, monkeypatch
):
    client.force_login(world.caf_staff)
    with send_now():
        invite(client, world.convention, **coordinator_fields(world))
    path = link_path(mailoutbox[0])
    invitation = Invitation.objects.get()
    # Eight days later (the token carries its time; the record its dates).
    later = datetime.datetime.now() + datetime.timedelta(days=8)
    monkeypatch.setattr(invitations.invitation_token_generator, "_now", lambda: later)
    Invitation.objects.filter(pk=invitation.pk).update(
        sent_at=invitation.sent_at - datetime.timedelta(days=8),
        expires_at=invitation.expires_at - datetime.timedelta(days=8),
    )
    client.logout()
    html = client.get(path).content.decode()
    assert "Ce lien d&#x27;invitation a expiré" in html
    assert "Recevoir un nouveau lien par e-mail" in html
    assert accept(client, path).status_code == 200  # no password set through it
    assert not User.objects.get(email="nadia.rives@ccdr.fr").is_active

    with send_now():
        response = client.post(path, {"action": "nouveau-lien"})
    assert "un nouveau lien vient d'être envoyé" in response.content.decode()
    assert len(mailoutbox) == 2
    # Asked again at once: nothing more leaves (no mail bombing through an old link).
    with send_now():
        client.post(path, {"action": "nouveau-lien"})
    assert len(mailoutbox) == 2
    new_path = link_path(mailoutbox[1])
    assert new_path != path
    assert accept(client, new_path).status_code == 302


def test_a_used_link_is_refused(world, client, mailoutbox, send_now):
    client.force_login(world.caf_staff)
    with send_now():
        invite(client, world.convention, **coordinator_fields(world))
    path = link_path(mailoutbox[0])
    client.logout()
    assert accept(client, path).status_code == 302
    client.logout()
    html = client.get(path).content.decode()
    assert "Ce lien d&#x27;invitation a déjà été utilisé" in html
    accept(client, path, password="Autre-mot-de-passe-2027")
    assert User.objects.get(email="nadia.rives@ccdr.fr").check_password(NEW_PASSWORD)


def test_inviting_again_sends_a_new_link_and_the_old_one_stops_working(
    world, client, mailoutbox, send_now
):
    client.force_login(world.caf_staff)
    with send_now():
        invite(client, world.convention, **coordinator_fields(world))
    with send_now():
        response = invite(client, world.convention, **coordinator_fields(world))
    assert response.status_code == 302
    assert User.objects.filter(email__iexact="nadia.rives@ccdr.fr").count() == 1
    assert Invitation.objects.count() == 1
    invitation = Invitation.objects.get()
    # The button « Renvoyer » does the same.
    with send_now():
        response = client.post(
            reverse("conventions:invitation_resend", args=[world.convention.pk, invitation.pk])
        )
    assert response.status_code == 302
    assert len(mailoutbox) == 3
    first, second, last = (link_path(m) for m in mailoutbox)
    client.logout()
    for old in (first, second):
        html = client.get(old).content.decode()
        assert "Ce lien d&#x27;invitation n&#x27;est pas valable" in html
        assert accept(client, old).status_code == 200
    assert accept(client, last).status_code == 302


def test_an_existing_account_gets_the_seat_and_an_information_email(
    world, client, mailoutbox, send_now
):
    client.force_login(world.caf_staff)
    with send_now():
        response = invite(
            client,
            world.convention,
            **member_fields(world, email="MARC@caf82.fr", side=Side.CAF, committee=""),
        )
    assert response.status_code == 400  # no committee chosen
    thematic_group = world.committee.convention.committees.create(
        kind="technical", name="Comité technique"
    )
    with send_now():
        response = invite(
            client,
            world.convention,
            **member_fields(
                world, email="MARC@caf82.fr", side=Side.CAF, committee=thematic_group.pk
            ),
        )
    assert response.status_code == 302
    assert User.objects.filter(email__iexact="marc@caf82.fr").count() == 1
    seat = CommitteeMember.objects.get(committee=thematic_group)
    assert seat.user == world.member_caf
    (message,) = mailoutbox
    assert "Nouveau rôle" in message.subject
    assert "/invitation/" not in message.body  # no password link for a working account
    assert "déjà un compte" in message.body
    assert Invitation.objects.get().accepted_at is not None


def test_an_existing_account_with_another_role_is_not_changed(world, client, mailoutbox, send_now):
    client.force_login(world.caf_staff)
    with send_now():
        response = invite(
            client, world.convention, **coordinator_fields(world, email=world.caf_staff.email)
        )
    assert response.status_code == 400
    assert "ne peut pas changer son rôle" in response.content.decode()
    world.caf_staff.refresh_from_db()
    assert world.caf_staff.role == User.Role.CAF_STAFF
    assert not Invitation.objects.exists() and not mailoutbox


def test_a_person_already_on_the_committee_is_not_seated_twice(world, client, send_now):
    client.force_login(world.caf_staff)
    response = invite(client, world.convention, **member_fields(world, email="maud@ccdr.fr"))
    assert response.status_code == 400
    assert "déjà membre" in response.content.decode()
    assert CommitteeMember.objects.filter(user=world.member_territory).count() == 1


def test_a_committee_member_is_removed_from_the_seat_with_history_kept(
    world, client, mailoutbox, send_now
):
    client.force_login(world.caf_staff)
    with send_now():
        invite(client, world.convention, **member_fields(world))
    invitation = Invitation.objects.get()
    member_pk = invitation.member_id
    path = link_path(mailoutbox[0])
    url = reverse("conventions:invitation_remove", args=[world.convention.pk, invitation.pk])
    page = client.get(url)
    assert page.status_code == 200 and "Retirer Paul Copil ?" in page.content.decode()
    response = client.post(url)
    assert response.status_code == 302
    assert not CommitteeMember.objects.filter(pk=member_pk).exists()
    assert CommitteeMember.history.filter(id=member_pk, history_type="-").exists()
    invitation.refresh_from_db()
    assert invitation.removed_at is not None and invitation.removed_by == world.caf_staff
    html = client.get(reverse("conventions:governance", args=[world.convention.pk])).content
    assert "Retiré·e" in html.decode()
    client.logout()
    assert "Cette invitation a été retirée" in client.get(path).content.decode()
    assert accept(client, path).status_code == 200
    assert not User.objects.get(pk=invitation.user_id).is_active


def test_a_coordinator_removed_loses_the_role_and_the_convention(
    world, client, mailoutbox, send_now
):
    client.force_login(world.caf_staff)
    with send_now():
        invite(client, world.convention, **coordinator_fields(world))
    path = link_path(mailoutbox[0])
    client.logout()
    accept(client, path)
    invitation = Invitation.objects.get()
    client.force_login(world.caf_staff)
    client.post(reverse("conventions:invitation_remove", args=[world.convention.pk, invitation.pk]))
    user = User.objects.get(pk=invitation.user_id)
    assert (user.role, user.is_active) == (User.Role.OTHER, True)
    client.force_login(user)
    url = reverse("conventions:governance", args=[world.convention.pk])
    assert client.get(url).status_code == 404


def test_the_coordinator_invites_the_people_of_their_own_collectivity_only(
    world, client, mailoutbox, send_now
):
    client.force_login(world.coordinator)
    page = client.get(reverse("conventions:governance", args=[world.convention.pk]))
    assert "Envoyer l'invitation" in page.content.decode()
    # Another signatory collectivity, or the Caf side: refused with a message.
    response = invite(
        client, world.convention, **coordinator_fields(world, kind="elected")
    )  # world.commune
    assert response.status_code == 400
    assert "votre collectivité" in response.content.decode()
    response = invite(client, world.convention, **member_fields(world, side=Side.CAF))
    assert response.status_code == 400
    assert not Invitation.objects.exists()

    with send_now():
        response = invite(
            client,
            world.convention,
            **coordinator_fields(world, kind="elected", collectivity=world.epci.pk),
        )
        assert response.status_code == 302
        response = invite(client, world.convention, **member_fields(world, side=Side.TERRITORY))
        assert response.status_code == 302
    elected = User.objects.get(email="nadia.rives@ccdr.fr")
    assert (elected.role, elected.collectivity) == (User.Role.ELECTED, world.epci)
    member = User.objects.get(email="paul.copil@mairie-laguepie.fr")
    assert member.collectivity == world.epci and member.role == User.Role.OTHER
    assert len(mailoutbox) == 2


def test_the_coordinator_follows_only_the_invitations_of_their_collectivity(
    world, client, send_now
):
    client.force_login(world.caf_staff)
    with send_now():
        invite(client, world.convention, **coordinator_fields(world))  # world.commune
    theirs = Invitation.objects.get()
    client.get(reverse("conventions:governance", args=[world.convention.pk]))  # its message
    client.force_login(world.coordinator)  # world.epci
    html = client.get(reverse("conventions:governance", args=[world.convention.pk])).content
    assert "nadia.rives@ccdr.fr" not in html.decode()
    for name in ("invitation_remove", "invitation_resend"):
        url = reverse(f"conventions:{name}", args=[world.convention.pk, theirs.pk])
        assert client.post(url).status_code == 404, name


@pytest.mark.parametrize(
    ("role", "status"),
    [("elected", 403), ("member_caf", 403), ("other_caf_staff", 404), ("outsider", 404)],
)
def test_people_who_may_not_invite_are_refused(world, client, role, status):
    client.force_login(getattr(world, role))
    url = reverse("conventions:invitation_create", args=[world.convention.pk])
    assert client.get(url).status_code == status
    assert invite(client, world.convention, **coordinator_fields(world)).status_code == status
    assert not Invitation.objects.exists()


def test_an_invitation_of_another_convention_is_not_found(world, client):
    other = invitations.invitation_send(
        convention=world.other_convention,
        by=world.other_caf_staff,
        email="sam@sorbiers.fr",
        kind="elected",
        collectivity=world.other_commune,
    )
    client.force_login(world.caf_staff)
    url = reverse("conventions:invitation_remove", args=[world.convention.pk, other.pk])
    assert client.get(url).status_code == 404


def test_a_link_that_names_nothing_is_refused(world, client):
    response = client.get(reverse("conventions:invitation_accept", args=["Zm9v", "1-abc"]))
    assert response.status_code == 200
    html = response.content.decode()
    assert "Ce lien d&#x27;invitation n&#x27;est pas valable" in html
    assert "Recevoir un nouveau lien" not in html


def test_the_governance_page_reads_the_invitations_in_constant_queries(
    world, client, django_assert_max_num_queries
):
    url = reverse("conventions:governance", args=[world.convention.pk])
    client.force_login(world.caf_staff)

    def invite_some(start, count):
        for n in range(start, start + count):
            invitations.invitation_send(
                convention=world.convention,
                by=world.caf_staff,
                email=f"personne{n}@laguepie.fr",
                kind="member",
                committee=world.committee,
                side=Side.TERRITORY,
            )

    invite_some(0, 1)
    with django_assert_max_num_queries(100) as few:
        client.get(url)
    invite_some(1, 10)
    with django_assert_max_num_queries(len(few.captured_queries)):
        assert client.get(url).status_code == 200


def test_the_login_password_still_works_after_an_invitation_to_an_existing_account(
    world, client, send_now
):
    client.force_login(world.caf_staff)
    with send_now():
        invite(client, world.convention, **coordinator_fields(world, email="oscar@exemple.fr"))
    world.outsider.refresh_from_db()
    assert world.outsider.role == User.Role.COORDINATOR
    assert world.outsider.check_password(PASSWORD)
