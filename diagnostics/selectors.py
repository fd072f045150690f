"""Reads for the diagnostic pages, each in a fixed number of queries."""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal

from django.db.models import Case, IntegerField, Q, QuerySet, Value, When

from conventions.models import Collectivity, Convention, Signatory, Thematic

from .formatting import Evolution, evolution, is_rate
from .models import Diagnostic, Finding, StatisticDefinition, TerritoryStatistic


def diagnostic_of(*, convention: Convention) -> Diagnostic | None:
    return Diagnostic.objects.filter(convention=convention).first()


def collectivities_of(*, convention: Convention) -> QuerySet[Collectivity]:
    """The convention's territories and signatory collectivities, with the member communes
    of those that are EPCIs: EPCIs first, then by name (one query)."""
    territory_ids = Convention.territories.through.objects.filter(convention=convention).values(
        "collectivity_id"
    )
    signatory_ids = Signatory.objects.filter(
        convention=convention, collectivity__isnull=False
    ).values("collectivity_id")
    return (
        Collectivity.objects.filter(
            Q(pk__in=territory_ids)
            | Q(pk__in=signatory_ids)
            | Q(parent_epci_id__in=territory_ids)
            | Q(parent_epci_id__in=signatory_ids)
        )
        .annotate(
            kind_order=Case(
                When(kind=Collectivity.Kind.EPCI, then=Value(0)),
                default=Value(1),
                output_field=IntegerField(),
            )
        )
        .order_by("kind_order", "name", "pk")
    )


def findings_by_thematic(*, convention: Convention) -> list[dict]:
    """For each thematic of the convention, its findings (thematics without any included)."""
    thematics = list(convention.thematics.order_by("order", "label"))
    findings = Finding.objects.filter(diagnostic__convention=convention).select_related("thematic")
    grouped: dict[int, list[Finding]] = {}
    for finding in findings:
        grouped.setdefault(finding.thematic_id, []).append(finding)
    known = {t.pk for t in thematics}
    # Findings on a thematic the convention no longer covers stay visible.
    extra = {f.thematic_id: f.thematic for fs in grouped.values() for f in fs}
    thematics += sorted(
        (t for pk, t in extra.items() if pk not in known), key=lambda t: (t.order, t.label)
    )
    return [{"thematic": t, "findings": grouped.get(t.pk, [])} for t in thematics]


@dataclass
class StatisticLine:
    collectivity: Collectivity
    values: list[Decimal | None]
    evolution: Evolution | None = None


@dataclass
class StatisticTable:
    """One statistic for every collectivity that has a value: years in columns."""

    definition: StatisticDefinition
    years: list[int]
    lines: list[StatisticLine]
    sources: list[str] = field(default_factory=list)


def _tables(
    definitions: list[StatisticDefinition],
    by_definition: dict[int, list[TerritoryStatistic]],
    collectivity_order: dict[int, int],
) -> list[StatisticTable]:
    tables = []
    for definition in definitions:
        values = by_definition.get(definition.pk, [])
        if not values:
            continue
        years = sorted({v.year for v in values})
        cells: dict[int, dict[int, Decimal]] = {}
        collectivities: dict[int, Collectivity] = {}
        sources: list[str] = []
        for v in values:
            cells.setdefault(v.collectivity_id, {})[v.year] = v.value
            collectivities[v.collectivity_id] = v.collectivity
            if v.source and v.source not in sources:
                sources.append(v.source)
        rate = is_rate(unit=definition.unit, code=definition.code)
        lines = []
        for collectivity_id in sorted(cells, key=lambda pk: collectivity_order.get(pk, 0)):
            by_year = cells[collectivity_id]
            known_years = sorted(by_year)
            change = None
            if len(known_years) > 1:
                change = evolution(
                    first=by_year[known_years[0]], last=by_year[known_years[-1]], rate=rate
                )
            lines.append(
                StatisticLine(
                    collectivity=collectivities[collectivity_id],
                    values=[by_year.get(year) for year in years],
                    evolution=change,
                )
            )
        tables.append(
            StatisticTable(definition=definition, years=years, lines=lines, sources=sources)
        )
    return tables


@dataclass
class ThemeBlock:
    thematic: Thematic
    findings: list[Finding]
    tables: list[StatisticTable]


@dataclass
class DiagnosticPage:
    diagnostic: Diagnostic | None
    key_figures: list[StatisticTable]
    themes: list[ThemeBlock]
    collectivities: list[Collectivity]

    @property
    def has_statistics(self) -> bool:
        return bool(self.key_figures) or any(t.tables for t in self.themes)


def diagnostic_page(*, convention: Convention) -> DiagnosticPage:
    """Everything the diagnostic page shows, in six queries whatever the data size:
    the diagnostic, the thematics, the findings, the collectivities, the definitions and
    the values."""
    diagnostic = diagnostic_of(convention=convention)
    themes = findings_by_thematic(convention=convention)  # 2 queries
    collectivities = list(collectivities_of(convention=convention))
    order = {c.pk: index for index, c in enumerate(collectivities)}
    by_pk = {c.pk: c for c in collectivities}
    values = TerritoryStatistic.objects.filter(collectivity_id__in=list(by_pk)).order_by(
        "statistic_id", "year"
    )
    by_definition: dict[int, list[TerritoryStatistic]] = {}
    for value in values:
        value.collectivity = by_pk[value.collectivity_id]
        by_definition.setdefault(value.statistic_id, []).append(value)
    definitions = list(
        StatisticDefinition.objects.filter(pk__in=list(by_definition)).order_by("label")
        if by_definition
        else []
    )
    shown = {theme["thematic"].pk for theme in themes}
    key_definitions = [d for d in definitions if d.thematic_id not in shown]
    blocks = [
        ThemeBlock(
            thematic=theme["thematic"],
            findings=theme["findings"],
            tables=_tables(
                [d for d in definitions if d.thematic_id == theme["thematic"].pk],
                by_definition,
                order,
            ),
        )
        for theme in themes
    ]
    return DiagnosticPage(
        diagnostic=diagnostic,
        key_figures=_tables(key_definitions, by_definition, order),
        themes=blocks,
        collectivities=collectivities,
    )


def statistics_of(*, convention: Convention) -> QuerySet[TerritoryStatistic]:
    """Every recorded value for the convention's collectivities, for the entry page."""
    return (
        TerritoryStatistic.objects.filter(
            collectivity__in=collectivities_of(convention=convention).values("pk")
        )
        .select_related("collectivity", "statistic")
        .order_by("collectivity__name", "statistic__label", "-year")
    )


def import_lookups(*, convention: Convention) -> tuple[dict[str, int], dict[str, int]]:
    """The codes an import may use: the convention's collectivities and every statistic."""
    collectivities = {
        code.upper(): pk
        for pk, code in collectivities_of(convention=convention).values_list("pk", "code")
    }
    statistics = {
        code.lower(): pk for pk, code in StatisticDefinition.objects.values_list("pk", "code")
    }
    return collectivities, statistics


def finding_of(*, convention: Convention, pk: int) -> Finding | None:
    return (
        Finding.objects.select_related("thematic", "diagnostic__convention")
        .filter(diagnostic__convention=convention, pk=pk)
        .first()
    )


def statistic_of(*, convention: Convention, pk: int) -> TerritoryStatistic | None:
    return statistics_of(convention=convention).filter(pk=pk).first()
