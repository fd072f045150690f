"""The reference sheet of an indicator (evaluation.reference): read by everyone who sees the
convention, edited by those who edit its actions, with its yearly targets checked in French;
shared indicators' fields read-only; frozen in the report's annex."""

import datetime
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from actions.factories import ActionSheetFactory
from conventions.models import Convention
from evaluation import reference
from evaluation.factories import IndicatorFactory, MeasurementFactory
from evaluation.models import Indicator, IndicatorProgress, IndicatorTarget, SharedIndicator
from reports import services as reporting
from reports.snapshot import indicator_progress_rows

pytestmark = pytest.mark.django_db

D = datetime.date
SERIES = "txcouv_pe_epci:txcouv_epci"


@pytest.fixture
def indicator(world):
    sheet = ActionSheetFactory(convention=world.convention, number="FA-01")
    indicator = IndicatorFactory(
        action_sheet=sheet,
        name="Places d'accueil du jeune enfant",
        unit="places",
        source="Gestionnaires des EAJE",
        baseline_value=10,
        target_value=50,
        baseline_date=D(2022, 1, 1),
        target_date=D(2025, 12, 31),
        definition="Places d'accueil collectif ouvertes sur le territoire.",
        responsible="Coordinatrice petite enfance",
    )
    MeasurementFactory(indicator=indicator, date=D(2023, 12, 31), value=30)
    return indicator


def url(world, indicator, name="evaluation:reference_sheet"):
    return reverse(name, args=[world.convention.pk, indicator.pk])


def post_data(**overrides) -> dict:
    """The edit form as a browser posts it: the sheet's fields and four yearly rows."""
    data = {
        "definition": "Places d'accueil collectif (EAJE) ouvertes au 31 décembre.",
        "calculation_method": "Somme des places agréées par la PMI.",
        "verification_means": "Arrêtés d'agrément, rapport d'activité.",
        "responsible": "Chargée de coopération CTG",
        "known_limits": "Ne compte pas les assistants maternels.",
        "binding": SERIES,
        "aggregation": "somme",
        "breakdown": "aucune",
        "cibles-TOTAL_FORMS": "4",
        "cibles-INITIAL_FORMS": "4",
        "cibles-MIN_NUM_FORMS": "0",
        "cibles-MAX_NUM_FORMS": "30",
    }
    for n, (year, value) in enumerate([(2022, "20"), (2023, "30,5"), (2024, "40"), (2025, "")]):
        data[f"cibles-{n}-year"] = str(year)
        data[f"cibles-{n}-value"] = value
    data.update(overrides)
    return data


# ------------------------------------------------------------------ who sees, who edits


@pytest.mark.parametrize(
    ("role", "status"),
    [
        ("caf_staff", 200),
        ("coordinator", 200),
        ("elected", 200),
        ("member_caf", 200),
        ("other_caf_staff", 404),
        ("outsider", 404),
    ],
)
def test_the_sheet_is_read_by_everyone_who_sees_the_convention(
    world, indicator, login, role, status
):
    IndicatorTarget.objects.create(indicator=indicator, year=2023, value=Decimal("31.5"))
    response = login(getattr(world, role)).get(url(world, indicator))
    assert response.status_code == status
    if status == 200:
        content = response.content.decode()
        assert "Fiche de référence" in content
        assert "Places d&#x27;accueil collectif ouvertes sur le territoire." in content
        assert "Coordinatrice petite enfance" in content
        assert "Cible 2023" in content and "31,5" in content
        editable = role in {"caf_staff", "coordinator"}
        assert (url(world, indicator, "evaluation:reference_sheet_edit") in content) is editable


@pytest.mark.parametrize(
    ("role", "status"),
    [("caf_staff", 200), ("coordinator", 200), ("elected", 403), ("member_caf", 403)],
)
def test_only_those_who_edit_actions_edit_the_sheet(world, indicator, login, role, status):
    client = login(getattr(world, role))
    edit = url(world, indicator, "evaluation:reference_sheet_edit")
    assert client.get(edit).status_code == status
    response = client.post(edit, post_data(definition="Changé par un intrus"))
    assert response.status_code == (302 if status == 200 else 403)
    indicator.refresh_from_db()
    changed = indicator.definition == "Changé par un intrus"
    assert changed is (status == 200)


def test_the_sheet_of_another_convention_s_indicator_is_not_found(world, login):
    other = IndicatorFactory(action_sheet=ActionSheetFactory(convention=world.other_convention))
    client = login(world.caf_staff)
    assert client.get(url(world, other)).status_code == 404
    assert client.get(url(world, other, "evaluation:reference_sheet_edit")).status_code == 404


def test_the_indicator_page_shows_the_sheet_compactly_with_its_link(world, indicator, login):
    IndicatorTarget.objects.create(indicator=indicator, year=2022, value=20)
    content = (
        login(world.elected)
        .get(reverse("evaluation:indicator", args=[world.convention.pk, indicator.pk]))
        .content.decode()
    )
    assert "Fiche de référence" in content
    assert "2022 : 20" in content
    assert url(world, indicator) in content
    assert url(world, indicator, "evaluation:reference_sheet_edit") not in content  # reader


# ------------------------------------------------------------------ saving


def test_an_editor_saves_the_sheet_and_its_yearly_targets(world, indicator, login):
    version = Convention.objects.get(pk=world.convention.pk).data_version
    response = login(world.coordinator).post(
        url(world, indicator, "evaluation:reference_sheet_edit"), post_data()
    )
    assert response.status_code == 302 and response.url == url(world, indicator)
    indicator.refresh_from_db()
    assert indicator.definition.startswith("Places d'accueil collectif (EAJE)")
    assert indicator.responsible == "Chargée de coopération CTG"
    assert (indicator.open_data_dataset, indicator.open_data_column) == (
        "txcouv_pe_epci",
        "txcouv_epci",
    )
    assert indicator.aggregation == "somme"
    assert list(indicator.yearly_targets.values_list("year", "value")) == [
        (2022, Decimal(20)),
        (2023, Decimal("30.5")),
        (2024, Decimal(40)),
    ]
    # Who did it is in the history; the figures were marked changed and computed again.
    assert indicator.history.first().history_user == world.coordinator
    assert IndicatorTarget.history.filter(history_user=world.coordinator).count() == 3
    assert Convention.objects.get(pk=world.convention.pk).data_version > version
    # Measured 30 on 31 Dec 2023, the plan said 30.5 then: 50 % of the way against 51.25 %.
    assert IndicatorProgress.objects.get(pk=indicator.pk).expected_pct == pytest.approx(51.25)


def test_the_edit_form_lists_a_row_per_year_with_the_current_targets(world, indicator, login):
    IndicatorTarget.objects.create(indicator=indicator, year=2023, value=25)
    response = login(world.caf_staff).get(url(world, indicator, "evaluation:reference_sheet_edit"))
    rows = response.context["formset"].initial
    assert rows == [
        {"year": 2022, "value": None},
        {"year": 2023, "value": Decimal(25)},
        {"year": 2024, "value": None},
        {"year": 2025, "value": None},
    ]
    assert response.context["form"].initial["binding"] == ""


def test_clearing_a_value_removes_that_year_s_target(world, indicator, login):
    IndicatorTarget.objects.create(indicator=indicator, year=2022, value=20)
    IndicatorTarget.objects.create(indicator=indicator, year=2023, value=30)
    login(world.caf_staff).post(
        url(world, indicator, "evaluation:reference_sheet_edit"),
        post_data(**{"cibles-0-value": "", "cibles-2-value": ""}),
    )
    assert list(indicator.yearly_targets.values_list("year", flat=True)) == [2023]


# ------------------------------------------------------------------ refusals, in French


def refused(world, indicator, login, **overrides) -> str:
    """Post the form; it must come back (200) with nothing saved. Returns its text."""
    before = (
        Indicator.objects.filter(pk=indicator.pk).values().get(),
        list(IndicatorTarget.objects.values_list("indicator_id", "year", "value")),
    )
    response = login(world.coordinator).post(
        url(world, indicator, "evaluation:reference_sheet_edit"), post_data(**overrides)
    )
    assert response.status_code == 200
    after = (
        Indicator.objects.filter(pk=indicator.pk).values().get(),
        list(IndicatorTarget.objects.values_list("indicator_id", "year", "value")),
    )
    assert after == before
    return response.content.decode()


def test_it_refuses_a_series_the_open_data_do_not_have(world, indicator, login):
    content = refused(world, indicator, login, binding="txcouv_pe_epci:txcouv_inconnu")
    assert "Cette série n&#x27;existe pas dans les données ouvertes de la Caf." in content


def test_it_refuses_for_an_increase_a_yearly_target_below_the_baseline(world, indicator, login):
    content = refused(world, indicator, login, **{"cibles-0-value": "8"})
    assert "Pour une hausse, la cible de 2022 (8) ne peut pas être inférieure à la valeur de " in (
        content
    )
    assert "référence (10)" in content


def test_it_refuses_for_an_increase_a_yearly_target_going_down(world, indicator, login):
    content = refused(world, indicator, login, **{"cibles-2-value": "25"})
    assert "Pour une hausse, la cible de 2024 (25) ne peut pas être inférieure à celle de 2023" in (
        content
    )


def test_it_refuses_a_yearly_target_beyond_the_final_target(world, indicator, login):
    content = refused(world, indicator, login, **{"cibles-2-value": "60"})
    assert "ne peut pas dépasser la cible finale (50)" in content


def test_it_refuses_for_a_decrease_a_yearly_target_above_the_baseline(world, login):
    indicator = IndicatorFactory(
        action_sheet=ActionSheetFactory(convention=world.convention),
        direction=Indicator.Direction.DECREASE,
        baseline_value=100,
        target_value=60,
        baseline_date=D(2022, 1, 1),
        target_date=D(2025, 12, 31),
    )
    content = refused(
        world,
        indicator,
        login,
        **{"cibles-0-value": "105", "cibles-1-value": "", "cibles-2-value": ""},
    )
    assert "Pour une baisse, la cible de 2022 (105) ne peut pas être supérieure à la valeur" in (
        content
    )


def test_it_refuses_a_year_outside_the_indicator_s_span(world, indicator, login):
    content = refused(world, indicator, login, **{"cibles-3-year": "2027", "cibles-3-value": "50"})
    assert "Pas de cible annuelle en 2027 : elles vont de 2022 à 2025" in content


def test_it_refuses_two_targets_for_one_year(world, indicator, login):
    content = refused(world, indicator, login, **{"cibles-1-year": "2022"})
    assert "Une seule cible par année : 2022 est saisie deux fois." in content


def test_it_refuses_a_value_without_a_year_and_a_year_that_is_no_number(world, indicator, login):
    content = refused(world, indicator, login, **{"cibles-3-year": "", "cibles-3-value": "45"})
    assert "Indiquez l&#x27;année de cette cible." in content
    content = refused(world, indicator, login, **{"cibles-3-year": "deux mille"})
    assert "L&#x27;année doit être un nombre entier" in content


def test_the_last_year_s_target_on_the_target_date_is_the_final_target(world, indicator, login):
    content = refused(world, indicator, login, **{"cibles-3-value": "48"})
    assert "La cible de 2025 tombe à l&#x27;échéance de l&#x27;indicateur" in content
    # Equal to the final target, it is accepted (and changes nothing to the line).
    response = login(world.coordinator).post(
        url(world, indicator, "evaluation:reference_sheet_edit"),
        post_data(**{"cibles-3-value": "50"}),
    )
    assert response.status_code == 302
    assert indicator.yearly_targets.filter(year=2025, value=50).exists()


def test_it_refuses_a_definition_too_long(world, indicator, login):
    content = refused(world, indicator, login, definition="x" * 4001)
    assert "La définition ne doit pas dépasser 4" in content


def test_a_bad_yearly_target_saves_nothing_of_the_sheet_either(world, indicator, login):
    refused(world, indicator, login, definition="Nouvelle définition", **{"cibles-0-value": "1"})
    indicator.refresh_from_db()
    assert indicator.definition == "Places d'accueil collectif ouvertes sur le territoire."


def test_the_services_check_again_what_the_form_checked(world, indicator):
    with pytest.raises(ValidationError) as refusal:
        reference.indicator_targets_save(
            indicator=indicator, targets=[(2023, Decimal(5))], user=world.caf_staff
        )
    assert "Pour une hausse, la cible de 2023 (5)" in str(refusal.value)
    with pytest.raises(ValidationError) as refusal:
        reference.indicator_reference_update(
            indicator=indicator,
            data={"open_data_dataset": "txcouv_pe_epci", "open_data_column": "nope"},
            user=world.caf_staff,
        )
    assert "open_data_column" in refusal.value.message_dict
    with pytest.raises(ValidationError):
        reference.indicator_sheet_save(
            indicator=indicator,
            data={"definition": "Autre"},
            targets=[(2022, Decimal(20)), (2022, Decimal(21))],
            user=world.caf_staff,
        )
    indicator.refresh_from_db()
    assert indicator.definition != "Autre" and not indicator.yearly_targets.exists()


# ------------------------------------------------------------------ shared indicators


@pytest.fixture
def shared_indicator(world):
    shared = SharedIndicator.objects.create(
        caf=world.caf,
        code="SDSF-PE-01",
        name="Taux de couverture petite enfance",
        unit="places pour 100 enfants",
        definition="Définition départementale.",
        open_data_dataset="txcouv_pe_epci",
        open_data_column="txcouv_epci",
    )
    return IndicatorFactory(
        action_sheet=ActionSheetFactory(convention=world.convention),
        shared=shared,
        name=shared.name,
        unit=shared.unit,
        definition=shared.definition,
        open_data_dataset=shared.open_data_dataset,
        open_data_column=shared.open_data_column,
        baseline_value=50,
        target_value=60,
    )


def test_a_shared_indicator_s_fields_are_read_only_on_the_sheet(world, shared_indicator, login):
    client = login(world.coordinator)
    edit = url(world, shared_indicator, "evaluation:reference_sheet_edit")
    form = client.get(edit).context["form"]
    assert form.fields["definition"].disabled and form.fields["binding"].disabled
    assert not form.fields["responsible"].disabled
    words = "Défini par l'indicateur partagé « SDSF-PE-01 — Taux de couverture petite enfance »"
    assert form.fields["definition"].help_text.startswith(words)
    assert "de la Caf de Tarn-et-Garonne" in form.fields["definition"].help_text
    # A changed definition posted anyway is ignored; the territory's own fields are saved.
    response = client.post(
        edit,
        post_data(
            definition="Définition locale",
            binding="",
            responsible="Agent du territoire",
            **{f"cibles-{n}-value": "" for n in range(4)},
        ),
    )
    assert response.status_code == 302
    shared_indicator.refresh_from_db()
    assert shared_indicator.definition == "Définition départementale."
    assert shared_indicator.open_data_column == "txcouv_epci"
    assert shared_indicator.responsible == "Agent du territoire"
    page = client.get(url(world, shared_indicator)).content.decode()
    assert "Défini par l&#x27;indicateur partagé" in page


def test_the_service_refuses_to_change_a_shared_field(world, shared_indicator):
    with pytest.raises(ValidationError) as refusal:
        reference.indicator_reference_update(
            indicator=shared_indicator, data={"definition": "Locale"}, user=world.caf_staff
        )
    assert "Défini par l'indicateur partagé" in refusal.value.message_dict["definition"][0]


# ------------------------------------------------------------------ the report's annex


def test_the_report_annex_lists_each_indicator_s_reference_sheet(world, indicator, login):
    IndicatorTarget.objects.create(indicator=indicator, year=2022, value=20)
    Indicator.objects.filter(pk=indicator.pk).update(
        known_limits="Ne compte pas les assistants maternels.",
        open_data_dataset="txcouv_pe_epci",
        open_data_column="txcouv_epci",
    )
    report, _ = reporting.report_request(
        convention=world.convention, period_start=D(2023, 1, 1), period_end=D(2023, 12, 31)
    )
    report = reporting.report_build(report_id=report.pk)
    (row,) = report.snapshot["indicators"]
    assert row["sheet"]["definition"] == "Places d'accueil collectif ouvertes sur le territoire."
    assert row["sheet"]["yearly_targets"] == [{"year": 2022, "value": 20.0}]
    assert row["sheet"]["responsible"] == "Coordinatrice petite enfance"
    assert row["sheet"]["frequency"] == "Annuelle"
    assert "Taux de couverture en accueil formel" in row["sheet"]["open_data"]
    content = (
        login(world.elected)
        .get(reverse("reports:report_detail", args=[world.convention.pk, report.pk]))
        .content.decode()
    )
    annex = content[content.index("Annexe : fiches de référence des indicateurs") :]
    assert "FA-01 · Places d&#x27;accueil du jeune enfant (places)" in annex
    assert "Ne compte pas les assistants maternels." in annex
    assert "2022 : 20 · cible finale 50 au 31 décembre 2025" in annex
    assert "Coordinatrice petite enfance" in annex


def test_the_snapshot_reads_the_sheets_in_a_constant_number_of_queries(world):
    def cost(n: int) -> int:
        sheet = ActionSheetFactory(convention=world.convention)
        for _ in range(n):
            extra = IndicatorFactory(action_sheet=sheet, definition="Déf.")
            IndicatorTarget.objects.create(indicator=extra, year=2023, value=15)
        with CaptureQueriesContext(connection) as queries:
            rows, _ = indicator_progress_rows(convention=world.convention, as_of=D(2023, 12, 31))
        assert all(row["sheet"]["yearly_targets"] for row in rows)
        return len(queries)

    assert cost(1) == cost(6)
