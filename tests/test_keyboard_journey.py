"""Keyboard only (RGAA 7.3, 10.7, 12.8): a committee member logs in, opens the fiche waiting for
their opinion and gives it, with Tab, Shift+Tab, Space and Enter and never a click; every
control they stop on shows a focus ring (yellow on the blue menu bar, dark elsewhere)."""

import pytest

from actions import services
from actions.factories import ActionSheetFactory
from actions.models import Approval
from tests.conftest import PASSWORD

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

# What has the focus, and how its ring is drawn.
FOCUSED = """() => {
  const el = document.activeElement;
  const style = getComputedStyle(el);
  return {
    tag: el.tagName.toLowerCase(),
    type: el.type || "",
    name: el.getAttribute("name") || "",
    text: (el.innerText || el.value || "").trim(),
    label: el.labels && el.labels.length ? el.labels[0].innerText.trim() : "",
    outline: style.outlineStyle === "none" ? 0 : parseFloat(style.outlineWidth),
    outlineColor: style.outlineColor,
    inMenuBar: Boolean(el.closest(".ctg-navbar")),
  };
}"""

YELLOW = "rgb(255, 212, 59)"  # --ctg-focus-on-dark in static/css/ctg.css


def tab_to(page, wanted, *, limit=60, key="Tab"):
    """Press Tab until the focused element matches ``wanted`` (a predicate on FOCUSED); its
    focus ring must be visible. Returns what has the focus."""
    for _ in range(limit):
        page.keyboard.press(key)
        focused = page.evaluate(FOCUSED)
        if wanted(focused):
            assert focused["outline"] >= 2, f"no visible focus ring on {focused}"
            if focused["inMenuBar"]:
                assert focused["outlineColor"] == YELLOW, focused
            return focused
    raise AssertionError(f"{limit} presses of {key} never reached the wanted control")


def test_a_committee_member_gives_an_opinion_with_the_keyboard_only(
    world, live_server, chromium_available, playwright, browser_type_launch_args
):
    sheet = ActionSheetFactory(
        ready=True,
        convention=world.convention,
        number="FA-01",
        title="Relais petite enfance itinérant",
    )
    services.action_sheet_submit(sheet=sheet, by=world.coordinator)

    browser = playwright.chromium.launch(**browser_type_launch_args)
    try:
        context = browser.new_context(locale="fr-FR", viewport={"width": 1366, "height": 900})
        page = context.new_page()
        page.set_default_timeout(30_000)
        page.goto(f"{live_server.url}/connexion/")

        # The form has the focus (autofocus on the address); past it and the « Mot de passe
        # oublié ? » link, the skip link comes round, shown when focused.
        tab_to(page, lambda f: f["tag"] == "a" and f["text"] == "Aller au contenu")
        assert page.get_by_role("link", name="Aller au contenu").is_visible()
        tab_to(page, lambda f: f["name"] == "username")
        page.keyboard.type(world.member_caf.email)
        tab_to(page, lambda f: f["name"] == "password")
        page.keyboard.type(PASSWORD)
        with page.expect_navigation():
            page.keyboard.press("Enter")

        # « À examiner » in the menu bar (yellow ring on the blue), then the fiche.
        tab_to(page, lambda f: f["tag"] == "a" and f["text"].startswith("À examiner"))
        with page.expect_navigation():
            page.keyboard.press("Enter")
        tab_to(page, lambda f: f["tag"] == "a" and "Relais petite enfance itinérant" in f["text"])
        with page.expect_navigation():
            page.keyboard.press("Enter")
        page.get_by_text("Vous siégez au titre du collège caf").wait_for()

        # The opinion: Space checks the focused radio, the comment is typed, Enter sends.
        tab_to(page, lambda f: f["type"] == "radio" and f["label"] == "Favorable")
        page.keyboard.press("Space")
        assert page.get_by_label("Favorable").is_checked()
        tab_to(page, lambda f: f["name"] == "comment")
        page.keyboard.type("D'accord, au clavier.")
        # Back and forth: Shift+Tab returns to the radio group, Tab comes back.
        tab_to(page, lambda f: f["type"] == "radio", key="Shift+Tab")
        tab_to(page, lambda f: f["name"] == "comment")
        tab_to(page, lambda f: f["tag"] == "button" and f["text"] == "Enregistrer mon avis")
        with page.expect_navigation():
            page.keyboard.press("Enter")
        page.get_by_text("Avis « favorable » enregistré.").wait_for()
        context.close()
    finally:
        browser.close()

    approval = Approval.objects.get(sheet=sheet)
    assert (approval.member, approval.decision) == (world.caf_seat, Approval.Decision.FAVORABLE)
    assert approval.comment == "D'accord, au clavier."
    assert approval.version == sheet.version
