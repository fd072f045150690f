"""Reads for the diagnostic pages, each in a fixed number of queries."""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal

from django.db.models import Case, IntegerField, QuerySet, Value, When

from conventions.models import Caf, Collectivity, Convention, Signatory, Thematic

from . import cafdata
from .formatting import Evolution, evolution, is_rate
from .models import (
    Diagnostic,
    Finding,
    StatisticDefinition,
    StatisticImport,
    TerritoryStatistic,
)


def diagnostic_of(*, convention: Convention) -> Diagnostic | None:
    return Diagnostic.objects.filter(convention=convention).first()


def _direct_links(**conventions) -> tuple[QuerySet, QuerySet]:
    """The rule of a convention's territory, one home: its territories and its signatory
    collectivities (``conventions``: a filter on the convention), to which the member
    communes of those that are EPCIs are added."""
    prefixed = {f"convention__{k}" if k != "convention" else k: v for k, v in conventions.items()}
    territories = Convention.territories.through.objects.filter(**prefixed)
    signatories = Signatory.objects.filter(**prefixed, collectivity__isnull=False)
    return territories, signatories


def collectivities_of(*, convention: Convention) -> QuerySet[Collectivity]:
    """The convention's territories and signatory collectivities, with the member communes
    of those that are EPCIs: EPCIs first, then by name (one query)."""
    territories, signatories = _direct_links(convention=convention)
    territory_ids = territories.order_by().values("collectivity_id")
    signatory_ids = signatories.order_by().values("collectivity_id")
    # One UNION of the four parts, each read down its index: an OR of the four made
    # PostgreSQL read every collectivity of the country (130 ms at ×10 size, 0.3 ms so).
    members = Collectivity.objects.order_by()
    ids = territory_ids.union(
        signatory_ids,
        members.filter(parent_epci_id__in=territory_ids).values("pk"),
        members.filter(parent_epci_id__in=signatory_ids).values("pk"),
    )
    return (
        Collectivity.objects.filter(pk__in=ids)
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
    # (label, from the open data): (« Données ouvertes Cafdata 2023 », True)…
    badges: list[tuple[str, bool]] = field(default_factory=list)


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
        badges: set[tuple[str, bool]] = set()
        for v in values:
            cells.setdefault(v.collectivity_id, {})[v.year] = v.value
            collectivities[v.collectivity_id] = v.collectivity
            if v.source and v.source not in sources:
                sources.append(v.source)
            if v.source_kind != TerritoryStatistic.SourceKind.MANUAL or v.is_override:
                badges.add((v.source_badge, v.is_open_data))
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
            StatisticTable(
                definition=definition,
                years=years,
                lines=lines,
                sources=sources,
                badges=sorted(badges),
            )
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
        .select_related("collectivity", "statistic", "source_import", "recorded_by")
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


# --- open data (Cafdata) ------------------------------------------------------------


def cafdata_lookups(*, caf: Caf) -> dict[str, dict[str, int]]:
    """The Caf's communes (INSEE code) and EPCIs (SIREN), by level, to their ids (one query)."""
    lookups: dict[str, dict[str, int]] = {cafdata.COMMUNE: {}, cafdata.EPCI: {}}
    levels = {Collectivity.Kind.COMMUNE: cafdata.COMMUNE, Collectivity.Kind.EPCI: cafdata.EPCI}
    for pk, kind, code in Collectivity.objects.filter(caf=caf, kind__in=list(levels)).values_list(
        "pk", "kind", "code"
    ):
        lookups[levels[kind]][code.strip().upper()] = pk
    return lookups


def conventions_by_collectivity(*, caf: Caf) -> tuple[list[Convention], dict[int, set[int]]]:
    """The Caf's conventions (by name) and, for each collectivity, the conventions whose
    territory includes it (the rule of :func:`collectivities_of`), in four queries."""
    conventions = list(Convention.objects.filter(caf=caf).order_by("name", "pk"))
    territories, signatories = _direct_links(caf=caf)
    links: dict[int, set[int]] = {}
    for convention_id, collectivity_id in [
        *territories.values_list("convention_id", "collectivity_id"),
        *signatories.values_list("convention_id", "collectivity_id"),
    ]:
        links.setdefault(collectivity_id, set()).add(convention_id)
    members = Collectivity.objects.filter(parent_epci_id__in=list(links)).values_list(
        "pk", "parent_epci_id"
    )
    for commune_id, epci_id in list(members):
        links.setdefault(commune_id, set()).update(links.get(epci_id, set()))
    return conventions, links


def open_data_current(
    *, values: list[cafdata.Value]
) -> dict[tuple[int, str, int], TerritoryStatistic]:
    """The recorded values an import of ``values`` would meet, by (collectivity, code, year)."""
    if not values:
        return {}
    rows = TerritoryStatistic.objects.filter(
        collectivity_id__in={v.collectivity_id for v in values},
        statistic__code__in={v.statistic for v in values},
        year__in={v.year for v in values},
    ).select_related("statistic", "collectivity")
    return {(r.collectivity_id, r.statistic.code, r.year): r for r in rows}


@dataclass
class ConventionCounts:
    convention: Convention
    counts: dict[str, int] = field(default_factory=lambda: dict.fromkeys(cafdata.STATUSES, 0))

    @property
    def changes(self) -> int:
        return self.counts[cafdata.NEW] + self.counts[cafdata.CHANGED]


@dataclass
class CafdataPreview:
    """What an import would do: for each convention of the Caf whose territory includes a
    collectivity of the file, and in total (a value counts once, whatever the conventions)."""

    conventions: list[ConventionCounts]
    totals: dict[str, int]
    outside_conventions: int  # values of the Caf's collectivities outside every convention
    # The recorded values the import would replace, with their new figure.
    changed: list[tuple[TerritoryStatistic, Decimal]] = field(default_factory=list)

    @property
    def changes(self) -> int:
        return self.totals[cafdata.NEW] + self.totals[cafdata.CHANGED]

    @property
    def summary(self) -> str:
        """« 3 conventions, 41 valeurs nouvelles, 2 modifiées »."""
        return cafdata.summary(len(self.conventions), self.totals)


def cafdata_preview(
    *,
    caf: Caf,
    values: list[cafdata.Value],
    territory: tuple[list[Convention], dict[int, set[int]]] | None = None,
) -> CafdataPreview:
    """Counts of new / changed / unchanged / kept values, per convention, and the values
    that would change (five queries whatever the file and the conventions; one when the
    caller gives ``territory``, what :func:`conventions_by_collectivity` returned)."""
    conventions, links = territory or conventions_by_collectivity(caf=caf)
    current = open_data_current(values=values)
    per_convention = {c.pk: ConventionCounts(convention=c) for c in conventions}
    totals = dict.fromkeys(cafdata.STATUSES, 0)
    outside = 0
    changed = []
    for value in values:
        row = current.get((value.collectivity_id, value.statistic, value.year))
        status = cafdata.status(row, value)
        totals[status] += 1
        if status == cafdata.CHANGED:
            changed.append((row, value.value))
        linked = links.get(value.collectivity_id, set())
        if not linked:
            outside += 1
        for convention_id in linked:
            if convention_id in per_convention:
                per_convention[convention_id].counts[status] += 1
    concerned = [c for c in per_convention.values() if any(c.counts.values())]
    return CafdataPreview(
        conventions=concerned, totals=totals, outside_conventions=outside, changed=changed
    )


def cafdata_imports(*, caf: Caf, limit: int = 10) -> list[StatisticImport]:
    """The Caf's last open-data imports, newest first (one query)."""
    return list(StatisticImport.objects.filter(caf=caf).select_related("imported_by")[:limit])


def cafdata_import_of(*, caf: Caf, token: str) -> StatisticImport | None:
    return StatisticImport.objects.filter(caf=caf, token=token).first() if token else None
