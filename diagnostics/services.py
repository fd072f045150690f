"""Writes on the shared diagnostic: keyword-only service functions, atomic, validated.

Views and forms only validate input and lay out; every write goes through here.
Each save goes through the model (``save()``), so django-simple-history records who
changed what (the request user is set by its middleware).
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.db import transaction

from conventions.models import Collectivity, Convention, Thematic

from . import selectors
from .imports import StatisticRow
from .models import Diagnostic, Finding, StatisticDefinition, TerritoryStatistic
from .reference import STATISTICS, THEMATICS, load_reference_data

CONFLICT_MESSAGE = (
    "Le diagnostic a été modifié par quelqu'un d'autre depuis l'ouverture du formulaire. "
    "Rechargez la page pour voir sa version actuelle, puis refaites vos modifications."
)


@transaction.atomic
def diagnostic_save(
    *,
    convention: Convention,
    version: int,
    method: str = "",
    start_date: datetime.date | None = None,
    end_date: datetime.date | None = None,
    summary: str = "",
    participants_count: int | None = None,
    participation: str = "",
    sources: str = "",
) -> Diagnostic:
    """Create the diagnostic on first save, update it after; refuse a stale ``version``.

    ``version`` is the version the form was loaded with (0 when there was no diagnostic yet).
    """
    diagnostic = Diagnostic.objects.select_for_update().filter(convention=convention).first()
    current = diagnostic.version if diagnostic else 0
    if version != current:
        raise ValidationError(CONFLICT_MESSAGE, code="conflict")
    if diagnostic is None:
        diagnostic = Diagnostic(convention=convention, version=0)
    diagnostic.method = method
    diagnostic.start_date = start_date
    diagnostic.end_date = end_date
    diagnostic.summary = summary
    diagnostic.participants_count = participants_count
    diagnostic.participation = participation
    diagnostic.sources = sources
    diagnostic.version = current + 1
    diagnostic.full_clean()
    diagnostic.save()
    return diagnostic


def _check_thematic(*, convention: Convention, thematic: Thematic, current: Thematic | None):
    if current is not None and thematic.pk == current.pk:
        return
    if not convention.thematics.filter(pk=thematic.pk).exists():
        raise ValidationError(
            {"thematic": "Cette thématique n'est pas retenue pour cette convention."}
        )


@transaction.atomic
def finding_create(
    *,
    convention: Convention,
    thematic: Thematic,
    kind: str,
    text: str,
    priority: int = Finding.Priority.MEDIUM,
    source: str = "",
) -> Finding:
    """Add a finding; the diagnostic is created if the convention has none yet."""
    _check_thematic(convention=convention, thematic=thematic, current=None)
    diagnostic, _ = Diagnostic.objects.get_or_create(convention=convention)
    finding = Finding(
        diagnostic=diagnostic,
        thematic=thematic,
        kind=kind,
        text=text.strip(),
        priority=priority,
        source=source,
    )
    finding.full_clean()
    finding.save()
    return finding


@transaction.atomic
def finding_update(
    *,
    finding: Finding,
    thematic: Thematic,
    kind: str,
    text: str,
    priority: int,
    source: str = "",
) -> Finding:
    _check_thematic(
        convention=finding.diagnostic.convention, thematic=thematic, current=finding.thematic
    )
    finding.thematic = thematic
    finding.kind = kind
    finding.text = text.strip()
    finding.priority = priority
    finding.source = source
    finding.full_clean()
    finding.save()
    return finding


@transaction.atomic
def finding_delete(*, finding: Finding) -> None:
    finding.delete()


@transaction.atomic
def territory_statistic_save(
    *,
    convention: Convention,
    collectivity: Collectivity,
    statistic: StatisticDefinition,
    year: int,
    value: Decimal,
    source: str = "",
) -> tuple[TerritoryStatistic, bool]:
    """Record a value; an existing value for the same collectivity, statistic and year is
    updated rather than duplicated. Returns the row and whether it was created."""
    if not selectors.collectivities_of(convention=convention).filter(pk=collectivity.pk).exists():
        raise ValidationError(
            {
                "collectivity": "Cette collectivité ne fait pas partie du territoire de la convention."
            }
        )
    row = (
        TerritoryStatistic.objects.select_for_update()
        .filter(collectivity=collectivity, statistic=statistic, year=year)
        .first()
    )
    created = row is None
    if created:
        row = TerritoryStatistic(collectivity=collectivity, statistic=statistic, year=year)
    row.value = value
    row.source = source.strip()
    row.full_clean()
    row.save()
    return row, created


@transaction.atomic
def territory_statistic_delete(*, statistic: TerritoryStatistic) -> None:
    statistic.delete()


@dataclass(frozen=True)
class ImportSummary:
    created: int
    updated: int
    unchanged: int

    @property
    def total(self) -> int:
        return self.created + self.updated + self.unchanged


# The parser resolved the codes to ids and checked the year: no query per row for them.
CHECKED_BY_PARSER = ["collectivity", "statistic"]


@transaction.atomic
def territory_statistics_import(*, rows: list[StatisticRow]) -> ImportSummary:
    """Import checked rows in one transaction: create new values, update existing ones
    (same collectivity, statistic and year), leave identical ones alone."""
    existing = {
        (s.collectivity_id, s.statistic_id, s.year): s
        for s in TerritoryStatistic.objects.select_for_update().filter(
            collectivity_id__in={r.collectivity_id for r in rows},
            statistic_id__in={r.statistic_id for r in rows},
            year__in={r.year for r in rows},
        )
    }
    created = updated = unchanged = 0
    for row in rows:
        key = (row.collectivity_id, row.statistic_id, row.year)
        current = existing.get(key)
        if current is not None:
            if current.value == row.value and current.source == row.source:
                unchanged += 1
                continue
            current.value = row.value
            current.source = row.source
            current.full_clean(exclude=CHECKED_BY_PARSER, validate_constraints=False)
            current.save()
            updated += 1
            continue
        statistic = TerritoryStatistic(
            collectivity_id=row.collectivity_id,
            statistic_id=row.statistic_id,
            year=row.year,
            value=row.value,
            source=row.source,
        )
        statistic.full_clean(exclude=CHECKED_BY_PARSER, validate_constraints=False)
        statistic.save()
        existing[key] = statistic
        created += 1
    return ImportSummary(created=created, updated=updated, unchanged=unchanged)


def reference_data_ensure() -> None:
    """Reload the reference thematics and statistic definitions of the data migration if
    any is missing (a transactional test, e.g. with a live server, flushes the database)."""
    if Thematic.objects.filter(code__in=[c for c, _ in THEMATICS]).count() < len(
        THEMATICS
    ) or StatisticDefinition.objects.count() < len(STATISTICS):
        load_reference_data(Thematic, StatisticDefinition)
