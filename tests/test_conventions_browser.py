"""In a real Chromium: a Caf staff member creates a convention and adds two signatories.

(The committee and the PDF of the same scenario are in tests/test_committees_browser.py.)"""

import pytest

from conventions.models import Convention
from tests.conftest import PASSWORD
from tests.test_committees_browser import build_a_balanced_committee_and_download_the_pdf

pytestmark = pytest.mark.browser


def test_caf_staff_create_a_convention_with_two_signatories(
    world, live_server, page, chromium_available
):
    page.set_default_timeout(30_000)
    page.goto(f"{live_server.url}/connexion/")
    page.fill("input[name=username]", world.caf_staff.email)
    page.fill("input[name=password]", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(f"{live_server.url}/")  # « À faire »

    # The convention, from the navigation entry.
    page.get_by_role("link", name="Nouvelle convention").click()
    page.fill("#id_name", "CTG Quercy Rouergue")
    page.fill("#id_start_date", "2022-01-01")
    page.fill("#id_end_date", "2025-12-31")
    page.fill("#id_purpose", "Projet social de territoire de la communauté de communes")
    page.fill("#id_vision", "Des services aux familles accessibles dans chaque commune.")
    page.fill("#id_horizon_year", "2025")
    page.get_by_label("Petite enfance").check()
    page.get_by_label("Jeunesse").check()
    page.fill("#filtre-territoires", "lague")  # the filter keeps Laguépie only
    assert page.locator("#territoires .form-check:visible").count() == 1
    page.press("#filtre-territoires", "Enter")  # does not send the form
    page.wait_for_timeout(500)
    assert page.url.endswith("/conventions/nouvelle/")
    assert not Convention.objects.filter(name="CTG Quercy Rouergue").exists()
    page.check(f'input[name=territories][value="{world.commune.pk}"]')
    page.fill("#filtre-territoires", "")
    page.check(f'input[name=territories][value="{world.epci.pk}"]')
    page.get_by_role("button", name="Créer la convention").click()
    page.get_by_text("La convention « CTG Quercy Rouergue » est créée.").wait_for()

    convention = Convention.objects.get(name="CTG Quercy Rouergue")
    assert convention.caf == world.caf
    assert set(convention.territories.all()) == {world.epci, world.commune}
    assert page.get_by_role("heading", name="CTG Quercy Rouergue").is_visible()
    assert page.get_by_text("du 1er janvier 2022 au 31 décembre 2025").first.is_visible()

    # First signatory: the EPCI, from the referential.
    page.get_by_role("link", name="Gouvernance").click()
    page.get_by_text("Aucun signataire n'est encore enregistré.").wait_for()
    page.get_by_role("link", name="Ajouter un signataire").click()
    page.select_option("#id_organisation", f"collectivity:{world.epci.pk}")
    page.fill("#id_representative_name", "Jean-Claude Dupuy")
    page.fill("#id_representative_title", "Président")
    page.fill("#id_resolution_reference", "DEL-2021-112")
    page.fill("#id_resolution_date", "2021-11-30")
    page.fill("#id_signed_on", "2021-12-15")
    page.get_by_role("button", name="Enregistrer").click()
    page.get_by_text("CC des Deux Rives est ajouté·e aux signataires.").wait_for()

    # Second signatory: the Caf itself.
    page.get_by_role("link", name="Ajouter un signataire").click()
    page.select_option("#id_organisation", "caf")
    page.fill("#id_representative_name", "Anne Durand")
    page.fill("#id_representative_title", "Directrice")
    page.get_by_role("button", name="Enregistrer").click()
    page.get_by_text("Caf de Tarn-et-Garonne est ajouté·e aux signataires.").wait_for()

    table = page.locator("#h-signataires").locator("xpath=ancestor::section")
    assert table.get_by_text("Jean-Claude Dupuy, Président").is_visible()
    assert table.get_by_text("DEL-2021-112 du 30 novembre 2021").is_visible()
    assert table.get_by_text("Anne Durand, Directrice").is_visible()
    assert sorted(
        (s.organisation_name, s.representative_name)
        for s in convention.signatories.select_related("collectivity", "caf")
    ) == [("CC des Deux Rives", "Jean-Claude Dupuy"), ("Caf de Tarn-et-Garonne", "Anne Durand")]

    # The stepper shows where the convention stands.
    stepper = page.get_by_label("Phases de la convention")
    assert (
        stepper.locator("[aria-current=step]").inner_text().startswith("Phase 1\u00a0: Diagnostic")
    )
    page.screenshot(path="/tmp/conventions_browser.png", full_page=True)

    # Then a balanced committee, and the convention document.
    build_a_balanced_committee_and_download_the_pdf(
        page, live_server.url, convention, world.caf_staff
    )
