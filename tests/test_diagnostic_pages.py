"""The diagnostic pages: who reads, who writes, what they show, in how many queries."""

from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from conventions.factories import CollectivityFactory
from conventions.models import Collectivity
from diagnostics.factories import (
    DiagnosticFactory,
    FindingFactory,
    TerritoryStatisticFactory,
    thematic,
)
from diagnostics.models import Diagnostic, Finding, StatisticDefinition, TerritoryStatistic
from diagnostics.services import reference_data_ensure

READERS = ["caf_staff", "coordinator", "elected", "member_caf", "member_territory", "superuser"]
REFUSED_WRITERS = ["coordinator", "elected", "member_caf", "member_territory"]
OUT_OF_SCOPE = ["other_caf_staff", "other_elected", "outsider"]


@pytest.fixture(autouse=True)
def _reference_data(db):
    """Thematics and statistic definitions, even after a test that flushed the database."""
    reference_data_ensure()


def definition(code: str) -> StatisticDefinition:
    return StatisticDefinition.objects.get(code=code)


@pytest.fixture
def diag(world):
    """The world's convention covers two thematics and has one finding and some figures."""
    convention = world.convention
    convention.thematics.add(thematic("petite-enfance"), thematic("jeunesse"))
    diagnostic = DiagnosticFactory(convention=convention, summary="Un territoire rural.")
    finding = FindingFactory(
        diagnostic=diagnostic,
        thematic=thematic("petite-enfance"),
        kind=Finding.Kind.NEED,
        text="Manque de places en crèche à Laguépie",
    )
    stat = TerritoryStatisticFactory(
        collectivity=world.commune,
        statistic=definition("allocataires"),
        year=2020,
        value=Decimal("1000"),
        source="Caf 2020",
    )
    world.diagnostic = diagnostic
    world.finding = finding
    world.stat = stat
    return world


def edit_urls(w):
    pk = w.convention.pk
    return [
        reverse("diagnostics:edit", args=[pk]),
        reverse("diagnostics:finding_create", args=[pk]),
        reverse("diagnostics:finding_edit", args=[pk, w.finding.pk]),
        reverse("diagnostics:finding_delete", args=[pk, w.finding.pk]),
        reverse("diagnostics:statistics", args=[pk]),
        reverse("diagnostics:statistic_delete", args=[pk, w.stat.pk]),
        reverse("diagnostics:statistics_import", args=[pk]),
        reverse("diagnostics:statistics_template", args=[pk]),
    ]


EDIT_PAGES = range(8)


# --- access ------------------------------------------------------------------------


@pytest.mark.parametrize("role", READERS)
def test_everybody_in_scope_reads_the_diagnostic_page(diag, login, role):
    response = login(getattr(diag, role)).get(
        reverse("diagnostics:detail", args=[diag.convention.pk])
    )
    assert response.status_code == 200
    body = response.content.decode()
    assert "Manque de places en crèche à Laguépie" in body
    assert "Un territoire rural." in body


@pytest.mark.parametrize("role", OUT_OF_SCOPE)
def test_the_diagnostic_page_is_404_out_of_scope(diag, login, role):
    response = login(getattr(diag, role)).get(
        reverse("diagnostics:detail", args=[diag.convention.pk])
    )
    assert response.status_code == 404


@pytest.mark.parametrize("index", EDIT_PAGES)
@pytest.mark.parametrize("role", ["caf_staff", "superuser"])
def test_caf_staff_open_every_edit_page(diag, login, role, index):
    response = login(getattr(diag, role)).get(edit_urls(diag)[index])
    assert response.status_code == 200


@pytest.mark.parametrize("index", EDIT_PAGES)
@pytest.mark.parametrize("role", REFUSED_WRITERS)
def test_it_refuses_edit_pages_to_readers_with_403(diag, login, role, index):
    client = login(getattr(diag, role))
    url = edit_urls(diag)[index]
    assert client.get(url).status_code == 403
    assert client.post(url, {}).status_code == 403


@pytest.mark.parametrize("index", EDIT_PAGES)
@pytest.mark.parametrize("role", OUT_OF_SCOPE)
def test_edit_pages_are_404_out_of_scope(diag, login, role, index):
    client = login(getattr(diag, role))
    url = edit_urls(diag)[index]
    assert client.get(url).status_code == 404
    assert client.post(url, {}).status_code == 404


@pytest.mark.parametrize("index", EDIT_PAGES)
def test_edit_pages_send_anonymous_to_login(diag, client, index):
    response = client.get(edit_urls(diag)[index])
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))


def test_anonymous_is_sent_to_login_from_the_diagnostic_page(diag, client):
    response = client.get(reverse("diagnostics:detail", args=[diag.convention.pk]))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))


def test_readers_see_no_edit_buttons_and_caf_staff_do(diag, login):
    url = reverse("diagnostics:detail", args=[diag.convention.pk])
    reader = login(diag.elected).get(url).content.decode()
    assert "Ajouter un constat" not in reader
    assert "Modifier le diagnostic" not in reader
    staff = login(diag.caf_staff).get(url).content.decode()
    assert "Ajouter un constat" in staff
    assert reverse("diagnostics:finding_delete", args=[diag.convention.pk, diag.finding.pk]) in (
        staff
    )


def test_a_finding_of_another_convention_is_404(diag, login):
    foreign = FindingFactory(diagnostic=DiagnosticFactory(convention=diag.other_convention))
    client = login(diag.caf_staff)
    pk = diag.convention.pk
    assert client.get(reverse("diagnostics:finding_edit", args=[pk, foreign.pk])).status_code == 404
    assert client.post(
        reverse("diagnostics:finding_delete", args=[pk, foreign.pk])
    ).status_code == (404)
    assert Finding.objects.filter(pk=foreign.pk).exists()


def test_a_statistic_of_a_collectivity_outside_the_convention_is_404(diag, login):
    foreign = TerritoryStatisticFactory(collectivity=diag.other_commune)
    response = login(diag.caf_staff).post(
        reverse("diagnostics:statistic_delete", args=[diag.convention.pk, foreign.pk])
    )
    assert response.status_code == 404
    assert TerritoryStatistic.objects.filter(pk=foreign.pk).exists()


# --- header form -------------------------------------------------------------------


def test_caf_staff_create_the_diagnostic_on_first_save(world, login):
    url = reverse("diagnostics:edit", args=[world.convention.pk])
    client = login(world.caf_staff)
    assert "Renseigner le diagnostic partagé" in client.get(url).content.decode()
    response = client.post(
        url,
        {
            "version": "0",
            "method": "Ateliers et questionnaires",
            "start_date": "2021-01-15",
            "end_date": "2021-06-30",
            "summary": "Des familles jeunes, peu de places d'accueil.",
            "participants_count": "230",
            "participation": "Habitants, élus, partenaires",
            "sources": "Données Caf, Insee",
        },
    )
    assert response.status_code == 302
    diagnostic = Diagnostic.objects.get(convention=world.convention)
    assert diagnostic.participants_count == 230
    assert diagnostic.version == 1
    page = client.get(reverse("diagnostics:detail", args=[world.convention.pk])).content.decode()
    assert "15 janvier 2021" in page
    assert "30 juin 2021" in page
    assert "Des familles jeunes, peu de places d&#x27;accueil." in page
    assert "Habitants, élus, partenaires" in page


def test_caf_staff_update_the_diagnostic_and_its_version_moves_on(diag, login):
    url = reverse("diagnostics:edit", args=[diag.convention.pk])
    response = login(diag.caf_staff).post(
        url, {"version": str(diag.diagnostic.version), "summary": "Nouvelle synthèse"}
    )
    assert response.status_code == 302
    diag.diagnostic.refresh_from_db()
    assert diag.diagnostic.summary == "Nouvelle synthèse"
    assert diag.diagnostic.version == 2


# --- findings ----------------------------------------------------------------------


def test_caf_staff_add_a_finding_to_a_thematic(diag, login):
    jeunesse = thematic("jeunesse")
    client = login(diag.caf_staff)
    url = reverse("diagnostics:finding_create", args=[diag.convention.pk])
    form_page = client.get(f"{url}?thematique={jeunesse.pk}").content.decode()
    assert f'<option value="{jeunesse.pk}" selected>' in form_page
    response = client.post(
        url,
        {
            "thematic": jeunesse.pk,
            "kind": Finding.Kind.STRENGTH,
            "text": "Un point information jeunesse actif",
            "priority": "1",
            "source": Finding.Source.WORKSHOP,
        },
    )
    assert response.status_code == 302
    assert response["Location"].endswith(f"#theme-{jeunesse.pk}")
    finding = Finding.objects.get(text="Un point information jeunesse actif")
    assert finding.diagnostic == diag.diagnostic
    assert finding.priority == Finding.Priority.HIGH
    page = client.get(reverse("diagnostics:detail", args=[diag.convention.pk])).content.decode()
    assert "Un point information jeunesse actif" in page
    assert "Atelier" in page


def test_the_first_finding_creates_the_diagnostic(world, login):
    world.convention.thematics.add(thematic("enfance"))
    response = login(world.caf_staff).post(
        reverse("diagnostics:finding_create", args=[world.convention.pk]),
        {
            "thematic": thematic("enfance").pk,
            "kind": Finding.Kind.NEED,
            "text": "Peu d'accueil périscolaire",
            "priority": "2",
        },
    )
    assert response.status_code == 302
    assert Diagnostic.objects.get(convention=world.convention).findings.count() == 1


def test_caf_staff_edit_a_finding(diag, login):
    response = login(diag.caf_staff).post(
        reverse("diagnostics:finding_edit", args=[diag.convention.pk, diag.finding.pk]),
        {
            "thematic": diag.finding.thematic_id,
            "kind": Finding.Kind.WEAKNESS,
            "text": "Aucune crèche sur trois communes",
            "priority": "3",
            "source": "",
        },
    )
    assert response.status_code == 302
    diag.finding.refresh_from_db()
    assert diag.finding.text == "Aucune crèche sur trois communes"
    assert diag.finding.kind == Finding.Kind.WEAKNESS
    assert diag.finding.priority == Finding.Priority.LOW


def test_deleting_a_finding_asks_for_confirmation_first(diag, login):
    client = login(diag.caf_staff)
    url = reverse("diagnostics:finding_delete", args=[diag.convention.pk, diag.finding.pk])
    page = client.get(url).content.decode()
    assert "Supprimer ce constat ?" in page
    assert "Manque de places en crèche à Laguépie" in page
    assert Finding.objects.filter(pk=diag.finding.pk).exists()
    response = client.post(url)
    assert response.status_code == 302
    assert not Finding.objects.filter(pk=diag.finding.pk).exists()


# --- statistics entry --------------------------------------------------------------


def test_caf_staff_enter_a_statistic_with_a_french_decimal(diag, login):
    client = login(diag.caf_staff)
    url = reverse("diagnostics:statistics", args=[diag.convention.pk])
    response = client.post(
        url,
        {
            "collectivity": diag.epci.pk,
            "statistic": definition("taux-couverture").pk,
            "year": "2022",
            "value": "1 234,5",
            "source": "Caf 2022",
        },
    )
    assert response.status_code == 302
    row = TerritoryStatistic.objects.get(collectivity=diag.epci, year=2022)
    assert row.value == Decimal("1234.5")
    assert row.source == "Caf 2022"
    listing = client.get(url).content.decode()
    assert "1\u202f234,5" in listing
    assert "CC des Deux Rives" in listing


def test_entering_the_same_statistic_twice_updates_it(diag, login):
    client = login(diag.caf_staff)
    url = reverse("diagnostics:statistics", args=[diag.convention.pk])
    data = {
        "collectivity": diag.commune.pk,
        "statistic": definition("allocataires").pk,
        "year": "2020",
        "value": "1050",
        "source": "Caf 2020 révisé",
    }
    response = client.post(url, data, follow=True)
    assert "mise à jour" in response.content.decode()
    assert TerritoryStatistic.objects.filter(collectivity=diag.commune).count() == 1
    diag.stat.refresh_from_db()
    assert diag.stat.value == Decimal("1050")


def test_member_communes_of_a_signatory_epci_can_be_chosen(diag, login):
    member = CollectivityFactory(name="Varen", code="82190", caf=diag.caf, parent_epci=diag.epci)
    page = login(diag.caf_staff).get(reverse("diagnostics:statistics", args=[diag.convention.pk]))
    body = page.content.decode()
    assert f'<option value="{member.pk}">Varen (82190)</option>' in body
    assert "Sorbiers" not in body


def test_deleting_a_statistic_asks_for_confirmation_first(diag, login):
    client = login(diag.caf_staff)
    url = reverse("diagnostics:statistic_delete", args=[diag.convention.pk, diag.stat.pk])
    assert "Supprimer cette valeur ?" in client.get(url).content.decode()
    assert TerritoryStatistic.objects.filter(pk=diag.stat.pk).exists()
    assert client.post(url).status_code == 302
    assert not TerritoryStatistic.objects.filter(pk=diag.stat.pk).exists()


# --- the page: figures beside findings ---------------------------------------------


def test_the_page_shows_key_figures_at_the_top_and_thematic_figures_in_their_theme(diag, login):
    TerritoryStatisticFactory(
        collectivity=diag.commune,
        statistic=definition("allocataires"),
        year=2023,
        value=Decimal("1120"),
        source="Caf 2023",
    )
    for year, value in ((2020, "20"), (2023, "17")):
        TerritoryStatisticFactory(
            collectivity=diag.epci,
            statistic=definition("taux-couverture"),
            year=year,
            value=Decimal(value),
        )
    body = login(diag.elected).get(reverse("diagnostics:detail", args=[diag.convention.pk]))
    body = body.content.decode()
    key = body.index("Chiffres clés du territoire")
    petite_enfance = body.index('id="h-theme-{}"'.format(thematic("petite-enfance").pk))
    jeunesse = body.index('id="h-theme-{}"'.format(thematic("jeunesse").pk))
    allocataires = body.index("Nombre d&#x27;allocataires")
    taux = body.index("Taux de couverture en accueil formel")
    assert key < allocataires < petite_enfance < taux < jeunesse
    # values per year, in French, and the evolution: +12 % for a count, −3 points for a rate
    assert "1\u202f120" in body
    assert '<th scope="col" class="text-end">2020</th>' in body  # a year, not "2 020"
    assert "+12\xa0%" in body
    assert "\u22123\xa0points" in body
    assert "Source : Caf 2020 ; Caf 2023" in body
    # the finding sits in the same theme block as the rate
    assert petite_enfance < body.index("Manque de places en crèche à Laguépie") < jeunesse


def test_the_page_says_when_nothing_is_entered_yet(world, login):
    world.convention.thematics.add(thematic("logement"))
    body = login(world.caf_staff).get(reverse("diagnostics:detail", args=[world.convention.pk]))
    body = body.content.decode()
    assert "Le diagnostic n'est pas encore renseigné" in body
    assert "Aucun chiffre clé n'est encore saisi" in body
    assert "Aucun constat pour cette thématique." in body
    assert "Renseigner le diagnostic" in body


def test_figures_of_collectivities_outside_the_convention_are_not_shown(diag, login):
    TerritoryStatisticFactory(
        collectivity=diag.other_commune,
        statistic=definition("allocataires"),
        year=2020,
        value=Decimal("98765"),
    )
    body = login(diag.caf_staff).get(reverse("diagnostics:detail", args=[diag.convention.pk]))
    assert "98\u202f765" not in body.content.decode()
    assert "Sorbiers" not in body.content.decode()


def _grow(world, size: int, start: int = 0) -> None:
    """Add `size` member communes with four years of every statistic and findings."""
    themes = [thematic("petite-enfance"), thematic("jeunesse")]
    definitions = list(StatisticDefinition.objects.all())
    for index in range(start, start + size):
        commune = CollectivityFactory(
            kind=Collectivity.Kind.COMMUNE,
            name=f"Commune {index}",
            code=f"82{300 + index:03d}",
            caf=world.caf,
            parent_epci=world.epci,
        )
        rows = [
            TerritoryStatistic(
                collectivity=commune, statistic=d, year=2019 + y, value=Decimal(100 + y)
            )
            for d in definitions
            for y in range(4)
        ]
        TerritoryStatistic.objects.bulk_create(rows)
        FindingFactory(diagnostic=world.diagnostic, thematic=themes[index % 2], text=f"C{index}")


@pytest.mark.parametrize("size", [2, 20])
def test_the_diagnostic_page_runs_a_fixed_number_of_queries(
    diag, login, django_assert_max_num_queries, size
):
    _grow(diag, size)
    client = login(diag.caf_staff)
    url = reverse("diagnostics:detail", args=[diag.convention.pk])
    with django_assert_max_num_queries(16):
        response = client.get(url)
    assert response.status_code == 200
    assert f"Commune {size - 1}" in response.content.decode()


@pytest.mark.parametrize("size", [2, 20])
def test_the_statistics_page_runs_a_fixed_number_of_queries(
    diag, login, django_assert_max_num_queries, size
):
    _grow(diag, size)
    client = login(diag.caf_staff)
    url = reverse("diagnostics:statistics", args=[diag.convention.pk])
    with django_assert_max_num_queries(14):
        response = client.get(url)
    assert response.status_code == 200
    assert "Commune 0" in response.content.decode()


@pytest.mark.parametrize("name", ["diagnostics:detail", "diagnostics:statistics"])
def test_ten_times_more_data_costs_no_extra_query(diag, login, name):
    client = login(diag.caf_staff)
    url = reverse(name, args=[diag.convention.pk])
    _grow(diag, 2)
    client.get(url)  # warm the session and the caches
    with CaptureQueriesContext(connection) as small:
        client.get(url)
    _grow(diag, 18, start=2)
    with CaptureQueriesContext(connection) as large:
        response = client.get(url)
    assert "Commune 19" in response.content.decode()
    assert len(large) == len(small)


def test_identifiers_are_never_written_with_a_thousands_separator(world, login):
    from conventions.models import Thematic

    big = Thematic.objects.create(pk=12345, code="culture", label="Culture", order=999)
    world.convention.thematics.add(big)
    from actions.factories import ActionSheetFactory

    ActionSheetFactory(convention=world.convention, thematic=big)
    client = login(world.caf_staff)
    body = client.get(reverse("diagnostics:detail", args=[world.convention.pk])).content.decode()
    assert 'id="h-theme-12345"' in body and 'href="#theme-12345"' in body
    plan = client.get(reverse("actions:plan", args=[world.convention.pk])).content.decode()
    assert 'value="12345"' in plan
