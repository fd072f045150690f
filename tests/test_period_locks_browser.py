"""In a real Chromium: a value a report locked is refused to the coordinator, the Caf unlocks
it with a reason, then the coordinator corrects it."""

import datetime
from decimal import Decimal
from pathlib import Path

import pytest

from actions.factories import ActionSheetFactory
from actions.models import ActionSheet
from evaluation.factories import IndicatorFactory, MeasurementFactory
from evaluation.models import MeasurementUnlock
from reports import services as reporting
from tests.conftest import PASSWORD

ARTIFACTS = Path(__file__).parent / "artifacts"
D = datetime.date


def log_in(page, live_server, user):
    page.context.clear_cookies()
    page.goto(f"{live_server.url}/connexion/")
    page.get_by_label("Adresse e-mail").fill(user.email)
    page.get_by_label("Mot de passe").fill(PASSWORD)
    page.get_by_role("button", name="Se connecter").click()
    page.wait_for_url(f"{live_server.url}/")


@pytest.mark.browser
def test_a_locked_value_is_refused_then_unlocked_by_the_caf_then_corrected(
    chromium_available, world, live_server, page
):
    sheet = ActionSheetFactory(
        convention=world.convention,
        number="FA-01",
        title="Ouvrir une micro-crèche",
        status=ActionSheet.Status.IN_PROGRESS,
    )
    indicator = IndicatorFactory(
        action_sheet=sheet,
        name="Places ouvertes",
        baseline_value=0,
        target_value=10,
        baseline_date=D(2022, 1, 1),
        target_date=D(2025, 12, 31),
    )
    measurement = MeasurementFactory(indicator=indicator, date=D(2023, 3, 31), value=4)
    report, _ = reporting.report_request(
        convention=world.convention, period_start=D(2023, 1, 1), period_end=D(2023, 6, 30)
    )
    reporting.report_build(report_id=report.pk)
    base = f"{live_server.url}/conventions/{world.convention.pk}/evaluation"
    indicator_url = f"{base}/indicateurs/{indicator.pk}/"
    page.set_viewport_size({"width": 1366, "height": 900})

    # The coordinator opens the value's edit page: refused, naming the report.
    log_in(page, live_server, world.coordinator)
    page.goto(indicator_url)
    assert page.get_by_text("Verrouillée", exact=True).first.is_visible()
    assert page.get_by_role("link", name="Modifier la mesure du 31/03/2023").count() == 0
    page.goto(f"{base}/mesures/{measurement.pk}/modifier/")
    alert = page.get_by_role("alert")
    assert "Cette valeur fait partie du rapport « Rapport d'avancement du 1er janvier 2023" in (
        alert.inner_text()
    )
    assert "demandez à la Caf de la déverrouiller" in alert.inner_text()
    assert page.get_by_label("Valeur").count() == 0
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "period_lock_refused.png"), full_page=True)

    # The Caf unlocks it from the indicator page; the reason is required.
    log_in(page, live_server, world.caf_staff)
    page.goto(indicator_url)
    page.get_by_role("link", name="Déverrouiller la mesure du 31/03/2023").click()
    page.get_by_role("button", name="Déverrouiller").click()
    assert page.get_by_text("Indiquez le motif du déverrouillage.").is_visible()
    page.get_by_label("Motif du déverrouillage").fill("Chiffre du gestionnaire corrigé")
    page.get_by_role("button", name="Déverrouiller").click()
    page.wait_for_url(indicator_url)
    assert page.get_by_text("La valeur est déverrouillée").is_visible()
    assert page.get_by_text("Déverrouillée", exact=True).first.is_visible()
    assert MeasurementUnlock.objects.get().reason == "Chiffre du gestionnaire corrigé"

    # The coordinator corrects it.
    log_in(page, live_server, world.coordinator)
    page.goto(indicator_url)
    page.get_by_role("link", name="Modifier la mesure du 31/03/2023").click()
    page.get_by_label("Valeur").fill("5,5")
    page.get_by_role("button", name="Enregistrer").click()
    page.wait_for_url(indicator_url)
    assert page.get_by_text("La mesure est modifiée.").is_visible()
    measurement.refresh_from_db()
    assert measurement.value == Decimal("5.5")
    page.screenshot(path=str(ARTIFACTS / "period_lock_corrected.png"), full_page=True)
