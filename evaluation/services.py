"""Writes on evaluation: measurements (one by one or from the workbook) and the
qualitative follow-up (changes sought, progress markers, observations).

Keyword-only, atomic, validated (``full_clean``), French messages.
"""

from __future__ import annotations

import datetime
from collections.abc import Sequence
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from simple_history.utils import bulk_create_with_history, bulk_update_with_history

from conventions.models import Convention, User
from conventions.services.data_version import convention_data_changed
from ctg import formatting

from .imports import CellValue
from .models import (
    ChangeSought,
    Indicator,
    Measurement,
    MeasurementImport,
    Observation,
    ProgressMarker,
)
from .progress import convention_indicators
from .selectors import ImportResult, result_of


def indicator_convention(indicator: Indicator) -> Convention:
    holder = indicator.action_sheet or indicator.objective
    return holder.convention


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
    value: Decimal,
    comment: str = "",
    user: User | None = None,
) -> Measurement:
    """A new measurement; refused outside the convention's period or on a date
    already measured."""
    convention = indicator_convention(indicator)
    convention_data_changed(convention_id=convention.pk)
    check_in_period(convention, date)
    measurement = Measurement(
        indicator=indicator, date=date, value=value, comment=comment.strip(), entered_by=user
    )
    measurement.full_clean()
    measurement.save()
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
    now = timezone.now()
    to_create, to_update, unchanged = [], [], 0
    for v in values:
        current = existing.get((v.indicator_id, v.date))
        if current is None:
            to_create.append(
                Measurement(
                    indicator_id=v.indicator_id,
                    date=v.date,
                    value=v.value,
                    entered_by=user,
                    entered_at=now,
                    comment="Import du classeur de mesures",
                )
            )
        elif current.value != v.value:
            current.value = v.value
            current.entered_by = user
            current.entered_at = now
            to_update.append(current)
        else:
            unchanged += 1
    if to_create:
        bulk_create_with_history(to_create, Measurement, default_user=user)
    if to_update:
        bulk_update_with_history(
            to_update, Measurement, ["value", "entered_by", "entered_at"], default_user=user
        )
    result = ImportResult(created=len(to_create), updated=len(to_update), unchanged=unchanged)
    if token:
        MeasurementImport.objects.create(
            token=token,
            convention=convention,
            imported_by=user,
            created=result.created,
            updated=result.updated,
            unchanged=result.unchanged,
        )
    return result


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
