"""Validation of measurements by the Caf: the one home of "which measurements count".

A measurement is *à valider*, *validée* or *renvoyée* (:class:`Measurement.State`). Only the
validated ones count: the last value of the progress rule (``evaluation.progress``), hence the
Synthèse, the reports, the exports, the API figures and the read models built on them; the
report's list of measurements and the public plan read :func:`counted` too.

Which values need validation is the convention's setting
(``Convention.measurements_need_validation``):

- *territory* (the default): the values typed by the territory side (anyone who is not Caf
  staff of the convention, as :mod:`conventions.permissions` decides) are *à valider*; a value
  typed by the Caf is validated by its entry;
- *everyone*: every value typed is *à valider*, the Caf's included;
- *nobody*: every value counts as soon as it is typed.

The steps (the state machine):

- an entry or a change of value (form, workbook) sets the state by the setting and the
  author's side (:func:`entry_state`): correcting a returned value submits it again; changing a
  validated value from the territory side puts it back to *à valider*;
- the Caf validates a value *à valider* (:func:`validate`), or sends it back with a comment
  (:func:`send_back`), which goes to its author.

Every step is a save of the measurement: its history (simple-history) keeps who and when.
Values from open-data imports (issue #16, not built yet) are to be validated by their import.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.db.models import Count, F, Func, IntegerField, OuterRef, Q, QuerySet, Subquery

from conventions.models import Convention, User
from conventions.permissions import convention_access

from .models import Measurement

State = Measurement.State
Setting = Convention.MeasurementValidation


def counted_q(prefix: str = "") -> Q:
    """The measurements that count, as a condition on a measurement (``prefix`` reaches one
    through a relation: ``"measurements__"`` from an indicator)."""
    return Q(**{f"{prefix}validation_state": State.VALIDATED})


def is_counted(measurement: Measurement) -> bool:
    """:func:`counted_q` for a measurement already read."""
    return measurement.validation_state == State.VALIDATED


def awaiting_q(prefix: str = "") -> Q:
    """The measurements typed but not counted yet: to validate, or sent back."""
    return ~counted_q(prefix)


def counted(qs: QuerySet[Measurement]) -> QuerySet[Measurement]:
    """The measurements of ``qs`` that count in figures."""
    return qs.filter(counted_q())


def is_caf_side(*, convention: Convention, user: User | None) -> bool:
    """Whether the user writes for the Caf on this convention (its Caf staff, a superuser)."""
    return user is not None and convention_access(user, convention).can_edit_convention


def needs_validation(*, convention: Convention, user: User | None) -> bool:
    """Whether a value typed by ``user`` on this convention waits for the Caf's validation."""
    setting = convention.measurements_need_validation
    if setting == Setting.NOBODY:
        return False
    if setting == Setting.EVERYONE:
        return True
    return not is_caf_side(convention=convention, user=user)


@dataclass(frozen=True)
class EntryState:
    """The validation fields a value typed (or changed) by someone gets."""

    state: str
    validated_by: User | None
    validated_at: datetime.datetime | None

    @property
    def pending(self) -> bool:
        return self.state == State.PENDING

    def apply(self, measurement: Measurement) -> None:
        measurement.validation_state = self.state
        measurement.validated_by = self.validated_by
        measurement.validated_at = self.validated_at
        measurement.return_comment = ""


def entry_state(*, convention: Convention, user: User | None, now: datetime.datetime) -> EntryState:
    """The state of a value typed or changed by ``user`` now (see the module docstring)."""
    if needs_validation(convention=convention, user=user):
        return EntryState(State.PENDING, None, None)
    return EntryState(State.VALIDATED, user, now)


def require_validator(*, convention: Convention, user: User | None) -> None:
    if not is_caf_side(convention=convention, user=user):
        raise ValidationError("Seule la Caf de la convention peut valider ou renvoyer une mesure.")


def validate(measurement: Measurement, *, user: User, now: datetime.datetime) -> None:
    """*À valider* → *validée* (fields only; the service saves)."""
    if measurement.validation_state != State.PENDING:
        raise ValidationError(_not_pending(measurement))
    measurement.validation_state = State.VALIDATED
    measurement.validated_by = user
    measurement.validated_at = now
    measurement.return_comment = ""


def send_back(
    measurement: Measurement, *, user: User, comment: str, now: datetime.datetime
) -> None:
    """*À valider* → *renvoyée* with the reason (fields only; the service saves)."""
    if measurement.validation_state != State.PENDING:
        raise ValidationError(_not_pending(measurement))
    comment = (comment or "").strip()
    if not comment:
        raise ValidationError({"return_comment": "Indiquez pourquoi la mesure est renvoyée."})
    measurement.validation_state = State.RETURNED
    measurement.validated_by = user
    measurement.validated_at = now
    measurement.return_comment = comment


def _not_pending(measurement: Measurement) -> str:
    label = State(measurement.validation_state).label.lower()
    return f"Cette mesure n'est plus à valider (elle est {label}) : rechargez la page."


# ------------------------------------------------------------------ reads


@dataclass(frozen=True)
class Awaiting:
    """The values typed but not counted yet, in a convention (or a period of it)."""

    pending: int = 0  # à valider by the Caf
    returned: int = 0  # sent back to their author

    @property
    def total(self) -> int:
        return self.pending + self.returned


def convention_measurements(convention_ids) -> QuerySet[Measurement]:
    """The measurements of the indicators of these conventions (fiches and objectives).

    Read with a condition on the state (the awaiting ones are few, under a partial index):
    the OR across the two holders costs little then."""
    return Measurement.objects.filter(
        Q(indicator__action_sheet__convention_id__in=convention_ids)
        | Q(indicator__objective__convention_id__in=convention_ids)
    )


def awaiting(
    *,
    convention: Convention,
    start: datetime.date | None = None,
    end: datetime.date | None = None,
) -> Awaiting:
    """How many values of the convention (dated from ``start`` to ``end``) wait: one query.

    The fiches' indicators and the objectives' ones counted apart (``UNION ALL``): each
    part is read from the convention's own rows down its indexes, where an OR across the
    two holders made PostgreSQL read every indicator of the country."""

    def counts_under(holder: str) -> QuerySet:
        qs = Measurement.objects.filter(
            awaiting_q(), **{f"indicator__{holder}__convention_id": convention.pk}
        )
        if start is not None:
            qs = qs.filter(date__gte=start)
        if end is not None:
            qs = qs.filter(date__lte=end)
        return (
            qs.order_by()
            .values_list("validation_state")
            .annotate(n=Count("pk"))
            .values_list("validation_state", "n")
        )

    counts: dict[str, int] = {}
    for state, n in counts_under("action_sheet").union(counts_under("objective"), all=True):
        counts[state] = counts.get(state, 0) + n
    return Awaiting(pending=counts.get(State.PENDING, 0), returned=counts.get(State.RETURNED, 0))


def pending_of(*, convention: Convention) -> QuerySet[Measurement]:
    """The values à valider of a convention, by fiche (objectives' indicators last),
    indicator and date: the Caf's « Mesures à valider » list."""
    return (
        convention_measurements([convention.pk])
        .filter(validation_state=State.PENDING)
        .select_related(
            "indicator__action_sheet", "indicator__objective", "entered_by", "spreadsheet_import"
        )
        .order_by(
            F("indicator__action_sheet__number").asc(nulls_last=True),
            "indicator__objective__title",
            "indicator_id",
            "date",
            "pk",
        )
    )


def conventions_with_pending(conventions: QuerySet[Convention], limit: int) -> QuerySet[Convention]:
    """The conventions that have values à valider, each with their number (``pending``), in
    one query: the pending values are few and read under their partial index."""
    pending = (
        Measurement.objects.filter(validation_state=State.PENDING)
        .filter(
            Q(indicator__action_sheet__convention=OuterRef("pk"))
            | Q(indicator__objective__convention=OuterRef("pk"))
        )
        .order_by()
        .annotate(n=Func(F("pk"), function="COUNT"))
        .values("n")
    )
    return (
        conventions.annotate(pending=Subquery(pending, output_field=IntegerField()))
        .filter(pending__gt=0)
        .order_by("name", "pk")[:limit]
    )


def returned_to(*, user: User, limit: int) -> QuerySet[Measurement]:
    """The values ``user`` typed that the Caf sent back, the latest first."""
    return (
        Measurement.objects.filter(entered_by=user, validation_state=State.RETURNED)
        .select_related("indicator__action_sheet__convention", "indicator__objective__convention")
        .order_by("-validated_at", "-pk")[:limit]
    )
