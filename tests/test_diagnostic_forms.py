"""The diagnostic forms' French messages, the conflict on concurrent edits, the history."""

from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from conventions.models import Thematic
from ctg.formatting import number as format_number
from diagnostics import services
from diagnostics.factories import DiagnosticFactory, FindingFactory, thematic
from diagnostics.formatting import evolution
from diagnostics.models import Diagnostic, Finding, StatisticDefinition, TerritoryStatistic
from diagnostics.services import reference_data_ensure


@pytest.fixture(autouse=True)
def _reference_data(db):
    """Thematics and statistic definitions, even after a test that flushed the database."""
    reference_data_ensure()


@pytest.fixture
def convention(world):
    world.convention.thematics.add(thematic("petite-enfance"))
    return world.convention


def post(client, name, convention, data, *args):
    return client.post(reverse(name, args=[convention.pk, *args]), data)


# --- diagnostic header -------------------------------------------------------------


def test_it_refuses_an_end_before_the_start(world, login, convention):
    response = post(
        login(world.caf_staff),
        "diagnostics:edit",
        convention,
        {"version": "0", "start_date": "2021-06-01", "end_date": "2021-01-01"},
    )
    assert response.status_code == 200
    assert "La fin du diagnostic ne peut pas précéder son début." in response.content.decode()
    assert not Diagnostic.objects.filter(convention=convention).exists()


def test_it_refuses_a_negative_number_of_participants(world, login, convention):
    response = post(
        login(world.caf_staff),
        "diagnostics:edit",
        convention,
        {"version": "0", "participants_count": "-4"},
    )
    assert "Le nombre de personnes consultées ne peut pas être négatif." in (
        response.content.decode()
    )


def test_the_second_of_two_concurrent_edits_is_refused(world, login, convention):
    diagnostic = DiagnosticFactory(convention=convention, summary="Version de départ")
    client = login(world.caf_staff)
    loaded = diagnostic.version
    first = post(client, "diagnostics:edit", convention, {"version": loaded, "summary": "Alice"})
    assert first.status_code == 302
    second = post(client, "diagnostics:edit", convention, {"version": loaded, "summary": "Bob"})
    assert second.status_code == 200
    assert "a été modifié par quelqu&#x27;un d&#x27;autre" in second.content.decode()
    diagnostic.refresh_from_db()
    assert diagnostic.summary == "Alice"


def test_a_diagnostic_created_meanwhile_is_not_overwritten(world, convention):
    DiagnosticFactory(convention=convention, summary="Créé par une collègue")
    with pytest.raises(ValidationError) as error:
        services.diagnostic_save(convention=convention, version=0, summary="Le mien")
    assert error.value.code == "conflict"
    assert Diagnostic.objects.get(convention=convention).summary == "Créé par une collègue"


# --- findings ----------------------------------------------------------------------


def test_a_finding_needs_a_thematic_a_kind_and_a_text(world, login, convention):
    response = post(login(world.caf_staff), "diagnostics:finding_create", convention, {})
    body = response.content.decode()
    assert "Choisissez la thématique du constat." in body
    assert "Choisissez la nature du constat." in body
    assert "Écrivez le constat." in body
    assert Finding.objects.count() == 0


def test_it_refuses_a_thematic_the_convention_does_not_cover(world, login, convention):
    response = post(
        login(world.caf_staff),
        "diagnostics:finding_create",
        convention,
        {"thematic": thematic("logement").pk, "kind": "besoin", "text": "Logements indignes"},
    )
    assert "Cette thématique n&#x27;est pas retenue pour cette convention." in (
        response.content.decode()
    )
    assert Finding.objects.count() == 0


def test_the_service_also_refuses_an_uncovered_thematic(convention):
    with pytest.raises(ValidationError):
        services.finding_create(
            convention=convention, thematic=thematic("sante"), kind="besoin", text="Pas de médecin"
        )


def test_a_finding_keeps_its_thematic_when_the_convention_drops_it(world, login, convention):
    jeunesse = thematic("jeunesse")
    finding = FindingFactory(
        diagnostic=DiagnosticFactory(convention=convention), thematic=jeunesse, text="Ancien"
    )
    response = post(
        login(world.caf_staff),
        "diagnostics:finding_edit",
        convention,
        {"thematic": jeunesse.pk, "kind": "atout", "text": "Ancien constat revu", "priority": 2},
        finding.pk,
    )
    assert response.status_code == 302
    finding.refresh_from_db()
    assert finding.text == "Ancien constat revu"


def test_it_refuses_a_too_short_finding(world, login, convention):
    response = post(
        login(world.caf_staff),
        "diagnostics:finding_create",
        convention,
        {"thematic": thematic("petite-enfance").pk, "kind": "besoin", "text": " x ", "priority": 2},
    )
    assert "Le constat est trop court." in response.content.decode()


# --- statistics entry --------------------------------------------------------------


@pytest.mark.parametrize(
    "field, value, message",
    [
        ("value", "douze", "Saisissez un nombre, par exemple 1 234,5."),
        ("value", "", "Indiquez la valeur."),
        ("value", "1,234", "La valeur ne peut pas avoir plus de deux décimales."),
        ("year", "1850", "L&#x27;année doit être comprise entre 1900 et 2100."),
        ("year", "2150", "L&#x27;année doit être comprise entre 1900 et 2100."),
        ("year", "deux mille", "L&#x27;année doit être un nombre entier."),
        ("collectivity", "", "Choisissez la collectivité."),
        ("statistic", "", "Choisissez la statistique."),
    ],
)
def test_statistic_entry_explains_what_is_wrong(world, login, convention, field, value, message):
    data = {
        "collectivity": world.commune.pk,
        "statistic": StatisticDefinition.objects.get(code="allocataires").pk,
        "year": "2022",
        "value": "12",
        field: value,
    }
    response = post(login(world.caf_staff), "diagnostics:statistics", convention, data)
    assert response.status_code == 200
    assert message in response.content.decode()
    assert TerritoryStatistic.objects.count() == 0


def test_it_refuses_a_collectivity_outside_the_convention(world, login, convention):
    data = {
        "collectivity": world.other_commune.pk,
        "statistic": StatisticDefinition.objects.get(code="allocataires").pk,
        "year": "2022",
        "value": "12",
    }
    response = post(login(world.caf_staff), "diagnostics:statistics", convention, data)
    assert "Cette collectivité ne fait pas partie du territoire de la convention." in (
        response.content.decode()
    )
    assert TerritoryStatistic.objects.count() == 0


# --- French figures ----------------------------------------------------------------


@pytest.mark.parametrize(
    "value, text",
    [
        (Decimal("1234.50"), "1\u202f234,5"),
        (Decimal("1234567"), "1\u202f234\u202f567"),
        (Decimal("12.25"), "12,25"),
        (Decimal("-3.10"), "\u22123,1"),
        (0, "0"),
    ],
)
def test_figures_are_written_the_french_way(value, text):
    assert format_number(value) == text


def test_evolution_is_a_percentage_for_counts_and_points_for_rates():
    assert evolution(first=Decimal(100), last=Decimal(112), rate=False).label == "+12\xa0%"
    assert evolution(first=Decimal(200), last=Decimal(195), rate=False).label == "\u22122,5\xa0%"
    assert evolution(first=Decimal(20), last=Decimal(17), rate=True).label == "\u22123\xa0points"
    assert evolution(first=Decimal("20"), last=Decimal("21.5"), rate=True).label == (
        "+1,5\xa0point"
    )
    assert evolution(first=Decimal(0), last=Decimal(5), rate=False) is None


# --- history -----------------------------------------------------------------------


def test_the_history_of_a_finding_records_who_created_changed_and_deleted_it(
    world, login, convention
):
    client = login(world.caf_staff)
    pe = thematic("petite-enfance").pk
    post(
        client,
        "diagnostics:finding_create",
        convention,
        {"thematic": pe, "kind": "besoin", "text": "Peu de places", "priority": 2},
    )
    finding = Finding.objects.get()
    post(
        client,
        "diagnostics:finding_edit",
        convention,
        {"thematic": pe, "kind": "besoin", "text": "Très peu de places", "priority": 1},
        finding.pk,
    )
    post(client, "diagnostics:finding_delete", convention, {}, finding.pk)
    records = list(Finding.history.filter(id=finding.pk).order_by("history_date"))
    assert [r.history_type for r in records] == ["+", "~", "-"]
    assert all(r.history_user == world.caf_staff for r in records)
    assert records[1].text == "Très peu de places"
    delta = records[1].diff_against(records[0])
    assert {c.field for c in delta.changes} == {"text", "priority"}


def test_the_history_of_statistics_records_form_entries_and_imports(world, login, convention):
    client = login(world.caf_staff)
    allocataires = StatisticDefinition.objects.get(code="allocataires")
    post(
        client,
        "diagnostics:statistics",
        convention,
        {"collectivity": world.commune.pk, "statistic": allocataires.pk, "year": 2022, "value": 10},
    )
    client.post(
        reverse("diagnostics:statistics_import", args=[convention.pk]),
        {"file": SimpleUploadedFile("s.csv", b"82090;allocataires;2022;11;Caf\n")},
    )
    row = TerritoryStatistic.objects.get()
    records = list(TerritoryStatistic.history.filter(id=row.pk).order_by("history_date"))
    assert [(r.history_type, r.value) for r in records] == [("+", 10), ("~", 11)]
    assert all(r.history_user == world.caf_staff for r in records)


def test_the_history_of_the_diagnostic_header_is_recorded(world, login, convention):
    client = login(world.caf_staff)
    post(client, "diagnostics:edit", convention, {"version": 0, "summary": "Première"})
    post(client, "diagnostics:edit", convention, {"version": 1, "summary": "Seconde"})
    diagnostic = Diagnostic.objects.get(convention=convention)
    assert [h.summary for h in diagnostic.history.order_by("history_date")] == [
        "Première",
        "Seconde",
    ]


# --- test support ------------------------------------------------------------------


def test_the_reference_data_comes_back_after_a_flush(db):
    StatisticDefinition.objects.all().delete()
    Diagnostic.objects.all().delete()
    Thematic.objects.all().delete()
    assert thematic("jeunesse").label == "Jeunesse"
    assert StatisticDefinition.objects.get(code="taux-couverture").thematic.code == (
        "petite-enfance"
    )
