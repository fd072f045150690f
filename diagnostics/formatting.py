"""How the diagnostic speaks of change between two years: "+12 %", "−3 points".

Numbers are written by ``ctg.formatting`` (the one formatter; in templates
``{% load ctg_format %}``); this module only holds the diagnostic's rule of
evolution: points for a rate, percent for a count.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from ctg import formatting


def is_rate(*, unit: str, code: str = "") -> bool:
    """Rates and shares change by points, counts by percent."""
    unit = (unit or "").lower()
    return unit.strip() == "%" or "pour 100" in unit or code.startswith(("taux", "part-"))


@dataclass(frozen=True)
class Evolution:
    label: str
    direction: int  # 1 up, -1 down, 0 stable

    def __str__(self) -> str:
        return self.label


def evolution(*, first: Decimal, last: Decimal, rate: bool) -> Evolution | None:
    """The change from the first to the last value: points for a rate, percent otherwise.

    None when it cannot be said (a relative change from zero).
    """
    difference = Decimal(last) - Decimal(first)
    direction = (difference > 0) - (difference < 0)
    if rate:
        return Evolution(label=formatting.points(difference, 1), direction=direction)
    if first == 0:
        return None
    percent = difference / abs(Decimal(first)) * 100
    return Evolution(label=formatting.percent(percent, 1, sign=True), direction=direction)
