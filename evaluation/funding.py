"""Funding of a convention per funder: planned, spent and the rate spent ÷ planned.

The one reading of the funding lines that the Synthèse, the progress reports and
the convention document show (the rate is :func:`ctg.ratios.share_pct`, the
chart scale :func:`evaluation.figures.funding_figure`).
"""

from __future__ import annotations

from django.db.models import Sum

from actions.models import FundingLine
from conventions.models import Convention
from ctg.ratios import share_pct


def funding_by_funder(*, convention: Convention) -> list[dict]:
    """One row per funder (largest planned amount first, then by name): ``funder``,
    ``planned``, ``spent`` (Decimal) and ``ratio_pct`` (None when nothing is planned).
    One query."""
    rows = list(
        FundingLine.objects.filter(sheet__convention=convention)
        .order_by()
        .values("funder")
        .annotate(planned=Sum("planned_amount"), spent=Sum("spent_amount"))
        .order_by("-planned", "funder")
    )
    for row in rows:
        row["ratio_pct"] = share_pct(row["spent"], row["planned"])
    return rows
