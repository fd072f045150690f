"""Shares: one rule for every ratio shown (funding spent on planned, fiches
validated, indicators late…), from the apps below evaluation (the action plan's
export) as from those above it."""

from __future__ import annotations

from decimal import Decimal


def ratio(part, whole) -> Decimal | None:
    """``part`` ÷ ``whole`` (a fraction), or None when ``whole`` is zero or missing:
    nothing planned gives no rate, rather than a division by zero or a fake 0 %.
    Not capped: spending beyond the planned amount reads above 1 (100 %)."""
    if part is None or not whole:
        return None
    return Decimal(str(part)) / Decimal(str(whole))


def share_pct(part, whole) -> float | None:
    """The same ratio in % (``49500, 81000`` → 61.11…)."""
    value = ratio(part, whole)
    return None if value is None else float(value * 100)


def share_fraction(part, whole) -> float | None:
    """The same ratio as a float fraction (a spreadsheet cell formatted ``0 %``)."""
    value = ratio(part, whole)
    return None if value is None else float(value)
