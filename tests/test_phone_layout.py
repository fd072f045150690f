"""At 390 px (an élu's phone) the convention's sections stay one row and the phase stepper
is one line, so that the synthèse starts on the first screen."""

import pytest

from tests.conftest import PASSWORD

pytestmark = pytest.mark.browser


def test_on_a_phone_the_tabs_are_one_row_and_the_stepper_one_line(
    world, live_server, page, chromium_available
):
    page.set_default_timeout(15000)
    page.set_viewport_size({"width": 390, "height": 844})
    page.goto(f"{live_server.url}/connexion/")
    page.fill("input[name=username]", world.elected.email)
    page.fill("input[name=password]", PASSWORD)
    page.click("button[type=submit]")
    page.goto(f"{live_server.url}/conventions/{world.convention.pk}/")

    tabs = page.locator("ul.ctg-tabs")
    tab_height = tabs.evaluate("el => el.getBoundingClientRect().height")
    link_height = page.locator("ul.ctg-tabs .nav-link").first.evaluate(
        "el => el.getBoundingClientRect().height"
    )
    assert tab_height < link_height * 1.5  # one row (it wrapped on three)
    assert tabs.evaluate("el => el.scrollWidth > el.clientWidth")  # scrolled sideways
    assert not page.locator("ol.phase-stepper").is_visible()
    compact = page.locator("p.phase-compact")
    assert compact.is_visible()
    assert compact.inner_text().startswith("Phase ")
    # The page itself does not scroll sideways because of them.
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= 390


def test_on_a_desktop_the_stepper_shows_every_phase(world, live_server, page, chromium_available):
    page.set_default_timeout(15000)
    page.set_viewport_size({"width": 1366, "height": 900})
    page.goto(f"{live_server.url}/connexion/")
    page.fill("input[name=username]", world.elected.email)
    page.fill("input[name=password]", PASSWORD)
    page.click("button[type=submit]")
    page.goto(f"{live_server.url}/conventions/{world.convention.pk}/")
    assert page.locator("ol.phase-stepper").is_visible()
    assert page.locator("ol.phase-stepper li").count() == 6
    assert not page.locator("p.phase-compact").is_visible()
