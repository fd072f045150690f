"""Re-approval and the "changes since the approved version" follow one list of substantive
fields (``actions.workflow.SUBSTANTIVE_FIELDS``): whatever the committee is asked to approve
again, it sees."""

import datetime
from decimal import Decimal

import pytest

from actions import services, workflow
from actions.factories import ActionSheetFactory, FundingLineFactory
from actions.history import changes_since_approved
from actions.models import ActionSheet, Approval, FundingLine, Objective
from conventions.models import Collectivity
from diagnostics.factories import thematic
from evaluation.models import Indicator

Status = ActionSheet.Status
FAV = Approval.Decision.FAVORABLE


@pytest.fixture
def sheet(world):
    return ActionSheetFactory(
        ready=True, convention=world.convention, number="FA-01", title="Relais"
    )


@pytest.fixture
def indicator(sheet):
    return Indicator.objects.create(
        action_sheet=sheet,
        name="Places ouvertes",
        unit="places",
        baseline_value=Decimal("0"),
        baseline_date=datetime.date(2023, 1, 1),
        target_value=Decimal("24"),
        target_date=datetime.date(2025, 6, 30),
        source="Gestionnaire",
        frequency=Indicator.Frequency.YEARLY,
    )


def row_of(obj, fields, **changes):
    row = {"id": obj.pk, **{f: getattr(obj, f) for f in fields}}
    row.update(changes)
    return row


def validated(world, sheet):
    services.action_sheet_submit(sheet=sheet, by=world.coordinator)
    services.approval_give(sheet=sheet, member=world.caf_seat, decision=FAV)
    services.approval_give(sheet=sheet, member=world.territory_seat, decision=FAV)
    sheet.refresh_from_db()
    assert sheet.status == Status.VALIDATED
    return sheet


def save(world, sheet, **kwargs):
    sheet.refresh_from_db()
    return services.action_sheet_save(
        convention=world.convention,
        by=world.coordinator,
        sheet=sheet,
        revision=sheet.revision,
        change_reason="Changement de fond",
        **kwargs,
    )


def verbose(model, name):
    return str(model._meta.get_field(name).verbose_name)


@pytest.mark.parametrize(
    "field,value,shown",
    [
        ("source", "Données Caf", "Données Caf"),
        ("frequency", Indicator.Frequency.QUARTERLY, "Trimestrielle"),
    ],
)
def test_an_indicator_change_that_asks_for_re_approval_is_shown_in_the_diff(
    world, sheet, indicator, field, value, shown
):
    """Failed before: the source and frequency of an indicator opened a new version but the
    diff did not show them (the committee was asked to approve a change it could not see)."""
    sheet = validated(world, sheet)
    sheet = save(
        world,
        sheet,
        data={},
        indicators=[row_of(indicator, services.INDICATOR_FIELDS, **{field: value})],
    )
    # Re-approval is asked...
    assert (sheet.version, sheet.status, sheet.approved_version) == (2, Status.SUBMITTED, 1)
    # ...and the committee sees what it is asked to approve again.
    diff = changes_since_approved(sheet=sheet)
    (child,) = diff["children"]
    assert child["what"] == "Indicateur modifié : Places ouvertes"
    assert [(d["field"], d["new"]) for d in child["details"]] == [
        (verbose(Indicator, field), shown)
    ]


INDICATOR_CHANGES = {
    "name": "Places créées",
    "kind": Indicator.Kind.OUTCOME,
    "unit": "berceaux",
    "baseline_value": Decimal("2"),
    "baseline_date": datetime.date(2022, 6, 1),
    "target_value": Decimal("30"),
    "target_date": datetime.date(2025, 12, 31),
    "direction": Indicator.Direction.MAINTAIN,
    "source": "Données Caf",
    "frequency": Indicator.Frequency.MONTHLY,
}


def test_every_substantive_field_of_an_indicator_has_a_change_in_this_test():
    assert set(INDICATOR_CHANGES) == set(workflow.SUBSTANTIVE_FIELDS[Indicator])


@pytest.mark.parametrize("field", workflow.SUBSTANTIVE_FIELDS[Indicator])
def test_each_substantive_indicator_field_asks_for_re_approval_and_shows_in_the_diff(
    world, sheet, indicator, field
):
    sheet = validated(world, sheet)
    sheet = save(
        world,
        sheet,
        data={},
        indicators=[
            row_of(indicator, services.INDICATOR_FIELDS, **{field: INDICATOR_CHANGES[field]})
        ],
    )
    assert (sheet.version, sheet.status) == (2, Status.SUBMITTED)
    (child,) = changes_since_approved(sheet=sheet)["children"]
    assert [d["field"] for d in child["details"]] == [verbose(Indicator, field)]


FUNDING_CHANGES = {
    "funder": "Département",
    "year": 2024,
    "nature": "investissement",
    "planned_amount": Decimal("12000"),
}


@pytest.mark.parametrize("field", workflow.SUBSTANTIVE_FIELDS[FundingLine])
def test_each_substantive_funding_field_asks_for_re_approval_and_shows_in_the_diff(
    world, sheet, field
):
    assert set(FUNDING_CHANGES) == set(workflow.SUBSTANTIVE_FIELDS[FundingLine])
    line = FundingLineFactory(sheet=sheet, funder="Caf", year=2023, planned_amount=10000)
    sheet = validated(world, sheet)
    sheet = save(
        world,
        sheet,
        data={},
        funding_lines=[row_of(line, services.FUNDING_FIELDS, **{field: FUNDING_CHANGES[field]})],
    )
    assert (sheet.version, sheet.status) == (2, Status.SUBMITTED)
    (child,) = changes_since_approved(sheet=sheet)["children"]
    assert [d["field"] for d in child["details"]] == [verbose(FundingLine, field)]


def test_a_spent_amount_is_follow_up_data_neither_re_approved_nor_in_the_diff(world, sheet):
    line = FundingLineFactory(sheet=sheet, funder="Caf", year=2023, planned_amount=10000)
    sheet = validated(world, sheet)
    sheet = save(
        world,
        sheet,
        data={},
        funding_lines=[row_of(line, services.FUNDING_FIELDS, spent_amount=Decimal("4000"))],
    )
    assert (sheet.version, sheet.status) == (1, Status.VALIDATED)
    assert changes_since_approved(sheet=sheet) is None


def sheet_changes(world):
    objective = Objective.objects.create(
        convention=world.convention, thematic=thematic("enfance"), title="Accueillir"
    )
    return {
        "title": "Relais itinérant",
        "thematic": thematic("enfance"),
        "objective": objective,
        "context": "Peu d'offre",
        "goals": "Ouvrir 24 places",
        "description": "Un relais itinérant",
        "target_public": "Assistantes maternelles",
        "lead": "CC des Deux Rives",
        "partners": "MSA",
        "start_date": datetime.date(2022, 9, 1),
        "end_date": datetime.date(2025, 12, 31),
        "expected_results": "Un relais ouvert",
        "no_funding": False,
        "other_thematics": [thematic("jeunesse")],
        "communes": [Collectivity.objects.get(name="Laguépie")],
    }


@pytest.mark.parametrize("field", workflow.SUBSTANTIVE_FIELDS[ActionSheet])
def test_each_substantive_fiche_field_asks_for_re_approval_and_shows_in_the_diff(
    world, sheet, field
):
    changes = sheet_changes(world)
    assert set(changes) == set(workflow.SUBSTANTIVE_FIELDS[ActionSheet])
    sheet = validated(world, sheet)
    sheet = save(world, sheet, data={field: changes[field]})
    assert (sheet.version, sheet.status) == (2, Status.SUBMITTED)
    diff = changes_since_approved(sheet=sheet)
    assert [c["field"] for c in diff["fields"]] == [verbose(ActionSheet, field)]
    assert diff["children"] == []
