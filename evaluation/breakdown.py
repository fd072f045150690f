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
"""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal

from conventions.models import Collectivity, Convention
from ctg import formatting
from diagnostics.selectors import collectivities_of

from .models import Aggregation, Breakdown, Indicator


def is_broken_down(indicator: Indicator) -> bool:
    return indicator.breakdown == Breakdown.COMMUNE


def communes_of(*, convention: Convention) -> list[Collectivity]:
    """The communes a broken-down indicator of this convention has a value for, by name."""
    return list(collectivities_of(convention=convention).filter(kind=Collectivity.Kind.COMMUNE))


def total_of(*, indicator: Indicator, parts: Mapping[int, Decimal]) -> Decimal | None:
    """The total the parts make, where the indicator's aggregation says they add up
    (« somme »); ``None`` otherwise (the total is entered on its own)."""
    if indicator.aggregation != Aggregation.SUM or not parts:
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
