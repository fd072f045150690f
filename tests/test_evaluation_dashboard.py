"""The convention dashboard on the Synthèse tab, and the Évaluation tab overview."""

import re

import pytest
from django.urls import reverse

from evaluation import progress
from portal.selectors import convention_dashboard
from tests.evaluation_data import populate


@pytest.fixture
def filled(world):
    populate(world.convention, sheets=6, committee=world.committee, seat=world.caf_seat)
    return world


def synthese(client, world):
    return client.get(reverse("portal:detail", args=[world.convention.pk]))


@pytest.mark.parametrize(
    "role", ["caf_staff", "coordinator", "elected", "member_caf", "member_territory", "superuser"]
)
def test_the_dashboard_shows_to_everyone_who_can_view_the_convention(filled, login, role):
    response = synthese(login(getattr(filled, role)), filled)
    assert response.status_code == 200
    html = response.content.decode()
    assert "Tableau de bord de la convention" in html
    assert "Progression par thématique" in html
    assert "Fiches action par statut" in html
    assert "Financements prévus et dépensés" in html
    assert "Salle du conseil" in html  # next meeting
    assert "Fiche FA 2" in html  # a submitted fiche waiting for opinions
    assert "Derniers rapports" in html


@pytest.mark.parametrize("role", ["outsider", "other_caf_staff", "other_elected"])
def test_the_dashboard_is_404_out_of_scope(filled, login, role):
    assert synthese(login(getattr(filled, role)), filled).status_code == 404


def test_the_dashboard_sends_anonymous_to_login(filled, client):
    response = synthese(client, filled)
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))


def test_an_elected_official_sees_only_their_conventions(world, login):
    populate(world.convention, sheets=2, prefix="AA")
    populate(world.other_convention, sheets=2, prefix="ZZ")
    client = login(world.elected)
    assert synthese(client, world).status_code == 200
    assert client.get(reverse("portal:detail", args=[world.other_convention.pk])).status_code == 404
    overview = client.get(
        reverse("evaluation:overview", args=[world.convention.pk])
    ).content.decode()
    assert "Indicateur AA-001.1" in overview
    assert "Indicateur ZZ-001.1" not in overview


def test_the_dashboard_charts_are_svg_images_with_a_text_alternative(filled, login):
    html = synthese(login(filled.elected), filled).content.decode()
    svgs = re.findall(r"<svg [^>]*>", html)
    assert len(svgs) >= 5
    assert all('role="img"' in s and "aria-labelledby" in s for s in svgs)
    assert "<title" in html and "<desc" in html
    # Each big chart carries a table of its numbers in a <details>.
    assert html.count('<details class="chart-data') >= 4
    assert "Voir les données du graphique" in html
    assert "Progression moyenne" in html and "%" in html


def test_the_dashboard_counts_fiches_by_status_and_late_indicators(filled):
    dashboard = convention_dashboard(convention=filled.convention)
    counts = {row["status"]: row["count"] for row in dashboard.sheets_by_status}
    assert counts["brouillon"] == 2 and counts["soumise"] == 1 and counts["validee"] == 1
    assert dashboard.sheet_count == 6
    assert dashboard.validated_count == 3  # validée, en cours, réalisée
    assert dashboard.summary["indicator_count"] == 7
    assert all(i.status == progress.LATE for i in dashboard.late_indicators)
    assert dashboard.pending_sheets[0].caf_favorable == 1
    assert dashboard.pending_sheets[0].territory_favorable == 0
    funders = {row["funder"]: row for row in dashboard.funding}
    assert funders["Caf"]["planned"] == 20000


def test_an_empty_convention_has_a_readable_dashboard(world, login):
    html = synthese(login(world.elected), world).content.decode()
    assert "Aucun indicateur n'est encore défini." in html
    assert "Aucune réunion n'est programmée." in html
    assert "Aucun rapport n'a encore été produit." in html


@pytest.mark.parametrize("size", [5, 200])
def test_the_synthese_runs_a_fixed_number_of_queries(
    world, login, size, django_assert_max_num_queries
):
    populate(
        world.convention,
        sheets=size,
        indicators_per_sheet=2,
        committee=world.committee,
        seat=world.caf_seat,
    )
    client = login(world.elected)
    with django_assert_max_num_queries(40):
        response = synthese(client, world)
    assert response.status_code == 200


def test_the_dashboard_selector_query_count_does_not_grow(world, django_assert_num_queries):
    populate(world.convention, sheets=5, committee=world.committee, seat=world.caf_seat)
    populate(world.other_convention, sheets=150, indicators_per_sheet=2)

    def render(convention):
        # Every part (each is read when first used).
        d = convention_dashboard(convention=convention)
        parts = [d.thematic_figure, d.funding_figure, d.sheets_figure, d.status_figure]
        parts += [d.late_indicators, d.next_meeting, d.pending_sheets, d.latest_reports]
        return [str(part) for part in parts]

    # Fiches by status, progress per thematic (the total is folded from it), late
    # indicators, funding, next meeting, pending fiches, latest reports.
    with django_assert_num_queries(7):
        render(world.convention)
    with django_assert_num_queries(7):
        render(world.other_convention)


@pytest.mark.parametrize("size", [5, 200])
def test_the_evaluation_overview_runs_a_fixed_number_of_queries(
    world, login, size, django_assert_max_num_queries
):
    populate(world.convention, sheets=size, indicators_per_sheet=2)
    client = login(world.caf_staff)
    with django_assert_max_num_queries(20):
        response = client.get(reverse("evaluation:overview", args=[world.convention.pk]))
    assert response.status_code == 200
    assert response.content.decode().count('href="/conventions/') > size


def test_the_overview_lists_indicators_with_progress_and_the_changes_sought(filled, login):
    html = (
        login(filled.coordinator)
        .get(reverse("evaluation:overview", args=[filled.convention.pk]))
        .content.decode()
    )
    assert "Avancement des indicateurs" in html
    assert "Indicateur FA-001.1" in html
    assert "En retard" in html or "Dans les temps" in html
    assert "Les familles connaissent l&#x27;offre d&#x27;accueil (FA)" in html
    assert "Partiellement observé" in html
    assert "Télécharger le classeur de mesures" in html


def test_the_overview_hides_the_workbook_from_elected_officials(filled, login):
    html = (
        login(filled.elected)
        .get(reverse("evaluation:overview", args=[filled.convention.pk]))
        .content.decode()
    )
    assert "Télécharger le classeur de mesures" not in html
