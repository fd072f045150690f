"""In a real Chromium: the coordinator adds a PDF to a measurement from the indicator page,
finds it listed under the value, and downloads it; an executable renamed .pdf is refused with
its reason; a person outside the convention gets a 404 for the file."""

import datetime

import pytest

from actions.factories import ActionSheetFactory
from evaluation.factories import IndicatorFactory, MeasurementFactory
from evidence.models import Evidence
from tests.test_accessibility import audit, new_context
from tests.test_actions_browser import log_in

pytestmark = pytest.mark.browser

PDF = (
    b"%PDF-1.4\n1 0 obj\n<< /Type /Catalog /Pages 2 0 R >>\nendobj\n"
    b"2 0 obj\n<< /Type /Pages /Kids [] /Count 0 >>\nendobj\n"
    b"trailer\n<< /Root 1 0 R >>\n%%EOF\n"
)


def test_a_coordinator_adds_a_pdf_to_a_measurement_and_downloads_it(
    world, live_server, browser, chromium_available, tmp_path, settings
):
    settings.MEDIA_ROOT = tmp_path / "media"
    base = live_server.url
    convention = world.convention
    sheet = ActionSheetFactory(convention=convention, number="FA-01", title="Relais itinérant")
    indicator = IndicatorFactory(action_sheet=sheet, name="Familles accueillies au relais")
    measurement = MeasurementFactory(indicator=indicator, date=datetime.date(2023, 6, 30))
    indicator_url = f"{base}/conventions/{convention.pk}/evaluation/indicateurs/{indicator.pk}/"
    scan = tmp_path / "emargement-juin.pdf"
    scan.write_bytes(PDF)
    disguised = tmp_path / "rapport.pdf"
    disguised.write_bytes(b"\x7fELF\x02\x01\x01\x00" + b"\x00" * 500)

    context = new_context(browser)
    page = context.new_page()
    log_in(page, base, world.coordinator)
    page.goto(indicator_url)
    page.get_by_role("link", name="Ajouter une pièce").click()
    page.get_by_role("heading", name="Ajouter une pièce justificative").wait_for()
    failures = audit(page, "evidence:add_to_measurement")

    # An executable renamed .pdf: refused, with its reason, nothing stored.
    page.get_by_label("Titre").fill("Rapport d'activité")
    page.set_input_files("input[type=file]", str(disguised))
    page.get_by_role("button", name="Ajouter la pièce").click()
    page.get_by_text("Ce fichier est un programme").wait_for()
    assert not Evidence.objects.exists()
    failures += audit(page, "evidence:add_to_measurement (refusé)")

    page.get_by_label("Titre").fill("Liste d'émargement de juin")
    page.set_input_files("input[type=file]", str(scan))
    page.get_by_role("button", name="Ajouter la pièce").click()
    page.wait_for_url(indicator_url)
    page.get_by_text("La pièce « Liste d'émargement de juin » est ajoutée.").wait_for()
    link = page.get_by_role("link", name="Liste d'émargement de juin", exact=True)
    assert link.is_visible()
    assert page.get_by_text("emargement-juin.pdf").is_visible()
    failures += audit(page, "evaluation:indicator with a piece")
    piece = Evidence.objects.get()
    assert piece.measurement == measurement and piece.uploaded_by == world.coordinator

    with page.expect_download() as download_info:
        link.click()
    download = download_info.value
    assert download.suggested_filename == "emargement-juin.pdf"
    saved = tmp_path / "telecharge.pdf"
    download.save_as(saved)
    assert saved.read_bytes() == PDF

    # Someone outside the convention: a 404, whatever the address.
    outsider = new_context(browser).new_page()
    log_in(outsider, base, world.outsider)
    response = outsider.goto(f"{base}/conventions/{convention.pk}/pieces/{piece.pk}/telecharger/")
    assert response.status == 404
    # (The media address is tested through the URLconf in test_evidence.py: the live server
    # of the tests serves MEDIA_ROOT itself, before any URL pattern, which no deployment does.)
    assert not failures, "\n".join(failures)
