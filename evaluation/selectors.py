"""Reads for the evaluation pages that have no module of their own: the
measurements of an indicator and the qualitative side (changes sought, progress
markers, observations).

The rest lives by subdomain: the progress and late rules in
:mod:`evaluation.progress`, their charts in :mod:`evaluation.figures`, funding per
funder in :mod:`evaluation.funding`, the Caf's portfolio in
:mod:`evaluation.portfolio`, the territory comparison in
:mod:`evaluation.territories`, the measurements workbook in
:mod:`evaluation.workbook`.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.db.models import Prefetch, QuerySet

from conventions.models import Convention, User

from . import sources
from .models import (
    ChangeSought,
    Indicator,
    Measurement,
    MeasurementImport,
    Observation,
    ProgressMarker,
)


def measurements_of(*, indicator: Indicator) -> QuerySet[Measurement]:
    # Their pieces of evidence (evidence app, read by the relation's name), one query.
    return (
        # Where each value comes from (evaluation.sources.RELATED), joined.
        indicator.measurements.select_related(*sources.RELATED, "validated_by")
        .prefetch_related("evidence_files")
        .order_by("date")
    )


def changes_of(*, convention: Convention) -> list[ChangeSought]:
    """Changes sought with their markers and observations (newest first), 3 queries."""
    return list(
        convention.changes_sought.select_related("thematic", "objective")
        .prefetch_related(
            Prefetch(
                "markers",
                queryset=ProgressMarker.objects.order_by("order", "id").prefetch_related(
                    Prefetch(
                        "observations",
                        queryset=Observation.objects.select_related("observed_by")
                        .prefetch_related("evidence_files")  # evidence app, by name
                        .order_by("-date", "-id"),
                    )
                ),
            )
        )
        .order_by("id")
    )


def change_of(*, convention: Convention, pk: int) -> ChangeSought | None:
    return convention.changes_sought.filter(pk=pk).first()


def marker_of(*, convention: Convention, pk: int) -> ProgressMarker | None:
    return (
        ProgressMarker.objects.filter(change__convention=convention, pk=pk)
        .select_related("change")
        .first()
    )


@dataclass
class ImportResult:
    """What a confirmed measurement import did."""

    created: int
    updated: int
    unchanged: int


def result_of(done: MeasurementImport) -> ImportResult:
    return ImportResult(created=done.created, updated=done.updated, unchanged=done.unchanged)


def measurement_import_result(
    *, convention: Convention, token: str, user: User
) -> ImportResult | None:
    """The result of the import this person already confirmed under ``token`` (``None``:
    none), to show again when the same preview is confirmed a second time."""
    if not token:
        return None
    done = MeasurementImport.objects.filter(
        token=token, convention=convention, imported_by=user
    ).first()
    return result_of(done) if done is not None else None
