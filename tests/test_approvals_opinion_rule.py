"""Who may give an opinion on a fiche, and when opinions validate it: one rule
(``actions.workflow``) behind the service, the fiche page, the inbox and the counts."""

import pytest
from django.urls import reverse

from actions import selectors, services, workflow
from actions.factories import ActionSheetFactory
from actions.models import ActionSheet, Approval
from conventions.factories import CommitteeFactory, CommitteeMemberFactory, UserFactory
from conventions.models import Committee, Side
from portal.selectors import convention_dashboard

Status = ActionSheet.Status
FAV = Approval.Decision.FAVORABLE
REVIEW = Approval.Decision.TO_REVIEW


@pytest.fixture
def sheet(world):
    sheet = ActionSheetFactory(
        ready=True, convention=world.convention, number="FA-01", title="Relais"
    )
    return services.action_sheet_submit(sheet=sheet, by=world.coordinator)


@pytest.fixture
def technical_seat(world):
    """A territory seat on another committee of the same convention (not the approving one)."""
    technical = CommitteeFactory(
        convention=world.convention, kind=Committee.Kind.TECHNICAL, name="Comité technique"
    )
    return CommitteeMemberFactory(
        committee=technical, side=Side.TERRITORY, user=UserFactory(email="tech@ccdr.fr")
    )


def counted(sheet):
    return (
        workflow.with_favorable_counts(ActionSheet.objects.filter(pk=sheet.pk))
        .values_list("caf_favorable", "territory_favorable")
        .get()
    )


# --------------------------------------------------------------------------- counting


def test_an_opinion_from_another_committee_of_the_convention_does_not_count(
    world, sheet, technical_seat
):
    """Failed before on the Synthèse's count (portal.selectors), which counted every
    favourable opinion of the version whatever the committee; the workflow's SQL form of the
    rule (``with_favorable_counts``) is what it should use."""
    # Recorded directly: e.g. given while that committee examined the fiches, before the
    # COPIL had members.
    Approval.objects.create(sheet=sheet, member=technical_seat, version=1, decision=FAV)
    services.approval_give(sheet=sheet, member=world.caf_seat, decision=FAV)
    sheet.refresh_from_db()
    assert sheet.status == Status.SUBMITTED  # the territory side has not approved

    copil = workflow.approving_committee(convention=world.convention)
    assert workflow.favorable_counts(sheet=sheet, committee=copil) == {
        Side.CAF: 1,
        Side.TERRITORY: 0,
    }
    assert counted(sheet) == (1, 0)
    state = selectors.approval_state(sheet=sheet)
    assert (state.caf, state.territory) == (1, 0)


def test_opinions_on_an_earlier_version_do_not_count(world, sheet):
    services.approval_give(sheet=sheet, member=world.caf_seat, decision=FAV)
    services.approval_give(sheet=sheet, member=world.territory_seat, decision=REVIEW, comment="?")
    sheet = services.action_sheet_submit(sheet=sheet, by=world.coordinator)
    assert sheet.version == 2
    assert counted(sheet) == (0, 0)
    state = selectors.approval_state(sheet=sheet)
    assert (state.caf, state.territory) == (0, 0)


def test_the_three_forms_of_the_count_agree_and_validate_at_the_requirement(world, sheet):
    world.committee.approvals_required_per_side = 2
    world.committee.save()
    second_caf = CommitteeMemberFactory(committee=world.committee, side=Side.CAF)
    services.approval_give(sheet=sheet, member=world.caf_seat, decision=FAV)
    services.approval_give(sheet=sheet, member=second_caf, decision=FAV)
    services.approval_give(sheet=sheet, member=world.territory_seat, decision=FAV)
    tally = workflow.favorable_counts(sheet=sheet, committee=world.committee)
    assert tally == {Side.CAF: 2, Side.TERRITORY: 1}
    assert counted(sheet) == (2, 1)
    state = selectors.approval_state(sheet=sheet)
    assert (state.caf, state.territory) == (2, 1)
    assert not workflow.is_validated_by(tally, committee=world.committee)
    assert workflow.is_validated_by({Side.CAF: 2, Side.TERRITORY: 2}, committee=world.committee)
    assert not workflow.is_validated_by(tally, committee=None)


# --------------------------------------------------------------------------- who may give an opinion


def situations(world, sheet, technical_seat):
    """(user, seat or None, sheet) triples covering each clause of the rule."""
    own = CommitteeMemberFactory(committee=world.committee, side=Side.CAF, user=world.caf_staff)
    own_sheet = ActionSheetFactory(ready=True, convention=world.convention, number="FA-02")
    services.action_sheet_submit(sheet=own_sheet, by=world.caf_staff)
    draft = ActionSheetFactory(ready=True, convention=world.convention, number="FA-03")
    given = ActionSheetFactory(ready=True, convention=world.convention, number="FA-04")
    services.action_sheet_submit(sheet=given, by=world.coordinator)
    services.approval_give(sheet=given, member=world.territory_seat, decision=FAV)
    stranger = CommitteeMemberFactory(
        committee=world.other_committee, side=Side.CAF, user=world.outsider
    )
    return [
        (world.member_caf, world.caf_seat, sheet, None),
        (world.member_territory, world.territory_seat, sheet, None),
        (world.caf_staff, own, own_sheet, workflow.OWN_SUBMISSION),
        (world.member_caf, world.caf_seat, draft, workflow.NOT_AWAITING),
        (world.member_territory, world.territory_seat, given, workflow.ALREADY_GIVEN),
        (technical_seat.user, technical_seat, sheet, workflow.NOT_A_MEMBER),
        (world.outsider, stranger, sheet, workflow.NOT_A_MEMBER),
        (world.coordinator, None, sheet, workflow.NOT_A_MEMBER),
    ]


def test_the_rule_and_its_filter_agree_on_every_clause(world, sheet, technical_seat):
    for user, seat, target, expected in situations(world, sheet, technical_seat):
        target.refresh_from_db()
        committee = workflow.approving_committee(convention=target.convention)
        already = (
            seat is not None
            and Approval.objects.filter(sheet=target, member=seat, version=target.version).exists()
        )
        refusal = workflow.opinion_refusal(
            sheet=target, member=seat, committee=committee, already_given=already
        )
        assert (refusal.code if refusal else None) == expected, (user, target.number)
        listed = ActionSheet.objects.filter(workflow.awaiting_opinion_of(user), pk=target.pk)
        assert listed.exists() == (expected is None), (user, target.number)
        inbox = selectors.sheets_awaiting_opinion(user=user).filter(pk=target.pk)
        assert inbox.exists() == (expected is None), (user, target.number)


def test_the_service_refuses_with_the_rules_message(world, sheet, technical_seat):
    services.approval_give(sheet=sheet, member=world.caf_seat, decision=FAV)
    with pytest.raises(services.WorkflowError) as exc:
        services.approval_give(sheet=sheet, member=world.caf_seat, decision=FAV)
    assert exc.value.message == ("Vous avez déjà donné votre avis sur la version 1 de cette fiche.")
    with pytest.raises(services.ApprovalForbidden) as forbidden:
        services.approval_give(sheet=sheet, member=technical_seat, decision=FAV)
    assert str(forbidden.value) == workflow.NOT_A_MEMBER_MESSAGE
    with pytest.raises(services.ApprovalForbidden):
        services.approval_give(sheet=sheet, member=None, decision=FAV)


def test_the_fiche_page_tells_a_member_why_they_may_not_give_an_opinion(world, login):
    seat = CommitteeMemberFactory(committee=world.committee, side=Side.CAF, user=world.caf_staff)
    assert seat.committee == world.committee
    sheet = ActionSheetFactory(ready=True, convention=world.convention, number="FA-09")
    services.action_sheet_submit(sheet=sheet, by=world.caf_staff)
    url = reverse("actions:sheet", kwargs={"pk": world.convention.pk, "sheet_id": sheet.pk})
    page = login(world.caf_staff).get(url).content.decode()
    assert "Enregistrer mon avis" not in page
    assert "vous ne pouvez pas donner d&#x27;avis sur votre propre" in page
    page = login(world.member_caf).get(url).content.decode()
    assert "Enregistrer mon avis" in page


# --------------------------------------------------------------------------- transitions


BUTTONS = {
    Status.DRAFT: ["submit", "abandon"],
    Status.SUBMITTED: ["abandon"],
    Status.TO_REVIEW: ["submit", "abandon"],
    Status.VALIDATED: ["start", "abandon"],
    Status.IN_PROGRESS: ["complete", "abandon"],
    Status.DONE: [],
    Status.ABANDONED: [],
}


@pytest.mark.parametrize("status", list(Status))
def test_the_buttons_follow_the_transition_table(world, status):
    sheet = ActionSheetFactory(ready=True, convention=world.convention, status=status)
    assert [t.name for t in workflow.status_buttons(sheet, can_edit=True)] == BUTTONS[status]
    assert workflow.status_buttons(sheet, can_edit=False) == []


@pytest.mark.parametrize("status", [Status.DRAFT, Status.VALIDATED, Status.IN_PROGRESS])
def test_the_fiche_page_shows_the_workflows_buttons_only(world, login, status):
    sheet = ActionSheetFactory(ready=True, convention=world.convention, status=status)
    url = reverse("actions:sheet", kwargs={"pk": world.convention.pk, "sheet_id": sheet.pk})
    page = login(world.coordinator).get(url).content.decode()
    for transition in workflow.TRANSITIONS.values():
        if not transition.label:
            continue
        action = reverse(
            "actions:sheet_transition", args=[world.convention.pk, sheet.pk, transition.name]
        )
        assert (action in page) == (transition.name in BUTTONS[status]), transition.name


@pytest.mark.parametrize("name", ["validate", "send_back", "revise", "inconnu"])
def test_a_transition_without_a_button_cannot_be_posted(world, login, name):
    sheet = ActionSheetFactory(ready=True, convention=world.convention, status=Status.SUBMITTED)
    url = reverse("actions:sheet_transition", args=[world.convention.pk, sheet.pk, name])
    assert login(world.coordinator).post(url).status_code == 403
    sheet.refresh_from_db()
    assert sheet.status == Status.SUBMITTED


def test_every_transition_names_an_existing_service_and_only_known_statuses():
    for transition in workflow.TRANSITIONS.values():
        assert callable(getattr(services, transition.service)), transition.name
        assert set(transition.sources) <= set(Status.values)
        assert transition.target in Status.values
        assert transition.by in (workflow.EDITORS, workflow.COMMITTEE)


def test_the_status_groups():
    assert workflow.VALIDATED == (Status.VALIDATED, Status.IN_PROGRESS, Status.DONE)
    assert workflow.ONGOING == (Status.VALIDATED, Status.IN_PROGRESS)
    assert workflow.VERSIONED == (Status.SUBMITTED, Status.VALIDATED, Status.IN_PROGRESS)
    assert workflow.CLOSED == (Status.DONE, Status.ABANDONED)
    assert set(workflow.OPEN) | set(workflow.CLOSED) == set(Status.values)
    assert workflow.TRANSITIONS["revise"].sources == workflow.VERSIONED


def test_the_synthese_counts_only_the_approving_committees_opinions(world, sheet, technical_seat):
    """The Synthèse's « en attente d'avis » list showed 1 favourable opinion on the territory
    side for an opinion given in another committee (it counted every committee)."""
    Approval.objects.create(sheet=sheet, member=technical_seat, version=1, decision=FAV)
    services.approval_give(sheet=sheet, member=world.caf_seat, decision=FAV)
    [pending] = convention_dashboard(convention=world.convention).pending_sheets
    assert (pending.caf_favorable, pending.territory_favorable) == (1, 0)
