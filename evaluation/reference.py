"""The reference sheet of an indicator (TolaActivity's fields, in French) and its yearly
targets: the rules and the writes.

**The sheet** (:class:`~evaluation.models.ReferenceSheet`): definition, unit, calculation
method, data source, means of verification, collection frequency, person responsible,
known limits, how the values combine (aggregation), their breakdown and the binding to a
series of the Caf's open data (``diagnostics.cafdata``, checked by
``clean_reference_sheet``). The unit, source and frequency belong to the fiche's substance
(``actions.workflow.SUBSTANTIVE_FIELDS``): they are edited with the fiche, and only shown
here. An indicator linked to a shared indicator of its Caf takes the definitional fields
from it (:data:`~evaluation.models.SHARED_FIELDS`): they are read-only on the sheet
(:func:`locked_fields`), written by ``evaluation.shared`` only.

**Yearly targets** (:class:`~evaluation.models.IndicatorTarget`): the value the indicator
should reach by 31 December of a year. The progress rule expects progress along them
(:mod:`evaluation.progress`, the one home of the expected share). What a set of yearly
targets must respect (:func:`target_refusals`, used by the form and enforced again by the
services):

- one target per year;
- a year whose 31 December falls after the baseline date and at the latest on the target
  date (:func:`target_years`): another one would not shape the expected line; on the
  target date itself, the value is the final target's;
- in the indicator's direction: for a *hausse*, not below the baseline nor above the final
  target, and not below the previous year's target; the mirror for a *baisse*; a
  *maintien* indicator's targets are free (its progress does not use them).

Writes (keyword-only, atomic, ``full_clean``, history, then ``convention_data_changed`` and
``progress_refresh`` as ``evaluation.services.record_measurement`` does):
:func:`indicator_reference_update`, :func:`indicator_targets_save` and
:func:`indicator_sheet_save` (both at once, all or nothing).

Reads for the pages: :func:`sheet_indicator` (one indicator of a convention with what its
sheet shows) and :func:`expected_line` (the yearly targets between the baseline and the
target, as the progress rule draws the line).
"""

from __future__ import annotations

import datetime
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction

from conventions.models import Convention, User
from conventions.services.data_version import convention_data_changed
from ctg import formatting
from diagnostics import cafdata

from . import ownership, readmodel
from .models import (
    REFERENCE_SHEET_FIELDS,
    SHARED_FIELDS,
    Indicator,
    IndicatorDirection,
    IndicatorTarget,
)
from .progress import convention_indicators
from .readmodel import progress_refresh

#: The fields of the sheet its form edits (the unit, source and frequency are the fiche's).
REFERENCE_FIELDS: tuple[str, ...] = REFERENCE_SHEET_FIELDS

#: The fields of the sheet shown but edited with the fiche (its substance).
FICHE_FIELDS: tuple[str, ...] = ("unit", "source", "frequency")

#: Yearly targets a sheet takes at most (a span of years longer than this is no plan).
TARGETS_MAX = 30


def shared_words(indicator: Indicator) -> str:
    """« Défini par l'indicateur partagé « SDSF-PE-01 — Taux de couverture » de la Caf de
    Tarn-et-Garonne » (reads ``indicator.shared`` and its Caf: select them)."""
    shared = indicator.shared
    if shared is None:
        return ""
    caf = shared.caf.name
    of = f"de la {caf}" if caf.lower().startswith("caf") else f"de la Caf {caf}"
    return f"Défini par l'indicateur partagé « {shared} » {of}."


def binding_words(indicator) -> str:
    """The open-data series an indicator is bound to, « Jeu de données › série (unité) »;
    empty when it is not bound (``indicator``: an indicator, or a shared one)."""
    if not indicator.is_bound:
        return ""
    found = cafdata.series(indicator.open_data_dataset, indicator.open_data_column)
    if found is None:
        return (
            f"{indicator.open_data_dataset} › {indicator.open_data_column} "
            "(série inconnue des données ouvertes)"
        )
    dataset = cafdata.dataset(indicator.open_data_dataset)
    return f"{dataset.label} › {found.definition.label} ({found.unit})"


def locked_fields(indicator: Indicator) -> frozenset[str]:
    """The fields of the sheet an indicator takes from its shared indicator (read-only)."""
    if not indicator.shared_id:
        return frozenset()
    return frozenset(SHARED_FIELDS)


# ------------------------------------------------------------------ yearly targets


def year_end(year: int) -> datetime.date:
    """Where a yearly target anchors the expected line: 31 December of its year."""
    return datetime.date(year, 12, 31)


def target_years(indicator: Indicator) -> range:
    """The years that may have a target: those whose 31 December falls after the baseline
    date and at the latest on the target date (empty when none does)."""
    baseline, target = indicator.baseline_date, indicator.target_date
    first = baseline.year if year_end(baseline.year) > baseline else baseline.year + 1
    last = target.year if year_end(target.year) <= target else target.year - 1
    return range(first, max(first, last + 1))


def _n(value) -> str:
    return formatting.number(value)


def _years_words(indicator: Indicator) -> str:
    years = target_years(indicator)
    span = (
        f"après la date de référence ({formatting.date(indicator.baseline_date)}) et au plus "
        f"tard à l'échéance de la cible ({formatting.date(indicator.target_date)})"
    )
    if not years:
        return f"cet indicateur ne peut pas en avoir, aucun 31 décembre ne tombe {span}"
    if len(years) == 1:
        return f"la seule année possible est {years[0]} (au 31 décembre, {span})"
    return f"elles vont de {years[0]} à {years[-1]} (au 31 décembre, {span})"


def target_refusals(
    indicator: Indicator, targets: Iterable[tuple[int, Decimal]]
) -> list[tuple[int | None, str]]:
    """What is wrong with a set of yearly targets ``(year, value)`` for this indicator (its
    current baseline, target and direction): ``(year, message)`` pairs, in French, the
    year naming the row at fault (``None``: the whole set). Empty when it is right."""
    targets = list(targets)
    refusals: list[tuple[int | None, str]] = []
    if len(targets) > TARGETS_MAX:
        return [(None, f"Pas plus de {TARGETS_MAX} cibles annuelles par indicateur.")]
    seen: set[int] = set()
    for year, _ in targets:
        if year in seen:
            refusals.append((year, f"Une seule cible par année : {year} est saisie deux fois."))
        seen.add(year)
    years = target_years(indicator)
    kept = []
    for year, value in sorted(targets, key=lambda t: t[0]):
        if year not in years:
            refusals.append((year, f"Pas de cible annuelle en {year} : {_years_words(indicator)}."))
        elif year_end(year) == indicator.target_date and value != indicator.target_value:
            refusals.append(
                (
                    year,
                    f"La cible de {year} tombe à l'échéance de l'indicateur : c'est sa cible "
                    f"finale ({_n(indicator.target_value)}), modifiable dans la fiche action.",
                )
            )
        else:
            kept.append((year, value))
    refusals.extend(_direction_refusals(indicator, kept))
    return refusals


def _direction_refusals(
    indicator: Indicator, targets: Sequence[tuple[int, Decimal]]
) -> list[tuple[int, str]]:
    """For a hausse: each target between the baseline and the final target, none below the
    previous one; the mirror for a baisse (``targets`` sorted by year)."""
    direction = indicator.direction
    if direction not in (IndicatorDirection.INCREASE, IndicatorDirection.DECREASE):
        return []
    up = direction == IndicatorDirection.INCREASE
    word, below = ("hausse", "inférieure") if up else ("baisse", "supérieure")
    beyond = "dépasser" if up else "passer sous"
    baseline, final = indicator.baseline_value, indicator.target_value
    refusals = []
    previous: tuple[int, Decimal] | None = None
    for year, value in targets:
        start = f"Pour une {word}, la cible de {year} ({_n(value)})"
        if (value < baseline) if up else (value > baseline):
            refusals.append(
                (
                    year,
                    f"{start} ne peut pas être {below} à la valeur de référence ({_n(baseline)}).",
                )
            )
        elif (value > final) if up else (value < final):
            refusals.append((year, f"{start} ne peut pas {beyond} la cible finale ({_n(final)})."))
        elif previous is not None and ((value < previous[1]) if up else (value > previous[1])):
            refusals.append(
                (
                    year,
                    f"{start} ne peut pas être {below} à celle de {previous[0]} "
                    f"({_n(previous[1])}).",
                )
            )
        previous = (year, value)
    return refusals


@dataclass(frozen=True)
class Anchor:
    """A point of the expected line: a date, the value expected then, and what it is."""

    date: datetime.date
    value: Decimal
    label: str  # « Référence », « Cible 2023 », « Cible finale »


def shapes_line(indicator: Indicator, year: int) -> bool:
    """A yearly target of this year shapes the expected line: its 31 December falls strictly
    between the baseline date and the target date (as :mod:`evaluation.progress` selects
    them)."""
    return indicator.baseline_date < year_end(year) < indicator.target_date


def expected_line(indicator: Indicator, targets: Iterable[IndicatorTarget]) -> list[Anchor]:
    """The points the progress rule draws the expected line through: the baseline, the
    yearly targets anchored strictly between the baseline and the target dates, the final
    target (:mod:`evaluation.progress`)."""
    inside = [t for t in sorted(targets, key=lambda t: t.year) if shapes_line(indicator, t.year)]
    return [
        Anchor(indicator.baseline_date, indicator.baseline_value, "Référence"),
        *(Anchor(year_end(t.year), t.value, f"Cible {t.year}") for t in inside),
        Anchor(indicator.target_date, indicator.target_value, "Cible finale"),
    ]


# ------------------------------------------------------------------ reads


def sheet_indicator(*, convention: Convention, pk: int) -> Indicator | None:
    """One indicator of the convention with its stored progress (the read model, as the
    indicator page), its holder, its shared indicator and its Caf, and its yearly targets
    (``targets``, by year); None when the convention has no such indicator."""
    indicator = (
        readmodel.indicators_of(convention=convention)
        .select_related("shared__caf")
        .filter(pk=pk)
        .first()
    )
    if indicator is not None:
        indicator.targets = list(indicator.yearly_targets.order_by("year"))
    return indicator


def frozen_sheets(*, convention: Convention, indicators: Iterable[Indicator]) -> dict[int, dict]:
    """The reference sheet of each indicator of the convention, per id, as a report's
    snapshot keeps it (JSON: texts, labels, yearly targets as ``{"year", "value"}`` with
    float values): one query for the yearly targets of them all."""
    targets: dict[int, list[dict]] = {}
    for indicator_id, year, value in (
        IndicatorTarget.objects.filter(indicator__in=convention_indicators(convention))
        .order_by("indicator_id", "year")
        .values_list("indicator_id", "year", "value")
    ):
        targets.setdefault(indicator_id, []).append({"year": year, "value": float(value)})
    return {
        i.pk: {
            "definition": i.definition,
            "calculation_method": i.calculation_method,
            "verification_means": i.verification_means,
            "responsible": i.responsible,
            "known_limits": i.known_limits,
            "source": i.source,
            "open_data": binding_words(i),
            "frequency": i.get_frequency_display(),
            "yearly_targets": targets.get(i.pk, []),
        }
        for i in indicators
    }


# ------------------------------------------------------------------ writes


def _holder_convention_id(indicator: Indicator) -> int:
    return ownership.convention_id_of(indicator)


def _locked(indicator: Indicator) -> Indicator:
    """The indicator as it is now, its row locked (after the convention's, taken by
    ``convention_data_changed``)."""
    return (
        Indicator.objects.select_for_update(of=("self",))
        .select_related("shared__caf")
        .get(pk=indicator.pk)
    )


def _update_reference(indicator: Indicator, data: Mapping[str, Any], user: User | None) -> bool:
    """Apply the sheet's fields (not saved when nothing changed); returns whether it
    changed. A field taken from the shared indicator may be sent unchanged (a disabled
    field), not changed."""
    unknown = sorted(set(data) - set(REFERENCE_FIELDS))
    if unknown:
        raise ValueError(f"Champs inconnus de la fiche de référence : {', '.join(unknown)}")
    locked = locked_fields(indicator)
    errors: dict[str, str] = {}
    changed = []
    for name, value in data.items():
        value = "" if value is None else value
        if isinstance(value, str):
            value = value.strip()
        if getattr(indicator, name) == value:
            continue
        if name in locked:
            errors[name] = f"{shared_words(indicator)} Modifiable par la Caf seule."
            continue
        setattr(indicator, name, value)
        changed.append(name)
    if errors:
        raise ValidationError(errors)
    if not changed:
        return False
    indicator.full_clean()  # the binding: clean_reference_sheet
    indicator._history_user = user
    indicator._change_reason = "Fiche de référence modifiée"
    indicator.save(update_fields=changed)
    return True


def _save_targets(
    indicator: Indicator, targets: Iterable[tuple[int, Decimal]], user: User | None
) -> tuple[list[IndicatorTarget], bool]:
    """Make the indicator's yearly targets exactly ``targets`` (created, changed, deleted
    one by one: each keeps its history). Returns them by year, and whether any changed."""
    targets = [(int(year), Decimal(value)) for year, value in targets]
    refusals = target_refusals(indicator, targets)
    if refusals:
        raise ValidationError({"yearly_targets": [message for _, message in refusals]})
    wanted = dict(targets)
    existing = {
        t.year: t
        for t in IndicatorTarget.objects.select_for_update()
        .filter(indicator=indicator)
        .order_by("year")
    }
    changed = False
    for year, target in existing.items():
        if year not in wanted:
            target._history_user = user
            target.delete()
            changed = True
    kept = []
    for year, value in sorted(wanted.items()):
        target = existing.get(year)
        if target is not None and target.value == value:
            kept.append(target)
            continue
        if target is None:
            target = IndicatorTarget(indicator=indicator, year=year)
        target.value = value
        target.full_clean()
        target._history_user = user
        target.save()
        kept.append(target)
        changed = True
    return kept, changed


@transaction.atomic
def indicator_reference_update(
    *, indicator: Indicator, data: Mapping[str, Any], user: User | None = None
) -> Indicator:
    """Change the reference sheet of an indicator (:data:`REFERENCE_FIELDS`); the fields a
    shared indicator defines are refused (:func:`locked_fields`), the open-data binding is
    checked against the registry."""
    convention_id = _holder_convention_id(indicator)
    convention_data_changed(convention_id=convention_id)
    current = _locked(indicator)
    _update_reference(current, data, user)
    progress_refresh(convention_id=convention_id)
    return current


@transaction.atomic
def indicator_targets_save(
    *,
    indicator: Indicator,
    targets: Iterable[tuple[int, Decimal]],
    user: User | None = None,
) -> list[IndicatorTarget]:
    """Make the yearly targets of an indicator exactly ``targets`` (``(year, value)``
    pairs), checked by :func:`target_refusals` against the indicator as it is now; the
    progress read model follows (the expected share uses them)."""
    convention_id = _holder_convention_id(indicator)
    convention_data_changed(convention_id=convention_id)
    current = _locked(indicator)
    saved, _ = _save_targets(current, targets, user)
    progress_refresh(convention_id=convention_id)
    return saved


@transaction.atomic
def indicator_sheet_save(
    *,
    indicator: Indicator,
    data: Mapping[str, Any],
    targets: Iterable[tuple[int, Decimal]],
    user: User | None = None,
) -> Indicator:
    """The sheet's form: its fields and its yearly targets, all or nothing (one refresh of
    the read model)."""
    convention_id = _holder_convention_id(indicator)
    convention_data_changed(convention_id=convention_id)
    current = _locked(indicator)
    errors: dict[str, list] = {}
    try:
        _update_reference(current, data, user)
    except ValidationError as exc:
        errors.update(exc.update_error_dict({}))
    try:
        current.targets, _ = _save_targets(current, targets, user)
    except ValidationError as exc:
        errors.update(exc.update_error_dict({}))
    if errors:
        raise ValidationError(errors)
    progress_refresh(convention_id=convention_id)
    return current
