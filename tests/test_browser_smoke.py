"""Browser smoke test: a real Chromium logs in through the login form of a live server
and sees the convention list."""

import pytest

from tests.conftest import PASSWORD


@pytest.mark.browser
def test_a_user_logs_in_through_the_real_form_and_sees_the_convention_list(
    chromium_available, world, live_server, page
):
    page.goto(f"{live_server.url}/")
    # Anonymous visitors are sent to the login page.
    assert "/connexion/" in page.url
    page.get_by_label("Adresse e-mail").fill(world.caf_staff.email)
    page.get_by_label("Mot de passe").fill(PASSWORD)
    page.get_by_role("button", name="Se connecter").click()
    page.wait_for_url(f"{live_server.url}/conventions/")
    assert page.get_by_role("heading", name="Mes conventions").is_visible()
    assert page.get_by_role("link", name=world.convention.name).is_visible()
    assert page.get_by_text(world.other_convention.name).count() == 0

    page.get_by_role("link", name=world.convention.name).click()
    page.wait_for_url(f"{live_server.url}/conventions/{world.convention.pk}/")
    assert page.get_by_role("heading", name=world.convention.name).is_visible()


@pytest.mark.browser
def test_a_wrong_password_keeps_the_visitor_on_the_login_page_with_a_french_error(
    chromium_available, world, live_server, page
):
    page.goto(f"{live_server.url}/connexion/")
    page.get_by_label("Adresse e-mail").fill(world.caf_staff.email)
    page.get_by_label("Mot de passe").fill("mauvais-mot-de-passe")
    page.get_by_role("button", name="Se connecter").click()
    page.wait_for_load_state()
    assert "/connexion/" in page.url
    assert page.get_by_text("Adresse e-mail ou mot de passe incorrect.").is_visible()
