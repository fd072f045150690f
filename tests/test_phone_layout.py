"""At 390 px (an élu's phone) the convention's sections stay one row and the phase stepper
is one line, so that the synthèse starts on the first screen; the Synthèse, a report and a fiche
never scroll sideways, and their charts write every label at least 12 px high."""

import pytest
from django.urls import reverse

from actions.factories import ActionSheetFactory, FundingLineFactory
from tests.conftest import PASSWORD
from tests.test_url_matrix import build_objects

pytestmark = pytest.mark.browser


def test_on_a_phone_the_tabs_are_one_row_and_the_stepper_one_line(
    world, live_server, page, chromium_available
):
    page.set_default_timeout(30_000)
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
    page.set_default_timeout(30_000)
    page.set_viewport_size({"width": 1366, "height": 900})
    page.goto(f"{live_server.url}/connexion/")
    page.fill("input[name=username]", world.elected.email)
    page.fill("input[name=password]", PASSWORD)
    page.click("button[type=submit]")
    page.goto(f"{live_server.url}/conventions/{world.convention.pk}/")
    assert page.locator("ol.phase-stepper").is_visible()
    assert page.locator("ol.phase-stepper li").count() == 6
    assert not page.locator("p.phase-compact").is_visible()


# Every text of the charts shown, with the size it is drawn at: its font size times the scale
# of its SVG (displayed width ÷ viewBox width).
CHART_TEXT_SIZES = """() => [...document.querySelectorAll("figure.ctg-chart svg")]
  .filter(svg => svg.getBoundingClientRect().width > 0)
  .flatMap(svg => {
    const scale = svg.getBoundingClientRect().width / svg.viewBox.baseVal.width;
    return [...svg.querySelectorAll("text")].map(text => ({
      chart: svg.getAttribute("aria-label"),
      text: text.textContent,
      px: parseFloat(getComputedStyle(text).fontSize) * scale,
    }));
  })"""


def log_in(page, base_url, user):
    page.goto(f"{base_url}/connexion/")
    page.fill("input[name=username]", user.email)
    page.fill("input[name=password]", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_load_state()


@pytest.fixture
def elus_pages(world):
    """The élu's Synthèse (with funding, progress and status charts), a progress report and
    a fiche."""
    sheet = ActionSheetFactory(
        convention=world.convention, number="FA-09", title="Navette du mercredi entre communes"
    )
    FundingLineFactory(
        sheet=sheet, funder="Communauté de communes des Deux Rives", planned_amount=81000
    )
    FundingLineFactory(sheet=sheet, funder="Caf", planned_amount=36000, spent_amount=35250)
    objects = build_objects(world.convention, world.committee, world.epci)
    pk = world.convention.pk
    return {
        "synthèse": reverse("portal:detail", args=[pk]),
        "rapport": reverse("reports:report_detail", args=[pk, objects["report_pk"]]),
        "fiche": reverse("actions:sheet", args=[pk, sheet.pk]),
    }


def test_on_a_phone_the_elus_pages_fit_the_screen_and_chart_labels_stay_readable(
    world, live_server, page, chromium_available, elus_pages
):
    page.set_default_timeout(30_000)
    page.set_viewport_size({"width": 390, "height": 844})
    log_in(page, live_server.url, world.elected)
    problems = []
    for name, url in elus_pages.items():
        page.goto(live_server.url + url)
        width = page.evaluate("document.documentElement.scrollWidth")
        if width > 390:
            problems.append(f"{name}: the page is {width} px wide")
        sizes = page.evaluate(CHART_TEXT_SIZES)
        if name != "fiche" and not sizes:
            problems.append(f"{name}: no chart text measured")
        problems += [
            f"{name}: « {s['text']} » ({s['chart']}) drawn {s['px']:.1f} px high"
            for s in sizes
            if s["px"] < 12
        ]
    assert not problems, "\n".join(problems)


def test_on_a_desktop_the_charts_are_the_wide_drawings(
    world, live_server, page, chromium_available, elus_pages
):
    page.set_default_timeout(30_000)
    page.set_viewport_size({"width": 1366, "height": 900})
    log_in(page, live_server.url, world.elected)
    page.goto(live_server.url + elus_pages["synthèse"])
    assert page.locator("svg.ctg-chart-wide").first.is_visible()
    assert page.locator("svg.ctg-chart-wide").count() >= 4
    assert not page.locator("svg.ctg-chart-phone").first.is_visible()
    # Each chart is one image for assistive technologies: the hidden drawing is not there.
    assert page.get_by_role("img", name="Fiches action par statut").count() == 1
