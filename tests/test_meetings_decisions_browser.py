"""In a real Chromium: a Caf agent downloads the meeting's dossier de séance and reads it
(cover, agenda on page 1, attendees, one page per fiche to decide with its budget and
indicators, the previous minutes), records the committee's decisions in the meeting (one
fiche validated, one sent back after the comment the « à revoir » requires), notes a
follow-up, downloads the relevé de décisions and reads it; the page passes axe with the
decision forms open, on a desktop and on a phone."""

from __future__ import annotations

import datetime
import io
import os
from pathlib import Path

import pytest
from pypdf import PdfReader

from actions.factories import ActionSheetFactory, FundingLineFactory
from actions.models import ActionSheet
from conventions.factories import MeetingFactory
from evaluation.factories import IndicatorFactory, MeasurementFactory
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


def _pdf_pages(download) -> list[str]:
    pdf = Path(download.value.path()).read_bytes()
    return [" ".join(p.extract_text().split()) for p in PdfReader(io.BytesIO(pdf)).pages]


def test_caf_staff_record_decisions_and_download_the_releve(world, live_server, browser_for_audit):
    previous = MeetingFactory(
        committee=world.committee,
        date=datetime.datetime(2026, 11, 5, 9, 0, tzinfo=datetime.UTC),
        location="Siège de la Caf",
    )
    services.attendance_record(
        meeting=previous,
        statuses={world.caf_seat.pk: Attendance.Status.PRESENT},
        by=world.caf_staff,
    )
    bilan = services.agenda_item_add(meeting=previous, title="Bilan 2026", by=world.caf_staff)
    services.decision_record(
        meeting=previous,
        key=bilan.key,
        follow_up="Relancer les communes sans relais",
        by=world.caf_staff,
    )
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
    FundingLineFactory(sheet=good, funder="Caf", year=2027, planned_amount=12000, spent_amount=0)
    places = IndicatorFactory(action_sheet=good, name="Places en relais")
    MeasurementFactory(indicator=places, date=datetime.date(2026, 6, 30), value=15)
    IndicatorFactory(action_sheet=weak, name="Enfants accueillis le mercredi")
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

    # Before the meeting: the dossier de séance, from the meeting page.
    with page.expect_download() as download:
        page.get_by_role("link", name="Dossier de séance (PDF)").click()
    assert download.value.suggested_filename == "dossier-de-seance-12-03-2027.pdf"
    if SHOTS:
        (Path(SHOTS) / "dossier-de-seance.pdf").write_bytes(
            Path(download.value.path()).read_bytes()
        )
    pages = _pdf_pages(download)
    for expected in (
        "Dossier de séance",
        "Comité de pilotage",
        "Réunion du 12 mars 2027, de 14:30 à 16:30",
        "Lieu : Mairie de Laguépie",
        "Ordre du jour",
        "Avis sur la fiche FA-01 — Relais petite enfance",
        "Avis sur la fiche FA-02 — Accueil de loisirs",
        "Questions diverses",
        "Membres convoqués",
        "Marc Caf",
        "Maud Territoire",
        "Présent",
    ):
        assert expected in pages[0], expected
    fiche_pages = {
        number: [n for n, text in enumerate(pages) if f"Fiche {number} —" in text]
        for number in ("FA-01", "FA-02")
    }
    assert [len(found) for found in fiche_pages.values()] == [1, 1]
    first_fiche = pages[fiche_pages["FA-01"][0]]
    for expected in ("Budget total 12 000,00 € 0,00 €", "Places en relais", "Indicateurs"):
        assert expected in first_fiche, expected
    assert "Enfants accueillis le mercredi" in pages[fiche_pages["FA-02"][0]]
    assert "Les chiffres depuis la dernière réunion" in " ".join(pages)
    minutes = " ".join(pages[max(fiche_pages["FA-02"][0], 1) + 1 :])
    assert "Relevé de décisions de la réunion précédente" in minutes
    assert "réunion du 5 novembre 2026" in minutes
    assert "Relancer les communes sans relais" in minutes

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
