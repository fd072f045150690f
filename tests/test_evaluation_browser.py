"""An elected official logs in with a real Chromium and reads the convention dashboard."""

import datetime
import re
from decimal import Decimal
from pathlib import Path

import pytest
from django.utils import timezone

from actions.models import ActionSheet, Approval, FundingLine
from conventions.factories import MeetingFactory
from conventions.models import Thematic
from evaluation.models import Indicator, Measurement
from reports.models import ProgressReport
from tests.conftest import PASSWORD

ARTIFACTS = Path(__file__).parent / "artifacts"

FICHES = [
    ("petite-enfance", "Créer une micro-crèche à Laguépie", ActionSheet.Status.IN_PROGRESS),
    ("petite-enfance", "Relais petite enfance itinérant", ActionSheet.Status.VALIDATED),
    ("parentalite", "Lieu d'accueil enfants-parents", ActionSheet.Status.IN_PROGRESS),
    ("jeunesse", "Conseil intercommunal des jeunes", ActionSheet.Status.SUBMITTED),
    ("enfance", "Accueil de loisirs les mercredis", ActionSheet.Status.DONE),
    ("acces-aux-droits", "France services : permanences Caf", ActionSheet.Status.IN_PROGRESS),
    ("inclusion-numerique", "Ateliers numériques seniors", ActionSheet.Status.DRAFT),
    ("animation-vie-sociale", "Espace de vie sociale", ActionSheet.Status.TO_REVIEW),
]


def dashboard_data(world):
    today = timezone.localdate()
    convention = world.convention
    convention.start_date = today.replace(year=today.year - 2, month=1, day=1)
    convention.end_date = today.replace(year=today.year + 1, month=12, day=31)
    convention.save()
    start, end = convention.start_date, convention.end_date
    thematics = {t.code: t for t in Thematic.objects.all()}
    for n, (code, title, status) in enumerate(FICHES, start=1):
        sheet = ActionSheet.objects.create(
            convention=convention,
            number=f"FA-{n:02d}",
            title=title,
            thematic=thematics[code],
            status=status,
        )
        partner = "Commune" if n % 4 else "Département"
        for funder, planned, spent in [("Caf", 24000, 9000 * (n % 3)), (partner, 8000, 3000)]:
            FundingLine.objects.create(
                sheet=sheet,
                funder=funder,
                year=start.year + 1,
                planned_amount=planned,
                spent_amount=spent,
            )
        # Some on track, some late, one ahead.
        pace = [0.45, 0.2, 0.7, 0.3, 0.55, 0.1, 0.0, 0.5][n - 1]
        indicator = Indicator.objects.create(
            action_sheet=sheet,
            name=f"{title} : fréquentation",
            unit="personnes",
            baseline_value=40,
            baseline_date=start,
            target_value=100,
            target_date=end,
        )
        if pace:
            for year in range(start.year, today.year):
                share = (year - start.year + 1) / (today.year - start.year)
                Measurement.objects.create(
                    indicator=indicator,
                    date=datetime.date(year, 12, 31),
                    value=Decimal(40 + 60 * pace * share).quantize(Decimal("0.1")),
                )
        if status == ActionSheet.Status.SUBMITTED:
            Approval.objects.create(
                sheet=sheet, member=world.caf_seat, version=sheet.version, decision="favorable"
            )
    MeetingFactory(
        committee=world.committee,
        date=timezone.now() + datetime.timedelta(days=24),
        location="Mairie de Laguépie",
    )
    ProgressReport.objects.create(
        convention=convention,
        period_start=datetime.date(today.year - 1, 1, 1),
        period_end=datetime.date(today.year - 1, 12, 31),
        status=ProgressReport.Status.READY,
    )


@pytest.mark.browser
def test_an_elected_official_reads_the_dashboard(chromium_available, world, live_server, page):
    dashboard_data(world)
    page.set_viewport_size({"width": 1366, "height": 900})
    page.goto(f"{live_server.url}/connexion/")
    page.get_by_label("Adresse e-mail").fill(world.elected.email)
    page.get_by_label("Mot de passe").fill(PASSWORD)
    page.get_by_role("button", name="Se connecter").click()
    # An elected official lands on « À faire », its first line the convention's Synthèse.
    page.wait_for_url(f"{live_server.url}/")
    page.get_by_role("link", name="Synthèse de la convention").click()
    page.wait_for_url(f"{live_server.url}/conventions/{world.convention.pk}/")
    assert page.get_by_role("heading", name="Progression par thématique").is_visible()
    assert page.get_by_role("heading", name="Fiches action par statut").is_visible()
    # The charts are images with an accessible name.
    assert page.get_by_role("img", name="Fiches action par statut").is_visible()
    assert page.get_by_role("img", name="Progression moyenne par thématique").is_visible()
    charts = page.locator('svg[role="img"]')
    assert charts.count() >= 5
    assert charts.first.is_visible()
    # The text alternative opens on demand.
    details = page.locator("details.chart-data").first
    details.locator("summary").click()
    assert details.locator("table").is_visible()
    details.locator("summary").click()
    assert page.get_by_text("Mairie de Laguépie").is_visible()
    ARTIFACTS.mkdir(exist_ok=True)
    path = ARTIFACTS / "evaluation_dashboard.png"
    page.screenshot(path=str(path), full_page=True)
    assert path.stat().st_size > 10_000

    # From the dashboard to the Évaluation tab, then to a late indicator's chart.
    page.get_by_role("link", name="Évaluation", exact=True).click()
    page.wait_for_url(f"{live_server.url}/conventions/{world.convention.pk}/evaluation/")
    assert page.get_by_role("heading", name="Avancement des indicateurs").is_visible()
    page.screenshot(path=str(ARTIFACTS / "evaluation_overview.png"), full_page=True)
    page.get_by_role("link", name="Relais petite enfance itinérant : fréquentation").click()
    assert page.get_by_role("img", name=re.compile("Évolution de l'indicateur")).is_visible()
    assert page.get_by_text("En retard", exact=True).first.is_visible()
    page.screenshot(path=str(ARTIFACTS / "evaluation_indicator.png"), full_page=True)
