"""Reads for the evaluation pages: progress of indicators, dashboards, portfolio.

The progress rule (DOMAIN.md), computed in the database by annotations so that
a page costs a fixed number of queries whatever the number of measurements:

- **last value / last date**: the most recent measurement of the indicator.
- **progress** (``progress_pct``) = (last − baseline) / (target − baseline) × 100.
  The sign of (target − baseline) makes it direction-aware: for a *baisse*, going
  down from 20 to 15 towards a target of 10 is 50 %. The real value is kept (it
  may exceed 100 % or be negative); ``progress_bar_pct`` is the same value capped
  to 0–100 for display.
- **target = baseline** for a *hausse* or a *baisse*: progress is undefined
  (``NULL``) and the status is *progression non définie* — no division by zero.
- **maintien**: the aim is to stay at the target level. It is reached when the
  last value lies within ``MAINTAIN_TOLERANCE`` (5 %) of the target, in either
  direction: progress 100 % and *dans les temps*; outside that band, progress
  0 % and *en retard*.
- **expected share** (``expected_pct``): the share of the time from the baseline
  date to the target date elapsed at the date of the last measurement (today
  when there is none), between 0 and 100 %.
- **status**: *pas de mesure* without any measurement; otherwise *en avance*
  when progress exceeds the expected share by more than ``SCHEDULE_TOLERANCE``
  (10 points), *en retard* when it falls short by more than 10 points, *dans les
  temps* in between.

Only portable expressions are used (Cast, Case/When, Coalesce, Extract, Abs): the
same SQL runs on SQLite and PostgreSQL. Date differences are computed as Julian
day numbers from year/month/day because subtracting dates yields an interval on
PostgreSQL and a number on SQLite.
"""

from __future__ import annotations

import datetime
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal

from django.db.models import (
    Case,
    CharField,
    Count,
    Exists,
    F,
    FilteredRelation,
    FloatField,
    Func,
    IntegerField,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Sum,
    Value,
    When,
)
from django.db.models.functions import (
    Abs,
    Cast,
    Coalesce,
    ExtractDay,
    ExtractMonth,
    ExtractYear,
    Greatest,
    Least,
)
from django.db.models.lookups import GreaterThan
from django.utils import timezone

import ctg.lookups  # noqa: F401 - registers pk__in_ids
from actions.models import ActionSheet
from conventions.models import Collectivity, Committee, CommitteeMember, Convention, Side, User
from diagnostics.models import StatisticDefinition, TerritoryStatistic

from . import charts
from .imports import IndicatorLine
from .models import ChangeSought, Indicator, Measurement, Observation, ProgressMarker

SCHEDULE_TOLERANCE = 10.0  # points of % between progress and the expected share
MAINTAIN_TOLERANCE = 0.05  # share of the target a "maintien" indicator may drift

AHEAD = "en_avance"
ON_TRACK = "dans_les_temps"
LATE = "en_retard"
NO_MEASURE = "pas_de_mesure"
UNDEFINED = "non_defini"

STATUS_LABELS = {
    AHEAD: "En avance",
    ON_TRACK: "Dans les temps",
    LATE: "En retard",
    NO_MEASURE: "Pas de mesure",
    UNDEFINED: "Progression non définie",
}
STATUS_COLORS = {
    AHEAD: "#198754",
    ON_TRACK: "#0d6efd",
    LATE: "#dc3545",
    NO_MEASURE: "#adb5bd",
    UNDEFINED: "#6c757d",
}
STATUS_BADGES = {
    AHEAD: "text-bg-success",
    ON_TRACK: "text-bg-primary",
    LATE: "text-bg-danger",
    NO_MEASURE: "text-bg-secondary",
    UNDEFINED: "text-bg-light border",
}
SHEET_STATUS_COLORS = {
    ActionSheet.Status.DRAFT: "#adb5bd",
    ActionSheet.Status.SUBMITTED: "#e0a800",
    ActionSheet.Status.VALIDATED: "#198754",
    ActionSheet.Status.TO_REVIEW: "#fd7e14",
    ActionSheet.Status.IN_PROGRESS: "#0d6efd",
    ActionSheet.Status.DONE: "#0f5132",
    ActionSheet.Status.ABANDONED: "#495057",
}
# A fiche counts as "validée" once approved, whatever came after.
VALIDATED_STATUSES = (
    ActionSheet.Status.VALIDATED,
    ActionSheet.Status.IN_PROGRESS,
    ActionSheet.Status.DONE,
)

FLOAT = FloatField()


def _int(expr):
    return Cast(expr, IntegerField())


def _portable_day_number(expr):
    y, m, d = _int(ExtractYear(expr)), _int(ExtractMonth(expr)), _int(ExtractDay(expr))
    a = (m - Value(14)) / Value(12)
    return (
        d
        - Value(32075)
        + Value(1461) * (y + Value(4800) + a) / Value(4)
        + Value(367) * (m - Value(2) - a * Value(12)) / Value(12)
        - Value(3) * ((y + Value(4900) + a) / Value(100)) / Value(4)
    )


class DayNumber(Func):
    """Julian day number of a date expression.

    PostgreSQL and SQLite compute it natively (a date difference, ``julianday``);
    other databases get the Fliegel & Van Flandern formula from year/month/day,
    whose integer division truncates toward zero as the formula expects. The
    native forms keep the SQL small: the formula, repeated in every expression
    built on it, made the progress queries tens of kilobytes long and slow to
    compile (performance at scale, see bench/).
    """

    arity = 1
    output_field = IntegerField()

    def as_postgresql(self, compiler, connection, **extra):
        return self.as_sql(
            compiler,
            connection,
            template="(CAST(%(expressions)s AS date) - DATE '2000-01-01' + 2451545)",
            **extra,
        )

    def as_sqlite(self, compiler, connection, **extra):
        return self.as_sql(
            compiler,
            connection,
            template="CAST(julianday(%(expressions)s) + 0.5 AS INTEGER)",
            **extra,
        )

    def as_sql(self, compiler, connection, function=None, template=None, **extra):
        if template is None:
            return compiler.compile(_portable_day_number(self.source_expressions[0]))
        return super().as_sql(compiler, connection, function, template, **extra)


def day_number(expr):
    """Julian day number of a date expression (see :class:`DayNumber`)."""
    return DayNumber(expr)


def julian_day(day: datetime.date) -> int:
    """The Julian day number of a date, as :func:`day_number` computes it in SQL."""
    return day.toordinal() + 1721425


def with_progress(
    qs: QuerySet[Indicator],
    *,
    today: datetime.date | None = None,
    as_of: datetime.date | None = None,
):
    """Annotate indicators with the progress rule described in the module docstring.

    ``as_of`` ignores the measurements taken after that date (a report frozen at
    the end of its period).
    """
    today = today or timezone.localdate()
    measurements = Measurement.objects.filter(indicator=OuterRef("pk"))
    if as_of is not None:
        measurements = measurements.filter(date__lte=as_of)
    # The latest measurement is JOINed once (a filtered relation on its id), so that
    # every term below is plain column arithmetic. Built on correlated subqueries
    # instead, the status repeated them dozens of times per row, and Django spent
    # most of a dashboard's time resolving those nested expressions.
    # One measurement per indicator and date (measurement_one_per_date): ordering by
    # date alone lets PostgreSQL read the last one straight from that index (a tie-break
    # on id added a sort per indicator).
    qs = qs.alias(p_last_id=Subquery(measurements.order_by("-date").values("pk")[:1])).annotate(
        p_last=FilteredRelation("measurements", condition=Q(measurements__pk=F("p_last_id")))
    )
    span_days = day_number(F("target_date")) - day_number(F("baseline_date"))
    qs = qs.annotate(last_value=F("p_last__value"), last_date=F("p_last__date"))
    # Without measurement, the expected share is measured today.
    ref_day = Coalesce(day_number(F("p_last__date")), Value(julian_day(today)))
    qs = qs.annotate(
        expected_pct=_clamp(
            Cast(ref_day - day_number(F("baseline_date")), FLOAT)
            * Value(100.0)
            / Cast(span_days, FLOAT)
        ),
    ).alias(
        # Intermediate terms: used by the expressions below, never selected.
        p_drift=Abs(Cast("p_last__value", FLOAT) - Cast("target_value", FLOAT)),
        p_band=Abs(Cast("target_value", FLOAT)) * Value(MAINTAIN_TOLERANCE),
    )
    qs = qs.annotate(
        progress_pct=Case(
            When(p_last__value__isnull=True, then=Value(None, output_field=FLOAT)),
            When(
                direction=Indicator.Direction.MAINTAIN,
                then=Case(
                    When(p_drift__lte=F("p_band"), then=Value(100.0)),
                    default=Value(0.0),
                    output_field=FLOAT,
                ),
            ),
            When(target_value=F("baseline_value"), then=Value(None, output_field=FLOAT)),
            default=(Cast("p_last__value", FLOAT) - Cast("baseline_value", FLOAT))
            * Value(100.0)
            / (Cast("target_value", FLOAT) - Cast("baseline_value", FLOAT)),
            output_field=FLOAT,
        )
    )
    qs = qs.annotate(
        progress_bar_pct=Case(
            When(progress_pct__isnull=True, then=Value(None, output_field=FLOAT)),
            default=_clamp(F("progress_pct")),
            output_field=FLOAT,
        ),
        schedule_gap=F("progress_pct") - F("expected_pct"),
    )
    return qs.annotate(
        status=Case(
            When(p_last__value__isnull=True, then=Value(NO_MEASURE)),
            When(
                direction=Indicator.Direction.MAINTAIN,
                then=Case(
                    When(p_drift__lte=F("p_band"), then=Value(ON_TRACK)),
                    default=Value(LATE),
                ),
            ),
            When(target_value=F("baseline_value"), then=Value(UNDEFINED)),
            When(schedule_gap__gt=SCHEDULE_TOLERANCE, then=Value(AHEAD)),
            When(schedule_gap__lt=-SCHEDULE_TOLERANCE, then=Value(LATE)),
            default=Value(ON_TRACK),
            output_field=CharField(),
        )
    )


def _clamp(expr):
    """The expression bounded to 0–100 (a share in %). ``expr`` must not be NULL:
    GREATEST ignores NULLs on PostgreSQL where SQLite's MAX returns NULL."""
    return Least(Greatest(expr, Value(0.0)), Value(100.0), output_field=FLOAT)


def conventions_indicators(conventions: Sequence[int]) -> QuerySet[Indicator]:
    """Indicators on the fiches and objectives of the conventions with these ids."""
    # A UNION of the two holders, not an OR across two outer joins: with the OR the
    # database could use no index and scanned every indicator of the country.
    ids = (
        Indicator.objects.filter(action_sheet__convention_id__in=conventions)
        .order_by()
        .values("pk")
        .union(
            Indicator.objects.filter(objective__convention_id__in=conventions)
            .order_by()
            .values("pk")
        )
    )
    return Indicator.objects.filter(pk__in_ids=ids)


def convention_indicators(convention: Convention) -> QuerySet[Indicator]:
    return conventions_indicators([convention.pk])


def indicators_of(
    *,
    convention: Convention,
    today: datetime.date | None = None,
    as_of: datetime.date | None = None,
):
    """Indicators on the convention's fiches and objectives, with their progress."""
    return with_progress(
        convention_indicators(convention).select_related(
            "action_sheet", "objective", "action_sheet__thematic", "objective__thematic"
        ),
        today=today,
        as_of=as_of,
    ).order_by(F("action_sheet__number").asc(nulls_last=True), "objective__title", "id")


def indicator_of(*, convention: Convention, pk: int, today: datetime.date | None = None):
    """One indicator of the convention with its progress, or None."""
    return indicators_of(convention=convention, today=today).filter(pk=pk).first()


def measurements_of(*, indicator: Indicator) -> QuerySet[Measurement]:
    return indicator.measurements.select_related("entered_by").order_by("date")


STATUS_KEYS = {
    AHEAD: "ahead",
    ON_TRACK: "on_track",
    LATE: "late",
    NO_MEASURE: "no_measure",
    UNDEFINED: "undefined",
}
MEASURED = (AHEAD, ON_TRACK, LATE)  # the statuses that have a progress value


def _status_rows(qs: QuerySet, keys: Sequence[str]) -> list[dict]:
    """Count, sum of capped progress and of expected share, per group and status.

    The database groups by (group, status): each expression appears once in the SQL.
    """
    return list(
        qs.order_by()
        .values(*keys, "status")
        .annotate(
            n=Count("pk"),
            bar_sum=Sum("progress_bar_pct"),
            expected_sum=Sum("expected_pct"),
        )
    )


def _fold(rows: list[dict], keys: Sequence[str]) -> list[dict]:
    """The handful of (group, status) rows folded into one summary per group:
    ``indicator_count``, ``avg_progress`` (capped to 0–100), ``avg_expected`` (of
    the measured indicators) and the count of each status."""
    groups: dict[tuple, dict] = {}
    for row in rows:
        key = tuple(row[k] for k in keys)
        group = groups.setdefault(
            key,
            {
                **{k: row[k] for k in keys},
                "indicator_count": 0,
                "measured": 0,
                "bar_sum": 0.0,
                "expected_sum": 0.0,
                **dict.fromkeys(STATUS_KEYS.values(), 0),
            },
        )
        group["indicator_count"] += row["n"]
        group[STATUS_KEYS[row["status"]]] += row["n"]
        if row["status"] in MEASURED:
            group["measured"] += row["n"]
            group["bar_sum"] += row["bar_sum"] or 0.0
            group["expected_sum"] += row["expected_sum"] or 0.0
    result = []
    for group in groups.values():
        measured = group.pop("measured")
        bar_sum, expected_sum = group.pop("bar_sum"), group.pop("expected_sum")
        group["avg_progress"] = bar_sum / measured if measured else None
        group["avg_expected"] = expected_sum / measured if measured else None
        result.append(group)
    return result


def _summaries(qs: QuerySet, keys: Sequence[str]) -> list[dict]:
    return _fold(_status_rows(qs, keys), keys)


EMPTY_SUMMARY = {
    "indicator_count": 0,
    "avg_progress": None,
    "avg_expected": None,
    **dict.fromkeys(STATUS_KEYS.values(), 0),
}


def progress_by_sheet(*, convention: Convention, today: datetime.date | None = None) -> list[dict]:
    """Per fiche: number of indicators, average capped progress, counts per status."""
    rows = _summaries(
        with_progress(Indicator.objects.filter(action_sheet__convention=convention), today=today),
        ["action_sheet_id", "action_sheet__number", "action_sheet__title"],
    )
    return sorted(rows, key=lambda r: r["action_sheet__number"])


def progress_by_objective(
    *, convention: Convention, today: datetime.date | None = None
) -> list[dict]:
    """Per objective: its own indicators and those of the fiches attached to it."""
    rows = _summaries(
        with_progress(convention_indicators(convention), today=today)
        .annotate(
            group_id=Coalesce("objective_id", "action_sheet__objective_id"),
            group_title=Coalesce("objective__title", "action_sheet__objective__title"),
        )
        .filter(group_id__isnull=False),
        ["group_id", "group_title"],
    )
    return sorted(rows, key=lambda r: (r["group_title"], r["group_id"]))


THEMATIC_KEYS = ["group_id", "group_title", "group_order"]


def _thematic_status_rows(*, convention: Convention, today: datetime.date | None) -> list[dict]:
    return _status_rows(
        with_progress(convention_indicators(convention), today=today).annotate(
            group_id=Coalesce("action_sheet__thematic_id", "objective__thematic_id"),
            group_title=Coalesce("action_sheet__thematic__label", "objective__thematic__label"),
            group_order=Coalesce("action_sheet__thematic__order", "objective__thematic__order"),
        ),
        THEMATIC_KEYS,
    )


def _by_thematic(rows: list[dict]) -> list[dict]:
    return sorted(
        _fold(rows, THEMATIC_KEYS),
        key=lambda r: (r["group_order"] or 0, r["group_title"] or ""),
    )


def _total(rows: list[dict]) -> dict:
    folded = _fold(rows, [])
    return folded[0] if folded else dict(EMPTY_SUMMARY)


def progress_by_thematic(
    *, convention: Convention, today: datetime.date | None = None
) -> list[dict]:
    """Per thematic (the fiche's main thematic, or the objective's)."""
    return _by_thematic(_thematic_status_rows(convention=convention, today=today))


def progress_of_convention(*, convention: Convention, today: datetime.date | None = None) -> dict:
    return _total(_status_rows(with_progress(convention_indicators(convention), today=today), []))


def progress_by_thematic_and_total(
    *, convention: Convention, today: datetime.date | None = None
) -> tuple[list[dict], dict]:
    """Per thematic and for the whole convention, from one grouped query: every
    indicator falls in exactly one thematic group (possibly none), so the total is
    the fold of the groups' rows."""
    rows = _thematic_status_rows(convention=convention, today=today)
    return _by_thematic(rows), _total(rows)


def status_segments(summary: dict) -> list[charts.Segment]:
    keys = [(AHEAD, "ahead"), (ON_TRACK, "on_track"), (LATE, "late"), (NO_MEASURE, "no_measure")]
    segments = [
        charts.Segment(STATUS_LABELS[s], summary.get(k) or 0, STATUS_COLORS[s]) for s, k in keys
    ]
    if summary.get("undefined"):
        segments.append(
            charts.Segment(STATUS_LABELS[UNDEFINED], summary["undefined"], STATUS_COLORS[UNDEFINED])
        )
    return segments


def progress_figure(rows: list[dict], *, title: str) -> charts.Figure:
    """Horizontal bars of average progress per group, the expected share as a tick."""
    bars = [
        charts.Bar(
            label=row["group_title"] or "Sans thématique",
            value=row["avg_progress"],
            display=charts.fmt_percent(row["avg_progress"])
            if row["avg_progress"] is not None
            else "pas de mesure",
            marker=row["avg_expected"],
            color=charts.BLUE,
        )
        for row in rows
    ]
    return charts.hbar_chart(
        bars,
        title=title,
        max_value=100,
        label_header="Thématique",
        value_header="Progression moyenne",
        marker_label="Progression attendue à la date de la dernière mesure",
        extra_columns=[
            ("Attendu", [charts.fmt_percent(r["avg_expected"]) for r in rows]),
            ("Indicateurs", [str(r["indicator_count"]) for r in rows]),
            ("En retard", [str(r["late"]) for r in rows]),
        ],
    )


# ------------------------------------------------------------ the dashboard


# ------------------------------------------------------- qualitative side


def changes_of(*, convention: Convention) -> list[ChangeSought]:
    """Changes sought with their markers and observations (newest first), 3 queries."""
    from django.db.models import Prefetch

    return list(
        convention.changes_sought.select_related("thematic", "objective")
        .prefetch_related(
            Prefetch(
                "markers",
                queryset=ProgressMarker.objects.order_by("order", "id").prefetch_related(
                    Prefetch(
                        "observations",
                        queryset=Observation.objects.select_related("observed_by").order_by(
                            "-date", "-id"
                        ),
                    )
                ),
            )
        )
        .order_by("id")
    )


def change_of(*, convention: Convention, pk: int) -> ChangeSought | None:
    return convention.changes_sought.filter(pk=pk).first()


def marker_of(*, convention: Convention, pk: int) -> ProgressMarker | None:
    return (
        ProgressMarker.objects.filter(change__convention=convention, pk=pk)
        .select_related("change")
        .first()
    )


# -------------------------------------------------------------- portfolio


def _count_subquery(qs: QuerySet) -> Coalesce:
    """COUNT(*) of a correlated queryset, as an integer annotation (0 when empty)."""
    return Coalesce(
        Subquery(
            qs.order_by().annotate(n=Func(F("pk"), function="COUNT")).values("n")[:1],
            output_field=IntegerField(),
        ),
        0,
    )


PORTFOLIO_SORTS = {
    "nom": ("name", "Nom"),
    "fin": ("end_date", "Fin la plus proche"),
    "-fin": ("-end_date", "Fin la plus lointaine"),
    "validees": ("validated_pct", "Fiches validées (croissant)"),
    "retard": ("-late_pct", "Indicateurs en retard (décroissant)"),
}


def portfolio_scope(*, user: User) -> QuerySet[Convention]:
    qs = Convention.objects.all()
    return qs if user.is_superuser else qs.filter(caf_id=user.caf_id)


def portfolio_phase_counts(*, user: User) -> dict[str, int]:
    return dict(
        portfolio_scope(user=user)
        .order_by()
        .values_list("phase")
        .annotate(n=Count("pk"))
        .values_list("phase", "n")
    )


def portfolio(
    *,
    user: User,
    phase: str = "",
    renewal: bool = False,
    sort: str = "fin",
    today: datetime.date | None = None,
) -> QuerySet[Convention]:
    """Every convention of the Caf of a Caf agent (all of them for a superuser),
    annotated in one query: fiches validated, renewal due, committees without
    parity. The indicators (and how many are late) of a page's rows are counted by
    :func:`portfolio_page`."""
    today = today or timezone.localdate()
    qs = portfolio_scope(user=user).select_related("caf")
    if phase:
        qs = qs.filter(phase=phase)
    renewal_limit = today + datetime.timedelta(days=365)
    if renewal:
        qs = qs.filter(end_date__gte=today, end_date__lte=renewal_limit)
    sheets = ActionSheet.objects.filter(convention=OuterRef("pk")).exclude(
        status=ActionSheet.Status.ABANDONED
    )
    members = CommitteeMember.objects.filter(committee=OuterRef("pk"))
    committees = Committee.objects.filter(convention=OuterRef("pk")).annotate(
        caf_n=_count_subquery(members.filter(side=Side.CAF)),
        territory_n=_count_subquery(members.filter(side=Side.TERRITORY)),
    )
    qs = qs.annotate(
        sheet_count=_count_subquery(sheets),
        validated_count=_count_subquery(sheets.filter(status__in=VALIDATED_STATUSES)),
        unbalanced_committees=_count_subquery(committees.exclude(caf_n=F("territory_n"))),
        renewal_due=Case(
            When(end_date__gte=today, end_date__lte=renewal_limit, then=Value(True)),
            default=Value(False),
        ),
    ).alias(
        # Sort key only (a page shows the shares of its rows, see portfolio_page).
        validated_pct=Case(
            When(sheet_count=0, then=Value(None, output_field=FLOAT)),
            default=Cast("validated_count", FLOAT) * Value(100.0) / Cast("sheet_count", FLOAT),
            output_field=FLOAT,
        ),
    )
    if sort == "retard":
        qs = qs.alias(late_pct=_late_share(today))
    order = PORTFOLIO_SORTS.get(sort, PORTFOLIO_SORTS["fin"])[0]
    nulls = F(order.lstrip("-"))
    if order.startswith("-"):
        return qs.order_by(nulls.desc(nulls_last=True), "name", "pk")
    return qs.order_by(nulls.asc(nulls_last=True), "name", "pk")


def _late_share(today: datetime.date):
    """The share of a convention's indicators that are late, as a correlated
    expression: only to sort the whole portfolio by it (building it costs most of
    the portfolio's query construction)."""
    # Indicators held by a fiche and by an objective are counted apart: an OR across
    # the two outer joins could use no index (every indicator of the country was
    # read for each convention; performance at scale, see bench/).
    holders = (
        Indicator.objects.filter(action_sheet__convention=OuterRef("pk")),
        Indicator.objects.filter(objective__convention=OuterRef("pk")),
    )
    indicators = _count_subquery(holders[0]) + _count_subquery(holders[1])
    late = _count_subquery(
        with_progress(holders[0], today=today).filter(status=LATE)
    ) + _count_subquery(with_progress(holders[1], today=today).filter(status=LATE))
    return Case(
        When(
            GreaterThan(indicators, 0),
            then=Cast(late, FLOAT) * Value(100.0) / Cast(indicators, FLOAT),
        ),
        default=Value(None, output_field=FLOAT),
        output_field=FLOAT,
    )


def _share(part: int, whole: int) -> float | None:
    return part * 100.0 / whole if whole else None


def portfolio_page(rows, *, today: datetime.date | None = None) -> list[Convention]:
    """The rows of a portfolio page with their indicators, how many are late (one
    grouped query for the whole page) and the shares, in %, of fiches validated and
    of indicators late (None when there is nothing to count)."""
    today = today or timezone.localdate()
    rows = list(rows)
    ids = [row.pk for row in rows]
    counts: dict[int, tuple[int, int]] = {}
    if ids:
        grouped = (
            with_progress(conventions_indicators(ids), today=today)
            .annotate(
                holder_convention=Coalesce(
                    "action_sheet__convention_id", "objective__convention_id"
                )
            )
            .order_by()
            .values("holder_convention")
            .annotate(n=Count("pk"), late=Count("pk", filter=Q(status=LATE)))
        )
        counts = {g["holder_convention"]: (g["n"], g["late"]) for g in grouped}
    for row in rows:
        row.indicator_count, row.late_count = counts.get(row.pk, (0, 0))
        row.validated_pct = _share(row.validated_count, row.sheet_count)
        row.late_pct = _share(row.late_count, row.indicator_count)
    return rows


# ----------------------------------------------------- territory comparison


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
                display=(charts.fmt_number(value, 2) if value is not None else "—"),
            )
        )
    bar_fig = charts.hbar_chart(
        bars,
        title=f"{statistic.label} en {latest}" + (f" ({unit})" if unit else ""),
        label_header="Collectivité",
        value_header=f"{latest}",
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


# ------------------------------------------------------ workbook round-trip


def workbook_lines(*, convention: Convention) -> list:
    """One line per indicator of the convention with its measured values (2 queries)."""
    indicators = list(
        convention_indicators(convention)
        .select_related("action_sheet", "objective")
        .order_by(F("action_sheet__number").asc(nulls_last=True), "objective__title", "id")
    )
    values: dict[int, dict] = {}
    for indicator_id, day, value in Measurement.objects.filter(
        indicator__in=[i.pk for i in indicators]
    ).values_list("indicator_id", "date", "value"):
        values.setdefault(indicator_id, {})[day] = value
    return [
        IndicatorLine(
            id=i.pk,
            holder=(
                f"{i.action_sheet.number} — {i.action_sheet.title}"
                if i.action_sheet_id
                else f"Objectif : {i.objective.title}"
            ),
            name=i.name,
            unit=i.unit,
            baseline=i.baseline_value,
            target=i.target_value,
            frequency=i.frequency,
            values=values.get(i.pk, {}),
        )
        for i in indicators
    ]


@dataclass
class PreviewLine:
    indicator: Indicator
    date: datetime.date
    old: Decimal | None
    new: Decimal
    row: int
    column: str


@dataclass
class ImportPreview:
    new: list[PreviewLine]
    changed: list[PreviewLine]
    unchanged: list[PreviewLine]

    @property
    def has_changes(self) -> bool:
        return bool(self.new or self.changed)


def import_preview(*, convention: Convention, values) -> ImportPreview:
    """Compare parsed values with the measurements in the database (2 queries)."""
    indicators = {
        i.pk: i
        for i in convention_indicators(convention).select_related("action_sheet", "objective")
    }
    existing = {
        (indicator_id, day): value
        for indicator_id, day, value in Measurement.objects.filter(
            indicator_id__in={v.indicator_id for v in values}, date__in={v.date for v in values}
        ).values_list("indicator_id", "date", "value")
    }
    preview = ImportPreview([], [], [])
    for v in values:
        old = existing.get((v.indicator_id, v.date))
        line = PreviewLine(indicators[v.indicator_id], v.date, old, v.value, v.row, v.column)
        if old is None:
            preview.new.append(line)
        elif old != v.value:
            preview.changed.append(line)
        else:
            preview.unchanged.append(line)
    return preview
