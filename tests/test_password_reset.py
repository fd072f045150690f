"""« Mot de passe oublié ? » (issue 15): Django's password reset views in French, the e-mail in
the style of the others (through the accounts' Celery task), and no user enumeration."""

from __future__ import annotations

import re

import pytest
from django.conf import settings
from django.urls import reverse

from conventions.models import Invitation, Side
from conventions.services import invitation as invitations
from tests.conftest import PASSWORD

NEW_PASSWORD = "Gorges-Aveyron-2026"
RESET_LINK = re.compile(r"https?://[^\s\"<>]+/mot-de-passe/nouveau/[^\s\"<>/]+/[^\s\"<>/]+/")


@pytest.fixture
def send_now(django_capture_on_commit_callbacks):
    return lambda: django_capture_on_commit_callbacks(execute=True)


def ask(client, email):
    return client.post(reverse("password_reset"), {"email": email}, follow=True)


def log_in(client, email, password):
    return client.post(reverse("login"), {"username": email, "password": password})


def test_the_login_page_links_to_the_password_reset(client, db):
    html = client.get(reverse("login")).content.decode()
    assert "Mot de passe oublié ?" in html
    assert reverse("password_reset") == "/mot-de-passe/oubli/"
    assert f'href="{reverse("password_reset")}"' in html


def test_a_password_is_reset_end_to_end(world, client, mailoutbox, send_now):
    with send_now():
        response = ask(client, "Claire@CAF82.fr")
    assert response.redirect_chain == [(reverse("password_reset_done"), 302)]
    assert "Vérifiez votre messagerie" in response.content.decode()
    (message,) = mailoutbox
    assert message.to == [world.caf_staff.email]
    assert message.subject == "[CTG] Choisissez un nouveau mot de passe"
    assert "valable 3 jours" in message.body
    (url,) = set(RESET_LINK.findall(message.body))
    assert url in message.alternatives[0][0]
    assert url.startswith(settings.SITE_URL)
    path = "/" + url.split("/", 3)[3]

    page = client.get(path, follow=True)
    assert "Choisissez un nouveau mot de passe" in page.content.decode()
    form_path = page.redirect_chain[-1][0]
    assert form_path.endswith("/definir/")
    response = client.post(
        form_path, {"new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD}, follow=True
    )
    assert response.redirect_chain[-1][0] == reverse("password_reset_complete")
    assert "Mot de passe enregistré" in response.content.decode()

    assert log_in(client, world.caf_staff.email, NEW_PASSWORD).status_code == 302
    client.logout()
    assert log_in(client, world.caf_staff.email, PASSWORD).status_code == 200  # old one refused
    # The link served once.
    html = client.get(path, follow=True).content.decode()
    assert "Ce lien n&#x27;est plus valable" in html or "Ce lien n'est plus valable" in html


def test_an_unknown_address_gets_the_same_answer_and_no_email(world, client, mailoutbox, send_now):
    with send_now():
        known = ask(client, world.caf_staff.email)
    with send_now():
        unknown = ask(client, "personne@inconnue.fr")
    assert len(mailoutbox) == 1
    assert unknown.redirect_chain == known.redirect_chain
    assert unknown.status_code == known.status_code == 200

    def main(response):
        html = response.content.decode()
        return html[html.index("<main") : html.index("</main>")]

    assert main(unknown) == main(known)


def test_a_new_password_must_pass_the_validators(world, client, mailoutbox, send_now):
    with send_now():
        ask(client, world.coordinator.email)
    (url,) = set(RESET_LINK.findall(mailoutbox[0].body))
    page = client.get("/" + url.split("/", 3)[3], follow=True)
    form_path = page.redirect_chain[-1][0]
    response = client.post(form_path, {"new_password1": "azerty", "new_password2": "azerty"})
    assert response.status_code == 200
    assert "trop court" in response.content.decode()
    world.coordinator.refresh_from_db()
    assert world.coordinator.check_password(PASSWORD)


def test_an_invited_account_not_yet_activated_gets_its_invitation_again(
    world, client, mailoutbox, send_now, monkeypatch
):
    """An inactive invited account never had a password: « Mot de passe oublié ? » sends its
    invitation again (a new link), with the same answer on the page."""
    with send_now():
        invitation = invitations.invitation_send(
            convention=world.convention,
            by=world.caf_staff,
            email="lea@laguepie.fr",
            kind="member",
            committee=world.committee,
            side=Side.TERRITORY,
        )
    assert len(mailoutbox) == 1
    # A new link leaves at most every 10 minutes: the first one is older here.
    Invitation.objects.filter(pk=invitation.pk).update(
        sent_at=invitation.sent_at - invitations.NEW_LINK_INTERVAL
    )
    with send_now():
        response = ask(client, "lea@laguepie.fr")
    assert response.redirect_chain == [(reverse("password_reset_done"), 302)]
    assert len(mailoutbox) == 2
    assert "/invitation/" in mailoutbox[1].body
    assert "Invitation" in mailoutbox[1].subject


def test_a_deactivated_account_without_invitation_gets_nothing(world, client, mailoutbox, send_now):
    world.outsider.is_active = False
    world.outsider.save()
    with send_now():
        response = ask(client, world.outsider.email)
    assert response.redirect_chain == [(reverse("password_reset_done"), 302)]
    assert mailoutbox == []


def test_a_hostile_address_is_refused_with_a_french_message(client, db, mailoutbox):
    response = client.post(reverse("password_reset"), {"email": "pas-une-adresse\x00"})
    assert response.status_code == 200
    assert "Saisissez une adresse e-mail valide" in response.content.decode()
    assert mailoutbox == []
