"""Browser smoke test: a real Chromium logs in through the login form of a live server
and sees the convention list."""

import pytest

from tests.conftest import PASSWORD

# Two choices keep these tests from emptying the database under the ordinary tests:
# - the explicit transactional marker lets pytest-django run them after the ordinary
#   database tests (it does not count `live_server` as transactional by itself), so the
#   flush that ends a transactional test, which also removes the thematics loaded by the
#   data migration, happens after them;
# - a page of our own (`chromium_page`) instead of pytest-playwright's `page`, whose
#   session-wide `browser_name` parameter makes pytest move every test using it to the
#   very start of the run.
pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def chromium_page(chromium_available, playwright, browser_type_launch_args):
    browser = playwright.chromium.launch(**browser_type_launch_args)
    context = browser.new_context(locale="fr-FR")
    page = context.new_page()
    page.set_default_timeout(30_000)
    yield page
    context.close()
    browser.close()


def test_a_user_logs_in_through_the_real_form_and_sees_the_convention_list(
    world, live_server, chromium_page
):
    page = chromium_page
    page.goto(f"{live_server.url}/")
    # Anonymous visitors are sent to the login page.
    assert "/connexion/" in page.url
    page.get_by_label("Adresse e-mail").fill(world.caf_staff.email)
    page.get_by_label("Mot de passe").fill(PASSWORD)
    page.get_by_role("button", name="Se connecter").click()
    page.wait_for_url(f"{live_server.url}/")
    assert page.get_by_role("heading", name="À faire", level=1).is_visible()
    page.get_by_role("navigation", name="Menu principal").get_by_role(
        "link", name="Mes conventions"
    ).click()
    page.wait_for_url(f"{live_server.url}/conventions/")
    assert page.get_by_role("heading", name="Mes conventions").is_visible()
    assert page.get_by_role("link", name=world.convention.name).is_visible()
    assert page.get_by_text(world.other_convention.name).count() == 0

    page.get_by_role("link", name=world.convention.name).click()
    page.wait_for_url(f"{live_server.url}/conventions/{world.convention.pk}/")
    assert page.get_by_role("heading", name=world.convention.name).is_visible()


def test_a_wrong_password_keeps_the_visitor_on_the_login_page_with_a_french_error(
    world, live_server, chromium_page
):
    page = chromium_page
    page.goto(f"{live_server.url}/connexion/")
    page.get_by_label("Adresse e-mail").fill(world.caf_staff.email)
    page.get_by_label("Mot de passe").fill("mauvais-mot-de-passe")
    page.get_by_role("button", name="Se connecter").click()
    page.wait_for_load_state()
    assert "/connexion/" in page.url
    assert page.get_by_text("Adresse e-mail ou mot de passe incorrect.").is_visible()
