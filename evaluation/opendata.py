"""The Caf's open data (Cafdata) feeding the indicators bound to its series: the one home
of which value of a file becomes which measurement, and of the import that feeds the
territory statistics of the diagnostic and these measurements together (issue #16).

**Binding.** An indicator (or the shared indicator it links, whose fields it copies) names
a series of the registry (``open_data_dataset``, ``open_data_column``:
:func:`diagnostics.cafdata.series`). A file feeds, for every convention of the Caf, the
indicators bound to a series of the *same statistic* (``txcouv_com`` and ``txcouv_epci``
are both « taux-couverture »), at either level, by these rules (:func:`target`):

- **EPCI-level file** (``txcouv_pe_epci``…): an indicator bound to the EPCI series gets
  the value of the convention's EPCI (a territory or a signatory). An indicator bound to
  the commune series of a territory of several communes, whose communes' values do not
  add up (aggregation « moyenne » / « aucune »: a rate), takes its total from here too.
  A territory without an EPCI, or with several EPCIs and no « somme », is listed, not
  guessed.
- **Commune-level file** (``txcouv_pe_com``, ``s_ben_com_f``…): a territory of one commune
  gets that commune's value. An indicator broken down by commune
  (:func:`evaluation.breakdown.is_broken_down`, whatever the level it is bound to) gets one
  :class:`~evaluation.models.MeasurementPart` per commune of the file; its total is
  :func:`evaluation.breakdown.total_of` (aggregation « somme », every commune of the
  territory having a value); with « moyenne » / « aucune » and several communes the total
  is not derivable: the one the EPCI-level file gave is kept, otherwise the value is
  listed « total non calculable » (importing the EPCI-level file first solves it).
  A commune without a value (secret statistique) makes a sum incomplete: listed, not
  imported.

**Date.** One measurement per year, dated 31 December of ``annee`` (where yearly targets
anchor too). Outside the convention's period it is listed « hors période »; in a period
a report locked (:mod:`evaluation.locks`) it is listed « verrouillée »: neither blocks
the import, neither is imported.

**Writing.** A measurement from open data has ``source_kind`` « données ouvertes », its
``source_import`` (the :class:`~diagnostics.models.StatisticImport` of the file), and is
validated by its import (Caf staff import it); its history says which file. What the
import does to a recorded value is the one rule of the statistics
(:func:`diagnostics.cafdata.outcome`): a value replaced by hand with a reason
(``override_reason``, :func:`evaluation.sources.is_override`) is kept, the same open-data figure (total and communes) is
unchanged, anything else becomes the open-data value. Unchanged values change nothing
(the import is idempotent); each convention whose measurements change is marked changed
(``convention_data_changed``) and its progress computed again (``progress_refresh_many``),
all in bulk: a constant number of queries per convention, whatever the rows.

**One transaction.** :func:`opendata_import` runs the statistics' import
(``diagnostics.services.cafdata_import``) and the measurements' in one
``transaction.atomic``: a value that cannot be saved fails both, nothing is saved.

**Counts.** The preview counts, per convention, its statistics (a value of a collectivity
covered by several conventions counts for each) and its measurements; the summary counts
each value once (« 3 conventions, 41 valeurs nouvelles, 2 modifiées »). The import's
record keeps the totals of both (its « valeurs »).
"""

from __future__ import annotations

import datetime
from collections import defaultdict
from dataclasses import dataclass, field
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Prefetch
from django.db.models.functions import Coalesce
from django.utils import timezone
from simple_history.utils import bulk_create_with_history, bulk_update_with_history

from conventions.models import Caf, Convention, User
from conventions.services.data_version import convention_data_changed
from ctg import formatting
from diagnostics import cafdata
from diagnostics import selectors as diagnostics_selectors
from diagnostics import services as diagnostics_services
from diagnostics.models import StatisticImport

from . import breakdown, locks, sources, validation
from .models import Indicator, Measurement, MeasurementPart
from .progress import conventions_indicators
from .readmodel import progress_refresh_many

NEW, CHANGED, UNCHANGED, KEPT = cafdata.NEW, cafdata.CHANGED, cafdata.UNCHANGED, cafdata.KEPT
#: A value of the file that no measurement receives (hors période, verrouillée…): listed.
SKIPPED = "ignoree"
STATUSES = (*cafdata.STATUSES, SKIPPED)
WRITES = (NEW, CHANGED)

OUTSIDE_PERIOD = "hors période de la convention"
NO_EPCI = "pas d'EPCI dans le territoire de la convention"
SEVERAL_EPCIS = "total non calculable : plusieurs EPCI dans le territoire"
NO_TOTAL = (
    "total non calculable : les valeurs des communes ne s'additionnent pas ; "
    "importez d'abord le fichier par EPCI du même jeu de données"
)


def measurement_date(year: int) -> datetime.date:
    """The date of a yearly value: 31 December of its year."""
    return datetime.date(year, 12, 31)


# --- the territory of each convention, by level ------------------------------------------


@dataclass
class Territory:
    """The communes and EPCIs of a convention's territory (``diagnostics.selectors
    .collectivities_of``'s rule: territories and signatories, with the members of EPCIs)."""

    convention: Convention
    communes: set[int] = field(default_factory=set)
    epcis: set[int] = field(default_factory=set)


def territories(
    *,
    lookups: dict[str, dict[str, int]],
    territory: tuple[list[Convention], dict[int, set[int]]],
) -> dict[int, Territory]:
    """Each convention of the Caf with its communes and EPCIs, from what
    ``diagnostics.selectors`` read (``cafdata_lookups``, ``conventions_by_collectivity``)."""
    conventions, links = territory
    level_of = {pk: level for level, codes in lookups.items() for pk in codes.values()}
    found = {c.pk: Territory(convention=c) for c in conventions}
    for collectivity_id, convention_ids in links.items():
        level = level_of.get(collectivity_id)
        if level is None:
            continue
        for convention_id in convention_ids:
            place = found.get(convention_id)
            if place is None:
                continue
            if level == cafdata.COMMUNE:
                place.communes.add(collectivity_id)
            else:
                place.epcis.add(collectivity_id)
    return found


# --- which indicators, which value ------------------------------------------------------


def bindings(statistics) -> dict[tuple[str, str], cafdata.Dataset]:
    """The series (data set key, column) of these statistics, at every level, with their
    data set: the bindings a file of these statistics concerns."""
    statistics = set(statistics)
    return {
        (d.key, s.column): d
        for d in cafdata.DATASETS
        for s in d.series
        if s.statistic in statistics
    }


def bound_indicators(*, conventions: list[int], statistics) -> list[Indicator]:
    """The indicators of these conventions bound to a series of these statistics, each with
    ``convention_pk``, in page order (one query)."""
    pairs = bindings(statistics)
    if not pairs or not conventions:
        return []
    found = (
        conventions_indicators(conventions)
        .filter(
            open_data_dataset__in={key for key, _ in pairs},
            open_data_column__in={column for _, column in pairs},
        )
        .annotate(convention_pk=Coalesce("action_sheet__convention_id", "objective__convention_id"))
        .select_related("action_sheet")
        .order_by("convention_pk", "action_sheet__number", "objective_id", "pk")
    )
    return [i for i in found if (i.open_data_dataset, i.open_data_column) in pairs]


@dataclass(frozen=True)
class Target:
    """What a file gives an indicator for a year: its total and, broken down, the values of
    its communes (``None``: the parts are left as they are); or why nothing (``reason``)."""

    value: Decimal | None
    parts: dict[int, Decimal] | None = None
    reason: str = ""


def target(
    *,
    indicator: Indicator,
    bound_level: str,
    file_level: str,
    place: Territory,
    present: dict[int, Decimal],
    current: Measurement | None,
) -> Target | None:
    """The rule of the module docstring for one indicator and one year: ``present`` holds
    the file's values of the statistic that year, by collectivity. ``None``: the file says
    nothing for this indicator (another level feeds it, or no collectivity of its
    territory is in the file)."""
    broken = breakdown.is_broken_down(indicator)
    adds_up = breakdown.adds_up(indicator)
    if file_level == cafdata.COMMUNE:
        if not broken and bound_level != cafdata.COMMUNE:
            return None
        found = {c: present[c] for c in sorted(place.communes) if c in present}
        if not found:
            return None
        parts = found if broken else None
        if adds_up:
            missing = len(place.communes) - len(found)
            if missing:
                return Target(
                    None,
                    reason=f"total non calculable : {missing} commune"
                    f"{'s' if missing > 1 else ''} du territoire sans valeur dans le fichier",
                )
            return Target(breakdown.total_of(indicator=indicator, parts=found), parts)
        if len(place.communes) == 1:
            return Target(next(iter(found.values())), parts)
        if broken and current is not None and sources.is_open_data(current):
            return Target(current.value, parts)  # the total the EPCI-level file gave
        return Target(None, reason=NO_TOTAL)
    # An EPCI-level file.
    if bound_level == cafdata.COMMUNE:
        if adds_up or len(place.communes) == 1:
            return None  # the commune-level file gives it
    elif broken and adds_up:
        return None  # the sum of its communes
    if not place.epcis:
        return Target(None, reason=NO_EPCI) if bound_level == cafdata.EPCI else None
    found = {e: present[e] for e in place.epcis if e in present}
    if not found:
        return None
    if len(place.epcis) == 1:
        return Target(next(iter(found.values())))
    if adds_up and len(found) == len(place.epcis):
        return Target(sum(found.values(), Decimal("0")))
    return Target(None, reason=SEVERAL_EPCIS)


# --- the plan -------------------------------------------------------------------------


@dataclass
class Item:
    """What the import does to one indicator's value of one year."""

    indicator: Indicator
    convention_id: int
    year: int
    date: datetime.date
    status: str
    value: Decimal | None = None
    parts: dict[int, Decimal] | None = None
    current: Measurement | None = None
    reason: str = ""

    @property
    def writes(self) -> bool:
        return self.status in WRITES


@dataclass
class ConventionFeed:
    """One convention's line of the preview: its statistics and its measurements."""

    convention: Convention
    statistics: dict[str, int] = field(default_factory=lambda: dict.fromkeys(cafdata.STATUSES, 0))
    measurements: dict[str, int] = field(default_factory=lambda: dict.fromkeys(STATUSES, 0))
    indicators: list[Indicator] = field(default_factory=list)

    @property
    def counts(self) -> dict[str, int]:
        """Statistics and measurements together (the preview's columns)."""
        return {s: self.statistics.get(s, 0) + self.measurements[s] for s in STATUSES}

    @property
    def concerned(self) -> bool:
        return any(self.statistics.values()) or any(self.measurements.values())


@dataclass
class Plan:
    items: list[Item]
    errors: list[str]
    indicators: list[Indicator]

    @property
    def writes(self) -> list[Item]:
        return [i for i in self.items if i.writes]

    @property
    def counts(self) -> dict[str, int]:
        counts = dict.fromkeys(STATUSES, 0)
        for item in self.items:
            counts[item.status] += 1
        return counts


def _same(current: Measurement, value: Decimal, parts: dict[int, Decimal] | None) -> bool:
    if current.value != value:
        return False
    if parts is None:
        return True
    recorded = {p.collectivity_id: p.value for p in current.parts.all()}
    return all(recorded.get(c) == v for c, v in parts.items())


def _value_error(item: Item) -> str | None:
    """Why the measurement's fields refuse this value (a sum beyond 14 digits…), French."""
    try:
        Measurement._meta.get_field("value").clean(item.value, None)
    except ValidationError as exc:
        convention = item.indicator.convention_name
        return (
            f"Indicateur « {item.indicator.name} » ({convention}), {item.year} : "
            f"{' '.join(exc.messages)}"
        )
    return None


def plan(
    *,
    dataset: cafdata.Dataset,
    values: list[cafdata.Value],
    places: dict[int, Territory],
    indicators: list[Indicator],
    for_update: bool = False,
) -> Plan:
    """What importing ``values`` does to the measurements of ``indicators``: three queries
    (the measurements met and their communes), and two per convention with values to write
    (its locks)."""
    present: dict[tuple[str, int], dict[int, Decimal]] = defaultdict(dict)
    for value in values:
        present[(value.statistic, value.year)][value.collectivity_id] = value.value
    years = sorted({v.year for v in values})
    if not indicators or not years:
        return Plan(items=[], errors=[], indicators=indicators)
    measurements = Measurement.objects.filter(
        indicator_id__in=[i.pk for i in indicators],
        date__in=[measurement_date(y) for y in years],
    ).order_by("pk")
    if for_update:
        measurements = measurements.select_for_update()
    existing = {
        (m.indicator_id, m.date): m
        for m in measurements.prefetch_related(
            Prefetch("parts", queryset=MeasurementPart.objects.order_by("pk"))
        )
    }
    items: list[Item] = []
    for indicator in indicators:
        place = places.get(indicator.convention_pk)
        if place is None:
            continue
        indicator.convention_name = place.convention.name
        bound = cafdata.dataset(indicator.open_data_dataset)
        statistic = cafdata.series(
            indicator.open_data_dataset, indicator.open_data_column
        ).statistic
        convention = place.convention
        for year in years:
            day = measurement_date(year)
            current = existing.get((indicator.pk, day))
            found = target(
                indicator=indicator,
                bound_level=bound.level,
                file_level=dataset.level,
                place=place,
                present=present.get((statistic, year), {}),
                current=current,
            )
            if found is None:
                continue
            item = Item(
                indicator=indicator,
                convention_id=convention.pk,
                year=year,
                date=day,
                status=SKIPPED,
                value=found.value,
                parts=found.parts,
                current=current,
                reason=found.reason,
            )
            items.append(item)
            if not convention.start_date <= day <= convention.end_date:
                item.reason = (
                    f"{OUTSIDE_PERIOD} (du {formatting.date(convention.start_date)} "
                    f"au {formatting.date(convention.end_date)})"
                )
                continue
            if found.value is None:
                continue
            if current is None:
                item.status = NEW
            else:
                item.status = cafdata.outcome(
                    overridden=sources.is_override(current),
                    open_data=sources.is_open_data(current),
                    same=_same(current, found.value, found.parts),
                )
    # The locks of the conventions with values to write: a locked value is listed.
    by_convention: dict[int, list[Item]] = defaultdict(list)
    for item in items:
        if item.writes:
            by_convention[item.convention_id].append(item)
    for convention_id, writes in sorted(by_convention.items()):
        refused = locks.ConventionLocks(convention_id).locked(
            (i.indicator.pk, i.date) for i in writes
        )
        for item in writes:
            lock = refused.get((item.indicator.pk, item.date))
            if lock is not None:
                item.status = SKIPPED
                item.reason = f"période verrouillée par « {lock.label} »"
    errors = [e for item in items if item.writes and (e := _value_error(item))]
    return Plan(items=items, errors=errors, indicators=indicators)


# --- the preview ----------------------------------------------------------------------


@dataclass
class Preview:
    """What an import would do to the statistics and the measurements, per convention."""

    statistics: diagnostics_selectors.CafdataPreview
    plan: Plan
    conventions: list[ConventionFeed]

    @property
    def errors(self) -> list[str]:
        return self.plan.errors

    @property
    def measurements(self) -> dict[str, int]:
        return self.plan.counts

    @property
    def totals(self) -> dict[str, int]:
        """Statistics and measurements, each value once."""
        counts = self.plan.counts
        return {s: self.statistics.totals.get(s, 0) + counts[s] for s in STATUSES}

    @property
    def changes(self) -> int:
        return self.totals[NEW] + self.totals[CHANGED]

    @property
    def summary(self) -> str:
        """« 3 conventions, 41 valeurs nouvelles, 2 modifiées, 5 inchangées »."""
        return cafdata.summary(len(self.conventions), self.totals)

    @property
    def outside_conventions(self) -> int:
        return self.statistics.outside_conventions

    @property
    def changed(self):
        """The statistics the import would replace, with their new figure."""
        return self.statistics.changed

    @property
    def measurements_changed(self) -> list[Item]:
        return [i for i in self.plan.items if i.status == CHANGED]

    @property
    def skipped(self) -> list[Item]:
        return [i for i in self.plan.items if i.status == SKIPPED]


def _feeds(
    *,
    statistics: diagnostics_selectors.CafdataPreview,
    result: Plan,
    places: dict[int, Territory],
) -> list[ConventionFeed]:
    feeds = {pk: ConventionFeed(convention=place.convention) for pk, place in places.items()}
    for line in statistics.conventions:
        feeds[line.convention.pk].statistics = dict(line.counts)
    for indicator in result.indicators:
        if indicator.convention_pk in feeds:
            feeds[indicator.convention_pk].indicators.append(indicator)
    for item in result.items:
        feeds[item.convention_id].measurements[item.status] += 1
    return [f for f in feeds.values() if f.concerned]


def _read(*, caf: Caf, values: list[cafdata.Value]):
    lookups = diagnostics_selectors.cafdata_lookups(caf=caf)
    territory = diagnostics_selectors.conventions_by_collectivity(caf=caf)
    places = territories(lookups=lookups, territory=territory)
    indicators = bound_indicators(
        conventions=list(places), statistics={v.statistic for v in values}
    )
    return territory, places, indicators


def opendata_preview(*, caf: Caf, dataset: cafdata.Dataset, values: list[cafdata.Value]) -> Preview:
    """What importing ``values`` would do, nothing saved: a fixed number of queries, plus two
    per convention whose measurements would change (its locks)."""
    territory, places, indicators = _read(caf=caf, values=values)
    statistics = diagnostics_selectors.cafdata_preview(caf=caf, values=values, territory=territory)
    result = plan(dataset=dataset, values=values, places=places, indicators=indicators)
    return Preview(
        statistics=statistics,
        plan=result,
        conventions=_feeds(statistics=statistics, result=result, places=places),
    )


# --- the import -----------------------------------------------------------------------

#: Checked by the import (ids it read itself): no query per row.
CHECKED = ["indicator", "entered_by", "validated_by", "source_import", "spreadsheet_import"]


@transaction.atomic
def opendata_import(
    *,
    caf: Caf,
    dataset: str,
    filename: str,
    values: list[cafdata.Value],
    user: User | None,
    token: str,
) -> StatisticImport:
    """Import a previewed Cafdata file for the whole Caf, in one transaction: the territory
    statistics (``diagnostics.services.cafdata_import``) and the measurements of the
    indicators bound to its series (:func:`plan`). Raises ``ValidationError`` (French
    messages) and saves nothing when a value cannot be saved. Confirming the same preview
    again (``token``) returns the first import."""
    found = cafdata.dataset(dataset)
    if found is None:
        raise ValidationError("Jeu de données Cafdata inconnu.")
    # One import at a time per Caf (the statistics' import takes the same lock).
    Caf.objects.select_for_update().filter(pk=caf.pk).first()
    done = StatisticImport.objects.filter(token=token).first() if token else None
    if done is not None:
        return done
    territory, places, indicators = _read(caf=caf, values=values)
    _conventions, links = territory
    concerned = {c for v in values for c in links.get(v.collectivity_id, ())} | {
        i.convention_pk for i in indicators
    }
    # Every writer of a convention's figures locks it first (conventions.services.data_version).
    list(
        Convention.objects.select_for_update()
        .filter(pk__in=concerned)
        .order_by("pk")
        .values_list("pk", flat=True)
    )
    record = diagnostics_services.cafdata_import(
        caf=caf, dataset=found.key, filename=filename, values=values, user=user, token=token
    )
    result = plan(
        dataset=found, values=values, places=places, indicators=indicators, for_update=True
    )
    if result.errors:
        raise ValidationError(result.errors)
    touched = _write(result.writes, record=record, user=user, reason=_reason(found, filename))
    for convention_id in sorted(touched):
        convention_data_changed(convention_id=convention_id)
    if touched:
        progress_refresh_many(convention_ids=sorted(touched))
    counts = result.counts
    record.created_count += counts[NEW]
    record.updated_count += counts[CHANGED]
    record.unchanged_count += counts[UNCHANGED]
    record.kept_count += counts[KEPT]
    with_statistics = {c for v in values for c in links.get(v.collectivity_id, ())}
    record.conventions_count = len(with_statistics | {i.convention_id for i in result.items})
    record.save(
        update_fields=[
            "created_count",
            "updated_count",
            "unchanged_count",
            "kept_count",
            "conventions_count",
        ]
    )
    return record


def _reason(found: cafdata.Dataset, filename: str) -> str:
    return f"Import Cafdata {found.key} ({filename[:100]})"


def _write(
    items: list[Item], *, record: StatisticImport, user: User | None, reason: str
) -> set[int]:
    """Create or update the measurements and their communes' values, in batches, each with
    its history line; returns the conventions touched."""
    if not items:
        return set()
    now = timezone.now()
    # Imported by the Caf's staff from the Caf's own figures: validated by the import.
    state = validation.EntryState(Measurement.State.VALIDATED, user, now)
    to_create: list[Measurement] = []
    to_update: list[Measurement] = []
    for item in items:
        measurement = item.current
        if measurement is None:
            measurement = Measurement(indicator_id=item.indicator.pk, date=item.date)
            to_create.append(measurement)
        else:
            to_update.append(measurement)
        measurement.value = item.value
        measurement.source_kind = Measurement.SourceKind.OPEN_DATA
        measurement.source_import = record
        measurement.override_reason = ""
        measurement.entered_by = user
        measurement.entered_at = now
        state.apply(measurement)
        measurement.full_clean(exclude=CHECKED, validate_unique=False, validate_constraints=False)
        item.current = measurement
    if to_create:
        bulk_create_with_history(
            to_create,
            Measurement,
            batch_size=500,
            default_user=user,
            default_change_reason=reason,
        )
    if to_update:
        bulk_update_with_history(
            to_update,
            Measurement,
            [
                "value",
                "source_kind",
                "source_import",
                "override_reason",
                "entered_by",
                "entered_at",
                "validation_state",
                "validated_by",
                "validated_at",
                "return_comment",
            ],
            batch_size=500,
            default_user=user,
            default_change_reason=reason,
        )
    breakdown.parts_save_many([(i.current, i.parts) for i in items if i.parts], user=user)
    return {i.convention_id for i in items}
