"""In a real Chromium: a Caf agent prepares a committee meeting (attendees, the agenda the
tool proposes, a free point moved up, the agenda frozen) and sends the convocation; the
members receive it with its ``.ics``."""

import datetime

import pytest

from actions.factories import ActionSheetFactory
from actions.models import ActionSheet
from conventions.factories import MeetingFactory
from tests.conftest import PASSWORD

pytestmark = pytest.mark.browser


def test_caf_staff_build_the_agenda_and_send_the_convocation(
    world, live_server, page, chromium_available, mailoutbox
):
    sheet = ActionSheetFactory(
        convention=world.convention,
        number="FA-01",
        title="Relais petite enfance",
        status=ActionSheet.Status.SUBMITTED,
    )
    meeting = MeetingFactory(
        committee=world.committee,
        date=datetime.datetime(2025, 3, 12, 13, 30, tzinfo=datetime.UTC),
        location="Mairie de Laguépie",
    )
    url = (
        f"{live_server.url}/conventions/{world.convention.pk}/instances/"
        f"{world.committee.pk}/reunions/{meeting.pk}/"
    )
    page.set_default_timeout(30_000)
    page.goto(f"{live_server.url}/connexion/")
    page.fill("input[name=username]", world.caf_staff.email)
    page.fill("input[name=password]", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(f"{live_server.url}/")
    page.goto(url)

    agenda = page.locator("#ordre-du-jour [data-agenda-key]")
    assert agenda.nth(1).inner_text().startswith("Avis sur la fiche FA-01")

    page.fill("#agenda-title", "Questions diverses")
    page.get_by_role("button", name="Ajouter").click()
    page.get_by_text("Le point a été ajouté").wait_for()
    page.get_by_role("button", name="Monter le point 3").click()
    page.get_by_text("L'ordre du jour a été réordonné.").wait_for()
    assert [agenda.nth(i).get_attribute("data-agenda-key") for i in range(3)][1].startswith("free:")

    page.select_option(f"#presence-{world.caf_seat.pk}", "present")
    page.select_option(f"#presence-{world.territory_seat.pk}", "excused")
    page.get_by_role("button", name="Enregistrer les présences").click()
    page.get_by_text("1 présent, 1 excusé, 0 absent").wait_for()

    page.get_by_role("button", name="Figer l'ordre du jour").click()
    page.get_by_text("L'ordre du jour est figé").first.wait_for()

    page.once("dialog", lambda dialog: dialog.accept())
    page.get_by_role("button", name="Envoyer la convocation").click()
    page.get_by_text("La convocation est envoyée à 2 membres.").wait_for()
    assert sorted(m.to[0] for m in mailoutbox) == [
        world.member_caf.email,
        world.member_territory.email,
    ]
    body = mailoutbox[0].body
    assert body.index("Questions diverses") < body.index(f"Avis sur la fiche {sheet.number}")
    ics = mailoutbox[0].attachments[0].get_payload(decode=True).decode()
    assert "DTSTART:20250312T133000Z" in ics and "LOCATION:Mairie de Laguépie" in ics
    assert page.get_by_text("Envoyée", exact=True).is_visible()
