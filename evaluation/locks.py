"""Locked periods: the one home of the rule « a reported value cannot change ».

A report presented for a period locks the measurements dated in that period
(:class:`evaluation.models.PeriodLock`, created by the layer that produces reports through
:func:`evaluation.services.period_lock_create`). A locked value cannot be edited, deleted, or
created at a locked date — by the form, the workbook import or any other writer — unless Caf
staff unlocked that value (indicator and date) with a reason
(:class:`evaluation.models.MeasurementUnlock`). An unlock lasts until the next lock of the
convention (the next report presents the change, then it is locked again); the unlocks made
since the previous lock are « Modifications depuis le rapport précédent » of the next report.

Every reader asks here, in a constant number of queries.
"""

from __future__ import annotations

import datetime
from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal

from ctg import formatting

from .models import Indicator, Measurement, MeasurementUnlock, PeriodLock
from .ownership import convention_id_of

Cell = tuple[int, datetime.date]  # (indicator id, date)


def refusal(lock: PeriodLock) -> str:
    """The French refusal that names what locked the value."""
    return (
        f"Cette valeur fait partie du rapport « {lock.label} » "
        f"(verrouillé le {formatting.date(lock.created_at)}) : "
        "demandez à la Caf de la déverrouiller."
    )


@dataclass(frozen=True)
class LockState:
    """Where a value stands: ``lock`` the latest report covering its date (``None``: not
    reported), ``unlock`` the unlock in force (``None``: none)."""

    lock: PeriodLock | None
    unlock: MeasurementUnlock | None = None

    @property
    def locked(self) -> bool:
        return self.lock is not None and self.unlock is None

    @property
    def refusal(self) -> str:
        return refusal(self.lock) if self.locked else ""


class ConventionLocks:
    """The locks of one convention and the unlocks in force, read once (2 queries), then
    asked about any number of cells."""

    def __init__(self, convention_id: int):
        self.locks = list(
            PeriodLock.objects.filter(convention_id=convention_id).order_by("-created_at", "-pk")
        )
        self.unlocks: dict[Cell, MeasurementUnlock] = {}
        if self.locks:
            # An unlock is in force until the convention's next lock (the next report).
            for unlock in (
                MeasurementUnlock.objects.filter(
                    lock__convention_id=convention_id, at__gte=self.locks[0].created_at
                )
                .select_related("by")
                .order_by("at", "pk")
            ):
                self.unlocks[(unlock.indicator_id, unlock.date)] = unlock

    def state(self, indicator_id: int, day: datetime.date) -> LockState:
        lock = next((lk for lk in self.locks if lk.start <= day <= lk.end), None)
        if lock is None:
            return LockState(None)
        return LockState(lock, self.unlocks.get((indicator_id, day)))

    def locked(self, cells: Iterable[Cell]) -> dict[Cell, PeriodLock]:
        """The locked cells among ``cells``, with the lock that refuses each."""
        found = {}
        for cell in cells:
            state = self.state(*cell)
            if state.locked:
                found[cell] = state.lock
        return found


def measurement_lock_for(
    measurement: Measurement | None = None,
    *,
    indicator: Indicator | None = None,
    date: datetime.date | None = None,
) -> PeriodLock | None:
    """The lock that refuses a change of this measurement (or of the value of ``indicator`` at
    ``date``), ``None`` when it may change."""
    if measurement is not None:
        indicator, date = measurement.indicator, measurement.date
    state = ConventionLocks(convention_id_of(indicator)).state(indicator.pk, date)
    return state.lock if state.locked else None


def lock_states(*, indicator: Indicator, measurements: Iterable[Measurement]) -> dict:
    """``{measurement pk: LockState}`` for the measurements of one indicator (2 queries)."""
    book = ConventionLocks(convention_id_of(indicator))
    return {m.pk: book.state(indicator.pk, m.date) for m in measurements}


@dataclass(frozen=True)
class UnlockedChange:
    """A value changed after Caf staff unlocked it, for the next report."""

    indicator: str
    fiche: str
    date: datetime.date
    before: Decimal
    after: Decimal | None  # None: the value was deleted
    unit: str
    unlocked_by: str
    unlocked_at: datetime.datetime
    reason: str
    changed_by: str
    lock_label: str


def changes_since_last_lock(*, convention_id: int) -> list[UnlockedChange]:
    """The values unlocked since the convention's latest lock (the previous report) that were
    changed or deleted since, oldest first (2 queries)."""
    last = (
        PeriodLock.objects.filter(convention_id=convention_id)
        .order_by("-created_at")
        .values_list("created_at", flat=True)
        .first()
    )
    if last is None:
        return []
    unlocks = list(
        MeasurementUnlock.objects.filter(lock__convention_id=convention_id, at__gte=last)
        .select_related("lock", "by", "indicator__action_sheet", "measurement__entered_by")
        .order_by("at", "pk")
    )
    # A value deleted then typed again at the same date: its new measurement.
    gone = [u for u in unlocks if u.measurement_id is None]
    retyped = (
        {
            (m.indicator_id, m.date): m
            for m in Measurement.objects.filter(
                indicator_id__in={u.indicator_id for u in gone}, date__in={u.date for u in gone}
            ).select_related("entered_by")
        }
        if gone
        else {}
    )
    changes = []
    for unlock in unlocks:
        m = unlock.measurement or retyped.get((unlock.indicator_id, unlock.date))
        after = m.value if m is not None else None
        if after == unlock.value_before:
            continue  # unlocked, not changed
        changes.append(
            UnlockedChange(
                indicator=unlock.indicator.name,
                fiche=(
                    unlock.indicator.action_sheet.number if unlock.indicator.action_sheet_id else ""
                ),
                date=unlock.date,
                before=unlock.value_before,
                after=after,
                unit=unlock.indicator.unit,
                unlocked_by=str(unlock.by) if unlock.by else "",
                unlocked_at=unlock.at,
                reason=unlock.reason,
                changed_by=str(m.entered_by) if m is not None and m.entered_by else "",
                lock_label=unlock.lock.label,
            )
        )
    return changes
