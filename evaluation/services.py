"""Writes on evaluation: measurements (one by one or from the workbook) and the
qualitative follow-up (changes sought, progress markers, observations).

Keyword-only, atomic, validated (``full_clean``), French messages.
"""

from __future__ import annotations

import datetime
import logging
from collections.abc import Mapping, Sequence
from decimal import Decimal

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.mail import EmailMultiAlternatives
from django.db import transaction
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone
from simple_history.utils import bulk_create_with_history, bulk_update_with_history

from conventions.models import Convention, User
from conventions.permissions import convention_access
from conventions.services.data_version import convention_data_changed
from ctg import formatting

from . import breakdown, locks, sources, validation
from .imports import CellValue
from .models import (
    ChangeSought,
    Indicator,
    Measurement,
    MeasurementImport,
    MeasurementUnlock,
    Observation,
    PeriodLock,
    ProgressMarker,
)
from .ownership import convention_id_of, convention_of
from .progress import convention_indicators
from .readmodel import progress_refresh
from .selectors import ImportResult, result_of

logger = logging.getLogger(__name__)


VALIDATION_FIELDS = ["validation_state", "validated_by", "validated_at", "return_comment"]


def check_in_period(convention: Convention, day: datetime.date, field: str = "date") -> None:
    if not convention.start_date <= day <= convention.end_date:
        raise ValidationError(
            {
                field: (
                    f"La date doit être comprise dans la période de la convention "
                    f"(du {formatting.date(convention.start_date)} au {formatting.date(convention.end_date)})."
                )
            }
        )


@transaction.atomic
def record_measurement(
    *,
    indicator: Indicator,
    date: datetime.date,
    value: Decimal | None,
    comment: str = "",
    user: User | None = None,
    parts: Mapping[int, Decimal] | None = None,
) -> Measurement:
    """A new measurement; refused outside the convention's period, on a date
    already measured, or in a period a report locked.

    ``parts``: the values of the communes of a broken-down indicator (commune id → value,
    :mod:`evaluation.breakdown`); where they add up (« somme ») a total left empty
    (``value=None``) is their sum and a total entered must equal it."""
    convention = convention_of(indicator)
    convention_data_changed(convention_id=convention.pk)
    check_in_period(convention, date)
    if (lock := locks.measurement_lock_for(indicator=indicator, date=date)) is not None:
        raise ValidationError({"date": locks.refusal(lock)})
    if parts is not None:
        value = breakdown.entry(
            indicator=indicator, convention=convention, total=value, parts=parts
        ).total
    measurement = Measurement(
        indicator=indicator, date=date, value=value, comment=comment.strip(), entered_by=user
    )
    # À valider or validated, by the convention's setting and the author's side.
    validation.entry_state(convention=convention, user=user, now=timezone.now()).apply(measurement)
    measurement.full_clean()
    measurement._history_user = user
    measurement.save()
    if parts is not None:
        breakdown.parts_save(measurement=measurement, parts=parts, user=user, replace=True)
    progress_refresh(convention_id=convention.pk)
    return measurement


@transaction.atomic
def import_measurements(
    *,
    convention: Convention,
    values: Sequence[CellValue],
    user: User | None = None,
    token: str = "",
) -> ImportResult:
    """Create or update measurements from the parsed workbook, all or nothing.

    The values were validated by the parser; the ids and dates are checked again
    here against the database because time passed between preview and confirmation.
    A second import of the same values changes nothing.

    Imports of a convention run one at a time (its row is locked): two confirmations at once
    would both find a measurement missing and both insert it. ``token`` is the preview's: the
    import is recorded under it, and confirming it again (double click, two tabs) imports
    nothing and returns the first confirmation's result.
    """
    Convention.objects.select_for_update().only("pk").get(pk=convention.pk)
    convention_data_changed(convention_id=convention.pk)
    if token:
        done = MeasurementImport.objects.filter(token=token).first()
        if done is not None:
            if done.convention_id != convention.pk:
                raise ValidationError("Cet aperçu ne concerne pas cette convention.")
            return result_of(done)
    known = set(convention_indicators(convention).values_list("pk", flat=True))
    errors = []
    for v in values:
        if v.indicator_id not in known:
            errors.append(f"L'indicateur n° {v.indicator_id} n'appartient plus à la convention.")
        elif not convention.start_date <= v.date <= convention.end_date:
            errors.append(
                f"La date {formatting.date(v.date)} est en dehors de la période de la convention."
            )
    if errors:
        raise ValidationError(errors)

    existing = {
        (m.indicator_id, m.date): m
        for m in Measurement.objects.select_for_update()
        .filter(
            indicator_id__in={v.indicator_id for v in values}, date__in={v.date for v in values}
        )
        .order_by("pk")
    }
    # The communes of broken-down indicators and the totals they make (evaluation.breakdown):
    # one value per measurement from here, the communes' values in ``plan.parts``.
    plan = breakdown.import_plan(convention=convention, values=values, existing=existing)
    values = plan.totals
    # Values a report locked since the preview are refused, all or nothing.
    writes = [
        v
        for v in values
        if (current := existing.get((v.indicator_id, v.date))) is None
        or current.value != v.value
        or (v.indicator_id, v.date) in plan.changed
    ]
    refused = locks.ConventionLocks(convention.pk).locked((v.indicator_id, v.date) for v in writes)
    if refused:
        raise ValidationError(
            [
                f"Cellule {v.column}{v.row} : {locks.refusal(refused[(v.indicator_id, v.date)])}"
                for v in writes
                if (v.indicator_id, v.date) in refused
            ]
        )
    # Values of the Caf's open data are not changed by hand (evaluation.sources).
    opened = [
        (v, current)
        for v in writes
        if (current := existing.get((v.indicator_id, v.date))) is not None
        and sources.is_open_data(current)
    ]
    if opened:
        raise ValidationError(
            [f"Cellule {v.column}{v.row} : {sources.open_data_refusal(c)}" for v, c in opened]
        )
    # The import the values point to (their source), its counts filled below.
    record = (
        MeasurementImport.objects.create(token=token, convention=convention, imported_by=user)
        if token
        else None
    )
    now = timezone.now()
    # The values imported are the importer's: à valider or validated like a value typed.
    entry = validation.entry_state(convention=convention, user=user, now=now)
    to_create, to_update, unchanged = [], [], 0
    for v in values:
        current = existing.get((v.indicator_id, v.date))
        if current is None:
            measurement = Measurement(
                indicator_id=v.indicator_id,
                date=v.date,
                value=v.value,
                entered_by=user,
                entered_at=now,
                comment="Import du classeur de mesures",
                source_kind=Measurement.SourceKind.SPREADSHEET,
                spreadsheet_import=record,
            )
            entry.apply(measurement)
            to_create.append(measurement)
        elif current.value != v.value or (v.indicator_id, v.date) in plan.changed:
            current.value = v.value
            current.entered_by = user
            current.entered_at = now
            current.source_kind = Measurement.SourceKind.SPREADSHEET
            current.spreadsheet_import = record
            entry.apply(current)
            to_update.append(current)
        else:
            unchanged += 1
    if to_create:
        bulk_create_with_history(to_create, Measurement, default_user=user)
    if to_update:
        bulk_update_with_history(
            to_update,
            Measurement,
            [
                "value",
                "entered_by",
                "entered_at",
                "source_kind",
                "spreadsheet_import",
                *VALIDATION_FIELDS,
            ],
            default_user=user,
        )
    breakdown.parts_save_many(
        [
            (m, plan.parts[key])
            for m in to_create + to_update
            if (key := (m.indicator_id, m.date)) in plan.parts
        ],
        user=user,
    )
    result = ImportResult(created=len(to_create), updated=len(to_update), unchanged=unchanged)
    if record is not None:
        record.created, record.updated = result.created, result.updated
        record.unchanged = result.unchanged
        record.save(update_fields=["created", "updated", "unchanged"])
    progress_refresh(convention_id=convention.pk)
    return result


def _measurement_for_update(measurement: Measurement) -> Measurement:
    """The measurement read again under a row lock (two writers at once run one after the
    other), with what finds its convention."""
    found = (
        # Only the measurement's row: PostgreSQL locks no nullable side of an outer join.
        Measurement.objects.select_for_update(of=("self",))
        .select_related("indicator__action_sheet__convention", "indicator__objective__convention")
        .filter(pk=measurement.pk)
        .first()
    )
    if found is None:  # deleted meanwhile (another tab, a double click)
        raise ValidationError("Cette mesure a été supprimée entre-temps.")
    return found


def _refuse_if_locked(measurement: Measurement) -> None:
    if (lock := locks.measurement_lock_for(measurement)) is not None:
        raise ValidationError(locks.refusal(lock))


@transaction.atomic
def measurement_update(
    *,
    measurement: Measurement,
    value: Decimal | None,
    comment: str = "",
    user: User | None = None,
    override_reason: str = "",
    parts: Mapping[int, Decimal] | None = None,
) -> Measurement:
    """Change a measurement's value and comment; refused when a report locked it.

    A value of the Caf's open data keeps its figure unless it is replaced with a reason
    (``override_reason``): it then becomes typed, its import kept as a trace
    (:mod:`evaluation.sources`). Its comment alone may change without one.

    ``parts``: all the values of the communes of a broken-down indicator (one left out loses
    its value), checked as :func:`record_measurement` does; a total left as it was beside
    communes that changed becomes their sum (:func:`evaluation.breakdown.resolve`).
    """
    measurement = _measurement_for_update(measurement)
    convention_data_changed(convention_id=convention_id_of(measurement.indicator))
    _refuse_if_locked(measurement)
    parts_changed = False
    if parts is not None:
        resolved = breakdown.entry(
            indicator=measurement.indicator,
            convention=convention_of(measurement.indicator),
            total=value,
            parts=parts,
            old_total=measurement.value,
            old_parts=breakdown.parts_of(measurement),
        )
        value, parts_changed = resolved.total, resolved.parts_changed
    replaced = sources.is_open_data(measurement) and (
        value != measurement.value or parts_changed or bool(override_reason.strip())
    )
    if replaced:
        sources.override(measurement, sources.override_reason_of(measurement, override_reason))
    # A changed value (or a returned one, corrected or explained) is submitted again by its
    # new author: a change from the territory side waits again. A comment alone changes
    # neither the value's author nor its state.
    if (
        replaced
        or value != measurement.value
        or parts_changed
        or measurement.validation_state == Measurement.State.RETURNED
    ):
        measurement.entered_by = user
        validation.entry_state(
            convention=convention_of(measurement.indicator), user=user, now=timezone.now()
        ).apply(measurement)
    measurement.value = value
    measurement.comment = comment.strip()
    measurement.full_clean()
    measurement._history_user = user
    measurement.save()
    if parts is not None:
        breakdown.parts_save(measurement=measurement, parts=parts, user=user, replace=True)
    progress_refresh(convention_id=convention_id_of(measurement.indicator))
    return measurement


@transaction.atomic
def measurement_delete(
    *, measurement: Measurement, user: User | None = None, override_reason: str = ""
) -> None:
    """Delete a measurement (kept in history); refused when a report locked it, and for a
    value of the Caf's open data without a reason (kept in its history)."""
    measurement = _measurement_for_update(measurement)
    convention_data_changed(convention_id=convention_id_of(measurement.indicator))
    _refuse_if_locked(measurement)
    if sources.is_open_data(measurement):
        sources.override(measurement, sources.override_reason_of(measurement, override_reason))
    measurement._history_user = user
    measurement.delete()
    progress_refresh(convention_id=convention_id_of(measurement.indicator))


@transaction.atomic
def period_lock_create(
    *,
    convention: Convention,
    start: datetime.date,
    end: datetime.date,
    label: str,
    reference: str,
    by: User | None = None,
) -> PeriodLock:
    """Lock the measurements dated from ``start`` to ``end`` (a report presented them).
    The same ``reference`` (« rapport:12 ») locks once: building a report again changes
    nothing."""
    convention_data_changed(convention_id=convention.pk)
    lock = PeriodLock.objects.filter(convention=convention, reference=reference).first()
    if lock is not None:
        return lock
    lock = PeriodLock(
        convention=convention,
        start=start,
        end=end,
        label=label.strip()[:255],
        reference=reference,
        created_by=by,
    )
    lock.full_clean()
    lock.save()
    return lock


UNLOCK_REASON_REQUIRED = "Indiquez le motif du déverrouillage."


@transaction.atomic
def measurement_unlock(*, measurement: Measurement, by: User, reason: str) -> MeasurementUnlock:
    """Caf staff unlock one locked value, with a reason, until the next report."""
    measurement = _measurement_for_update(measurement)
    convention_id = convention_id_of(measurement.indicator)
    convention_data_changed(convention_id=convention_id)
    convention = Convention.objects.get(pk=convention_id)
    if not convention_access(by, convention).can_edit_convention:
        raise ValidationError(
            "Seule la Caf peut déverrouiller une valeur présentée dans un rapport."
        )
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError({"reason": UNLOCK_REASON_REQUIRED})
    lock = locks.measurement_lock_for(measurement)
    if lock is None:
        raise ValidationError("Cette valeur n'est pas verrouillée : elle peut déjà être modifiée.")
    unlock = MeasurementUnlock(
        lock=lock,
        indicator=measurement.indicator,
        date=measurement.date,
        measurement=measurement,
        value_before=measurement.value,
        reason=reason,
        by=by,
    )
    unlock.full_clean()
    unlock.save()
    return unlock


# ------------------------------------------------------- qualitative side


@transaction.atomic
def create_change(
    *,
    convention: Convention,
    title: str,
    description: str = "",
    actor: str = "",
    objective=None,
    thematic=None,
) -> ChangeSought:
    if objective is not None and objective.convention_id != convention.pk:
        raise ValidationError({"objective": "L'objectif doit appartenir à la même convention."})
    change = ChangeSought(
        convention=convention,
        title=title.strip(),
        description=description.strip(),
        actor=actor.strip(),
        objective=objective,
        thematic=thematic,
    )
    change.full_clean()
    change.save()
    return change


@transaction.atomic
def add_marker(*, change: ChangeSought, level: str, text: str) -> ProgressMarker:
    order = change.markers.count() + 1
    marker = ProgressMarker(change=change, level=level, text=text.strip(), order=order)
    marker.full_clean()
    marker.save()
    return marker


@transaction.atomic
def add_observation(
    *,
    marker: ProgressMarker,
    date: datetime.date,
    degree: str,
    text: str,
    user: User | None = None,
) -> Observation:
    if date > timezone.localdate():
        raise ValidationError({"date": "Une observation ne peut pas être datée dans le futur."})
    observation = Observation(
        marker=marker, date=date, degree=degree, text=text.strip(), observed_by=user
    )
    observation.full_clean()
    observation.save()
    return observation


# ----------------------------------------------- validation of measurements


def _measurement_for_review(measurement: Measurement) -> tuple[Measurement, Convention]:
    """The measurement locked for the change, with its convention (its data version bumped)."""
    locked = _measurement_for_update(measurement)
    convention = convention_of(locked.indicator)
    convention_data_changed(convention_id=convention.pk)
    return locked, convention


@transaction.atomic
def measurement_validate(*, measurement: Measurement, user: User) -> Measurement:
    """The Caf validates a value « à valider »: from now on it counts."""
    measurement, convention = _measurement_for_review(measurement)
    validation.require_validator(convention=convention, user=user)
    validation.validate(measurement, user=user, now=timezone.now())
    measurement.full_clean()
    measurement._history_user = user
    measurement._change_reason = "Mesure validée"
    measurement.save(update_fields=VALIDATION_FIELDS)
    progress_refresh(convention_id=convention.pk)
    return measurement


@transaction.atomic
def measurement_return(*, measurement: Measurement, comment: str, user: User) -> Measurement:
    """The Caf sends a value « à valider » back to its author with a comment; the author is
    told by e-mail once the transaction commits."""
    measurement, convention = _measurement_for_review(measurement)
    validation.require_validator(convention=convention, user=user)
    validation.send_back(measurement, user=user, comment=comment, now=timezone.now())
    measurement.full_clean()
    measurement._history_user = user
    measurement._change_reason = f"Mesure renvoyée : {measurement.return_comment}"
    measurement.save(update_fields=VALIDATION_FIELDS)
    if measurement.entered_by_id:
        _queue_returned_email(measurement.pk)
    progress_refresh(convention_id=convention.pk)
    return measurement


@transaction.atomic
def sheet_measurements_validate(*, sheet, user: User) -> int:
    """The Caf validates every value « à valider » of a fiche at once (its indicators');
    returns how many."""
    convention = Convention.objects.select_for_update().get(pk=sheet.convention_id)
    convention_data_changed(convention_id=convention.pk)
    validation.require_validator(convention=convention, user=user)
    pending = list(
        Measurement.objects.select_for_update()
        .filter(indicator__action_sheet=sheet, validation_state=Measurement.State.PENDING)
        .order_by("pk")
    )
    now = timezone.now()
    for measurement in pending:
        validation.validate(measurement, user=user, now=now)
    if pending:
        bulk_update_with_history(
            pending,
            Measurement,
            VALIDATION_FIELDS,
            default_user=user,
            default_change_reason="Mesure validée (toute la fiche)",
        )
    progress_refresh(convention_id=convention.pk)
    return len(pending)


def _queue_returned_email(measurement_id: int) -> None:
    """Send the e-mail through Celery once the transaction commits; a broker failure is
    logged and never undoes the return (the author also sees it in « À faire »)."""
    from evaluation import tasks

    def _send() -> None:
        try:
            tasks.send_measurement_returned.delay(measurement_id)
        except Exception:  # broker down, or an eager task that failed all its retries
            logger.exception(
                "E-mail de mesure renvoyée n° %s non envoyé (file de tâches indisponible)",
                measurement_id,
            )

    transaction.on_commit(_send)


def measurement_returned_messages(measurement_id: int) -> list[EmailMultiAlternatives]:
    """The e-mail to the author of a returned value, built when the task runs (none when the
    value was corrected, validated or deleted meanwhile, or the author has no address)."""
    measurement = (
        Measurement.objects.select_related(
            "entered_by",
            "validated_by",
            "indicator__action_sheet__convention",
            "indicator__objective__convention",
        )
        .filter(pk=measurement_id, validation_state=Measurement.State.RETURNED)
        .first()
    )
    if measurement is None or measurement.entered_by is None:
        return []
    author = measurement.entered_by
    if not author.is_active or not author.email:
        return []
    indicator = measurement.indicator
    convention = convention_of(indicator)
    link = settings.SITE_URL.rstrip("/") + reverse(
        "evaluation:indicator", kwargs={"pk": convention.pk, "indicator_pk": indicator.pk}
    )
    context = {
        "measurement": measurement,
        "indicator": indicator,
        "convention": convention,
        "author": author,
        "reviewer": measurement.validated_by,
        "link": f"{link}#mesure-{measurement.pk}",
    }
    base = "emails/evaluation/measurement_returned"
    subject = " ".join(render_to_string(f"{base}_subject.txt", context).split())
    message = EmailMultiAlternatives(
        subject,
        render_to_string(f"{base}.txt", context),
        settings.DEFAULT_FROM_EMAIL,
        [author.email],
    )
    message.attach_alternative(render_to_string(f"{base}.html", context), "text/html")
    return [message]
