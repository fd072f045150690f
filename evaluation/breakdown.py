"""The breakdown of an indicator by commune: its one home.

An indicator whose ``breakdown`` is « par commune » has, for each measurement, one value
per commune of its convention's territory (:class:`~evaluation.models.MeasurementPart`)
beside the measurement's own value, the total of the territory. Which communes: those of
the convention's territory as the diagnostic reads it (``diagnostics.selectors
.collectivities_of``: the territories and signatories, with the member communes of EPCIs).

How the parts make the total depends on the indicator's ``aggregation``: for a count
(« somme ») the total is the sum of the communes and an entered total must equal it; for a
rate (« moyenne ») or without aggregation the total is entered (or imported) on its own —
the mean of communes' rates is not the territory's rate.

The rule of an entry (form, workbook) is :func:`resolve`: a total left empty is the sum of
the communes (« somme »); a total equal to the one stored while communes changed is the
communes' new sum (the workbook downloaded keeps the old total beside the changed cell); any
other total must equal the sum. The writes are :func:`parts_save` (one measurement) and
:func:`parts_save_many` (an import): the services call them in their transaction, after the
locks, the validation state and the measurement itself.

Reads for the pages (:func:`indicator_table`, :func:`convention_tables`) count only the
validated values (:mod:`evaluation.validation`), in a fixed number of queries.
"""

from __future__ import annotations

import datetime
from collections.abc import Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal

from django.core.exceptions import ValidationError
from simple_history.utils import bulk_create_with_history, bulk_update_with_history

from conventions.models import Collectivity, Convention
from ctg import formatting, palette
from ctg.fragments import cached_value
from diagnostics.selectors import collectivities_of

from . import charts, validation
from .imports import SHEET_NAME, CellError, CellValue
from .models import Aggregation, Breakdown, Indicator, Measurement, MeasurementPart
from .progress import convention_indicators

#: How many years the indicator page's commune table shows (the latest ones).
YEARS_SHOWN = 4

NOT_IN_TERRITORY = "La commune « {name} » n'appartient pas au territoire de la convention."
TOTAL_REQUIRED_RATE = (
    "Indiquez la valeur du territoire : pour cet indicateur, elle ne se déduit pas "
    "des valeurs des communes."
)
VALUE_REQUIRED = "Indiquez la valeur du territoire ou celles des communes."


def is_broken_down(indicator: Indicator) -> bool:
    return indicator.breakdown == Breakdown.COMMUNE


def adds_up(indicator: Indicator) -> bool:
    """The total is the sum of the communes (a count: « somme »)."""
    return indicator.aggregation == Aggregation.SUM


def communes_of(*, convention: Convention) -> list[Collectivity]:
    """The communes a broken-down indicator of this convention has a value for, by name
    (one query)."""
    return list(
        collectivities_of(convention=convention)
        .filter(kind=Collectivity.Kind.COMMUNE)
        .order_by("name", "pk")
    )


def communes_shown(*, convention: Convention) -> list[Collectivity]:
    """:func:`communes_of` for the pages, kept in the cache under what it depends on: the
    convention's territories (its ``version``) and its signatories and the names and EPCI
    of the Caf's collectivities (its ``activity_version``, conventions.services
    .data_version) — no query when the cache has it."""
    return cached_value(
        "communes",
        (convention.pk, convention.version, convention.activity_version),
        lambda: communes_of(convention=convention),
    )


def total_of(*, indicator: Indicator, parts: Mapping[int, Decimal]) -> Decimal | None:
    """The total the parts make, where the indicator's aggregation says they add up
    (« somme »); ``None`` otherwise (the total is entered on its own)."""
    if not adds_up(indicator) or not parts:
        return None
    return sum(parts.values(), Decimal("0"))


def total_error(
    *, indicator: Indicator, total: Decimal | None, parts: Mapping[int, Decimal]
) -> str | None:
    """Why ``total`` cannot be the total of these parts (French), or ``None``."""
    expected = total_of(indicator=indicator, parts=parts)
    if expected is None or total is None or total == expected:
        return None
    return (
        f"Le total ({formatting.number(total, 2)}) doit être égal à la somme des communes "
        f"({formatting.number(expected, 2)})."
    )


# ------------------------------------------------------------- the entry rule


class Refused(ValueError):
    """An entry whose total and communes do not agree (a French message)."""


@dataclass(frozen=True)
class Resolved:
    """What an entry makes of a measurement: its total and its parts once written."""

    total: Decimal
    parts: dict[int, Decimal]
    computed: bool = False  # the total is the communes' sum, not the one entered
    parts_changed: bool = False


def resolve(
    *,
    indicator: Indicator,
    total: Decimal | None,
    parts: Mapping[int, Decimal],
    old_total: Decimal | None = None,
    old_parts: Mapping[int, Decimal] | None = None,
    replace: bool = False,
) -> Resolved:
    """The total and the parts of an entry; raises :class:`Refused`.

    ``parts`` are the communes entered; with ``replace`` they are all the parts (a form:
    a commune left empty has no value), otherwise they change the ``old_parts`` (a
    workbook: an empty cell deletes nothing)."""
    old_parts = dict(old_parts or {})
    merged = dict(parts) if replace else {**old_parts, **parts}
    changed = merged != old_parts
    if not changed and old_total is not None and total in (None, old_total):
        # Nothing changes: what is stored stays, even a total imported on its own.
        return Resolved(old_total, merged)
    expected = total_of(indicator=indicator, parts=merged)
    if expected is not None:
        if total is None:
            return Resolved(expected, merged, computed=True, parts_changed=changed)
        if total != expected:
            if changed and old_total is not None and total == old_total:
                # The total left as it was beside communes that changed: their new sum.
                return Resolved(expected, merged, computed=True, parts_changed=changed)
            raise Refused(total_error(indicator=indicator, total=total, parts=merged))
        return Resolved(total, merged, parts_changed=changed)
    if total is None:
        if old_total is not None:
            return Resolved(old_total, merged, parts_changed=changed)
        raise Refused(TOTAL_REQUIRED_RATE if merged else VALUE_REQUIRED)
    return Resolved(total, merged, parts_changed=changed)


def check_communes(parts: Iterable[int], communes: Sequence[Collectivity] | Mapping) -> None:
    """Refuse a commune outside the territory (raises :class:`Refused`)."""
    known = {c.pk for c in communes} if not isinstance(communes, Mapping) else set(communes)
    for pk in parts:
        if pk not in known:
            name = (
                Collectivity.objects.filter(pk=pk).values_list("name", flat=True).first()
                or f"n° {pk}"
            )
            raise Refused(NOT_IN_TERRITORY.format(name=name))


def entry(
    *,
    indicator: Indicator,
    convention: Convention,
    total: Decimal | None,
    parts: Mapping[int, Decimal],
    old_total: Decimal | None = None,
    old_parts: Mapping[int, Decimal] | None = None,
) -> Resolved:
    """A form's entry (every commune given, an empty one has no value), checked: raises a
    ``ValidationError`` on the field ``value`` (the total) or on the form."""
    if not is_broken_down(indicator) and parts:
        raise ValidationError("Cet indicateur n'est pas ventilé par commune.")
    try:
        check_communes(parts, communes_of(convention=convention))
    except Refused as exc:
        raise ValidationError(str(exc)) from None
    try:
        return resolve(
            indicator=indicator,
            total=total,
            parts=parts,
            old_total=old_total,
            old_parts=old_parts,
            replace=True,
        )
    except Refused as exc:
        raise ValidationError({"value": str(exc)}) from None


def parts_of(measurement: Measurement) -> dict[int, Decimal]:
    return dict(measurement.parts.values_list("collectivity_id", "value"))


# ------------------------------------------------------------------- writes


def parts_save(
    *,
    measurement: Measurement,
    parts: Mapping[int, Decimal],
    user=None,
    replace: bool = False,
) -> bool:
    """Write the commune values of a saved measurement (kept in history); with
    ``replace``, the communes absent from ``parts`` lose theirs. Whether anything changed.

    The caller checked the communes and the total (:func:`entry`, :func:`resolve`) and
    runs this in its transaction, after saving the measurement."""
    return parts_save_many([(measurement, parts)], user=user, replace=replace)


def parts_save_many(
    items: Sequence[tuple[Measurement, Mapping[int, Decimal]]],
    *,
    user=None,
    replace: bool = False,
) -> bool:
    """:func:`parts_save` for several measurements at once (an import: 1 to 4 queries)."""
    items = [(m, p) for m, p in items if p or replace]
    if not items:
        return False
    by_measurement = {m.pk: m for m, _ in items}
    existing: dict[tuple[int, int], MeasurementPart] = {
        (p.measurement_id, p.collectivity_id): p
        for p in MeasurementPart.objects.select_for_update()
        .filter(measurement_id__in=list(by_measurement))
        .order_by("pk")
    }
    to_create, to_update, to_delete = [], [], []
    for measurement, parts in items:
        for collectivity_id, value in parts.items():
            current = existing.get((measurement.pk, collectivity_id))
            if current is None:
                to_create.append(
                    MeasurementPart(
                        measurement=measurement, collectivity_id=collectivity_id, value=value
                    )
                )
            elif current.value != value:
                current.value = value
                to_update.append(current)
        if replace:
            to_delete += [
                p
                for (m_id, c_id), p in existing.items()
                if m_id == measurement.pk and c_id not in parts
            ]
    if to_create:
        bulk_create_with_history(to_create, MeasurementPart, default_user=user)
    if to_update:
        bulk_update_with_history(to_update, MeasurementPart, ["value"], default_user=user)
    for part in to_delete:
        part._history_user = user
        part.delete()
    return bool(to_create or to_update or to_delete)


# -------------------------------------------------- the workbook's values


@dataclass
class WorkbookPlan:
    """What the values of a workbook make of the measurements of broken-down indicators.

    ``totals``: one value per measurement written or kept (the totals entered, and those
    computed from communes whose total cell was empty); ``parts``: the communes entered
    per (indicator, date); ``changed``: the (indicator, date) whose communes change;
    ``computed``: those whose total is the communes' sum; ``errors``: the cells refused.
    """

    totals: list[CellValue] = field(default_factory=list)
    parts: dict[tuple[int, datetime.date], dict[int, Decimal]] = field(default_factory=dict)
    part_cells: dict[tuple[int, datetime.date, int], CellValue] = field(default_factory=dict)
    changed: set[tuple[int, datetime.date]] = field(default_factory=set)
    computed: set[tuple[int, datetime.date]] = field(default_factory=set)
    errors: list[CellError] = field(default_factory=list)


def existing_parts(
    keys: Collection[tuple[int, datetime.date]],
) -> dict[tuple[int, datetime.date], dict[int, Decimal]]:
    """The stored commune values of these (indicator, date), one query."""
    if not keys:
        return {}
    found: dict[tuple[int, datetime.date], dict[int, Decimal]] = {}
    for indicator_id, day, collectivity_id, value in MeasurementPart.objects.filter(
        measurement__indicator_id__in={i for i, _ in keys},
        measurement__date__in={d for _, d in keys},
    ).values_list("measurement__indicator_id", "measurement__date", "collectivity_id", "value"):
        if (indicator_id, day) in keys:
            found.setdefault((indicator_id, day), {})[collectivity_id] = value
    return found


def workbook_plan(
    *,
    indicators: Mapping[int, Indicator],
    communes: Mapping[int, str],
    values: Sequence[CellValue],
    old_totals: Mapping[tuple[int, datetime.date], Decimal],
    old_parts: Mapping[tuple[int, datetime.date], Mapping[int, Decimal]],
) -> WorkbookPlan:
    """Apply the entry rule (:func:`resolve`) to the workbook's values; pure.

    ``communes``: the territory's communes (id → name); an empty cell changes nothing."""
    plan = WorkbookPlan()
    totals: dict[tuple[int, datetime.date], CellValue] = {}
    for v in values:
        key = (v.indicator_id, v.date)
        if v.collectivity_id is None:
            totals[key] = v
            continue
        indicator = indicators.get(v.indicator_id)
        if indicator is None or not is_broken_down(indicator):
            plan.errors.append(
                CellError(SHEET_NAME, v.row, "A", "cet indicateur n'est pas ventilé par commune.")
            )
        elif v.collectivity_id not in communes:
            plan.errors.append(
                CellError(
                    SHEET_NAME,
                    v.row,
                    "A",
                    f"la commune de clé {v.collectivity_id} n'appartient pas au territoire "
                    "de la convention : téléchargez à nouveau le classeur.",
                )
            )
        else:
            plan.parts.setdefault(key, {})[v.collectivity_id] = v.value
            plan.part_cells[(v.indicator_id, v.date, v.collectivity_id)] = v
    for v in values:
        key = (v.indicator_id, v.date)
        if v.collectivity_id is None and key not in plan.parts:
            indicator = indicators.get(v.indicator_id)
            stored = old_parts.get(key)
            if indicator is not None and stored and is_broken_down(indicator):
                _resolve_cell(plan, indicator, v, key, {}, old_totals, old_parts)
            else:
                plan.totals.append(v)
    for key, entered in plan.parts.items():
        indicator = indicators[key[0]]
        given = totals.get(key)
        if given is None:
            first = plan.part_cells[(*key, next(iter(entered)))]
            given = CellValue(key[0], key[1], None, first.row, first.column)
        _resolve_cell(plan, indicator, given, key, entered, old_totals, old_parts)
    return plan


def _resolve_cell(plan, indicator, given, key, entered, old_totals, old_parts) -> None:
    try:
        resolved = resolve(
            indicator=indicator,
            total=given.value,
            parts=entered,
            old_total=old_totals.get(key),
            old_parts=old_parts.get(key, {}),
        )
    except Refused as exc:
        where = "" if given.value is not None else " (total du territoire)"
        plan.errors.append(CellError(SHEET_NAME, given.row, given.column, f"{exc}{where}"))
        return
    if resolved.computed:
        plan.computed.add(key)
    if resolved.parts_changed:
        plan.changed.add(key)
    plan.totals.append(CellValue(key[0], key[1], resolved.total, given.row, given.column, None))


# ------------------------------------------------------------------- reads


@dataclass
class CommuneRow:
    commune: Collectivity
    values: list[Decimal | None]  # one per date of the table
    latest_date: datetime.date | None = None  # the commune's latest value, at any date
    latest: Decimal | None = None


@dataclass
class BreakdownTable:
    """The commune values of a broken-down indicator: one row per commune, one column
    per date (the latest ones), the territory's total under them."""

    indicator: Indicator
    dates: list[datetime.date]
    rows: list[CommuneRow]
    totals: list[Decimal | None]

    @property
    def has_values(self) -> bool:
        return any(v is not None for row in self.rows for v in row.values)

    @property
    def latest_date(self) -> datetime.date | None:
        return self.dates[-1] if self.dates else None

    def figure(self) -> charts.Figure:
        """A chart per commune: each commune's curve over the dates (evaluation.charts)."""
        unit = self.indicator.unit
        series = [
            charts.Series(
                label=row.commune.name,
                points=[
                    (d, float(v))
                    for d, v in zip(self.dates, row.values, strict=True)
                    if v is not None
                ],
                color=palette.SERIES[i % len(palette.SERIES)],
            )
            for i, row in enumerate(self.rows)
        ]
        return charts.line_chart(
            series,
            title=f"« {self.indicator.name} » par commune" + (f" ({unit})" if unit else ""),
            unit=unit,
        )


def _counted_parts(indicator_ids: Collection[int]):
    """(indicator, date, commune, value) of the validated measurements, one query."""
    return (
        MeasurementPart.objects.filter(
            validation.counted_q("measurement__"), measurement__indicator_id__in=list(indicator_ids)
        )
        .order_by("measurement__date")
        .values_list("measurement__indicator_id", "measurement__date", "collectivity_id", "value")
    )


def _counted_totals(indicator_ids: Collection[int]):
    return (
        validation.counted(Measurement.objects.filter(indicator_id__in=list(indicator_ids)))
        .order_by("date")
        .values_list("indicator_id", "date", "value")
    )


def tables_for(
    indicators: Sequence[Indicator],
    communes: Sequence[Collectivity],
    *,
    dates_shown: int = YEARS_SHOWN,
) -> list[BreakdownTable]:
    """The tables of these broken-down indicators (2 queries, whatever their number)."""
    ids = [i.pk for i in indicators]
    if not ids:
        return []
    parts: dict[int, dict[datetime.date, dict[int, Decimal]]] = {}
    for indicator_id, day, collectivity_id, value in _counted_parts(ids):
        parts.setdefault(indicator_id, {}).setdefault(day, {})[collectivity_id] = value
    totals: dict[int, dict[datetime.date, Decimal]] = {}
    for indicator_id, day, value in _counted_totals(ids):
        totals.setdefault(indicator_id, {})[day] = value
    tables = []
    for indicator in indicators:
        by_date = parts.get(indicator.pk, {})
        dates = sorted(by_date)[-dates_shown:] if dates_shown else sorted(by_date)
        rows = []
        for commune in communes:
            seen = [(d, v[commune.pk]) for d, v in sorted(by_date.items()) if commune.pk in v]
            latest_date, latest = seen[-1] if seen else (None, None)
            rows.append(
                CommuneRow(
                    commune, [by_date[d].get(commune.pk) for d in dates], latest_date, latest
                )
            )
        tables.append(
            BreakdownTable(
                indicator=indicator,
                dates=dates,
                rows=rows,
                totals=[totals.get(indicator.pk, {}).get(d) for d in dates],
            )
        )
    return tables


def indicator_table(*, indicator: Indicator, convention: Convention) -> BreakdownTable | None:
    """The indicator page's commune table (``None`` for an indicator not broken down),
    3 queries."""
    if not is_broken_down(indicator):
        return None
    return tables_for([indicator], communes_shown(convention=convention))[0]


def convention_tables(*, convention: Convention) -> list[BreakdownTable]:
    """The Synthèse's compact tables: the convention's broken-down indicators with the
    latest validated value of each commune (1 query without any, 4 with)."""
    indicators = list(
        convention_indicators(convention)
        .filter(breakdown=Breakdown.COMMUNE)
        .order_by("action_sheet__number", "objective_id", "pk")
    )
    if not indicators:
        return []
    return tables_for(indicators, communes_shown(convention=convention), dates_shown=1)


def import_plan(
    *,
    convention: Convention,
    values: Sequence[CellValue],
    existing: Mapping[tuple[int, datetime.date], Measurement],
) -> WorkbookPlan:
    """:func:`workbook_plan` at the confirmation of an import, against the measurements
    read under lock (``existing``); raises a ``ValidationError`` naming the cells refused
    (the communes or the totals changed since the preview). 1 query without commune
    values, 3 with."""
    if (
        not any(v.collectivity_id is not None for v in values)
        and not Indicator.objects.filter(
            pk__in={v.indicator_id for v in values}, breakdown=Breakdown.COMMUNE
        ).exists()
    ):
        return WorkbookPlan(totals=list(values))
    indicators = Indicator.objects.in_bulk({v.indicator_id for v in values})
    keys = {
        (v.indicator_id, v.date)
        for v in values
        if v.indicator_id in indicators and is_broken_down(indicators[v.indicator_id])
    }
    plan = workbook_plan(
        indicators=indicators,
        communes={c.pk: c.name for c in communes_of(convention=convention)},
        values=values,
        old_totals={key: m.value for key, m in existing.items()},
        old_parts=existing_parts(keys),
    )
    if plan.errors:
        raise ValidationError([str(e) for e in plan.errors])
    return plan
