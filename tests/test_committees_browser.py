"""In a real Chromium: a Caf staff member sets up a balanced committee for an existing
convention and downloads the convention document."""

import io

import pytest
from pypdf import PdfReader

from conventions.models import Committee
from tests.conftest import PASSWORD

pytestmark = pytest.mark.browser


def test_caf_staff_build_a_balanced_committee_and_download_the_pdf(
    world, live_server, page, chromium_available
):
    convention = world.convention
    page.set_default_timeout(30_000)

    page.goto(f"{live_server.url}/connexion/")
    page.fill("input[name=username]", world.caf_staff.email)
    page.fill("input[name=password]", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(f"{live_server.url}/")  # « À faire »

    build_a_balanced_committee_and_download_the_pdf(
        page, live_server.url, convention, world.caf_staff
    )


def build_a_balanced_committee_and_download_the_pdf(page, base_url, convention, caf_user):
    """From the convention's Gouvernance tab: a committee with one member per side, then
    the convention document (also used by the convention creation walk-through)."""
    page.goto(f"{base_url}/conventions/{convention.pk}/gouvernance/")
    page.get_by_role("link", name="Nouvelle instance").click()
    page.select_option("#id_kind", "technical")
    page.fill("#id_name", "Comité opérationnel")
    page.fill("#id_approvals_required_per_side", "1")
    page.get_by_role("button", name="Enregistrer").click()
    page.get_by_text("L'instance « Comité opérationnel » a été créée.").wait_for()
    assert page.get_by_text("Aucun membre pour l'instant").is_visible()

    # One member on the Caf side, linked to her account.
    page.get_by_role("link", name="Ajouter côté Caf").click()
    assert page.is_checked("input[name=side][value=caf]")
    page.select_option("#id_user", str(caf_user.pk))
    page.fill("#id_function", "Conseillère territoriale")
    page.get_by_role("button", name="Enregistrer").click()
    page.get_by_text("Parité non respectée : 1 membre côté Caf, 0 côté territoire").wait_for()

    # One member on the territory side, without an account.
    page.get_by_role("link", name="Ajouter côté territoire").click()
    assert page.is_checked("input[name=side][value=territory]")
    page.fill("#id_name", "Jeanne Martin")
    page.fill("#id_function", "Maire de Laguépie")
    page.get_by_role("button", name="Enregistrer").click()
    page.get_by_text("Parité respectée : 1 membre de chaque côté").wait_for()

    committee = Committee.objects.get(convention=convention, name="Comité opérationnel")
    assert sorted(committee.members.values_list("side", "name")) == [
        ("caf", caf_user.get_full_name()),
        ("territory", "Jeanne Martin"),
    ]

    # The convention document, from the button of the convention header.
    with page.expect_download() as download_info:
        page.get_by_role("link", name="Télécharger la convention (PDF)").click()
    download = download_info.value
    assert download.suggested_filename.endswith(".pdf")
    with open(download.path(), "rb") as handle:
        pdf = handle.read()
    assert pdf.startswith(b"%PDF")
    text = " ".join(p.extract_text() for p in PdfReader(io.BytesIO(pdf)).pages)
    assert "Comité opérationnel" in text
    assert "Jeanne Martin" in text
