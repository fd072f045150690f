"""The totals of a funding plan: the one fold of funding lines into totals per funder, per
year and per nature, each with its gap (spent − planned).

Every page, export and report that shows a funding total reads it from here: the fiche
page, the plan workbook, the API and the open data (lines of one or more fiches), the
Synthèse and the progress reports (:mod:`evaluation.funding`, which feeds this fold with
the lines already summed per funder, year and nature by the database).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from .models import FundingLine

ZERO = Decimal("0")

#: The words of the gap wherever it is shown.
GAP_LABEL = "Écart (dépensé − prévu)"


def gap(planned, spent) -> Decimal:
    """The gap between what was spent and what was planned: negative while less was spent
    than planned (what remains), positive beyond it (an overspend)."""
    return Decimal(str(spent or 0)) - Decimal(str(planned or 0))


@dataclass(frozen=True)
class Amounts:
    """A funder's amounts for one year and nature, as a line or a database sum holds them."""

    funder: str
    year: int
    nature: str
    planned_amount: Decimal
    spent_amount: Decimal


def _row(key: str, value, planned: Decimal, spent: Decimal) -> dict[str, Any]:
    return {key: value, "planned": planned, "spent": spent, "gap": gap(planned, spent)}


def _fold(items: list, key) -> dict:
    sums: dict = {}
    for item in items:
        planned, spent = sums.get(key(item), (ZERO, ZERO))
        sums[key(item)] = (planned + item.planned_amount, spent + item.spent_amount)
    return sums


def funding_totals(lines: Iterable[FundingLine | Amounts]) -> dict[str, Any]:
    """The totals of ``lines`` (funding lines or :class:`Amounts`), with no query:

    - ``per_funder``: ``funder``, ``planned``, ``spent``, ``gap``, by funder's name;
    - ``per_year``: ``year``, ``planned``, ``spent``, ``gap``, by year;
    - ``per_nature``: ``nature`` (its French label), ``planned``, ``spent``, ``gap``;
    - ``planned``, ``spent``, ``gap``: the whole plan.
    """
    items = sorted(lines, key=lambda li: (li.funder.lower(), li.year))
    per_funder = _fold(items, lambda li: li.funder)
    per_year = _fold(items, lambda li: li.year)
    per_nature = _fold(items, lambda li: li.nature)
    planned = sum((li.planned_amount for li in items), ZERO)
    spent = sum((li.spent_amount for li in items), ZERO)
    labels = dict(FundingLine.Nature.choices)
    return {
        "per_funder": [_row("funder", k, *v) for k, v in per_funder.items()],
        "per_year": [_row("year", k, *per_year[k]) for k in sorted(per_year)],
        "per_nature": [
            _row("nature", str(labels.get(k, k)), *per_nature[k])
            for k in FundingLine.Nature.values
            if k in per_nature
        ],
        "planned": planned,
        "spent": spent,
        "gap": gap(planned, spent),
    }
