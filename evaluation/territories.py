"""Territory comparison: a statistic of the diagnostic for the collectivities of a
convention, side by side and over the years — or an indicator broken down by commune
(:mod:`evaluation.breakdown`): its communes side by side on its latest validated value, and
over the years (the last validated measurement of each year).

What may be compared (:func:`statistics_available`) is the diagnostic's statistics followed
by the convention's broken-down indicators (:class:`IndicatorSeries`, coded
« indicateur-<id> »), which the page offers in the same list."""

from __future__ import annotations

import datetime
from dataclasses import dataclass
from decimal import Decimal

from django.db.models import Exists, OuterRef, Q, QuerySet

from conventions.models import Collectivity, Convention
from ctg import formatting
from diagnostics.models import StatisticDefinition, TerritoryStatistic

from . import breakdown, charts
from .models import Breakdown, Indicator
from .progress import convention_indicators

INDICATOR_PREFIX = "indicateur-"


@dataclass(frozen=True)
class IndicatorSeries:
    """A broken-down indicator offered beside the statistics: its communes compared."""

    indicator: Indicator

    @property
    def code(self) -> str:
        return f"{INDICATOR_PREFIX}{self.indicator.pk}"

    @property
    def label(self) -> str:
        return f"{self.indicator.name} (indicateur, par commune)"

    @property
    def unit(self) -> str:
        return self.indicator.unit

    @property
    def description(self) -> str:
        return (
            "Valeurs validées de l'indicateur pour chaque commune du territoire : la "
            "dernière mesure de chaque année."
        )

    @property
    def is_indicator(self) -> bool:
        return True


def convention_collectivities(*, convention: Convention):
    """Territories covered by the convention and collectivities that sign it."""
    return (
        Collectivity.objects.filter(
            Q(covering_conventions=convention) | Q(signatures__convention=convention)
        )
        .distinct()
        .order_by("kind", "name")
    )


def statistics_available(*, convention: Convention) -> list:
    """The statistics the convention's collectivities have values for, then its
    indicators broken down by commune (2 queries)."""
    return [
        *_statistics_available(convention=convention),
        *(IndicatorSeries(i) for i in broken_down_indicators(convention=convention)),
    ]


def broken_down_indicators(*, convention: Convention) -> QuerySet[Indicator]:
    return (
        convention_indicators(convention)
        .filter(breakdown=Breakdown.COMMUNE)
        .order_by("action_sheet__number", "objective_id", "pk")
    )


def _statistics_available(*, convention: Convention) -> QuerySet[StatisticDefinition]:
    return StatisticDefinition.objects.filter(
        Exists(
            TerritoryStatistic.objects.filter(
                statistic=OuterRef("pk"),
                collectivity__in=convention_collectivities(convention=convention).values("pk"),
            )
        )
    ).order_by("label")


def territory_comparison(
    *, convention: Convention, statistic: StatisticDefinition | IndicatorSeries
) -> dict:
    """Values of one statistic for the convention's collectivities, by year (2 queries);
    of a broken-down indicator for its communes (:func:`indicator_comparison`)."""
    if isinstance(statistic, IndicatorSeries):
        return indicator_comparison(convention=convention, series=statistic)
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


def indicator_comparison(*, convention: Convention, series: IndicatorSeries) -> dict:
    """The validated values of a broken-down indicator for each commune of the territory,
    by year: the last measurement of each year (3 queries). The shape of
    :func:`territory_comparison`'s, the last year being the indicator's latest value."""
    table = breakdown.tables_for(
        [series.indicator], breakdown.communes_of(convention=convention), dates_shown=0
    )[0]
    # The last measurement of each year stands for the year.
    last_of_year = {d.year: index for index, d in enumerate(table.dates)}
    years = sorted(last_of_year)
    rows = [
        {"collectivity": row.commune, "values": [row.values[last_of_year[y]] for y in years]}
        for row in table.rows
        if row.latest is not None
    ]
    return {"statistic": series, "years": years, "rows": rows}


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
