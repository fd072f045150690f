"""Model rules: each database constraint refuses bad rows, each ``clean()`` speaks French,
and the admin refuses impossible data with a French message."""

import datetime
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.urls import reverse

from actions.factories import ActionSheetFactory, FundingLineFactory, ObjectiveFactory
from actions.models import ActionSheet, Approval, FundingLine, Objective
from conventions.factories import (
    CafFactory,
    CollectivityFactory,
    CommitteeFactory,
    CommitteeMemberFactory,
    ConventionFactory,
    SignatoryFactory,
    UserFactory,
)
from conventions.models import (
    Amendment,
    Caf,
    Collectivity,
    Committee,
    Convention,
    Signatory,
    Thematic,
    User,
    siren_is_valid,
)
from diagnostics.factories import DiagnosticFactory, TerritoryStatisticFactory, thematic
from diagnostics.models import Diagnostic, Facility, TerritoryStatistic
from evaluation.factories import IndicatorFactory, MeasurementFactory
from evaluation.models import Indicator, Measurement
from reports.models import ProgressReport, ReportDelivery

pytestmark = pytest.mark.django_db

D = datetime.date


def messages_of(exc: ValidationError) -> list[str]:
    return list(exc.messages)


def assert_db_refuses(make) -> None:
    with pytest.raises(IntegrityError), transaction.atomic():
        make()


# --- Database constraints: each one refuses a bad row ----------------------------------------


def _convention_end_before_start():
    ConventionFactory(start_date=D(2024, 1, 1), end_date=D(2023, 1, 1))


def _convention_end_equals_start():
    ConventionFactory(start_date=D(2024, 1, 1), end_date=D(2024, 1, 1))


def _collectivity_duplicate_code():
    caf = CafFactory()
    CollectivityFactory(code="82155", caf=caf)
    CollectivityFactory(code="82155", caf=caf)


def _signatory_two_organisations():
    convention = ConventionFactory()
    Signatory.objects.create(
        convention=convention,
        caf=convention.caf,
        collectivity=CollectivityFactory(caf=convention.caf),
    )


def _signatory_no_organisation():
    Signatory.objects.create(convention=ConventionFactory())


def _signatory_partner_and_caf():
    convention = ConventionFactory()
    Signatory.objects.create(convention=convention, caf=convention.caf, partner_name="MSA")


def _signatory_collectivity_twice():
    signatory = SignatoryFactory()
    Signatory.objects.create(convention=signatory.convention, collectivity=signatory.collectivity)


def _signatory_caf_twice():
    convention = ConventionFactory()
    Signatory.objects.create(convention=convention, caf=convention.caf)
    Signatory.objects.create(convention=convention, caf=convention.caf)


def _amendment_number_twice():
    convention = ConventionFactory()
    Amendment.objects.create(convention=convention, number=1, date=D(2023, 1, 1), purpose="a")
    Amendment.objects.create(convention=convention, number=1, date=D(2023, 6, 1), purpose="b")


def _committee_zero_approvals():
    CommitteeFactory(approvals_required_per_side=0)


def _committee_member_user_twice():
    committee = CommitteeFactory()
    user = UserFactory()
    CommitteeMemberFactory(committee=committee, user=user)
    CommitteeMemberFactory(committee=committee, user=user)


def _caf_department_twice():
    Caf.objects.create(name="Caf A", department_code="82")
    Caf.objects.create(name="Caf B", department_code="82")


def _user_email_twice():
    User.objects.create_user("meme@exemple.fr", "x")
    User.objects.create_user("meme@exemple.fr", "y")


def _diagnostic_end_before_start():
    DiagnosticFactory(start_date=D(2023, 6, 1), end_date=D(2023, 1, 1))


def _statistic_same_year_twice():
    stat = TerritoryStatisticFactory(year=2022)
    TerritoryStatisticFactory(collectivity=stat.collectivity, year=2022)


def _statistic_implausible_year():
    TerritoryStatisticFactory(year=1850)


def _thematic_code_twice():
    Thematic.objects.create(code="enfance", label="Enfance bis")


def _sheet_number_twice():
    sheet = ActionSheetFactory(number="FA-01")
    ActionSheetFactory(convention=sheet.convention, number="FA-01")


def _sheet_end_before_start():
    ActionSheetFactory(start_date=D(2023, 6, 1), end_date=D(2023, 1, 1))


def _sheet_approved_version_ahead():
    ActionSheetFactory(version=1, approved_version=2)


def _funding_negative_planned():
    FundingLineFactory(planned_amount=Decimal("-1"))


def _funding_negative_spent():
    FundingLineFactory(spent_amount=Decimal("-0.01"))


def _funding_funder_year_twice():
    line = FundingLineFactory(funder="Caf", year=2023)
    FundingLineFactory(sheet=line.sheet, funder="Caf", year=2023)


def _approval_twice_same_version():
    sheet = ActionSheetFactory()
    member = CommitteeMemberFactory(committee__convention=sheet.convention)
    Approval.objects.create(sheet=sheet, member=member, version=1, decision="favorable")
    Approval.objects.create(sheet=sheet, member=member, version=1, decision="favorable")


def _approval_review_without_comment():
    sheet = ActionSheetFactory()
    member = CommitteeMemberFactory(committee__convention=sheet.convention)
    Approval.objects.create(sheet=sheet, member=member, version=1, decision="a_revoir")


def _indicator_on_sheet_and_objective():
    sheet = ActionSheetFactory()
    IndicatorFactory(action_sheet=sheet, objective=ObjectiveFactory(convention=sheet.convention))


def _indicator_on_nothing():
    IndicatorFactory(action_sheet=None, objective=None)


def _indicator_target_before_baseline():
    IndicatorFactory(baseline_date=D(2024, 1, 1), target_date=D(2023, 1, 1))


def _measurement_same_date_twice():
    measurement = MeasurementFactory(date=D(2023, 12, 31))
    MeasurementFactory(indicator=measurement.indicator, date=D(2023, 12, 31))


def _report_period_reversed():
    ProgressReport.objects.create(
        convention=ConventionFactory(), period_start=D(2023, 12, 31), period_end=D(2023, 1, 1)
    )


def _report_period_twice():
    convention = ConventionFactory()
    for _ in range(2):
        ProgressReport.objects.create(
            convention=convention, period_start=D(2023, 1, 1), period_end=D(2023, 12, 31)
        )


def _delivery_same_recipient_twice():
    report = ProgressReport.objects.create(
        convention=ConventionFactory(), period_start=D(2023, 1, 1), period_end=D(2023, 12, 31)
    )
    ReportDelivery.objects.create(report=report, email="a@exemple.fr")
    ReportDelivery.objects.create(report=report, email="a@exemple.fr")


BAD_ROWS = [
    _convention_end_before_start,
    _convention_end_equals_start,
    _collectivity_duplicate_code,
    _signatory_two_organisations,
    _signatory_no_organisation,
    _signatory_partner_and_caf,
    _signatory_collectivity_twice,
    _signatory_caf_twice,
    _amendment_number_twice,
    _committee_zero_approvals,
    _committee_member_user_twice,
    _caf_department_twice,
    _user_email_twice,
    _diagnostic_end_before_start,
    _statistic_same_year_twice,
    _statistic_implausible_year,
    _thematic_code_twice,
    _sheet_number_twice,
    _sheet_end_before_start,
    _sheet_approved_version_ahead,
    _funding_negative_planned,
    _funding_negative_spent,
    _funding_funder_year_twice,
    _approval_twice_same_version,
    _approval_review_without_comment,
    _indicator_on_sheet_and_objective,
    _indicator_on_nothing,
    _indicator_target_before_baseline,
    _measurement_same_date_twice,
    _report_period_reversed,
    _report_period_twice,
    _delivery_same_recipient_twice,
]


@pytest.mark.parametrize("make", BAD_ROWS, ids=[f.__name__.strip("_") for f in BAD_ROWS])
def test_the_database_refuses_a_row_that_breaks_a_rule(make):
    assert_db_refuses(make)


def test_the_database_accepts_the_same_fiche_number_in_two_conventions():
    ActionSheetFactory(number="FA-01")
    ActionSheetFactory(number="FA-01")
    assert ActionSheet.objects.filter(number="FA-01").count() == 2


def test_the_database_accepts_a_zero_funding_amount():
    line = FundingLineFactory(planned_amount=0, spent_amount=0)
    assert line.pk


# --- clean(): French messages ----------------------------------------------------------------


def test_it_refuses_a_convention_ending_before_it_starts_in_french():
    convention = ConventionFactory.build(
        caf=CafFactory(), start_date=D(2024, 1, 1), end_date=D(2022, 1, 1)
    )
    with pytest.raises(ValidationError) as exc:
        convention.full_clean()
    assert exc.value.message_dict["end_date"] == [
        "La date de fin doit être postérieure à la date de début."
    ]


def test_it_refuses_a_horizon_before_the_convention_starts():
    convention = ConventionFactory.build(caf=CafFactory(), horizon_year=2010)
    with pytest.raises(ValidationError) as exc:
        convention.full_clean()
    assert exc.value.message_dict["horizon_year"] == [
        "L'horizon ne peut pas précéder le début de la convention."
    ]


def test_it_refuses_a_duplicate_fiche_number_in_french():
    sheet = ActionSheetFactory(number="FA-03")
    duplicate = ActionSheetFactory.build(
        convention=sheet.convention, number="FA-03", thematic=thematic("enfance")
    )
    with pytest.raises(ValidationError) as exc:
        duplicate.full_clean()
    assert "Ce numéro de fiche est déjà utilisé dans la convention." in messages_of(exc.value)


def test_it_refuses_a_fiche_ending_before_it_starts():
    sheet = ActionSheetFactory.build(
        convention=ConventionFactory(),
        thematic=thematic("enfance"),
        start_date=D(2024, 1, 1),
        end_date=D(2023, 1, 1),
    )
    with pytest.raises(ValidationError) as exc:
        sheet.full_clean()
    assert exc.value.message_dict["end_date"] == [
        "La fin de l'action ne peut pas précéder son début."
    ]


def test_it_refuses_a_fiche_objective_from_another_convention():
    objective = ObjectiveFactory()
    sheet = ActionSheetFactory.build(
        convention=ConventionFactory(), thematic=thematic("enfance"), objective=objective
    )
    with pytest.raises(ValidationError) as exc:
        sheet.full_clean()
    assert exc.value.message_dict["objective"] == [
        "L'objectif doit appartenir à la même convention."
    ]


@pytest.mark.parametrize("field", ["planned_amount", "spent_amount"])
def test_it_refuses_a_negative_funding_amount_in_french(field):
    line = FundingLine(sheet=ActionSheetFactory(), funder="Caf", year=2023, **{field: -5})
    with pytest.raises(ValidationError) as exc:
        line.full_clean()
    assert exc.value.message_dict[field] == ["Le montant ne peut pas être négatif."]


def test_it_refuses_a_second_funding_line_for_the_same_funder_and_year():
    line = FundingLineFactory(funder="Caf", year=2024)
    again = FundingLine(sheet=line.sheet, funder="Caf", year=2024, planned_amount=1)
    with pytest.raises(ValidationError) as exc:
        again.full_clean()
    assert "Ce financeur a déjà une ligne pour cette année." in messages_of(exc.value)


def test_it_refuses_a_second_measurement_on_the_same_date_in_french():
    first = MeasurementFactory(date=D(2023, 12, 31))
    again = Measurement(indicator=first.indicator, date=D(2023, 12, 31), value=3)
    with pytest.raises(ValidationError) as exc:
        again.full_clean()
    assert "Une mesure existe déjà pour cet indicateur à cette date." in messages_of(exc.value)


def test_it_refuses_an_indicator_on_both_a_fiche_and_an_objective_in_french():
    sheet = ActionSheetFactory()
    indicator = IndicatorFactory.build(
        action_sheet=sheet, objective=ObjectiveFactory(convention=sheet.convention)
    )
    with pytest.raises(ValidationError) as exc:
        indicator.full_clean()
    assert "Un indicateur porte soit sur une fiche, soit sur un objectif." in messages_of(exc.value)


def test_it_refuses_an_indicator_on_neither_a_fiche_nor_an_objective():
    indicator = IndicatorFactory.build(action_sheet=None, objective=None)
    with pytest.raises(ValidationError) as exc:
        indicator.full_clean()
    assert "Un indicateur porte soit sur une fiche, soit sur un objectif." in messages_of(exc.value)


def test_it_refuses_an_indicator_target_that_contradicts_its_direction():
    increase = IndicatorFactory.build(
        action_sheet=ActionSheetFactory(), direction=Indicator.Direction.INCREASE
    )
    increase.baseline_value, increase.target_value = 20, 10
    with pytest.raises(ValidationError) as exc:
        increase.full_clean()
    assert exc.value.message_dict["target_value"] == [
        "Pour une hausse, la cible doit dépasser la référence."
    ]
    decrease = IndicatorFactory.build(
        action_sheet=ActionSheetFactory(), direction=Indicator.Direction.DECREASE
    )
    with pytest.raises(ValidationError) as exc:
        decrease.full_clean()
    assert exc.value.message_dict["target_value"] == [
        "Pour une baisse, la cible doit être inférieure à la référence."
    ]


def test_it_refuses_an_indicator_target_date_before_the_baseline():
    indicator = IndicatorFactory.build(
        action_sheet=ActionSheetFactory(), baseline_date=D(2024, 1, 1), target_date=D(2024, 1, 1)
    )
    with pytest.raises(ValidationError) as exc:
        indicator.full_clean()
    assert exc.value.message_dict["target_date"] == [
        "L'échéance de la cible doit suivre la date de référence."
    ]


def test_it_refuses_a_signatory_with_two_organisations_in_french():
    convention = ConventionFactory()
    signatory = Signatory(
        convention=convention, caf=convention.caf, collectivity=CollectivityFactory()
    )
    with pytest.raises(ValidationError) as exc:
        signatory.full_clean()
    assert (
        "Choisissez une seule organisation : une collectivité, la Caf ou un partenaire nommé."
        in messages_of(exc.value)
    )


def test_it_refuses_a_signatory_with_no_organisation():
    with pytest.raises(ValidationError) as exc:
        Signatory(convention=ConventionFactory()).full_clean()
    assert (
        "Choisissez une seule organisation : une collectivité, la Caf ou un partenaire nommé."
        in messages_of(exc.value)
    )


def test_it_refuses_a_signature_before_the_council_resolution():
    signatory = Signatory(
        convention=ConventionFactory(),
        partner_name="MSA Midi-Pyrénées Nord",
        resolution_date=D(2021, 12, 1),
        signed_on=D(2021, 11, 1),
    )
    with pytest.raises(ValidationError) as exc:
        signatory.full_clean()
    assert exc.value.message_dict["signed_on"] == [
        "La signature ne peut pas précéder la délibération."
    ]


def test_it_refuses_the_same_collectivity_signing_twice_in_french():
    signatory = SignatoryFactory()
    again = Signatory(convention=signatory.convention, collectivity=signatory.collectivity)
    with pytest.raises(ValidationError) as exc:
        again.full_clean()
    assert "Cette collectivité est déjà signataire de la convention." in messages_of(exc.value)


@pytest.mark.parametrize("code", ["8215", "821555", "ABCDE", "2C123", ""])
def test_it_refuses_an_invalid_insee_code_in_french(code):
    commune = Collectivity(kind=Collectivity.Kind.COMMUNE, name="X", code=code, caf=CafFactory())
    with pytest.raises(ValidationError) as exc:
        commune.full_clean()
    assert (
        "Le code INSEE d'une commune compte 5 caractères (ex. 82155, 2A004)."
        in (exc.value.message_dict["code"])
    )


@pytest.mark.parametrize("code", ["82155", "2A004", "97411"])
def test_it_accepts_a_valid_insee_code(code):
    Collectivity(kind=Collectivity.Kind.COMMUNE, name="X", code=code, caf=CafFactory()).full_clean()


@pytest.mark.parametrize("code", ["248200108", "24820010", "2482001077", "24820010A"])
def test_it_refuses_an_invalid_siren_in_french(code):
    epci = Collectivity(kind=Collectivity.Kind.EPCI, name="CC", code=code, caf=CafFactory())
    with pytest.raises(ValidationError) as exc:
        epci.full_clean()
    assert exc.value.message_dict["code"] == [
        "Le SIREN d'un EPCI compte 9 chiffres avec une clé de contrôle valide."
    ]


def test_the_siren_check_digit_follows_luhn():
    assert siren_is_valid("248200107")
    assert siren_is_valid("200041614")
    assert not siren_is_valid("248200108")


def test_it_refuses_to_attach_an_epci_to_another_epci():
    caf = CafFactory()
    parent = CollectivityFactory(kind=Collectivity.Kind.EPCI, code="248200107", caf=caf)
    child = Collectivity(
        kind=Collectivity.Kind.EPCI, name="CC 2", code="200041614", caf=caf, parent_epci=parent
    )
    with pytest.raises(ValidationError) as exc:
        child.full_clean()
    assert exc.value.message_dict["parent_epci"] == [
        "Seule une commune peut être rattachée à un EPCI."
    ]


def test_it_refuses_an_invalid_department_code_in_french():
    with pytest.raises(ValidationError) as exc:
        Caf(name="Caf imaginaire", department_code="99").full_clean()
    assert exc.value.message_dict["department_code"] == [
        "« 99 » n'est pas un code de département valide (ex. 82, 2A, 974)."
    ]


def test_it_refuses_caf_staff_without_a_caf_and_agents_without_a_collectivity():
    staff = User(email="a@caf.fr", role=User.Role.CAF_STAFF, password="x")
    with pytest.raises(ValidationError) as exc:
        staff.full_clean()
    assert exc.value.message_dict["caf"] == ["Un agent de la Caf doit être rattaché à une Caf."]
    for role in (User.Role.COORDINATOR, User.Role.ELECTED):
        agent = User(email=f"{role}@mairie.fr", role=role, password="x")
        with pytest.raises(ValidationError) as exc:
            agent.full_clean()
        assert exc.value.message_dict["collectivity"] == [
            "Ce rôle doit être rattaché à une collectivité."
        ]


def test_it_refuses_a_thematic_group_without_a_thematic():
    committee = Committee(
        convention=ConventionFactory(), kind=Committee.Kind.THEMATIC, name="Groupe jeunesse"
    )
    with pytest.raises(ValidationError) as exc:
        committee.full_clean()
    assert exc.value.message_dict["thematic"] == ["Un groupe thématique doit avoir une thématique."]


def test_it_refuses_a_general_objective_under_another_objective():
    parent = ObjectiveFactory()
    child = Objective(
        convention=parent.convention,
        thematic=thematic("jeunesse"),
        parent=parent,
        level=Objective.Level.GENERAL,
        title="Sous-objectif",
    )
    with pytest.raises(ValidationError) as exc:
        child.full_clean()
    assert exc.value.message_dict["parent"] == [
        "Seul un objectif opérationnel se rattache à un objectif général."
    ]


def test_it_refuses_a_diagnostic_ending_before_it_starts_in_french():
    diagnostic = Diagnostic(
        convention=ConventionFactory(), start_date=D(2023, 6, 1), end_date=D(2023, 1, 1)
    )
    with pytest.raises(ValidationError) as exc:
        diagnostic.full_clean()
    assert "La fin du diagnostic ne peut pas précéder son début." in messages_of(exc.value)


def test_it_refuses_a_second_statistic_for_the_same_year_in_french():
    stat = TerritoryStatisticFactory(year=2022)
    again = TerritoryStatistic(
        collectivity=stat.collectivity, statistic=stat.statistic, year=2022, value=1
    )
    with pytest.raises(ValidationError) as exc:
        again.full_clean()
    assert (
        "Une valeur existe déjà pour cette collectivité, cette statistique et cette année."
        in messages_of(exc.value)
    )


def test_it_refuses_an_eaje_without_places():
    facility = Facility(kind=Facility.Kind.EAJE, name="Crèche", collectivity=CollectivityFactory())
    with pytest.raises(ValidationError) as exc:
        facility.full_clean()
    assert exc.value.message_dict["places"] == ["Indiquez le nombre de places de l'EAJE."]


def test_it_refuses_a_review_opinion_without_a_comment_in_french():
    sheet = ActionSheetFactory()
    member = CommitteeMemberFactory(committee__convention=sheet.convention)
    approval = Approval(sheet=sheet, member=member, version=1, decision="a_revoir")
    with pytest.raises(ValidationError) as exc:
        approval.full_clean()
    assert "Un avis « à revoir » doit être motivé par un commentaire." in messages_of(exc.value)


# --- Admin --------------------------------------------------------------------------------------


def _inline_management(prefixes):
    data = {}
    for prefix in prefixes:
        data.update(
            {
                f"{prefix}-TOTAL_FORMS": "0",
                f"{prefix}-INITIAL_FORMS": "0",
                f"{prefix}-MIN_NUM_FORMS": "0",
                f"{prefix}-MAX_NUM_FORMS": "1000",
            }
        )
    return data


def _convention_admin_post(caf, **overrides):
    data = {
        "caf": str(caf.pk),
        "name": "CTG saisie dans l'administration",
        "start_date": "2024-01-01",
        "end_date": "2027-12-31",
        "phase": Convention.Phase.PREPARATION,
        "reporting_frequency": Convention.Frequency.YEARLY,
        "meeting_pack_days": "10",
        "measurements_need_validation": Convention.MeasurementValidation.TERRITORY,
        **_inline_management(["signatories", "committees", "amendments"]),
    }
    data.update(overrides)
    return data


def test_the_admin_refuses_a_convention_ending_before_it_starts_in_french(client):
    admin = UserFactory(is_superuser=True, is_staff=True)
    caf = CafFactory(department_code="82", name="Caf de Tarn-et-Garonne")
    client.force_login(admin)
    url = reverse("admin:conventions_convention_add")
    response = client.post(url, _convention_admin_post(caf, end_date="2023-06-30"))
    assert response.status_code == 200
    assert "La date de fin doit être postérieure à la date de début." in response.content.decode()
    assert not Convention.objects.filter(name="CTG saisie dans l'administration").exists()


def test_the_admin_accepts_a_valid_convention(client):
    """The same POST with sensible dates is saved: the refusal above is about the dates."""
    admin = UserFactory(is_superuser=True, is_staff=True)
    caf = CafFactory(department_code="82", name="Caf de Tarn-et-Garonne")
    client.force_login(admin)
    response = client.post(reverse("admin:conventions_convention_add"), _convention_admin_post(caf))
    assert response.status_code == 302, response.content.decode()[:2000]
    assert Convention.objects.filter(name="CTG saisie dans l'administration").exists()


def _sheet_admin_post(sheet, **overrides):
    data = {
        "convention": str(sheet.convention.pk),
        "number": "FA-02",
        "title": "Fiche saisie dans l'administration",
        "thematic": str(thematic("jeunesse").pk),
        "status": ActionSheet.Status.DRAFT,
        "version": "1",
        **_inline_management(["funding_lines", "approvals", "transitions"]),
    }
    data.update(overrides)
    return data


def test_the_admin_refuses_a_duplicate_fiche_number_in_french(client):
    client.force_login(UserFactory(is_superuser=True, is_staff=True))
    sheet = ActionSheetFactory(number="FA-01")
    response = client.post(
        reverse("admin:actions_actionsheet_add"), _sheet_admin_post(sheet, number="FA-01")
    )
    assert response.status_code == 200
    assert "Ce numéro de fiche est déjà utilisé dans la convention." in response.content.decode()
    assert ActionSheet.objects.count() == 1


def test_the_admin_refuses_a_negative_funding_amount_in_french(client):
    client.force_login(UserFactory(is_superuser=True, is_staff=True))
    sheet = ActionSheetFactory(number="FA-01")
    data = _sheet_admin_post(sheet)
    data.update(
        {
            "funding_lines-TOTAL_FORMS": "1",
            "funding_lines-0-funder": "Caf",
            "funding_lines-0-year": "2024",
            "funding_lines-0-planned_amount": "-100",
            "funding_lines-0-spent_amount": "0",
        }
    )
    response = client.post(reverse("admin:actions_actionsheet_add"), data)
    assert response.status_code == 200
    assert "Le montant ne peut pas être négatif." in response.content.decode()
    assert ActionSheet.objects.count() == 1
    assert not FundingLine.objects.exists()


def test_the_admin_saves_a_valid_fiche_with_its_funding(client):
    client.force_login(UserFactory(is_superuser=True, is_staff=True))
    sheet = ActionSheetFactory(number="FA-01")
    data = _sheet_admin_post(sheet)
    data.update(
        {
            "funding_lines-TOTAL_FORMS": "1",
            "funding_lines-0-funder": "Caf",
            "funding_lines-0-year": "2024",
            "funding_lines-0-nature": "investissement",
            "funding_lines-0-planned_amount": "100",
            "funding_lines-0-spent_amount": "0",
        }
    )
    response = client.post(reverse("admin:actions_actionsheet_add"), data)
    assert response.status_code == 302, response.content.decode()[:3000]
    assert FundingLine.objects.get().sheet.number == "FA-02"
