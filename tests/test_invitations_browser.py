"""In a real Chromium (issue 15): a Caf agent invites a coordinator and a committee member from
the Gouvernance tab; each opens the link of the e-mail (read from Django's outbox), sets a
password and lands logged in on the home page."""

import re

import pytest
from django.core import mail

from conventions.models import CommitteeMember, User
from tests.conftest import PASSWORD

pytestmark = pytest.mark.browser

LINK = re.compile(r"https?://[^\s\"<>]+/invitation/[^\s\"<>/]+/[^\s\"<>/]+/")


def log_in(page, base_url, user):
    page.goto(f"{base_url}/connexion/")
    page.fill("input[name=username]", user.email)
    page.fill("input[name=password]", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(lambda url: "/connexion/" not in url)


def last_link_to(address: str) -> str:
    message = [m for m in mail.outbox if m.to == [address]][-1]
    (link,) = set(LINK.findall(message.body))
    return link


def test_a_caf_agent_invites_a_coordinator_and_a_committee_member_who_activate_their_accounts(
    world, live_server, browser, chromium_available, settings
):
    base = live_server.url
    settings.SITE_URL = base  # the links of the e-mails point at this server
    mail.outbox = []
    convention = world.convention

    agent = browser.new_context(locale="fr-FR").new_page()
    agent.set_default_timeout(30_000)
    log_in(agent, base, world.caf_staff)
    agent.goto(f"{base}/conventions/{convention.pk}/gouvernance/")
    agent.get_by_role("heading", name="Inviter une personne").wait_for()

    # The coordinator of the commune.
    agent.get_by_label("Adresse e-mail").fill("nadia.rives@laguepie.fr")
    agent.get_by_label("Prénom").fill("Nadia")
    agent.get_by_label("Nom", exact=True).fill("Rives")
    agent.get_by_label("Chargé·e de coopération CTG").check()
    agent.get_by_label("Collectivité signataire").select_option(label="Laguépie")
    agent.get_by_role("button", name="Envoyer l'invitation", exact=True).click()
    agent.get_by_text("Invitation envoyée à nadia.rives@laguepie.fr").wait_for()

    # A member of the COPIL, territory side.
    agent.get_by_label("Adresse e-mail").fill("paul.copil@ccdr.fr")
    agent.get_by_label("Prénom").fill("Paul")
    agent.get_by_label("Nom", exact=True).fill("Copil")
    agent.get_by_label("Membre d'une instance").check()
    agent.get_by_label("Instance", exact=True).select_option(label=world.committee.name)
    agent.get_by_label("Collège").select_option(label="Territoire")
    agent.get_by_role("button", name="Envoyer l'invitation", exact=True).click()
    agent.get_by_text("Invitation envoyée à paul.copil@ccdr.fr").wait_for()
    rows = agent.locator("#h-invitations ~ div table tbody tr")
    assert rows.count() == 2
    assert "En attente" in rows.first.inner_text()

    for address, first_name in (
        ("nadia.rives@laguepie.fr", "Nadia"),
        ("paul.copil@ccdr.fr", "Paul"),
    ):
        link = last_link_to(address)
        assert link.startswith(base)
        page = browser.new_context(locale="fr-FR").new_page()
        page.set_default_timeout(30_000)
        page.goto(link)
        page.get_by_role("heading", name="Bienvenue sur CTG").wait_for()
        page.fill("#id_new_password1", "Gorges-Aveyron-2026")
        page.fill("#id_new_password2", "Gorges-Aveyron-2026")
        page.get_by_role("button", name="Activer mon compte").click()
        page.get_by_text("Bienvenue ! Votre mot de passe est enregistré").wait_for()
        assert "/invitation/" not in page.url and "/connexion/" not in page.url
        assert (
            first_name in page.get_by_role("navigation", name="Menu principal").inner_text()
        )  # logged in, named in the menu
        # The link served once.
        page.goto(link)
        page.get_by_role("heading", name="Ce lien d'invitation a déjà été utilisé").wait_for()

    coordinator = User.objects.get(email="nadia.rives@laguepie.fr")
    assert coordinator.is_active and coordinator.role == User.Role.COORDINATOR
    seat = CommitteeMember.objects.get(user__email="paul.copil@ccdr.fr")
    assert seat.committee == world.committee and seat.user.is_active

    agent.reload()
    assert agent.locator("#h-invitations ~ div table").get_by_text("Compte actif").count() == 2
