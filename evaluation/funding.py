"""Funding of a convention: per funder (planned, spent, the gap and the rate spent ÷
planned) and per year — what the Synthèse, the progress reports and the convention
document show.

The database sums the lines per funder, year and nature (one query); the totals are the
fold of :func:`actions.funding.funding_totals`, the same as the fiche page's and the plan
workbook's. The rate is :func:`ctg.ratios.share_pct`; the charts are drawn by
:func:`evaluation.figures.funding_figure` (per funder) and :func:`funding_year_figure`.
"""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal
from typing import Any

from django.db.models import Sum

from actions.funding import Amounts, funding_totals
from actions.models import FundingLine
from conventions.models import Convention
from ctg import formatting
from ctg.ratios import share_pct

from . import charts

YEAR_TITLE = "Financements par année : dépensé sur prévu"


def funding_of(*, convention: Convention) -> dict[str, Any]:
    """The funding of ``convention`` (one query): the totals of
    :func:`actions.funding.funding_totals`, its funders largest planned amount first (then
    by name), each row with its ``ratio_pct`` (None when nothing is planned)."""
    amounts = [
        Amounts(row["funder"], row["year"], row["nature"], row["planned"], row["spent"])
        for row in FundingLine.objects.filter(sheet__convention=convention)
        .order_by()
        .values("funder", "year", "nature")
        .annotate(planned=Sum("planned_amount"), spent=Sum("spent_amount"))
    ]
    totals = funding_totals(amounts)
    totals["per_funder"].sort(key=lambda row: (-row["planned"], row["funder"]))
    for row in totals["per_funder"] + totals["per_year"]:
        row["ratio_pct"] = share_pct(row["spent"], row["planned"])
    return totals


def funding_year_figure(rows: Sequence[dict], *, title: str = YEAR_TITLE) -> charts.Figure:
    """Spent on planned per year (the ``per_year`` rows of :func:`funding_of`, or the ones
    a report froze), drawn like the funders' bars: each year's bar is its planned amount,
    filled by what was spent of it."""
    return charts.budget_chart(
        [
            charts.Budget(
                formatting.year(row["year"]),
                Decimal(str(row["planned"] or 0)),
                Decimal(str(row["spent"] or 0)),
            )
            for row in rows
        ],
        title=title,
        label_header="Année",
    )
