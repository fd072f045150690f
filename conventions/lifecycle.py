"""The lifecycle of a convention: the stepper, the allowed transitions and their guards.

Reads only: the writes are ``conventions.services.convention.convention_advance`` / ``convention_sign``.

The model keeps the detailed phases (préparation, diagnostic partagé, plan d'actions,
signature, mise en œuvre, évaluation, échue, renouvelée); the stepper shows the path
diagnostic → plan d'actions → signature → mise en œuvre → évaluation → clôturée, where
"préparation" is the start of the diagnostic step and "échue"/"renouvelée" both close it.
"""

from __future__ import annotations

import datetime
from collections.abc import Callable
from dataclasses import dataclass

from django.db.models import (
    BooleanField,
    Exists,
    ExpressionWrapper,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
)
from django.utils import timezone

from ctg import formatting

from . import calendar
from .models import Caf, Convention

Phase = Convention.Phase

FORWARD_TRANSITIONS: dict[str, tuple[str, ...]] = {
    Phase.PREPARATION: (Phase.DIAGNOSTIC,),
    Phase.DIAGNOSTIC: (Phase.ACTION_PLAN,),
    Phase.ACTION_PLAN: (Phase.SIGNATURE,),
    Phase.SIGNATURE: (Phase.IMPLEMENTATION,),
    Phase.IMPLEMENTATION: (Phase.EVALUATION,),
    Phase.EVALUATION: (Phase.CLOSED, Phase.RENEWED),
    Phase.CLOSED: (Phase.RENEWED,),
}
# Going back one step is allowed, with a reason.
BACKWARD_TRANSITIONS: dict[str, str] = {
    Phase.DIAGNOSTIC: Phase.PREPARATION,
    Phase.ACTION_PLAN: Phase.DIAGNOSTIC,
    Phase.SIGNATURE: Phase.ACTION_PLAN,
    Phase.EVALUATION: Phase.IMPLEMENTATION,
}

STEPS: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("Diagnostic", (Phase.PREPARATION, Phase.DIAGNOSTIC)),
    ("Plan d'actions", (Phase.ACTION_PLAN,)),
    ("Signature", (Phase.SIGNATURE,)),
    ("Mise en œuvre", (Phase.IMPLEMENTATION,)),
    ("Évaluation", (Phase.EVALUATION,)),
    ("Clôturée", (Phase.CLOSED, Phase.RENEWED)),
)

SIGNED_PHASES = (Phase.IMPLEMENTATION, Phase.EVALUATION)


@dataclass(frozen=True)
class Step:
    label: str
    state: str  # "done", "current" or "todo"
    detail: str = ""


def convention_steps(convention: Convention) -> list[Step]:
    current = next(i for i, (_label, phases) in enumerate(STEPS) if convention.phase in phases)
    steps = []
    for index, (label, phases) in enumerate(STEPS):
        if index < current:
            state, detail = "done", ""
        elif index == current:
            state = "done" if convention.phase in (Phase.CLOSED, Phase.RENEWED) else "current"
            detail = Phase(convention.phase).label if len(phases) > 1 else ""
        else:
            state, detail = "todo", ""
        steps.append(Step(label=label, state=state, detail=detail))
    return steps


def is_backward(from_phase: str, to_phase: str) -> bool:
    return BACKWARD_TRANSITIONS.get(from_phase) == to_phase


def is_allowed(from_phase: str, to_phase: str) -> bool:
    return to_phase in FORWARD_TRANSITIONS.get(from_phase, ()) or is_backward(from_phase, to_phase)


PhaseGuard = Callable[[Convention, str], list[str]]
_PHASE_GUARDS: list[PhaseGuard] = []


def register_phase_guard(guard: PhaseGuard) -> PhaseGuard:
    """Let an upper app say what its own data requires before a forward move.

    ``guard(convention, to_phase)`` returns the blockers, in French (empty: nothing
    blocks). The diagnostic asks for findings on each thematic, the action plan for a
    validated fiche: each rule lives with its data, and this base app imports neither.
    Registered from the apps' ``ready()``; the same guard is kept once."""
    if guard not in _PHASE_GUARDS:
        _PHASE_GUARDS.append(guard)
    return guard


def transition_blockers(*, convention: Convention, to_phase: str, reason: str = "") -> list[str]:
    """Why ``convention`` may not move to ``to_phase`` now (empty list: it may), in French."""
    current = convention.phase
    if not is_allowed(current, to_phase):
        return [
            f"La convention ne peut pas passer de la phase « {Phase(current).label} » "
            f"à la phase « {Phase(to_phase).label} »."
        ]
    reason = (reason or "").strip()
    if is_backward(current, to_phase):
        if not reason:
            return [f"Indiquez le motif du retour à la phase « {Phase(to_phase).label} »."]
        return []

    blockers = []
    if to_phase in (Phase.DIAGNOSTIC, Phase.ACTION_PLAN):
        if not convention.thematics.exists():
            blockers.append(
                "Aucune thématique n'est choisie : cochez les thématiques couvertes "
                "dans la fiche de la convention."
            )
        if to_phase == Phase.DIAGNOSTIC and not convention.territories.exists():
            blockers.append("Aucun territoire couvert n'est renseigné.")
    for guard in _PHASE_GUARDS:
        blockers.extend(guard(convention, to_phase))
    if (
        to_phase in (Phase.SIGNATURE, Phase.IMPLEMENTATION)
        and current != Phase.EVALUATION
        and not convention.signatories.exists()
    ):
        blockers.append(
            "Aucun signataire n'est enregistré : ajoutez les signataires dans l'onglet Gouvernance."
        )
    if to_phase == Phase.CLOSED and convention.end_date > timezone.localdate() and not reason:
        blockers.append(
            f"La convention court jusqu'au {formatting.date(convention.end_date)} : "
            "indiquez le motif d'une clôture anticipée."
        )
    if to_phase == Phase.RENEWED and not convention.renewals.exists():
        blockers.append(
            "Aucune convention ne renouvelle celle-ci : utilisez « Préparer le renouvellement »."
        )
    return blockers


@dataclass(frozen=True)
class TransitionOption:
    to_phase: str
    label: str
    backward: bool
    is_signature: bool
    blockers: tuple[str, ...]
    reason_required: bool

    @property
    def allowed(self) -> bool:
        return not self.blockers


def transition_options(*, convention: Convention) -> list[TransitionOption]:
    """The transitions offered from the current phase, each with what blocks it (if anything).

    A reason that the user can still type (backward move, early closing) is not a blocker."""
    current = convention.phase
    targets = list(FORWARD_TRANSITIONS.get(current, ()))
    if current in BACKWARD_TRANSITIONS:
        targets.append(BACKWARD_TRANSITIONS[current])
    options = []
    for target in targets:
        blockers = transition_blockers(convention=convention, to_phase=target, reason="-")
        reason_required = (
            bool(transition_blockers(convention=convention, to_phase=target, reason=""))
            and not blockers
        )
        options.append(
            TransitionOption(
                to_phase=target,
                label=Phase(target).label,
                backward=is_backward(current, target),
                is_signature=current == Phase.SIGNATURE and target == Phase.IMPLEMENTATION,
                blockers=tuple(blockers),
                reason_required=reason_required,
            )
        )
    return options


# --- Renewal ------------------------------------------------------------------------------------


def renewal_due_condition(today: datetime.date | None = None):
    """Signed conventions ending within 12 months, or already ended, that nobody has
    started to renew (the calendar: ``conventions.calendar``)."""
    today = today or timezone.localdate()
    return Q(end_date__lte=calendar.ending_limit(today), phase__in=SIGNED_PHASES) & ~Exists(
        Convention.objects.filter(previous=OuterRef("pk"))
    )


def with_renewal_flag(qs: QuerySet[Convention], today=None) -> QuerySet[Convention]:
    return qs.annotate(
        renewal_due=ExpressionWrapper(renewal_due_condition(today), output_field=BooleanField())
    )


def conventions_to_renew(caf: Caf, today: datetime.date | None = None) -> QuerySet[Convention]:
    """The conventions of ``caf`` to renew, the ended ones first, then the soonest ending."""
    return (
        Convention.objects.filter(caf=caf)
        .filter(renewal_due_condition(today))
        .order_by("end_date", "name")
    )


def with_first_renewal(queryset: QuerySet[Convention]) -> QuerySet[Convention]:
    """The conventions with their first renewal's id, name and phase (``renewal_status``
    then reads no more)."""
    first = Convention.objects.filter(previous=OuterRef("pk")).order_by("pk")
    return queryset.annotate(
        first_renewal_id=Subquery(first.values("pk")[:1]),
        first_renewal_name=Subquery(first.values("name")[:1]),
        first_renewal_phase=Subquery(first.values("phase")[:1]),
    )


def first_renewal(convention: Convention) -> Convention | None:
    """The convention's first renewal: from :func:`with_first_renewal` when it was read
    so (its id, name and phase), else one query."""
    if not hasattr(convention, "first_renewal_id"):
        return convention.renewals.order_by("pk").first()
    if convention.first_renewal_id is None:
        return None
    return Convention(
        pk=convention.first_renewal_id,
        name=convention.first_renewal_name,
        phase=convention.first_renewal_phase,
        previous_id=convention.pk,
    )


def renewal_status(convention: Convention, today: datetime.date | None = None) -> dict:
    """For the header: is the convention due for renewal, and is a renewal in preparation?"""
    renewal = first_renewal(convention)
    today = today or timezone.localdate()
    due = (
        renewal is None
        and convention.phase in SIGNED_PHASES
        and convention.end_date <= calendar.ending_limit(today)
    )
    return {"due": due, "renewal": renewal}
