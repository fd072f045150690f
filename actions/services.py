"""Writes on the action plan: objectives, fiches action, their funding plan and
indicators, and the co-piloted approval workflow.

Workflow (every transition is a function below and records who, when and why
in :class:`ActionSheetTransition`)::

    brouillon ──submit──▶ soumise ──approval_give──▶ validée ──start──▶ en cours ──complete──▶ réalisée
        ▲                    │  (both sides favorable)
        │                    └──approval_give (« à revoir »)──▶ à revoir ──(edit) submit──▶ soumise (version + 1)
    abandonnée ◀── abandon (mandatory reason) from any status but réalisée / abandonnée

Decisions documented here:

- **Approving committee**: the convention's comité de pilotage (``Committee.Kind.COPIL``)
  having members; when there is none, the first committee that has members
  (:func:`actions.selectors.approving_committee`). Only its members give opinions.
- **Co-piloting rule**: a fiche becomes *validée* when, for its current ``version``, at least
  ``committee.approvals_required_per_side`` members of **each** side (Caf and territoire) gave a
  favorable opinion. A single « à revoir » (with its mandatory comment) sends it back.
- **Own submission**: a member may **not** give an opinion on a fiche they submitted themselves
  (the author cannot approve their own proposal); the inbox does not list those fiches.
- **New versions**: a resubmission after « à revoir » opens a new version (so that every member
  can give a fresh opinion; the old ones stay for history). Editing the *substance*
  (:data:`SUBSTANTIVE_FIELDS`, the communes and other thematics, the planned funding and the
  indicators) of a fiche that is soumise, validée or en cours asks for the reason of the change,
  opens a new version (``version + 1``) and puts it back to *soumise*: it must be approved again.
  Approvals of older versions are kept. Spent amounts, the number and the pilot's account are
  follow-up data and do not open a new version.
- **Optimistic locking**: the edit form carries ``ActionSheet.revision``; the save is a
  compare-and-increment in the database, a stale save is refused and nothing is written. Every
  transition also increments the revision, so an edit form loaded before a status change is stale.
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.db.models import F

from conventions.models import CommitteeMember, Convention, Side, User
from conventions.permissions import convention_access
from evaluation.models import Indicator

from .models import (
    SHEET_HISTORY,
    ActionSheet,
    ActionSheetTransition,
    Approval,
    FundingLine,
    Objective,
)

logger = logging.getLogger(__name__)

Status = ActionSheet.Status

SUBSTANTIVE_FIELDS: tuple[str, ...] = (
    "title",
    "thematic",
    "objective",
    "context",
    "goals",
    "description",
    "target_public",
    "lead",
    "partners",
    "start_date",
    "end_date",
    "expected_results",
)
SUBSTANTIVE_M2M: tuple[str, ...] = ("other_thematics", "communes")
OTHER_FIELDS: tuple[str, ...] = ("number", "lead_user")
SHEET_M2M_FIELDS = SUBSTANTIVE_M2M
SHEET_FIELDS: tuple[str, ...] = ("number", *SUBSTANTIVE_FIELDS, "lead_user")

FUNDING_FIELDS: tuple[str, ...] = ("funder", "year", "planned_amount", "spent_amount")
FUNDING_SUBSTANTIVE: tuple[str, ...] = ("funder", "year", "planned_amount")
INDICATOR_FIELDS: tuple[str, ...] = (
    "name",
    "kind",
    "unit",
    "baseline_value",
    "baseline_date",
    "target_value",
    "target_date",
    "direction",
    "source",
    "frequency",
)

#: Statuses in which a substantive edit opens a new version.
VERSIONED_STATUSES = (Status.SUBMITTED, Status.VALIDATED, Status.IN_PROGRESS)
#: Statuses in which the fiche can no longer be edited.
CLOSED_STATUSES = (Status.DONE, Status.ABANDONED)


class WorkflowError(Exception):
    """A refused operation on a fiche; ``message`` is French and shown to the user."""

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


class StaleEditError(WorkflowError):
    """The fiche changed since the form was loaded."""


class ApprovalForbidden(PermissionDenied):
    """The member may not give an opinion on this fiche (another convention's committee)."""


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


def _change_status(
    *, sheet: ActionSheet, to: str, by: User | None, reason: str = ""
) -> ActionSheetTransition:
    from_status = sheet.status
    sheet.status = to
    sheet.status_reason = reason
    _save_sheet(sheet, by=by, reason=reason or f"Statut : {sheet.get_status_display()}")
    return _record(sheet=sheet, from_status=from_status, by=by, reason=reason)


def _refuse_unless(sheet: ActionSheet, allowed: tuple[str, ...], action: str) -> None:
    if sheet.status not in allowed:
        labels = ", ".join(str(Status(s).label).lower() for s in allowed)
        raise WorkflowError(
            f"Impossible de {action} une fiche « {sheet.get_status_display().lower()} » "
            f"(possible seulement quand elle est {labels})."
        )


def _queue_notification(event: str, sheet_id: int, approval_id: int | None = None) -> None:
    """Queue the e-mail task once the transaction commits; a broker failure never blocks."""
    from .tasks import send_action_sheet_notification

    def _send() -> None:
        try:
            send_action_sheet_notification.delay(event, sheet_id, approval_id)
        except Exception:  # broker down, or an eager task that failed all its retries
            logger.exception(
                "Notification %s de la fiche %s non envoyée (file de tâches indisponible)",
                event,
                sheet_id,
            )

    transaction.on_commit(_send)


# --------------------------------------------------------------------------- numbering

NUMBER_RE = re.compile(r"^FA-(\d+)$", re.IGNORECASE)


def next_sheet_number(*, convention: Convention) -> str:
    """The next free FA-NN of the convention (FA-01 for the first one)."""
    highest = 0
    for number in convention.action_sheets.values_list("number", flat=True):
        match = NUMBER_RE.match(number.strip())
        if match:
            highest = max(highest, int(match.group(1)))
    return f"FA-{highest + 1:02d}"


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
    return objective


@transaction.atomic
def objective_delete(*, objective: Objective, by: User) -> None:
    _require_editor(user=by, convention=objective.convention)
    objective._history_user = by
    objective.delete()


# --------------------------------------------------------------------------- fiche edition


@dataclass
class SheetChanges:
    substantive: bool
    fields: list[str]


def _clean_rows(rows: list[dict[str, Any]] | None) -> list[dict[str, Any]]:
    return [dict(r) for r in rows or []]


def _apply_children(
    *,
    model,
    sheet: ActionSheet,
    fk_name: str,
    rows: list[dict[str, Any]],
    fields: tuple[str, ...],
    substantive_fields: tuple[str, ...],
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
        before = {f: getattr(obj, f) for f in substantive_fields} if pk is not None else None
        for f in fields:
            if f in row:
                setattr(obj, f, row[f])
        after = {f: getattr(obj, f) for f in substantive_fields}
        if before is None or _normalise(before) != _normalise(after):
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


def _normalise(values: dict[str, Any]) -> dict[str, Any]:
    out = {}
    for key, value in values.items():
        if isinstance(value, Decimal | int | float) and not isinstance(value, bool):
            value = Decimal(value).normalize()
        out[key] = value
    return out


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
) -> ActionSheet:
    """Create (``sheet=None``) or update a fiche, its funding plan and its indicators.

    ``data`` holds the fields of :data:`SHEET_FIELDS` and the m2m :data:`SHEET_M2M_FIELDS`.
    Child rows are dicts of their fields plus ``id`` (existing row) and ``delete``.
    On update, ``revision`` is the one the form was loaded with (optimistic locking).
    """
    _require_editor(user=by, convention=convention)
    data = dict(data)
    m2m = {name: list(data.pop(name)) for name in SHEET_M2M_FIELDS if name in data}
    change_reason = (change_reason or "").strip()
    creating = sheet is None

    if creating:
        sheet = ActionSheet(convention=convention, created_by=by)
        if not data.get("number"):
            data["number"] = next_sheet_number(convention=convention)
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
        if sheet.status in CLOSED_STATUSES:
            raise WorkflowError(
                f"Une fiche « {sheet.get_status_display().lower()} » ne peut plus être modifiée."
            )

    before = {f: getattr(sheet, f"{f}_id" if _is_fk(f) else f) for f in SUBSTANTIVE_FIELDS}
    before_m2m = (
        {name: set(getattr(sheet, name).values_list("pk", flat=True)) for name in m2m}
        if not creating
        else {}
    )
    for name, value in data.items():
        if name not in SHEET_FIELDS:
            raise ValueError(f"Champ inconnu : {name}")
        setattr(sheet, name, value)
    after = {f: getattr(sheet, f"{f}_id" if _is_fk(f) else f) for f in SUBSTANTIVE_FIELDS}
    changed_fields = [f for f in SUBSTANTIVE_FIELDS if before[f] != after[f]]
    if not creating:
        changed_fields += [
            name
            for name, values in m2m.items()
            if before_m2m[name] != {getattr(v, "pk", v) for v in values}
        ]

    sheet.full_clean(exclude=["revision"])

    funding_save, funding_delete, funding_changed = _apply_children(
        model=FundingLine,
        sheet=sheet,
        fk_name="sheet",
        rows=_clean_rows(funding_lines),
        fields=FUNDING_FIELDS,
        substantive_fields=FUNDING_SUBSTANTIVE,
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
        substantive_fields=INDICATOR_FIELDS,
        by=by,
        reason=change_reason,
    )
    if funding_changed:
        changed_fields.append("funding_lines")
    if indicators_changed:
        changed_fields.append("indicators")

    new_version = not creating and sheet.status in VERSIONED_STATUSES and bool(changed_fields)
    if new_version and not change_reason:
        raise ValidationError(
            {
                "change_reason": (
                    "Cette fiche est soumise ou validée : indiquez le motif de la modification "
                    "de fond (une nouvelle version sera soumise au comité)."
                )
            }
        )

    from_status = sheet.status
    if new_version:
        sheet.version += 1
        sheet.status = Status.SUBMITTED
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
        sheet.save()
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
    return sheet


def _is_fk(name: str) -> bool:
    return name in ("thematic", "objective", "lead_user")


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
    from .selectors import approving_committee

    sheet = _locked(sheet)
    _require_editor(user=by, convention=sheet.convention)
    _refuse_unless(sheet, (Status.DRAFT, Status.TO_REVIEW), "soumettre")
    committee = approving_committee(convention=sheet.convention)
    if committee is None:
        raise WorkflowError(
            "Aucune instance de la convention n'a de membres : constituez le comité de pilotage "
            "avant de soumettre une fiche."
        )
    if sheet.status == Status.TO_REVIEW:
        # The sent-back version keeps its opinions; members judge the new one afresh.
        sheet.version += 1
    sheet.submitted_by = by
    _change_status(sheet=sheet, to=Status.SUBMITTED, by=by)
    _queue_notification("submitted", sheet.pk)
    return sheet


@transaction.atomic
def approval_give(
    *, sheet: ActionSheet, member: CommitteeMember, decision: str, comment: str = ""
) -> Approval:
    """A committee member's opinion on the current version of a submitted fiche.

    Favorable opinions of enough members of each side make the fiche *validée*; one
    « à revoir » (comment mandatory) sends it back.
    """
    from .selectors import approving_committee

    sheet = _locked(sheet)
    comment = (comment or "").strip()
    committee = approving_committee(convention=sheet.convention)
    if committee is None or member.committee_id != committee.pk:
        raise ApprovalForbidden(
            "Seuls les membres de l'instance qui examine les fiches de cette convention "
            "peuvent donner un avis."
        )
    if decision not in Approval.Decision.values:
        raise WorkflowError("Choisissez un avis : favorable ou à revoir.")
    _refuse_unless(sheet, (Status.SUBMITTED,), "donner un avis sur")
    if member.user_id and member.user_id == sheet.submitted_by_id:
        raise WorkflowError(
            "Vous avez soumis cette fiche : vous ne pouvez pas donner d'avis sur votre propre "
            "proposition."
        )
    if decision == Approval.Decision.TO_REVIEW and not comment:
        raise WorkflowError("Un avis « à revoir » doit être motivé par un commentaire.")
    if Approval.objects.filter(sheet=sheet, member=member, version=sheet.version).exists():
        raise WorkflowError(
            f"Vous avez déjà donné votre avis sur la version {sheet.version} de cette fiche."
        )
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
        raise WorkflowError(
            f"Vous avez déjà donné votre avis sur la version {sheet.version} de cette fiche."
        ) from exc

    by = member.user
    if decision == Approval.Decision.TO_REVIEW:
        _change_status(sheet=sheet, to=Status.TO_REVIEW, by=by, reason=comment)
    else:
        counts = approval_counts(sheet=sheet, committee=committee)
        required = committee.approvals_required_per_side
        if counts[Side.CAF] >= required and counts[Side.TERRITORY] >= required:
            sheet.approved_version = sheet.version
            _change_status(
                sheet=sheet,
                to=Status.VALIDATED,
                by=by,
                reason=(
                    f"Avis favorables des deux collèges sur la version {sheet.version} "
                    f"(Caf : {counts[Side.CAF]}, territoire : {counts[Side.TERRITORY]})."
                ),
            )
            _queue_notification("validated", sheet.pk, approval.pk)
    _queue_notification("decision", sheet.pk, approval.pk)
    return approval


def approval_counts(*, sheet: ActionSheet, committee) -> dict[str, int]:
    """Favorable opinions per side on the current version, from the approving committee."""
    counts = {Side.CAF: 0, Side.TERRITORY: 0}
    for side in Approval.objects.filter(
        sheet=sheet,
        version=sheet.version,
        decision=Approval.Decision.FAVORABLE,
        member__committee=committee,
    ).values_list("member__side", flat=True):
        counts[side] = counts.get(side, 0) + 1
    return counts


@transaction.atomic
def action_sheet_start(*, sheet: ActionSheet, by: User, reason: str = "") -> ActionSheet:
    """validée → en cours."""
    sheet = _locked(sheet)
    _require_editor(user=by, convention=sheet.convention)
    _refuse_unless(sheet, (Status.VALIDATED,), "démarrer")
    _change_status(sheet=sheet, to=Status.IN_PROGRESS, by=by, reason=reason.strip())
    return sheet


@transaction.atomic
def action_sheet_complete(*, sheet: ActionSheet, by: User, reason: str = "") -> ActionSheet:
    """en cours → réalisée."""
    sheet = _locked(sheet)
    _require_editor(user=by, convention=sheet.convention)
    _refuse_unless(sheet, (Status.IN_PROGRESS,), "marquer comme réalisée")
    _change_status(sheet=sheet, to=Status.DONE, by=by, reason=reason.strip())
    return sheet


@transaction.atomic
def action_sheet_abandon(*, sheet: ActionSheet, by: User, reason: str) -> ActionSheet:
    """Any open status → abandonnée, with a mandatory reason."""
    sheet = _locked(sheet)
    _require_editor(user=by, convention=sheet.convention)
    reason = (reason or "").strip()
    if sheet.status in CLOSED_STATUSES:
        raise WorkflowError(
            f"Une fiche « {sheet.get_status_display().lower()} » ne peut pas être abandonnée."
        )
    if not reason:
        raise WorkflowError("Indiquez le motif de l'abandon de la fiche.")
    _change_status(sheet=sheet, to=Status.ABANDONED, by=by, reason=reason)
    return sheet
