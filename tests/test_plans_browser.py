"""In a real Chromium: a Caf agent downloads the plan template, fills it, uploads it, reads
the preview, confirms, and finds the fiches on the plan page."""

import pytest
from openpyxl import load_workbook

from actions import exports
from actions.models import ActionSheet
from conventions.models import Convention
from tests.test_accessibility import audit, new_context
from tests.test_actions_browser import log_in

pytestmark = pytest.mark.browser


def test_a_caf_agent_imports_a_plan_from_the_template(
    world, live_server, browser, chromium_available, tmp_path
):
    base = live_server.url
    convention = world.convention
    Convention.objects.filter(pk=convention.pk).update(phase=Convention.Phase.ACTION_PLAN)

    context = new_context(browser)  # with axe-core, to audit the pages of the import
    page = context.new_page()
    page.set_default_timeout(30_000)
    log_in(page, base, world.caf_staff)
    page.goto(f"{base}/conventions/{convention.pk}/plan/")
    page.get_by_role("link", name="Importer un plan (XLSX)").click()
    page.get_by_role("heading", name="Importer un plan d'actions depuis un classeur").wait_for()
    failures = audit(page, "plans:import")

    with page.expect_download() as download_info:
        page.get_by_role("link", name="Téléchargez le modèle (XLSX)").click()
    template = tmp_path / "modele.xlsx"
    download_info.value.save_as(template)

    wb = load_workbook(template)
    wb[exports.OBJECTIVES_SHEET].append(
        ["Développer l'accueil du jeune enfant", "Objectif général", "Petite enfance"]
    )
    fiches = wb[exports.FICHES_SHEET]
    for number, title in (("FA-01", "Relais petite enfance itinérant"), ("FA-02", "Ludothèque")):
        row = [None] * len(exports.COLUMNS)
        row[0], row[1], row[2], row[5] = number, title, "Brouillon", "Petite enfance"
        row[7] = "Développer l'accueil du jeune enfant"
        fiches.append(row)
    wb[exports.FUNDING_SHEET].append(["FA-01", None, "Caf", 2026, "Fonctionnement", 12000, 0])
    filled = tmp_path / "plan-rempli.xlsx"
    wb.save(filled)
    wb[exports.FUNDING_SHEET].append(
        ["FA-01", None, "Département", 2026, "Fonctionnement", "beaucoup", 0]
    )
    wrong = tmp_path / "plan-errone.xlsx"
    wb.save(wrong)

    # A bad cell first: listed with its sheet, row and column; nothing is written.
    page.set_input_files("input[type=file]", str(wrong))
    page.get_by_role("button", name="Vérifier le classeur").click()
    page.get_by_text("1 erreur à corriger dans le classeur : rien n'a été enregistré.").wait_for()
    assert page.get_by_role(
        "cell", name="« beaucoup » n'est pas un nombre (exemple : 12,5)."
    ).is_visible()
    assert page.get_by_role("button", name="Confirmer l'import").count() == 0
    failures += audit(page, "plans:import (aperçu avec erreurs)")
    page.get_by_role("link", name="Déposer un autre fichier").click()

    page.set_input_files("input[type=file]", str(filled))
    page.get_by_role("button", name="Vérifier le classeur").click()
    page.get_by_role("heading", name="Aperçu de l'import de « plan-rempli.xlsx »").wait_for()
    assert page.get_by_text(
        "1 objectif nouveau, 2 fiches nouvelles, 1 ligne de financement nouvelle"
    ).is_visible()
    page.screenshot(path=str(tmp_path / "apercu.png"), full_page=True)
    failures += audit(page, "plans:import (aperçu)")
    assert not ActionSheet.objects.filter(convention=convention).exists()

    page.get_by_role("button", name="Confirmer l'import").click()
    page.wait_for_url(f"{base}/conventions/{convention.pk}/plan/")
    page.get_by_text("Import de « plan-rempli.xlsx » terminé").wait_for()
    assert page.get_by_role("link", name="Relais petite enfance itinérant").is_visible()
    assert page.get_by_role("link", name="Ludothèque").is_visible()
    failures += audit(page, "actions:plan after the import")
    assert not failures, failures
    assert set(
        ActionSheet.objects.filter(convention=convention).values_list("number", "status")
    ) == {("FA-01", "brouillon"), ("FA-02", "brouillon")}
    context.close()
