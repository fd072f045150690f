"""Territory comparison: a statistic of the diagnostic for the collectivities of a
convention, side by side and over the years."""

from __future__ import annotations

import datetime
from decimal import Decimal

from django.db.models import Exists, OuterRef, Q, QuerySet

from conventions.models import Collectivity, Convention
from ctg import formatting
from diagnostics.models import StatisticDefinition, TerritoryStatistic

from . import charts


def convention_collectivities(*, convention: Convention):
    """Territories covered by the convention and collectivities that sign it."""
    return (
        Collectivity.objects.filter(
            Q(covering_conventions=convention) | Q(signatures__convention=convention)
        )
        .distinct()
        .order_by("kind", "name")
    )


def statistics_available(*, convention: Convention) -> QuerySet[StatisticDefinition]:
    return StatisticDefinition.objects.filter(
        Exists(
            TerritoryStatistic.objects.filter(
                statistic=OuterRef("pk"),
                collectivity__in=convention_collectivities(convention=convention).values("pk"),
            )
        )
    ).order_by("label")


def territory_comparison(*, convention: Convention, statistic: StatisticDefinition) -> dict:
    """Values of one statistic for the convention's collectivities, by year (2 queries)."""
    collectivities = list(convention_collectivities(convention=convention))
    values = list(
        TerritoryStatistic.objects.filter(
            statistic=statistic, collectivity__in=[c.pk for c in collectivities]
        )
        .order_by("year")
        .values_list("collectivity_id", "year", "value")
    )
    years = sorted({y for _, y, _ in values})
    by_coll: dict[int, dict[int, Decimal]] = {}
    for cid, year, value in values:
        by_coll.setdefault(cid, {})[year] = value
    rows = [
        {"collectivity": c, "values": [by_coll.get(c.pk, {}).get(y) for y in years]}
        for c in collectivities
        if c.pk in by_coll
    ]
    return {"statistic": statistic, "years": years, "rows": rows}


def comparison_figures(data: dict) -> tuple[charts.Figure | None, charts.Figure | None]:
    """A bar chart of the latest year side by side, and a line chart over the years."""
    if not data["rows"]:
        return None, None
    statistic, years = data["statistic"], data["years"]
    unit = statistic.unit
    latest = years[-1]
    bars = []
    for row in data["rows"]:
        value = row["values"][-1]
        bars.append(
            charts.Bar(
                label=row["collectivity"].name,
                value=float(value) if value is not None else None,
                display=(formatting.number(value, 2) if value is not None else "—"),
            )
        )
    bar_fig = charts.hbar_chart(
        bars,
        title=f"{statistic.label} en {formatting.year(latest)}" + (f" ({unit})" if unit else ""),
        label_header="Collectivité",
        value_header=formatting.year(latest),
    )
    series = [
        charts.Series(
            label=row["collectivity"].name,
            points=[
                (datetime.date(y, 1, 1), float(v))
                for y, v in zip(years, row["values"], strict=True)
                if v is not None
            ],
            color=charts.PALETTE[i % len(charts.PALETTE)],
        )
        for i, row in enumerate(data["rows"])
    ]
    line_fig = charts.line_chart(
        series,
        title=f"{statistic.label} : évolution par collectivité",
        unit=unit,
        x_label="Année",
        year_axis=True,
    )
    return bar_fig, line_fig
