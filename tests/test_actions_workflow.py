"""The fiche workflow and the co-piloted approval rule, at the service level."""

import logging
from smtplib import SMTPException

import pytest
from django.core import mail
from django.core.exceptions import PermissionDenied, ValidationError
from kombu.exceptions import OperationalError

from actions import services, tasks
from actions.factories import ActionSheetFactory, FundingLineFactory
from actions.history import changes_since_approved, sheet_history
from actions.models import ActionSheet, ActionSheetTransition, Approval
from actions.selectors import sheets_awaiting_opinion
from actions.workflow import approving_committee
from conventions.factories import CommitteeFactory, CommitteeMemberFactory, UserFactory
from conventions.models import Committee, Side
from ctg.celery import app as celery_app

Status = ActionSheet.Status
FAV = Approval.Decision.FAVORABLE
REVIEW = Approval.Decision.TO_REVIEW


@pytest.fixture
def sheet(world):
    return ActionSheetFactory(
        ready=True, convention=world.convention, number="FA-01", title="Relais petite enfance"
    )


def submitted(world, sheet, by=None):
    with_commit = services.action_sheet_submit(sheet=sheet, by=by or world.coordinator)
    return with_commit


def validated(world, sheet):
    sheet = submitted(world, sheet)
    services.approval_give(sheet=sheet, member=world.caf_seat, decision=FAV)
    services.approval_give(sheet=sheet, member=world.territory_seat, decision=FAV)
    sheet.refresh_from_db()
    assert sheet.status == Status.VALIDATED
    return sheet


def edit(world, sheet, by=None, reason="", **fields):
    sheet.refresh_from_db()
    return services.action_sheet_save(
        convention=world.convention,
        by=by or world.coordinator,
        data=fields,
        sheet=sheet,
        revision=sheet.revision,
        change_reason=reason,
    )


# --------------------------------------------------------------------------- submission


@pytest.mark.parametrize("role", ["caf_staff", "coordinator", "superuser"])
def test_editors_submit_a_draft_and_the_transition_is_recorded(world, sheet, role):
    user = getattr(world, role)
    sheet = services.action_sheet_submit(sheet=sheet, by=user)
    sheet.refresh_from_db()
    assert sheet.status == Status.SUBMITTED
    assert sheet.submitted_by == user
    transition = ActionSheetTransition.objects.get(sheet=sheet)
    assert (transition.from_status, transition.to_status) == (Status.DRAFT, Status.SUBMITTED)
    assert transition.by == user and transition.at is not None


@pytest.mark.parametrize(
    "role", ["elected", "member_caf", "member_territory", "other_caf_staff", "outsider"]
)
def test_it_refuses_a_submission_by_someone_who_does_not_edit_fiches(world, sheet, role):
    with pytest.raises(PermissionDenied):
        services.action_sheet_submit(sheet=sheet, by=getattr(world, role))
    sheet.refresh_from_db()
    assert sheet.status == Status.DRAFT
    assert not sheet.transitions.exists()


@pytest.mark.parametrize(
    "status",
    [Status.SUBMITTED, Status.VALIDATED, Status.IN_PROGRESS, Status.DONE, Status.ABANDONED],
)
def test_it_refuses_to_submit_a_fiche_that_is_not_a_draft_or_sent_back(world, status):
    sheet = ActionSheetFactory(ready=True, convention=world.convention, status=status)
    with pytest.raises(services.WorkflowError, match="Impossible de soumettre"):
        services.action_sheet_submit(sheet=sheet, by=world.coordinator)


def test_it_refuses_to_submit_when_no_committee_has_members(world, sheet):
    world.committee.members.all().delete()
    with pytest.raises(services.WorkflowError, match="Aucune instance"):
        services.action_sheet_submit(sheet=sheet, by=world.coordinator)


# --------------------------------------------------------------------------- two-sided rule


def test_one_side_approving_is_not_enough(world, sheet):
    sheet = submitted(world, sheet)
    services.approval_give(sheet=sheet, member=world.caf_seat, decision=FAV)
    sheet.refresh_from_db()
    assert sheet.status == Status.SUBMITTED
    assert sheet.approved_version is None


def test_the_territory_side_alone_is_not_enough_either(world, sheet):
    sheet = submitted(world, sheet)
    services.approval_give(sheet=sheet, member=world.territory_seat, decision=FAV)
    sheet.refresh_from_db()
    assert sheet.status == Status.SUBMITTED


def test_both_sides_approving_validate_the_fiche(world, sheet):
    sheet = validated(world, sheet)
    assert sheet.approved_version == sheet.version == 1
    last = sheet.transitions.order_by("-at", "-id").first()
    assert last.to_status == Status.VALIDATED
    assert last.by == world.member_territory
    assert "deux collèges" in last.reason


def test_the_required_number_per_side_is_the_committees(world, sheet):
    world.committee.approvals_required_per_side = 2
    world.committee.save()
    second_caf = CommitteeMemberFactory(
        committee=world.committee, side=Side.CAF, user=UserFactory(email="c2@caf82.fr")
    )
    sheet = submitted(world, sheet)
    services.approval_give(sheet=sheet, member=world.caf_seat, decision=FAV)
    services.approval_give(sheet=sheet, member=second_caf, decision=FAV)
    services.approval_give(sheet=sheet, member=world.territory_seat, decision=FAV)
    sheet.refresh_from_db()
    assert sheet.status == Status.SUBMITTED  # territory side: 1 of 2
    second_territory = CommitteeMemberFactory(committee=world.committee, side=Side.TERRITORY)
    services.approval_give(sheet=sheet, member=second_territory, decision=FAV)
    sheet.refresh_from_db()
    assert sheet.status == Status.VALIDATED


def test_one_opinion_to_review_sends_the_fiche_back_with_its_comment(world, sheet):
    sheet = submitted(world, sheet)
    services.approval_give(sheet=sheet, member=world.caf_seat, decision=FAV)
    services.approval_give(
        sheet=sheet, member=world.territory_seat, decision=REVIEW, comment="Préciser le budget"
    )
    sheet.refresh_from_db()
    assert sheet.status == Status.TO_REVIEW
    last = sheet.transitions.order_by("-at", "-id").first()
    assert (last.to_status, last.reason, last.by) == (
        Status.TO_REVIEW,
        "Préciser le budget",
        world.member_territory,
    )


def test_it_refuses_an_opinion_to_review_without_comment(world, sheet):
    sheet = submitted(world, sheet)
    with pytest.raises(services.WorkflowError, match="motivé"):
        services.approval_give(sheet=sheet, member=world.caf_seat, decision=REVIEW, comment=" ")
    assert not Approval.objects.exists()


def test_a_sent_back_fiche_is_edited_then_resubmitted_as_a_new_version(world, sheet):
    sheet = submitted(world, sheet)
    services.approval_give(sheet=sheet, member=world.caf_seat, decision=REVIEW, comment="Budget ?")
    sheet = edit(world, sheet, description="Budget détaillé")
    assert sheet.status == Status.TO_REVIEW and sheet.version == 1
    sheet = services.action_sheet_submit(sheet=sheet, by=world.coordinator)
    assert (sheet.status, sheet.version) == (Status.SUBMITTED, 2)
    # The member who asked for changes gives a fresh opinion on the new version.
    services.approval_give(sheet=sheet, member=world.caf_seat, decision=FAV)
    services.approval_give(sheet=sheet, member=world.territory_seat, decision=FAV)
    sheet.refresh_from_db()
    assert (sheet.status, sheet.approved_version) == (Status.VALIDATED, 2)
    assert Approval.objects.filter(sheet=sheet, version=1).count() == 1


def test_it_refuses_a_second_opinion_of_the_same_member_on_the_same_version(world, sheet):
    sheet = submitted(world, sheet)
    services.approval_give(sheet=sheet, member=world.caf_seat, decision=FAV)
    with pytest.raises(services.WorkflowError, match="déjà donné votre avis sur la version 1"):
        services.approval_give(sheet=sheet, member=world.caf_seat, decision=FAV)
    assert Approval.objects.count() == 1


def test_it_refuses_an_opinion_from_another_conventions_committee(world, sheet):
    stranger = CommitteeMemberFactory(
        committee=world.other_committee, side=Side.CAF, user=world.other_caf_staff
    )
    sheet = submitted(world, sheet)
    with pytest.raises(PermissionDenied):
        services.approval_give(sheet=sheet, member=stranger, decision=FAV)
    assert not Approval.objects.exists()


def test_it_refuses_an_opinion_from_a_committee_that_does_not_examine_fiches(world, sheet):
    technical = CommitteeFactory(
        convention=world.convention, kind=Committee.Kind.TECHNICAL, name="Comité technique"
    )
    seat = CommitteeMemberFactory(committee=technical, side=Side.CAF, user=world.caf_staff)
    sheet = submitted(world, sheet)
    with pytest.raises(PermissionDenied):
        services.approval_give(sheet=sheet, member=seat, decision=FAV)


def test_the_copil_examines_fiches_and_another_committee_only_when_there_is_none(world):
    assert approving_committee(convention=world.convention) == world.committee
    technical = CommitteeFactory(convention=world.convention, kind=Committee.Kind.TECHNICAL)
    CommitteeMemberFactory(committee=technical)
    assert approving_committee(convention=world.convention) == world.committee
    world.committee.members.all().delete()
    assert approving_committee(convention=world.convention) == technical


def test_a_member_may_not_approve_a_fiche_they_submitted(world, sheet):
    # The Caf agent also sits on the COPIL and submitted the fiche.
    seat = CommitteeMemberFactory(committee=world.committee, side=Side.CAF, user=world.caf_staff)
    sheet = submitted(world, sheet, by=world.caf_staff)
    with pytest.raises(services.WorkflowError, match="votre propre proposition"):
        services.approval_give(sheet=sheet, member=seat, decision=FAV)
    assert sheet not in sheets_awaiting_opinion(user=world.caf_staff)


@pytest.mark.parametrize(
    "status", [Status.DRAFT, Status.VALIDATED, Status.TO_REVIEW, Status.IN_PROGRESS]
)
def test_it_refuses_an_opinion_on_a_fiche_that_is_not_submitted(world, status):
    sheet = ActionSheetFactory(ready=True, convention=world.convention, status=status)
    with pytest.raises(services.WorkflowError, match="donner un avis"):
        services.approval_give(sheet=sheet, member=world.caf_seat, decision=FAV)


# --------------------------------------------------------------------------- later stages


def test_a_validated_fiche_goes_in_progress_then_done(world, sheet):
    sheet = validated(world, sheet)
    sheet = services.action_sheet_start(sheet=sheet, by=world.coordinator)
    assert sheet.status == Status.IN_PROGRESS
    sheet = services.action_sheet_complete(sheet=sheet, by=world.caf_staff, reason="Bilan fait")
    assert sheet.status == Status.DONE
    steps = list(sheet.transitions.order_by("at", "id").values_list("to_status", flat=True))
    assert steps == [
        Status.SUBMITTED,
        Status.VALIDATED,
        Status.IN_PROGRESS,
        Status.DONE,
    ]


@pytest.mark.parametrize(
    "status", [Status.DRAFT, Status.SUBMITTED, Status.TO_REVIEW, Status.IN_PROGRESS, Status.DONE]
)
def test_it_refuses_to_start_a_fiche_that_is_not_validated(world, status):
    sheet = ActionSheetFactory(ready=True, convention=world.convention, status=status)
    with pytest.raises(services.WorkflowError, match="Impossible de démarrer"):
        services.action_sheet_start(sheet=sheet, by=world.coordinator)


@pytest.mark.parametrize("status", [Status.DRAFT, Status.SUBMITTED, Status.VALIDATED])
def test_it_refuses_to_complete_a_fiche_that_is_not_in_progress(world, status):
    sheet = ActionSheetFactory(ready=True, convention=world.convention, status=status)
    with pytest.raises(services.WorkflowError, match="réalisée"):
        services.action_sheet_complete(sheet=sheet, by=world.coordinator)


@pytest.mark.parametrize(
    "status",
    [Status.DRAFT, Status.SUBMITTED, Status.VALIDATED, Status.TO_REVIEW, Status.IN_PROGRESS],
)
def test_a_fiche_is_abandoned_at_any_open_stage_with_a_reason(world, status):
    sheet = ActionSheetFactory(ready=True, convention=world.convention, status=status)
    sheet = services.action_sheet_abandon(sheet=sheet, by=world.caf_staff, reason="Porteur parti")
    assert sheet.status == Status.ABANDONED
    assert sheet.status_reason == "Porteur parti"
    assert sheet.transitions.get().reason == "Porteur parti"


def test_it_refuses_to_abandon_without_a_reason(world, sheet):
    with pytest.raises(services.WorkflowError, match="motif"):
        services.action_sheet_abandon(sheet=sheet, by=world.caf_staff, reason="  ")
    sheet.refresh_from_db()
    assert sheet.status == Status.DRAFT


@pytest.mark.parametrize("status", [Status.DONE, Status.ABANDONED])
def test_it_refuses_to_abandon_a_closed_fiche(world, status):
    sheet = ActionSheetFactory(ready=True, convention=world.convention, status=status)
    with pytest.raises(services.WorkflowError, match="ne peut pas être abandonnée"):
        services.action_sheet_abandon(sheet=sheet, by=world.caf_staff, reason="x")


@pytest.mark.parametrize("role", ["elected", "member_caf", "outsider"])
def test_it_refuses_start_complete_and_abandon_to_non_editors(world, role):
    user = getattr(world, role)
    sheet = ActionSheetFactory(ready=True, convention=world.convention, status=Status.VALIDATED)
    for function, kwargs in (
        (services.action_sheet_start, {}),
        (services.action_sheet_abandon, {"reason": "x"}),
    ):
        with pytest.raises(PermissionDenied):
            function(sheet=sheet, by=user, **kwargs)


# --------------------------------------------------------------------------- new versions


def test_a_substantive_edit_of_a_validated_fiche_needs_a_reason(world, sheet):
    sheet = validated(world, sheet)
    with pytest.raises(ValidationError) as exc:
        edit(world, sheet, title="Relais petite enfance itinérant")
    assert "motif" in str(exc.value)
    sheet.refresh_from_db()
    assert (sheet.title, sheet.version, sheet.status) == (
        "Relais petite enfance",
        1,
        Status.VALIDATED,
    )


def test_a_substantive_edit_of_a_validated_fiche_opens_a_version_to_approve_again(world, sheet):
    FundingLineFactory(sheet=sheet, funder="Caf", year=2023, planned_amount=10000)
    sheet = validated(world, sheet)
    sheet = services.action_sheet_start(sheet=sheet, by=world.coordinator)
    sheet = edit(
        world, sheet, title="Relais petite enfance itinérant", reason="Extension à 3 communes"
    )
    assert (sheet.version, sheet.status, sheet.approved_version) == (2, Status.SUBMITTED, 1)
    transition = sheet.transitions.order_by("-at", "-id").first()
    assert (transition.from_status, transition.to_status, transition.reason) == (
        Status.IN_PROGRESS,
        Status.SUBMITTED,
        "Extension à 3 communes",
    )
    # Opinions on version 1 stay for history but do not count for version 2.
    assert Approval.objects.filter(sheet=sheet, version=1).count() == 2
    services.approval_give(sheet=sheet, member=world.caf_seat, decision=FAV)
    sheet.refresh_from_db()
    assert sheet.status == Status.SUBMITTED
    services.approval_give(sheet=sheet, member=world.territory_seat, decision=FAV)
    sheet.refresh_from_db()
    assert (sheet.status, sheet.approved_version) == (Status.VALIDATED, 2)


def test_the_diff_against_the_approved_version_shows_fields_funding_and_reason(world, sheet):
    line = FundingLineFactory(sheet=sheet, funder="Caf", year=2023, planned_amount=10000)
    sheet = validated(world, sheet)
    sheet.refresh_from_db()
    services.action_sheet_save(
        convention=world.convention,
        by=world.coordinator,
        data={"title": "Relais itinérant"},
        funding_lines=[
            {
                "id": line.pk,
                "funder": "Caf",
                "year": 2023,
                "planned_amount": 12000,
                "spent_amount": 0,
            },
            {
                "id": None,
                "funder": "Département",
                "year": 2024,
                "planned_amount": 3000,
                "spent_amount": 0,
            },
        ],
        sheet=sheet,
        revision=sheet.revision,
        change_reason="Nouveau financeur",
    )
    sheet.refresh_from_db()
    diff = changes_since_approved(sheet=sheet)
    assert diff["approved_version"] == 1
    assert {"field": "intitulé", "old": "Relais petite enfance", "new": "Relais itinérant"} in diff[
        "fields"
    ]
    whats = [c["what"] for c in diff["children"]]
    assert "Financement modifié : Caf 2023" in whats
    assert "Financement ajouté : Département 2024" in whats
    assert [t.reason for t in diff["reasons"]] == ["Nouveau financeur"]


def test_a_follow_up_edit_of_a_validated_fiche_keeps_its_version(world, sheet):
    line = FundingLineFactory(sheet=sheet, funder="Caf", year=2023, planned_amount=10000)
    sheet = validated(world, sheet)
    sheet.refresh_from_db()
    sheet = services.action_sheet_save(
        convention=world.convention,
        by=world.coordinator,
        data={"number": "FA-07"},
        funding_lines=[
            {
                "id": line.pk,
                "funder": "Caf",
                "year": 2023,
                "planned_amount": 10000,
                "spent_amount": 4000,
            },
        ],
        sheet=sheet,
        revision=sheet.revision,
    )
    assert (sheet.version, sheet.status, sheet.number) == (1, Status.VALIDATED, "FA-07")


@pytest.mark.parametrize("status", [Status.DONE, Status.ABANDONED])
def test_it_refuses_to_edit_a_closed_fiche(world, status):
    sheet = ActionSheetFactory(ready=True, convention=world.convention, status=status)
    with pytest.raises(services.WorkflowError, match="ne peut plus être modifiée"):
        edit(world, sheet, title="Autre")


# --------------------------------------------------------------------------- optimistic locking


def test_a_stale_save_is_refused_and_nothing_is_overwritten(world, sheet):
    loaded_revision = sheet.revision
    edit(world, sheet, by=world.caf_staff, title="Titre de Claire")
    with pytest.raises(services.StaleEditError, match="modifiée par quelqu'un d'autre"):
        services.action_sheet_save(
            convention=world.convention,
            by=world.coordinator,
            data={"title": "Titre de Corinne"},
            sheet=sheet,
            revision=loaded_revision,
        )
    sheet.refresh_from_db()
    assert sheet.title == "Titre de Claire"
    assert sheet.revision == loaded_revision + 1


def test_a_transition_makes_an_open_edit_form_stale(world, sheet):
    loaded_revision = sheet.revision
    services.action_sheet_submit(sheet=sheet, by=world.caf_staff)
    with pytest.raises(services.StaleEditError):
        services.action_sheet_save(
            convention=world.convention,
            by=world.coordinator,
            data={"title": "Autre"},
            sheet=sheet,
            revision=loaded_revision,
        )
    sheet.refresh_from_db()
    assert sheet.status == Status.SUBMITTED and sheet.title == "Relais petite enfance"


def test_the_history_records_who_changed_what(world, sheet):
    edit(world, sheet, by=world.caf_staff, title="Nouveau titre")
    record = sheet.history.order_by("-history_date").first()
    assert record.history_user == world.caf_staff
    assert record.title == "Nouveau titre"


# --------------------------------------------------------------------------- notifications


def test_submission_mails_the_committee_members_only_after_commit(
    world, sheet, django_capture_on_commit_callbacks, mailoutbox
):
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        services.action_sheet_submit(sheet=sheet, by=world.coordinator)
        assert mailoutbox == []
    assert len(callbacks) == 1
    assert mailoutbox == []
    callbacks[0]()
    recipients = sorted(m.to[0] for m in mailoutbox)
    assert recipients == ["marc@caf82.fr", "maud@ccdr.fr"]
    message = mailoutbox[0]
    assert "FA-01" in message.subject and "soumise" in message.subject
    assert "Relais petite enfance" in message.body
    html, mimetype = message.alternatives[0]
    assert mimetype == "text/html" and "Relais petite enfance" in html


def test_no_mail_leaves_when_the_transaction_rolls_back(
    world, sheet, django_capture_on_commit_callbacks, mailoutbox
):
    from django.db import transaction

    with django_capture_on_commit_callbacks(execute=True):
        with pytest.raises(RuntimeError):
            with transaction.atomic():
                services.action_sheet_submit(sheet=sheet, by=world.coordinator)
                raise RuntimeError("boom")
    assert mailoutbox == []
    sheet.refresh_from_db()
    assert sheet.status == Status.DRAFT


def test_decisions_mail_the_author_and_validation_mails_both_sides(
    world, sheet, django_capture_on_commit_callbacks, mailoutbox
):
    with django_capture_on_commit_callbacks(execute=True):
        services.action_sheet_submit(sheet=sheet, by=world.coordinator)
    mailoutbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        services.approval_give(sheet=sheet, member=world.caf_seat, decision=FAV)
    assert [m.to for m in mailoutbox] == [["corinne@ccdr.fr"]]
    assert "favorable" in mailoutbox[0].subject
    mailoutbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        services.approval_give(sheet=sheet, member=world.territory_seat, decision=FAV)
    validated_mails = [m for m in mailoutbox if "validée" in m.subject]
    assert sorted(m.to[0] for m in validated_mails) == ["marc@caf82.fr", "maud@ccdr.fr"]
    decision_mails = [m for m in mailoutbox if "Avis" in m.subject]
    assert [m.to for m in decision_mails] == [["corinne@ccdr.fr"]]


def test_a_request_for_changes_mails_its_comment_to_the_author(
    world, sheet, django_capture_on_commit_callbacks, mailoutbox
):
    services.action_sheet_submit(sheet=sheet, by=world.coordinator)
    with django_capture_on_commit_callbacks(execute=True):
        services.approval_give(
            sheet=sheet, member=world.territory_seat, decision=REVIEW, comment="Revoir le public"
        )
    (message,) = mailoutbox
    assert message.to == ["corinne@ccdr.fr"]
    assert "à revoir" in message.subject
    assert "Revoir le public" in message.body


def test_a_broker_failure_is_logged_and_never_blocks_the_workflow(
    world, sheet, django_capture_on_commit_callbacks, mailoutbox, monkeypatch, caplog
):
    def broker_down(*args, **kwargs):
        raise OperationalError("Error 111 connecting to 127.0.0.1:6379. Connection refused.")

    monkeypatch.setattr(tasks.send_action_sheet_notification, "delay", broker_down)
    with caplog.at_level(logging.ERROR, logger="actions.services"):
        with django_capture_on_commit_callbacks(execute=True):
            services.action_sheet_submit(sheet=sheet, by=world.coordinator)
    sheet.refresh_from_db()
    assert sheet.status == Status.SUBMITTED
    assert mailoutbox == []
    assert any("non envoyée" in r.getMessage() for r in caplog.records)


def test_a_failed_send_is_retried(world, sheet, monkeypatch, mailoutbox):
    from django.core.mail.backends.locmem import EmailBackend

    original = EmailBackend.send_messages
    attempts = []

    def flaky(self, messages):
        attempts.append(len(messages))
        if len(attempts) == 1:
            raise SMTPException("421 service not available")
        return original(self, messages)

    monkeypatch.setattr(EmailBackend, "send_messages", flaky)
    services.action_sheet_submit(sheet=sheet, by=world.coordinator)  # on_commit: not run here
    # Eager mode runs the retry at once (a real worker waits for the backoff).
    result = tasks.send_action_sheet_notification.apply(
        args=("submitted", sheet.pk, None), throw=False
    )
    assert result.get() == 2
    assert len(attempts) == 2
    assert len(mailoutbox) == 2


def test_a_send_that_keeps_failing_gives_up_without_touching_the_fiche(
    world, sheet, monkeypatch, django_capture_on_commit_callbacks, caplog
):
    from django.core.mail.backends.locmem import EmailBackend

    calls = []

    def down(self, messages):
        calls.append(1)
        raise ConnectionRefusedError("SMTP down")

    monkeypatch.setattr(EmailBackend, "send_messages", down)
    # As on a worker: a failure does not propagate, the task retries until it gives up.
    monkeypatch.setattr(celery_app.conf, "CELERY_TASK_EAGER_PROPAGATES", False)
    with caplog.at_level(logging.ERROR, logger="actions.services"):
        with django_capture_on_commit_callbacks(execute=True):
            services.action_sheet_submit(sheet=sheet, by=world.coordinator)
    sheet.refresh_from_db()
    assert sheet.status == Status.SUBMITTED
    assert len(calls) == 6  # the first try and 5 retries
    assert mail.outbox == []


def test_the_diff_and_the_history_show_communes_and_other_thematics(world, sheet):
    from conventions.models import Collectivity
    from diagnostics.factories import thematic

    laguepie = Collectivity.objects.get(name="Laguépie")
    epci = Collectivity.objects.get(name="CC des Deux Rives")
    sheet = validated(world, sheet)
    edit(world, sheet, reason="Étendre au territoire", communes=[laguepie, epci])
    edit(world, sheet, reason="Ajouter la jeunesse", other_thematics=[thematic("jeunesse")])
    sheet.refresh_from_db()

    diff = changes_since_approved(sheet=sheet)
    assert {
        "field": "communes concernées",
        "old": "—",
        "new": "CC des Deux Rives, Laguépie",
    } in diff["fields"]
    assert {"field": "autres thématiques", "old": "—", "new": "Jeunesse"} in diff["fields"]

    edit(world, sheet, reason="Laguépie seule", communes=[laguepie])
    changes = [
        (entry["reason"], change)
        for entry in sheet_history(sheet=sheet.__class__.objects.get(pk=sheet.pk))
        for change in entry["changes"]
        if change["field"] == "communes concernées"
    ]
    # One entry per edit, each with the whole before and after (never "all removed"
    # then "added" as two steps).
    assert changes == [
        (
            "Laguépie seule",
            {
                "field": "communes concernées",
                "old": "CC des Deux Rives, Laguépie",
                "new": "Laguépie",
            },
        ),
        (
            "Étendre au territoire",
            {"field": "communes concernées", "old": "—", "new": "CC des Deux Rives, Laguépie"},
        ),
    ]
