"""In a real Chromium: a Caf agent records the committee's decisions in the meeting (one fiche
validated, one sent back after the comment the « à revoir » requires), notes a follow-up,
downloads the relevé de décisions and reads it; the page passes axe with the decision
forms open, on a desktop and on a phone."""

from __future__ import annotations

import datetime
import io
import os
from pathlib import Path

import pytest
from pypdf import PdfReader

from actions.factories import ActionSheetFactory
from actions.models import ActionSheet
from conventions.factories import MeetingFactory
from meetings import services
from meetings.models import Attendance
from tests.test_accessibility import audit, browser_for_audit, new_context, session_cookie

__all__ = ["browser_for_audit"]  # the fixture, shared with the accessibility audit

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

#: Set to a folder to keep screenshots of the page (for a person to look at).
SHOTS = os.environ.get("CTG_SCREENSHOT_DIR", "")


def _shoot(page, name: str) -> None:
    if SHOTS:
        page.screenshot(path=str(Path(SHOTS) / name), full_page=True)


def test_caf_staff_record_decisions_and_download_the_releve(world, live_server, browser_for_audit):
    good = ActionSheetFactory(
        convention=world.convention,
        number="FA-01",
        title="Relais petite enfance",
        status=ActionSheet.Status.SUBMITTED,
    )
    weak = ActionSheetFactory(
        convention=world.convention,
        number="FA-02",
        title="Accueil de loisirs",
        status=ActionSheet.Status.SUBMITTED,
    )
    meeting = MeetingFactory(
        committee=world.committee,
        date=datetime.datetime(2027, 3, 12, 13, 30, tzinfo=datetime.UTC),
        location="Mairie de Laguépie",
    )
    services.attendance_record(
        meeting=meeting,
        statuses={
            world.caf_seat.pk: Attendance.Status.PRESENT,
            world.territory_seat.pk: Attendance.Status.PRESENT,
        },
        by=world.caf_staff,
    )
    free = services.agenda_item_add(meeting=meeting, title="Questions diverses", by=world.caf_staff)
    url = (
        f"{live_server.url}/conventions/{world.convention.pk}/instances/"
        f"{world.committee.pk}/reunions/{meeting.pk}/"
    )
    context = new_context(browser_for_audit)
    context.add_cookies([session_cookie(world.caf_staff, live_server.url)])
    page = context.new_page()
    page.on("dialog", lambda dialog: dialog.accept())
    page.goto(url)

    def point(sheet_or_key: str):
        return page.locator(f"#decision-{sheet_or_key}")

    # FA-01: favourable on both sides → validated.
    first = point(f"fiche{good.pk}")
    first.locator("summary").click()
    first.get_by_label("Favorable", exact=True).first.check()
    first.get_by_label("Favorable", exact=True).nth(1).check()
    first.get_by_label("Suites à donner").fill("Lancer l'appel à projets")
    first.get_by_role("button", name="Enregistrer").click()
    page.get_by_text("Décision enregistrée sur « Avis sur la fiche FA-01").wait_for()
    assert "Décision : Fiche validée" in point(f"fiche{good.pk}").inner_text()

    # FA-02: « à revoir » without its comment → the error under the field, choice kept.
    second = point(f"fiche{weak.pk}")
    second.locator("summary").click()
    second.get_by_label("Favorable", exact=True).first.check()
    second.get_by_label("À revoir", exact=True).nth(1).check()
    second.get_by_role("button", name="Enregistrer").click()
    error = page.locator(f"#fiche{weak.pk}-territory-comment-error")
    error.wait_for()
    assert error.inner_text() == "Un avis « à revoir » doit être motivé par un commentaire."
    assert page.locator(f"#fiche{weak.pk}-territory-a_revoir").is_checked()
    assert not audit(page, "réunion, décision refusée")
    _shoot(page, "meeting-decision-error-1366.png")
    page.get_by_label("Commentaire du collège territoire").fill("Préciser le public visé")
    page.locator(f"#decision-fiche{weak.pk}").get_by_role("button", name="Enregistrer").click()
    page.get_by_text("fiche renvoyée « à revoir »").first.wait_for()

    # The free point: its follow-up.
    key = free.key.replace(":", "")
    point(key).locator("summary").click()
    point(key).get_by_label("Suites à donner").fill("Diffuser le calendrier")
    point(key).get_by_role("button", name="Enregistrer").click()
    page.get_by_text("Les suites à donner à « Questions diverses » sont enregistrées.").wait_for()

    good.refresh_from_db(), weak.refresh_from_db()
    assert (good.status, weak.status) == (
        ActionSheet.Status.VALIDATED,
        ActionSheet.Status.TO_REVIEW,
    )
    assert not audit(page, "réunion avec décisions")
    _shoot(page, "meeting-decisions-1366.png")

    with page.expect_download() as download:
        page.get_by_role("link", name="Relevé de décisions (PDF)").click()
    pdf = Path(download.value.path()).read_bytes()
    if SHOTS:
        (Path(SHOTS) / "releve.pdf").write_bytes(pdf)
    text = " ".join(" ".join(p.extract_text() for p in PdfReader(io.BytesIO(pdf)).pages).split())
    for expected in (
        "Relevé de décisions",
        "Marc Caf",
        "Maud Territoire",
        "Avis sur la fiche FA-01 — Relais petite enfance",
        "Décision : Fiche validée",
        "Décision : Fiche renvoyée « à revoir »",
        "Collège territoire À revoir Préciser le public visé",
        "Diffuser le calendrier",
    ):
        assert expected in text, expected
    context.close()

    phone = new_context(browser_for_audit, width=390)
    phone.add_cookies([session_cookie(world.caf_staff, live_server.url)])
    small = phone.new_page()
    small.goto(url)
    assert small.evaluate("document.documentElement.scrollWidth") <= 390
    assert not audit(small, "réunion avec décisions (téléphone)")
    _shoot(small, "meeting-decisions-390.png")
    phone.close()
