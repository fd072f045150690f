"""With a real Chromium: the coordinator types a value, the Synthèse leaves it out; the Caf
validates it from « Mesures à valider », and the Synthèse shows it."""

from __future__ import annotations

import datetime
from pathlib import Path

import pytest

from actions.factories import ActionSheetFactory
from ctg import formatting
from evaluation.factories import IndicatorFactory
from evaluation.models import Measurement
from tests.test_phone_layout import log_in

ARTIFACTS = Path(__file__).parent / "artifacts"


@pytest.mark.browser
def test_a_typed_value_reaches_the_synthese_once_the_caf_validates_it(
    chromium_available, world, live_server, page
):
    sheet = ActionSheetFactory(convention=world.convention, number="FA-01", title="Micro-crèche")
    indicator = IndicatorFactory(
        action_sheet=sheet,
        name="Places en crèche",
        baseline_value=10,
        target_value=20,
        baseline_date=datetime.date(2022, 1, 1),
        target_date=datetime.date(2025, 12, 31),
    )
    convention_url = f"{live_server.url}/conventions/{world.convention.pk}/"
    indicator_url = f"{convention_url}evaluation/indicateurs/{indicator.pk}/"
    fifty = formatting.percent(50.0)
    ARTIFACTS.mkdir(exist_ok=True)
    page.set_viewport_size({"width": 1366, "height": 900})

    # The coordinator types 15 (half-way from 10 to 20).
    log_in(page, live_server.url, world.coordinator)
    page.goto(indicator_url)
    page.get_by_label("Date de la mesure").fill("2023-12-31")
    page.get_by_label("Valeur").fill("15")
    page.get_by_role("button", name="Enregistrer la mesure").click()
    page.get_by_text("La mesure est enregistrée.").wait_for()
    row = page.locator("tr", has_text="31/12/2023")
    assert row.get_by_text("À valider", exact=True).is_visible()

    # The Synthèse leaves it out and says a value waits.
    page.goto(convention_url)
    assert page.get_by_text("1 valeur en attente de validation").is_visible()
    assert fifty not in page.locator("main").inner_text()

    # The Caf finds it in « À faire », then validates the fiche's values.
    page.context.clear_cookies()
    log_in(page, live_server.url, world.caf_staff)
    page.get_by_role("link", name="1 mesure à valider").click()
    page.wait_for_url(f"{convention_url}evaluation/mesures-a-valider/")
    assert page.get_by_role("heading", name="Fiche FA-01 — Micro-crèche").is_visible()
    page.screenshot(path=str(ARTIFACTS / "measurement_validation_list.png"), full_page=True)
    page.once("dialog", lambda dialog: dialog.accept())  # « Valider les 1 valeur… ? »
    page.get_by_role("button", name="Tout valider pour cette fiche (1)").click()
    page.get_by_text("1 mesure validée pour la fiche FA-01.").wait_for()
    assert page.get_by_text("Aucune mesure à valider").is_visible()
    assert Measurement.objects.get(indicator=indicator).validated_by == world.caf_staff

    # The Synthèse now counts it.
    page.goto(convention_url)
    assert fifty in page.locator("main").inner_text()
    assert page.get_by_text("en attente de validation").count() == 0

    # On a phone, the indicator page shows the state without overflowing.
    page.set_viewport_size({"width": 390, "height": 844})
    page.goto(indicator_url)
    assert page.get_by_text("Validée", exact=True).first.is_visible()
    page.screenshot(path=str(ARTIFACTS / "measurement_validation_phone.png"), full_page=True)
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
