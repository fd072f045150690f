"""Writes on the collectivities' referential: one by one, or a whole CSV file at once."""

from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.db import transaction

from conventions.imports import CollectivityRow, RowError
from conventions.models import Caf, Collectivity, User

from .data_version import caf_activity_changed

COLLECTIVITY_FIELDS = ("kind", "name", "code", "population", "parent_epci")


def _save_collectivity(collectivity: Collectivity, data: dict, by: User) -> Collectivity:
    for name in COLLECTIVITY_FIELDS:
        if name in data:
            setattr(collectivity, name, data[name])
    collectivity.code = (collectivity.code or "").strip().upper()
    parent = collectivity.parent_epci
    if parent is not None and parent.caf_id != collectivity.caf_id:
        raise ValidationError(
            {"parent_epci": "L'EPCI de rattachement doit relever de la même Caf."}
        )
    collectivity.full_clean()
    collectivity._history_user = by
    collectivity.save()
    caf_activity_changed(caf_id=collectivity.caf_id)
    return collectivity


@transaction.atomic
def collectivity_create(*, caf: Caf, data: dict, by: User) -> Collectivity:
    return _save_collectivity(Collectivity(caf=caf), data, by)


@transaction.atomic
def collectivity_update(*, collectivity: Collectivity, data: dict, by: User) -> Collectivity:
    return _save_collectivity(collectivity, data, by)


class ImportRejected(Exception):
    """A file with bad rows: nothing was written; ``errors`` lists every bad row."""

    def __init__(self, errors: list[RowError]):
        super().__init__(f"{len(errors)} ligne(s) en erreur")
        self.errors = errors


@dataclass(frozen=True)
class ImportOutcome:
    created: int
    updated: int
    unchanged: int


@transaction.atomic
def collectivities_import(*, caf: Caf, rows: list[CollectivityRow], by: User) -> ImportOutcome:
    """Create or update (key: kind + code) every row in one transaction, or nothing at all."""
    existing = {
        (c.kind, c.code): c
        for c in Collectivity.objects.select_related("caf").filter(
            code__in={r.code for r in rows} | {r.epci_code for r in rows if r.epci_code}
        )
    }
    epcis_in_file = {r.code for r in rows if r.kind == Collectivity.Kind.EPCI}
    errors: list[RowError] = []
    for row in rows:
        current = existing.get((row.kind, row.code))
        if current is not None and current.caf_id != caf.pk:
            errors.append(
                RowError(row.line, f"le code {row.code} est déjà enregistré pour la {current.caf}.")
            )
        if row.epci_code and row.epci_code not in epcis_in_file:
            epci = existing.get((Collectivity.Kind.EPCI, row.epci_code))
            if epci is None:
                errors.append(
                    RowError(
                        row.line,
                        f"l'EPCI {row.epci_code} ne figure ni dans le fichier ni dans le référentiel.",
                    )
                )
            elif epci.caf_id != caf.pk:
                errors.append(
                    RowError(
                        row.line, f"l'EPCI {row.epci_code} relève d'une autre Caf ({epci.caf})."
                    )
                )
    if errors:
        raise ImportRejected(errors)

    created = updated = unchanged = 0
    epcis = {code: c for (kind, code), c in existing.items() if kind == Collectivity.Kind.EPCI}
    # EPCIs first, so that communes can be attached to EPCIs of the same file.
    for row in sorted(rows, key=lambda r: (r.kind != Collectivity.Kind.EPCI, r.line)):
        collectivity = existing.get((row.kind, row.code)) or Collectivity(
            caf=caf, kind=row.kind, code=row.code
        )
        parent = epcis.get(row.epci_code) if row.epci_code else None
        is_new = collectivity.pk is None
        if (
            not is_new
            and collectivity.name == row.name
            and collectivity.population == row.population
            and collectivity.parent_epci_id == (parent.pk if parent else None)
        ):
            unchanged += 1
            continue
        collectivity.name = row.name
        collectivity.population = row.population
        collectivity.parent_epci = parent
        try:
            collectivity.full_clean(validate_constraints=False)
        except ValidationError as exc:
            errors.append(RowError(row.line, " ".join(exc.messages)))
            continue
        collectivity._history_user = by
        collectivity._change_reason = "Import CSV"
        collectivity.save()
        if row.kind == Collectivity.Kind.EPCI:
            epcis[row.code] = collectivity
        created += is_new
        updated += not is_new
    if errors:
        raise ImportRejected(errors)
    if created or updated:
        caf_activity_changed(caf_id=caf.pk)
    return ImportOutcome(created=created, updated=updated, unchanged=unchanged)
