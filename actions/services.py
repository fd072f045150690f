"""Writes on the action plan: objectives, fiches action, their funding plan and
indicators, and the co-piloted approval workflow.

Every transition is a function below and records who, when and why in
:class:`ActionSheetTransition`. The rules themselves (statuses, transitions and who triggers
them, substantive fields, approving committee, who may give an opinion, when opinions validate
a fiche) live in :mod:`actions.workflow`; the functions below apply them.

- **New versions**: a resubmission after « à revoir » opens a new version (so that every member
  can give a fresh opinion; the old ones stay for history). Editing the *substance*
  (:data:`actions.workflow.SUBSTANTIVE_FIELDS`) of a fiche in a
  :data:`actions.workflow.VERSIONED` status asks for the reason of the change, opens a new
  version (``version + 1``) and puts it back to *soumise*: it must be approved again.
  Approvals of older versions are kept.
- **Optimistic locking**: the edit form carries ``ActionSheet.revision``; the save is a
  compare-and-increment in the database, a stale save is refused and nothing is written. Every
  transition also increments the revision, so an edit form loaded before a status change is stale.
"""

from __future__ import annotations

import logging
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.db.models import F

from conventions.models import CommitteeMember, Convention, Side, User
from conventions.permissions import convention_access
from conventions.services.data_version import convention_data_changed
from evaluation.models import SHARED_FIELDS, Indicator
from evaluation.readmodel import progress_refresh

from . import selectors, tasks, workflow
from .models import (
    NUMBER_TAKEN,
    SHEET_HISTORY,
    ActionSheet,
    ActionSheetTransition,
    Approval,
    FundingLine,
    Objective,
)
from .workflow import TRANSITIONS, Transition

logger = logging.getLogger(__name__)

#: The fields of the edit form: the substance, then follow-up data (number, pilot's account,
#: spent amounts) that never opens a new version.
SHEET_M2M_FIELDS: tuple[str, ...] = workflow.substantive_m2m(ActionSheet)
SHEET_FIELDS: tuple[str, ...] = (
    "number",
    *(f for f in workflow.SUBSTANTIVE_FIELDS[ActionSheet] if f not in SHEET_M2M_FIELDS),
    "lead_user",
)
FUNDING_FIELDS: tuple[str, ...] = (*workflow.SUBSTANTIVE_FIELDS[FundingLine], "spent_amount")
INDICATOR_FIELDS: tuple[str, ...] = workflow.SUBSTANTIVE_FIELDS[Indicator]


class WorkflowError(Exception):
    """A refused operation on a fiche; ``message`` is French and shown to the user."""

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


class StaleEditError(WorkflowError):
    """The fiche changed since the form was loaded."""


class ApprovalForbidden(PermissionDenied):
    """The person may not give an opinion on this fiche (no seat on its approving committee)."""


# --------------------------------------------------------------------------- helpers


def _require_editor(*, user: User, convention: Convention) -> None:
    if not convention_access(user, convention).can_edit_actions:
        raise PermissionDenied(
            "Seuls les agents de la Caf et les coordinateurs éditent les fiches."
        )


def _record(
    *, sheet: ActionSheet, from_status: str, by: User | None, reason: str = ""
) -> ActionSheetTransition:
    return ActionSheetTransition.objects.create(
        sheet=sheet,
        from_status=from_status,
        to_status=sheet.status,
        version=sheet.version,
        by=by,
        reason=reason,
    )


def _locked(sheet: ActionSheet) -> ActionSheet:
    """The fiche re-read under a row lock (serialises concurrent transitions)."""
    return ActionSheet.objects.select_for_update().select_related("convention").get(pk=sheet.pk)


def _save_sheet(sheet: ActionSheet, *, by: User | None, reason: str = "") -> None:
    """Save a fiche read under :func:`_locked`; any save makes open edit forms stale."""
    sheet.revision += 1
    sheet._history_user = by
    sheet._change_reason = reason or None
    sheet.save()


def _check(transition: Transition, sheet: ActionSheet) -> None:
    refused = transition.refusal(sheet)
    if refused:
        raise WorkflowError(refused)


def _move(
    *, sheet: ActionSheet, transition: Transition, by: User | None, reason: str = ""
) -> ActionSheetTransition:
    """Apply ``transition`` (already checked) to the locked fiche and record it."""
    from_status = sheet.status
    sheet.status = transition.target
    sheet.status_reason = reason
    _save_sheet(sheet, by=by, reason=reason or f"Statut : {sheet.get_status_display()}")
    return _record(sheet=sheet, from_status=from_status, by=by, reason=reason)


def _queue_notification(event: str, sheet_id: int, approval_id: int | None = None) -> None:
    """Queue the e-mail task once the transaction commits; a broker failure never blocks."""

    def _send() -> None:
        try:
            tasks.send_action_sheet_notification.delay(event, sheet_id, approval_id)
        except Exception:  # broker down, or an eager task that failed all its retries
            logger.exception(
                "Notification %s de la fiche %s non envoyée (file de tâches indisponible)",
                event,
                sheet_id,
            )

    transaction.on_commit(_send)


# --------------------------------------------------------------------------- objectives


@transaction.atomic
def objective_save(
    *,
    convention: Convention,
    by: User,
    data: dict[str, Any],
    objective: Objective | None = None,
) -> Objective:
    """Create (``objective=None``) or update an objective with its linked findings."""
    _require_editor(user=by, convention=convention)
    convention_data_changed(convention_id=convention.pk)
    data = dict(data)
    findings = list(data.pop("findings", []))
    if objective is None:
        objective = Objective(convention=convention)
    elif objective.convention_id != convention.pk:
        raise PermissionDenied("Cet objectif n'appartient pas à la convention.")
    for name, value in data.items():
        setattr(objective, name, value)
    if objective.level == Objective.Level.GENERAL:
        objective.parent = None
    objective.full_clean()
    diagnostic_id = getattr(getattr(convention, "diagnostic", None), "pk", None)
    if any(f.diagnostic_id != diagnostic_id for f in findings):
        raise ValidationError({"findings": "Ces constats ne sont pas ceux du diagnostic."})
    objective._history_user = by
    objective.save()
    objective.findings.set(findings)
    progress_refresh(convention_id=convention.pk)
    return objective


@transaction.atomic
def objective_delete(*, objective: Objective, by: User) -> None:
    _require_editor(user=by, convention=objective.convention)
    convention_data_changed(convention_id=objective.convention_id)
    objective._history_user = by
    objective.delete()
    progress_refresh(convention_id=objective.convention_id)


# --------------------------------------------------------------------------- fiche edition


def _clean_rows(rows: list[dict[str, Any]] | None) -> list[dict[str, Any]]:
    return [dict(r) for r in rows or []]


def _apply_children(
    *,
    model,
    sheet: ActionSheet,
    fk_name: str,
    rows: list[dict[str, Any]],
    fields: tuple[str, ...],
    by: User,
    reason: str,
) -> tuple[list, list, bool]:
    """Validate child rows (funding lines or indicators) against the existing ones.

    Returns the instances to save, the ones to delete and whether the substance changed.
    Nothing is written here.
    """
    existing = {obj.pk: obj for obj in model.objects.filter(**{fk_name: sheet})} if sheet.pk else {}
    to_save, to_delete, changed = [], [], False
    errors: list[str] = []
    for row in rows:
        pk = row.get("id")
        if pk is not None and pk not in existing:
            raise PermissionDenied("Cette ligne n'appartient pas à la fiche.")
        if row.get("delete"):
            if pk is not None:
                # Deleting an indicator would silently take its measurements with it.
                measurements = getattr(existing[pk], "measurements", None)
                if measurements is not None and measurements.exists():
                    errors.append(
                        f"L'indicateur « {existing[pk]} » a déjà des mesures : il ne peut pas "
                        "être supprimé (ses mesures seraient perdues)."
                    )
                    continue
                to_delete.append(existing[pk])
                changed = True
            continue
        obj = existing[pk] if pk is not None else model()
        before = workflow.substantive_values(model, obj) if pk is not None else None
        # A linked indicator's definition is its shared indicator's (evaluation.shared).
        locked = SHARED_FIELDS if getattr(obj, "shared_id", None) and pk is not None else ()
        for f in fields:
            if f not in row:
                continue
            if f in locked and row[f] != getattr(obj, f):
                label = model._meta.get_field(f).verbose_name
                errors.append(
                    f"« {obj} » suit un indicateur partagé de la Caf : son champ « {label} » "
                    "se modifie dans l'indicateur partagé, pas sur la fiche."
                )
                continue
            setattr(obj, f, row[f])
        if workflow.substantive_changes(before, workflow.substantive_values(model, obj)):
            changed = True
        # Validated as attached to the fiche, which may not be saved yet.
        setattr(obj, f"{fk_name}_id", sheet.pk or -1)
        try:
            obj.full_clean(exclude=[fk_name], validate_unique=False, validate_constraints=False)
        except ValidationError as exc:
            errors.extend(m for msgs in exc.message_dict.values() for m in msgs)
        finally:
            setattr(obj, f"{fk_name}_id", sheet.pk)
        obj._history_user = by
        obj._change_reason = reason or None
        to_save.append(obj)
    if errors:
        raise ValidationError(errors)
    return to_save, to_delete, changed


@transaction.atomic
def action_sheet_save(
    *,
    convention: Convention,
    by: User,
    data: dict[str, Any],
    funding_lines: list[dict[str, Any]] | None = None,
    indicators: list[dict[str, Any]] | None = None,
    sheet: ActionSheet | None = None,
    revision: int | None = None,
    change_reason: str = "",
    refresh_progress: bool = True,
) -> ActionSheet:
    """Create (``sheet=None``) or update a fiche, its funding plan and its indicators.

    ``data`` holds the fields of :data:`SHEET_FIELDS` and the m2m :data:`SHEET_M2M_FIELDS`.
    Child rows are dicts of their fields plus ``id`` (existing row) and ``delete``.
    On update, ``revision`` is the one the form was loaded with (optimistic locking).
    A substantive change of a fiche in a versioned status is the ``revise`` transition.
    ``refresh_progress=False``: the caller refreshes the progress read model once, at the end
    of its own transaction (a plan import saves many fiches).
    """
    _require_editor(user=by, convention=convention)
    convention_data_changed(convention_id=convention.pk)
    data = dict(data)
    m2m = {name: list(data.pop(name)) for name in SHEET_M2M_FIELDS if name in data}
    change_reason = (change_reason or "").strip()
    creating = sheet is None
    numbered_here = creating and not data.get("number")

    if creating:
        sheet = ActionSheet(convention=convention, created_by=by)
        if numbered_here:
            # Fiches numbered here are created one at a time in a convention (its row is
            # locked), so that two requests do not pick the same next number.
            Convention.objects.select_for_update().only("pk").get(pk=convention.pk)
            data["number"] = selectors.next_sheet_number(convention=convention)
    else:
        if sheet.convention_id != convention.pk:
            raise PermissionDenied("Cette fiche n'appartient pas à la convention.")
        if revision is None:
            raise WorkflowError("La version du formulaire est inconnue : rechargez la page.")
        # Compare-and-increment: only the holder of the current revision may write.
        updated = ActionSheet.objects.filter(pk=sheet.pk, revision=revision).update(
            revision=F("revision") + 1
        )
        if not updated:
            raise StaleEditError(
                "Cette fiche a été modifiée par quelqu'un d'autre depuis que vous l'avez ouverte. "
                "Vos changements n'ont pas été enregistrés : rechargez la fiche et refaites-les."
            )
        sheet = ActionSheet.objects.select_for_update().get(pk=sheet.pk)
        refused = workflow.edit_refusal(sheet)
        if refused:
            raise WorkflowError(refused)

    before = workflow.substantive_values(ActionSheet, sheet)
    before_m2m = (
        {name: set(getattr(sheet, name).values_list("pk", flat=True)) for name in m2m}
        if not creating
        else {}
    )
    for name, value in data.items():
        if name not in SHEET_FIELDS:
            raise ValueError(f"Champ inconnu : {name}")
        setattr(sheet, name, value)
    changed_fields = workflow.substantive_changes(
        before, workflow.substantive_values(ActionSheet, sheet)
    )
    if not creating:
        changed_fields += [
            name
            for name, values in m2m.items()
            if before_m2m[name] != {getattr(v, "pk", v) for v in values}
        ]

    # A number given here is the next free one: should it be taken meanwhile all the same (a
    # number typed by hand in another request), the insert retries the next (_save_numbered).
    sheet.full_clean(exclude=["revision", "number"] if numbered_here else ["revision"])

    funding_save, funding_delete, funding_changed = _apply_children(
        model=FundingLine,
        sheet=sheet,
        fk_name="sheet",
        rows=_clean_rows(funding_lines),
        fields=FUNDING_FIELDS,
        by=by,
        reason=change_reason,
    )
    _check_funding_duplicates(funding_save)
    indicator_save, indicator_delete, indicators_changed = _apply_children(
        model=Indicator,
        sheet=sheet,
        fk_name="action_sheet",
        rows=_clean_rows(indicators),
        fields=INDICATOR_FIELDS,
        by=by,
        reason=change_reason,
    )
    if funding_changed:
        changed_fields.append("funding_lines")
    if indicators_changed:
        changed_fields.append("indicators")

    revise = TRANSITIONS["revise"]
    new_version = not creating and revise.opens_new_version(sheet.status) and bool(changed_fields)
    if new_version and not change_reason:
        raise ValidationError({"change_reason": revise.reason_missing})

    from_status = sheet.status
    if new_version:
        sheet.version += 1
        sheet.status = revise.target
        sheet.submitted_by = by
        sheet.status_reason = change_reason
    sheet._history_user = by
    sheet._change_reason = change_reason or ("Création" if creating else "Modification")
    if not creating:
        sheet.revision = revision + 1
    # One audit record once the communes and other thematics are set too: recorded
    # on each m2m signal, a change of communes read as "all removed" then "added".
    sheet.skip_history_when_saving = True
    try:
        _save_numbered(sheet, numbered_here=numbered_here)
        for name, values in m2m.items():
            getattr(sheet, name).set(values)
    finally:
        del sheet.skip_history_when_saving
    SHEET_HISTORY.create_historical_record(sheet, "+" if creating else "~")
    for obj in funding_delete + indicator_delete:
        obj._history_user = by
        obj._change_reason = change_reason or None
        obj.delete()
    for line in funding_save:
        line.sheet = sheet
        line.save()
    for indicator in indicator_save:
        indicator.action_sheet = sheet
        indicator.save()
    if new_version:
        _record(sheet=sheet, from_status=from_status, by=by, reason=change_reason)
        _queue_notification("submitted", sheet.pk)
    if refresh_progress:
        progress_refresh(convention_id=sheet.convention_id)
    return sheet


#: How many numbers a new fiche tries when concurrent creations take them one after another.
NUMBER_ATTEMPTS = 5


def _save_numbered(sheet: ActionSheet, *, numbered_here: bool) -> None:
    """Save the fiche; its number may have been taken since it was checked, by a request
    running at the same time (a double submit, two tabs). The unique constraint fires: a number
    given here is replaced by the next free one, a number the user chose is refused."""
    for _ in range(NUMBER_ATTEMPTS):
        try:
            with transaction.atomic():
                sheet.save()
            return
        except IntegrityError:
            taken = (
                ActionSheet.objects.filter(convention_id=sheet.convention_id, number=sheet.number)
                .exclude(pk=sheet.pk)
                .exists()
            )
            if not taken:
                raise
            if not numbered_here:
                raise ValidationError({"number": NUMBER_TAKEN}) from None
            sheet.number = selectors.next_sheet_number(convention=sheet.convention)
    raise WorkflowError(
        "D'autres fiches sont créées en ce moment dans cette convention : aucun numéro n'a pu "
        "être attribué. Enregistrez à nouveau la fiche."
    )


def _check_funding_duplicates(lines: list[FundingLine]) -> None:
    seen = set()
    for line in lines:
        key = (line.funder.strip().lower(), line.year)
        if key in seen:
            raise ValidationError(
                f"Le financeur « {line.funder} » a deux lignes pour l'année {line.year}."
            )
        seen.add(key)


# --------------------------------------------------------------------------- transitions


@transaction.atomic
def action_sheet_submit(*, sheet: ActionSheet, by: User) -> ActionSheet:
    """brouillon / à revoir → soumise (Caf staff or coordinator)."""
    transition = TRANSITIONS["submit"]
    convention_data_changed(convention_id=sheet.convention_id)
    sheet = _locked(sheet)
    _require_editor(user=by, convention=sheet.convention)
    _check(transition, sheet)
    gaps = workflow.submission_gaps(sheet)
    if gaps:
        raise WorkflowError(workflow.not_ready_message(gaps))
    if workflow.approving_committee(convention=sheet.convention) is None:
        raise WorkflowError(
            "Aucune instance de la convention n'a de membres : constituez le comité de pilotage "
            "avant de soumettre une fiche."
        )
    if transition.opens_new_version(sheet.status):
        sheet.version += 1
    sheet.submitted_by = by
    _move(sheet=sheet, transition=transition, by=by)
    _queue_notification("submitted", sheet.pk)
    progress_refresh(convention_id=sheet.convention_id)
    return sheet


@transaction.atomic
def approval_give(
    *,
    sheet: ActionSheet,
    member: CommitteeMember | None,
    decision: str,
    comment: str = "",
    occasion: str = "",
    by: User | None = None,
) -> Approval:
    """A committee member's opinion on the current version of a submitted fiche.

    Who may give it is :func:`actions.workflow.opinion_refusal` (``member=None``: the person
    holds no seat on the approving committee, refused like any non-member). Favourable
    opinions that validate (:func:`actions.workflow.is_validated_by`) make the fiche
    *validée*; one « à revoir » (comment mandatory) sends it back.

    ``occasion`` (« en comité de pilotage du 12 mars 2027 ») and ``by`` (who recorded it):
    for an opinion voted in a meeting and recorded by the Caf (``meetings.services``); the
    fiche's history then says « Validée en comité … » / « À revoir en comité … », and no
    e-mail goes out per opinion (the meeting tells the author once).
    """
    convention_data_changed(convention_id=sheet.convention_id)
    sheet = _locked(sheet)
    comment = (comment or "").strip()
    committee = workflow.approving_committee(convention=sheet.convention)
    already = (
        member is not None
        and Approval.objects.filter(sheet=sheet, member=member, version=sheet.version).exists()
    )
    refusal = workflow.opinion_refusal(
        sheet=sheet, member=member, committee=committee, already_given=already
    )
    if refusal is not None and refusal.code == workflow.NOT_A_MEMBER:
        raise ApprovalForbidden(refusal.message)
    if decision not in Approval.Decision.values:
        raise WorkflowError("Choisissez un avis : favorable ou à revoir.")
    if refusal is not None:
        raise WorkflowError(refusal.message)
    if decision == Approval.Decision.TO_REVIEW and not comment:
        raise WorkflowError(TRANSITIONS["send_back"].reason_missing)
    try:
        with transaction.atomic():
            approval = Approval.objects.create(
                sheet=sheet,
                member=member,
                version=sheet.version,
                decision=decision,
                comment=comment,
            )
    except IntegrityError as exc:
        # A double click: the first opinion was recorded meanwhile.
        raise WorkflowError(workflow.already_given_message(sheet)) from exc

    by = by or member.user
    if decision == Approval.Decision.TO_REVIEW:
        reason = f"À revoir {occasion} : {comment}" if occasion else comment
        _move(sheet=sheet, transition=TRANSITIONS["send_back"], by=by, reason=reason)
    else:
        tally = workflow.favorable_counts(sheet=sheet, committee=committee)
        if workflow.is_validated_by(tally, committee=committee):
            sheet.approved_version = sheet.version
            _move(
                sheet=sheet,
                transition=TRANSITIONS["validate"],
                by=by,
                reason=(
                    (f"Validée {occasion} — a" if occasion else "A")
                    + f"vis favorables des deux collèges sur la version {sheet.version} "
                    f"(Caf : {tally[Side.CAF]}, territoire : {tally[Side.TERRITORY]})."
                ),
            )
            _queue_notification("validated", sheet.pk, approval.pk)
    if not occasion:
        # An opinion voted in a meeting is told to the fiche's author once, by the
        # meeting's decision (``meetings.services.decision_notify``), not per opinion.
        _queue_notification("decision", sheet.pk, approval.pk)
    progress_refresh(convention_id=sheet.convention_id)
    return approval


def _editor_transition(name: str, *, sheet: ActionSheet, by: User, reason: str = "") -> ActionSheet:
    """An editor's transition without side effects beyond the status (start, complete,
    abandon), with its reason when the workflow requires one."""
    transition = TRANSITIONS[name]
    convention_data_changed(convention_id=sheet.convention_id)
    sheet = _locked(sheet)
    _require_editor(user=by, convention=sheet.convention)
    reason = (reason or "").strip()
    _check(transition, sheet)
    if transition.requires_reason and not reason:
        raise WorkflowError(transition.reason_missing)
    _move(sheet=sheet, transition=transition, by=by, reason=reason)
    progress_refresh(convention_id=sheet.convention_id)
    return sheet


@transaction.atomic
def action_sheet_start(*, sheet: ActionSheet, by: User, reason: str = "") -> ActionSheet:
    """validée → en cours."""
    return _editor_transition("start", sheet=sheet, by=by, reason=reason)


@transaction.atomic
def action_sheet_complete(*, sheet: ActionSheet, by: User, reason: str = "") -> ActionSheet:
    """en cours → réalisée."""
    return _editor_transition("complete", sheet=sheet, by=by, reason=reason)


@transaction.atomic
def action_sheet_abandon(*, sheet: ActionSheet, by: User, reason: str) -> ActionSheet:
    """Any open status → abandonnée, with a mandatory reason."""
    return _editor_transition("abandon", sheet=sheet, by=by, reason=reason)
