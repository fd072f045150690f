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
from simple_history.utils import bulk_create_with_history, bulk_update_with_history

from conventions.models import Caf, Collectivity, Convention, Thematic, User
from conventions.services.data_version import convention_data_changed

from . import cafdata, selectors
from .imports import StatisticRow
from .models import (
    OPEN_DATA_PORTAL,
    Diagnostic,
    Finding,
    StatisticDefinition,
    StatisticImport,
    TerritoryStatistic,
)
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
    # Its text is shown under the objectives it supports (the plan's cached list).
    convention_data_changed(convention_id=finding.diagnostic.convention_id)
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
    convention_data_changed(convention_id=finding.diagnostic.convention_id)
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
    user: User | None = None,
    override_reason: str = "",
) -> tuple[TerritoryStatistic, bool]:
    """Record a typed value; an existing value for the same collectivity, statistic and
    year is updated rather than duplicated. Returns the row and whether it was created.

    A value of the open data is not edited by hand: it is only replaced with a reason
    (``override_reason``, kept on the value and in its history); an import then keeps it.
    """
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
    reason = " ".join(override_reason.split())
    if row.is_open_data:
        if not reason:
            raise ValidationError({"override_reason": open_data_refusal(row)})
        row.source_kind = TerritoryStatistic.SourceKind.MANUAL
        row.override_reason = reason
        row._change_reason = f"Remplace la valeur des données ouvertes : {reason}"
    row.value = value
    row.source = source.strip()
    row.recorded_by = user
    row.full_clean()
    row.save()
    return row, created


def open_data_refusal(row: TerritoryStatistic) -> str:
    return (
        f"Cette valeur vient des données ouvertes {OPEN_DATA_PORTAL} ({row.year}) : "
        "elle ne se modifie pas à la main. Réimportez le fichier Cafdata, ou cochez "
        "« Remplacer la valeur des données ouvertes » et indiquez la raison."
    )


@transaction.atomic
def territory_statistic_delete(*, statistic: TerritoryStatistic) -> None:
    statistic.delete()


@dataclass(frozen=True)
class ImportSummary:
    created: int
    updated: int
    unchanged: int
    kept: int = 0  # values of the open data, which a spreadsheet does not replace

    @property
    def total(self) -> int:
        return self.created + self.updated + self.unchanged


# The parser resolved the codes to ids and checked the year: no query per row for them.
CHECKED_BY_PARSER = ["collectivity", "statistic"]


@transaction.atomic
def territory_statistics_import(
    *, rows: list[StatisticRow], user: User | None = None
) -> ImportSummary:
    """Import checked rows in one transaction: create new values, update existing ones
    (same collectivity, statistic and year), leave identical ones and those of the open
    data alone."""
    existing = {
        (s.collectivity_id, s.statistic_id, s.year): s
        for s in TerritoryStatistic.objects.select_for_update().filter(
            collectivity_id__in={r.collectivity_id for r in rows},
            statistic_id__in={r.statistic_id for r in rows},
            year__in={r.year for r in rows},
        )
    }
    created = updated = unchanged = kept = 0
    spreadsheet = TerritoryStatistic.SourceKind.SPREADSHEET
    for row in rows:
        key = (row.collectivity_id, row.statistic_id, row.year)
        current = existing.get(key)
        if current is not None:
            if current.is_open_data:
                kept += 1
                continue
            if current.value == row.value and current.source == row.source:
                unchanged += 1
                continue
            current.value = row.value
            current.source = row.source
            current.source_kind = spreadsheet
            current.recorded_by = user
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
            source_kind=spreadsheet,
            recorded_by=user,
        )
        statistic.full_clean(exclude=CHECKED_BY_PARSER, validate_constraints=False)
        statistic.save()
        existing[key] = statistic
        created += 1
    return ImportSummary(created=created, updated=updated, unchanged=unchanged, kept=kept)


def reference_data_ensure() -> None:
    """Reload the reference thematics and statistic definitions of the data migration if
    any is missing (a transactional test, e.g. with a live server, flushes the database)."""
    if Thematic.objects.filter(code__in=[c for c, _ in THEMATICS]).count() < len(
        THEMATICS
    ) or StatisticDefinition.objects.count() < len(STATISTICS):
        load_reference_data(Thematic, StatisticDefinition)


# --- open data (Cafdata) ------------------------------------------------------------


def cafdata_definitions_ensure(codes) -> dict[str, StatisticDefinition]:
    """The statistic definitions of these registry codes, created if missing (by code):
    an existing definition keeps its words."""
    codes = set(codes)
    found = {d.code: d for d in StatisticDefinition.objects.filter(code__in=codes)}
    missing = codes - set(found)
    if missing:
        thematics = {
            t.code: t
            for t in Thematic.objects.filter(
                code__in={cafdata.DEFINITIONS[c].thematic for c in missing}
            )
        }
        for code in sorted(missing):
            entry = cafdata.DEFINITIONS[code]
            definition = StatisticDefinition(
                code=code,
                label=entry.label,
                unit=entry.unit,
                description=entry.description,
                thematic=thematics.get(entry.thematic),
            )
            definition.full_clean()
            definition.save()
            found[code] = definition
    return found


# The import resolved the collectivities (the Caf's) and the definitions: no query per row.
CHECKED_BY_IMPORT = ["collectivity", "statistic", "source_import", "recorded_by"]


@transaction.atomic
def cafdata_import(
    *,
    caf: Caf,
    dataset: str,
    filename: str,
    values: list[cafdata.Value],
    user: User | None,
    token: str,
) -> StatisticImport:
    """Import the values of a previewed Cafdata file for the whole Caf, in one transaction.

    Idempotent: a value already imported with the same figure is left alone, a value
    replaced by hand with a reason is kept. Confirming the same preview twice (``token``)
    returns the first import. Every convention of the Caf whose territory includes a
    changed value is marked as changed.
    """
    found = cafdata.dataset(dataset)
    if found is None:
        raise ValidationError("Jeu de données Cafdata inconnu.")
    if not token:
        raise ValidationError("Aperçu introuvable : déposez à nouveau le fichier.")
    # One import at a time per Caf: a double click waits here, then finds the first one.
    Caf.objects.select_for_update().filter(pk=caf.pk).first()
    done = StatisticImport.objects.filter(token=token).first()
    if done is not None:
        return done
    collectivity_ids = {v.collectivity_id for v in values}
    if Collectivity.objects.filter(caf=caf, pk__in=collectivity_ids).count() != len(
        collectivity_ids
    ):
        raise ValidationError(
            "Des collectivités du fichier ont été modifiées ou supprimées depuis l'aperçu : "
            "déposez à nouveau le fichier."
        )
    definitions = cafdata_definitions_ensure(v.statistic for v in values)
    record = StatisticImport(
        caf=caf,
        dataset=found.key,
        dataset_label=found.label,
        filename=filename[:255],
        producer=found.producer,
        vintage=max((v.year for v in values), default=None),
        method=found.method,
        imported_by=user,
        token=token,
    )
    record.full_clean()
    record.save()
    current = {
        (r.collectivity_id, r.statistic.code, r.year): r
        for r in TerritoryStatistic.objects.select_for_update()
        .filter(
            collectivity_id__in=collectivity_ids,
            statistic__code__in=set(definitions),
            year__in={v.year for v in values},
        )
        .select_related("statistic")
    }
    source = f"{found.producer} — {found.key} ({filename})"[:200]
    reason = f"Import Cafdata {found.key} ({filename[:100]})"
    counts = dict.fromkeys(cafdata.STATUSES, 0)
    changed_collectivities: set[int] = set()
    to_create: list[TerritoryStatistic] = []
    to_update: list[TerritoryStatistic] = []
    for value in values:
        row = current.get((value.collectivity_id, value.statistic, value.year))
        status = cafdata.status(row, value)
        counts[status] += 1
        if status in (cafdata.UNCHANGED, cafdata.KEPT):
            continue
        if row is None:
            row = TerritoryStatistic(
                collectivity_id=value.collectivity_id,
                statistic=definitions[value.statistic],
                year=value.year,
            )
            to_create.append(row)
        else:
            to_update.append(row)
        row.value = value.value
        row.source = source
        row.source_kind = TerritoryStatistic.SourceKind.OPEN_DATA
        row.source_import = record
        row.recorded_by = user
        row.override_reason = ""
        row.full_clean(exclude=CHECKED_BY_IMPORT, validate_constraints=False)
        changed_collectivities.add(value.collectivity_id)
    # In batches, each with its history line (who, why): a département's file holds thousands.
    if to_create:
        bulk_create_with_history(
            to_create,
            TerritoryStatistic,
            batch_size=500,
            default_user=user,
            default_change_reason=reason,
        )
    if to_update:
        bulk_update_with_history(
            to_update,
            TerritoryStatistic,
            ["value", "source", "source_kind", "source_import", "recorded_by", "override_reason"],
            batch_size=500,
            default_user=user,
            default_change_reason=reason,
        )
    _conventions, links = selectors.conventions_by_collectivity(caf=caf)
    concerned = {c for pk in collectivity_ids for c in links.get(pk, ())}
    for convention_id in sorted({c for pk in changed_collectivities for c in links.get(pk, ())}):
        convention_data_changed(convention_id=convention_id)
    record.created_count = counts[cafdata.NEW]
    record.updated_count = counts[cafdata.CHANGED]
    record.unchanged_count = counts[cafdata.UNCHANGED]
    record.kept_count = counts[cafdata.KEPT]
    record.conventions_count = len(concerned)
    record.save()
    return record
