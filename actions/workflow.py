"""The fiche workflow: the one home of its rules.

Every other module (services, views, templates, selectors, the apps above, bench and load
scripts) asks this module instead of listing statuses or re-deciding a rule::

    brouillon ──submit──▶ soumise ──validate (both sides favourable)──▶ validée ──start──▶ en cours ──complete──▶ réalisée
        ▲                    │
        │                    └──send_back (one « à revoir »)──▶ à revoir ──submit──▶ soumise (version + 1)
        │        soumise / validée / en cours ──revise (substantive edit, with a reason)──▶ soumise (version + 1)
    abandonnée ◀── abandon (mandatory reason) from any status but réalisée / abandonnée

- **Statuses and their groups**: :data:`VALIDATED`, :data:`ONGOING`, :data:`VERSIONED`,
  :data:`CLOSED`, :data:`OPEN`, :data:`AWAITING_OPINION`.
- **Transitions** (:data:`TRANSITIONS`): what each one moves from and to, and who triggers it
  (:data:`EDITORS`: Caf staff and coordinators; :data:`COMMITTEE`: the approving committee,
  through its opinions).
- **Substance** (:data:`SUBSTANTIVE_FIELDS`): the fields of a fiche, of its funding lines and of
  its indicators whose change opens a new version to approve again; the "changes since the
  approved version" shows exactly these.
- **Approving committee** (:func:`approving_committee`): the convention's comité de pilotage
  having members; when there is none, the first committee that has members.
- **Who may give an opinion** (:func:`opinion_refusal`, and :func:`awaiting_opinion_of`, the
  same rule as a filter on fiches): a member of the approving committee, on a submitted fiche
  they did not submit themselves, once per version.
- **Validation by opinions** (:func:`favorable_counts`, :func:`is_validated_by`,
  :func:`with_favorable_counts`): favourable opinions on the current version from members of
  the approving committee, at least ``approvals_required_per_side`` on each side.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.db import models
from django.db.models import (
    Case,
    Count,
    Exists,
    F,
    IntegerField,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Value,
    When,
)

from conventions.models import Committee, CommitteeMember, Convention, Side, User
from evaluation.models import Indicator

from .models import ActionSheet, Approval, FundingLine

Status = ActionSheet.Status
Decision = Approval.Decision

# --------------------------------------------------------------------------- statuses

#: Fiches that went through the committee's approval (validated, started or done).
VALIDATED = (Status.VALIDATED, Status.IN_PROGRESS, Status.DONE)
#: Fiches approved and not finished: being carried out, their indicators measured.
ONGOING = (Status.VALIDATED, Status.IN_PROGRESS)
#: Fiches whose substantive edit opens a new version to approve again.
VERSIONED = (Status.SUBMITTED, Status.VALIDATED, Status.IN_PROGRESS)
#: Fiches that can no longer be edited nor moved.
CLOSED = (Status.DONE, Status.ABANDONED)
#: Every other status: the fiche is edited and may still be abandoned.
OPEN = tuple(s for s in Status if s not in CLOSED)
#: Fiches on which the committee gives opinions.
AWAITING_OPINION = (Status.SUBMITTED,)


def is_validated(sheet: ActionSheet) -> bool:
    return sheet.status in VALIDATED


def is_editable(sheet: ActionSheet) -> bool:
    return sheet.status not in CLOSED


def is_versioned(sheet: ActionSheet) -> bool:
    """Whether a substantive edit of the fiche opens a new version (a reason is asked)."""
    return sheet.status in VERSIONED


def is_awaiting_opinion(sheet: ActionSheet) -> bool:
    return sheet.status in AWAITING_OPINION


def status_labels(statuses: Iterable[str]) -> str:
    """« soumise, validée » for messages."""
    return ", ".join(str(Status(s).label).lower() for s in statuses)


def status_counts(statuses: Iterable[str]) -> list[dict]:
    """Fiches per status, every status listed in the workflow's order (zeros included):
    ``[{"status": "brouillon", "label": "Brouillon", "count": 3}, …]``. The one count behind
    the Synthèse, the reports, the plan export and the convention document."""
    counted = Counter(statuses)
    return [
        {"status": value, "label": str(label), "count": counted.get(value, 0)}
        for value, label in Status.choices
    ]


# --------------------------------------------------------------------------- transitions

#: Who triggers a transition.
EDITORS = "editors"  # Caf staff and coordinators (ConventionAccess.can_edit_actions)
COMMITTEE = "committee"  # the approving committee, through its members' opinions

#: Whether a transition takes a reason.
NO_REASON, OPTIONAL_REASON, REQUIRED_REASON = "none", "optional", "required"


@dataclass(frozen=True)
class Transition:
    """One arrow of the workflow.

    ``name`` is the URL slug of the status buttons; ``service`` the function of
    :mod:`actions.services` that performs it; ``label`` the button's text (empty: no button,
    the transition happens through another page: an opinion, the edit form).
    """

    name: str
    sources: tuple[str, ...]
    target: str
    by: str
    service: str
    verb: str
    reason: str = NO_REASON
    new_version_from: tuple[str, ...] = ()  # sources from which it opens a new version
    label: str = ""
    success: str = ""
    confirm: str = ""
    style: str = "btn-primary"
    refused: str = ""  # the refusal message, when the generic one does not fit
    reason_missing: str = "Indiquez le motif."
    reason_label: str = ""
    submit_label: str = ""

    def allows(self, status: str) -> bool:
        return status in self.sources

    def opens_new_version(self, status: str) -> bool:
        return status in self.new_version_from

    def refusal(self, sheet: ActionSheet) -> str | None:
        """Why the fiche cannot take this transition in its status (``None``: it can)."""
        if self.allows(sheet.status):
            return None
        status = sheet.get_status_display().lower()
        if self.refused:
            return self.refused.format(status=status)
        return (
            f"Impossible de {self.verb} une fiche « {status} » "
            f"(possible seulement quand elle est {status_labels(self.sources)})."
        )

    @property
    def takes_reason(self) -> bool:
        return self.reason != NO_REASON

    @property
    def requires_reason(self) -> bool:
        return self.reason == REQUIRED_REASON


TRANSITIONS: dict[str, Transition] = {
    t.name: t
    for t in (
        Transition(
            name="submit",
            sources=(Status.DRAFT, Status.TO_REVIEW),
            target=Status.SUBMITTED,
            by=EDITORS,
            service="action_sheet_submit",
            verb="soumettre",
            # The sent-back version keeps its opinions; members judge the new one afresh.
            new_version_from=(Status.TO_REVIEW,),
            label="Soumettre au comité",
            success="Fiche {number} soumise au comité.",
        ),
        Transition(
            name="validate",
            sources=AWAITING_OPINION,
            target=Status.VALIDATED,
            by=COMMITTEE,
            service="approval_give",
            verb="donner un avis sur",
        ),
        Transition(
            name="send_back",
            sources=AWAITING_OPINION,
            target=Status.TO_REVIEW,
            by=COMMITTEE,
            service="approval_give",
            verb="donner un avis sur",
            reason=REQUIRED_REASON,
            reason_missing="Un avis « à revoir » doit être motivé par un commentaire.",
        ),
        Transition(
            name="revise",
            sources=VERSIONED,
            target=Status.SUBMITTED,
            by=EDITORS,
            service="action_sheet_save",
            verb="rouvrir",
            reason=REQUIRED_REASON,
            new_version_from=VERSIONED,
            reason_missing=(
                "Cette fiche est soumise ou validée : indiquez le motif de la modification "
                "de fond (une nouvelle version sera soumise au comité)."
            ),
        ),
        Transition(
            name="start",
            sources=(Status.VALIDATED,),
            target=Status.IN_PROGRESS,
            by=EDITORS,
            service="action_sheet_start",
            verb="démarrer",
            reason=OPTIONAL_REASON,
            label="Démarrer l'action",
            success="Fiche {number} passée « en cours ».",
        ),
        Transition(
            name="complete",
            sources=(Status.IN_PROGRESS,),
            target=Status.DONE,
            by=EDITORS,
            service="action_sheet_complete",
            verb="marquer comme réalisée",
            reason=OPTIONAL_REASON,
            label="Marquer réalisée",
            success="Fiche {number} marquée « réalisée ».",
            confirm="Marquer cette fiche comme réalisée ? Elle ne pourra plus être modifiée.",
            style="btn-success",
        ),
        Transition(
            name="abandon",
            sources=OPEN,
            target=Status.ABANDONED,
            by=EDITORS,
            service="action_sheet_abandon",
            verb="abandonner",
            reason=REQUIRED_REASON,
            label="Abandonner…",
            success="Fiche {number} abandonnée.",
            confirm="Abandonner définitivement cette fiche ?",
            style="btn-outline-danger",
            refused="Une fiche « {status} » ne peut pas être abandonnée.",
            reason_missing="Indiquez le motif de l'abandon de la fiche.",
            reason_label="Motif de l'abandon (obligatoire)",
            submit_label="Abandonner la fiche",
        ),
    )
}

#: The refusal to edit a closed fiche.
EDIT_REFUSED = "Une fiche « {status} » ne peut plus être modifiée."


def edit_refusal(sheet: ActionSheet) -> str | None:
    """Why the fiche can no longer be edited (``None``: it can)."""
    if is_editable(sheet):
        return None
    return EDIT_REFUSED.format(status=sheet.get_status_display().lower())


# --------------------------------------------------------------------------- readiness


@dataclass(frozen=True)
class Gap:
    """Something a fiche lacks before it can be submitted: ``field`` names the requirement,
    ``label`` says it in French (« il manque … »), ``anchor`` is the id of the edit form's
    element to fill in."""

    field: str
    label: str
    anchor: str


#: What the committee needs to judge a fiche: its text fields (label, anchor in the form).
REQUIRED_TEXT = (
    ("description", "la description de l'action"),
    ("target_public", "le public visé"),
)
FUNDING_GAP = Gap(
    "funding", "un financement (une ligne au moins, ou « sans financement » coché)", "financements"
)
INDICATOR_GAP = Gap("indicators", "un indicateur au moins", "indicateurs")


def submission_gaps(sheet: ActionSheet) -> list[Gap]:
    """What the fiche lacks to be submitted to the committee, in the form's order (empty:
    it is ready). Two queries (funding lines, indicators) unless ``no_funding`` is ticked."""
    gaps = [
        Gap(name, label, f"id_{name}")
        for name, label in REQUIRED_TEXT
        if not (getattr(sheet, name) or "").strip()
    ]
    if not (sheet.lead or "").strip() and sheet.lead_user_id is None:
        gaps.append(Gap("lead", "le pilote (nom ou compte)", "id_lead"))
    if sheet.start_date is None:
        gaps.append(Gap("start_date", "la date de début", "id_start_date"))
    if sheet.end_date is None:
        gaps.append(Gap("end_date", "la date de fin", "id_end_date"))
    if not sheet.no_funding and not sheet.funding_lines.exists():
        gaps.append(FUNDING_GAP)
    if not sheet.indicators.exists():
        gaps.append(INDICATOR_GAP)
    return gaps


def not_ready_message(gaps: list[Gap]) -> str:
    """The refusal of a submission, naming every gap."""
    return (
        "La fiche n'est pas encore prête à être soumise au comité : il manque "
        + " ; ".join(gap.label for gap in gaps)
        + "."
    )


def status_buttons(sheet: ActionSheet, *, can_edit: bool) -> list[Transition]:
    """The transitions offered as buttons on the fiche page, in the table's order."""
    if not can_edit:
        return []
    return [
        t for t in TRANSITIONS.values() if t.label and t.by == EDITORS and t.allows(sheet.status)
    ]


def button_transition(name: str) -> Transition | None:
    """The transition a status button posts (``None``: no such button)."""
    transition = TRANSITIONS.get(name)
    if transition is None or not transition.label or transition.by != EDITORS:
        return None
    return transition


# --------------------------------------------------------------------------- substance

#: The fields whose change is substantive: on a fiche in a :data:`VERSIONED` status it opens a
#: new version to approve again, and the "changes since the approved version" shows them.
#: The number, the pilot's account and spent amounts are follow-up data.
SUBSTANTIVE_FIELDS: dict[type[models.Model], tuple[str, ...]] = {
    ActionSheet: (
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
        "no_funding",
        "other_thematics",
        "communes",
    ),
    FundingLine: ("funder", "year", "nature", "planned_amount"),
    Indicator: (
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
    ),
}


def substantive_m2m(model: type[models.Model]) -> tuple[str, ...]:
    """The many-to-many fields among the substantive fields of ``model``."""
    return tuple(
        name for name in SUBSTANTIVE_FIELDS[model] if model._meta.get_field(name).many_to_many
    )


def substantive_values(model: type[models.Model], obj: Any) -> dict[str, Any]:
    """The substantive values (many-to-many aside) of a fiche, funding line or indicator,
    comparable across sources: relations by id, numbers normalised (12000 == 12000.00)."""
    values = {}
    for name in SUBSTANTIVE_FIELDS[model]:
        field = model._meta.get_field(name)
        if field.many_to_many:
            continue
        value = getattr(obj, field.attname)
        if isinstance(value, Decimal | int | float) and not isinstance(value, bool):
            value = Decimal(value).normalize()
        values[name] = value
    return values


def substantive_changes(before: dict[str, Any] | None, after: dict[str, Any]) -> list[str]:
    """The names whose value differs (all of them for a new row: ``before`` is ``None``)."""
    if before is None:
        return list(after)
    return [name for name, value in after.items() if before.get(name) != value]


# --------------------------------------------------------------------------- approving committee


def _approving_committees() -> QuerySet[Committee]:
    """Committees that have members, the COPIL first, then by creation."""
    return (
        Committee.objects.filter(Exists(CommitteeMember.objects.filter(committee=OuterRef("pk"))))
        .annotate(
            copil_first=Case(
                When(kind=Committee.Kind.COPIL, then=Value(0)),
                default=Value(1),
                output_field=IntegerField(),
            )
        )
        .order_by("copil_first", "id")
    )


def approving_committee(*, convention: Convention) -> Committee | None:
    """The committee whose members approve the fiches of the convention.

    The convention's comité de pilotage (the first one having members); failing that, the
    first committee having members. ``None`` when no committee has members.
    """
    return _approving_committees().filter(convention=convention).first()


def approving_committee_id(convention_ref) -> Subquery:
    """The id of the approving committee of the convention ``convention_ref`` points to."""
    return Subquery(_approving_committees().filter(convention_id=convention_ref).values("id")[:1])


_UNKNOWN = object()


def approving_member(
    *, user: User, convention: Convention, committee: Committee | None | object = _UNKNOWN
) -> CommitteeMember | None:
    """The seat of ``user`` on the approving committee of the convention, if any
    (``committee``: that committee, when the caller already has it)."""
    if not user.is_authenticated:
        return None
    if committee is _UNKNOWN:
        committee = approving_committee(convention=convention)
    if committee is None:
        return None
    return (
        CommitteeMember.objects.filter(committee=committee, user=user)
        .select_related("committee")
        .first()
    )


# --------------------------------------------------------------------------- who gives an opinion

NOT_A_MEMBER = "not_a_member"
NOT_A_MEMBER_MESSAGE = (
    "Seuls les membres de l'instance qui examine les fiches de cette convention "
    "peuvent donner un avis."
)
NOT_AWAITING = "not_awaiting"
OWN_SUBMISSION = "own_submission"
ALREADY_GIVEN = "already_given"


@dataclass(frozen=True)
class Refusal:
    """Why someone may not give an opinion; ``personal``: it is about this member (their
    own submission, their opinion already given), worth telling them on the fiche page."""

    code: str
    message: str

    @property
    def personal(self) -> bool:
        return self.code in (OWN_SUBMISSION, ALREADY_GIVEN)


def opinion_refusal(
    *,
    sheet: ActionSheet,
    member: CommitteeMember | None,
    committee: Committee | None,
    already_given: bool,
) -> Refusal | None:
    """Whether ``member`` may give an opinion on the current version of ``sheet``.

    ``committee``: the approving committee of the fiche's convention; ``already_given``:
    whether this member gave an opinion on the current version. ``None`` means they may;
    :func:`awaiting_opinion_of` is the same rule as a filter on fiches.
    """
    if member is None or committee is None or member.committee_id != committee.pk:
        return Refusal(NOT_A_MEMBER, NOT_A_MEMBER_MESSAGE)
    refused = TRANSITIONS["validate"].refusal(sheet)
    if refused:
        return Refusal(NOT_AWAITING, refused)
    if member.user_id and member.user_id == sheet.submitted_by_id:
        return Refusal(
            OWN_SUBMISSION,
            "Vous avez soumis cette fiche : vous ne pouvez pas donner d'avis sur votre propre "
            "proposition.",
        )
    if already_given:
        return Refusal(ALREADY_GIVEN, already_given_message(sheet))
    return None


def already_given_message(sheet: ActionSheet) -> str:
    return f"Vous avez déjà donné votre avis sur la version {sheet.version} de cette fiche."


def awaiting_opinion_of(user: User) -> Q:
    """The fiches on which ``user`` may give an opinion now, as a filter on ``ActionSheet``:
    :func:`opinion_refusal` for every fiche at once (a seat on the convention's approving
    committee, a submitted fiche, not their own submission, no opinion yet on its version)."""
    seat = CommitteeMember.objects.filter(
        user=user, committee_id=approving_committee_id(OuterRef(OuterRef("convention_id")))
    )
    given = Approval.objects.filter(
        sheet=OuterRef("pk"), version=OuterRef("version"), member__user=user
    )
    return (
        Q(status__in=AWAITING_OPINION) & Q(Exists(seat)) & ~Q(submitted_by=user) & ~Q(Exists(given))
    )


# --------------------------------------------------------------------------- validation by opinions


def is_counted(approval: Approval, *, sheet: ActionSheet, committee: Committee | None) -> bool:
    """Whether an opinion counts towards validating the fiche: favourable, on its current
    version, from a member of the approving committee."""
    return (
        committee is not None
        and approval.decision == Decision.FAVORABLE
        and approval.version == sheet.version
        and approval.member.committee_id == committee.pk
    )


def favorable_counts(
    *,
    sheet: ActionSheet,
    committee: Committee | None,
    approvals: Iterable[Approval] | None = None,
) -> dict[str, int]:
    """Favourable opinions per side that count (:func:`is_counted`); ``approvals``: the fiche's
    opinions with their members when the caller has them, read otherwise."""
    if approvals is None:
        approvals = Approval.objects.filter(sheet=sheet, version=sheet.version).select_related(
            "member"
        )
    tally = {Side.CAF: 0, Side.TERRITORY: 0}
    for approval in approvals:
        if is_counted(approval, sheet=sheet, committee=committee):
            tally[approval.member.side] = tally.get(approval.member.side, 0) + 1
    return tally


def is_validated_by(tally: dict[str, int], *, committee: Committee | None) -> bool:
    """Whether favourable opinions reach the committee's requirement on each side."""
    if committee is None:
        return False
    required = committee.approvals_required_per_side
    return all(tally.get(side, 0) >= required for side in (Side.CAF, Side.TERRITORY))


def with_favorable_counts(sheets: QuerySet[ActionSheet]) -> QuerySet[ActionSheet]:
    """``sheets`` annotated with ``caf_favorable`` and ``territory_favorable``: the opinions
    that count (:func:`is_counted`), for many fiches in one query."""
    counted = Q(
        approvals__decision=Decision.FAVORABLE,
        approvals__version=F("version"),
        approvals__member__committee_id=approving_committee_id(OuterRef("convention_id")),
    )
    return sheets.annotate(
        caf_favorable=Count("approvals", filter=counted & Q(approvals__member__side=Side.CAF)),
        territory_favorable=Count(
            "approvals", filter=counted & Q(approvals__member__side=Side.TERRITORY)
        ),
    )
