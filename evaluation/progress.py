"""The progress rule and the late rule: their one home.

Every figure of progress shown anywhere — the Synthèse, the evaluation pages, the
progress reports (web page, PDF, XLSX), the convention document — comes from
:func:`with_progress` for one indicator and from the folds below for a group of
them (per thematic, fiche, objective, convention). Nothing recomputes them.

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
- **expected share** (``expected_pct``), at the *reference day*: the date of the
  last measurement (today when there is none), between 0 and 100 %.

  - Without yearly targets: the share of the time from the baseline date to the
    target date elapsed at the reference day (a straight line to the target).
  - With **yearly targets** (the reference sheet's
    :class:`~evaluation.models.IndicatorTarget`, a value to reach by 31 December
    of its year; written by :mod:`evaluation.reference`): the expected *value* at
    the reference day is the piecewise-linear interpolation through
    (baseline date, baseline), (31 December of each target year, its value) and
    (target date, target), and the expected share is that value's way from the
    baseline to the target: (expected − baseline) / (target − baseline) × 100,
    bounded to 0–100 % (direction-aware as the progress is). Only the yearly
    targets whose 31 December falls strictly between the baseline date and the
    target date shape the line: the baseline and the final target bound it.
    Before the baseline date the expected share is 0 %, from the target date on
    100 %. A *maintien* indicator and an indicator whose target equals its
    baseline keep the share of time (their status does not use it, see below).
    In SQL, the two yearly targets around the reference day (the last one on or
    before it, the first one after it) are found by a subquery each on the
    indicator's targets (an index probe that finds nothing for an indicator
    without yearly targets) and JOINed by their id, like the last measurement;
    the share itself is one compact node (:class:`ExpectedShare`), since the
    gap and the status below repeat it.
- **not started**: before the start date of the indicator's convention
  (``conventions.calendar``), progress against time is not computed: no expected
  share (``NULL``) and the status is *convention non commencée*
  (:data:`NOT_STARTED`) — nothing is late before the start date. The progress
  from the baseline stays what the measurements say.
- **status**: *pas de mesure* without any measurement; otherwise *en avance*
  when progress exceeds the expected share by more than ``SCHEDULE_TOLERANCE``
  (10 points), *en retard* when it falls short by more than 10 points, *dans les
  temps* in between. An indicator is **late** when its status is *en retard*
  (:data:`LATE`): the only definition of a late indicator.
- **average progress of a group** (a thematic, a fiche, the convention): the mean
  of the *capped* progress (0–100 %) of its measured indicators. An indicator
  beyond its target counts as reached, 100 %: going past one target does not make
  up for the delay of another. So a thematic whose one indicator is at 117 %
  shows 100 %, and the indicator itself shows its real 117 %.
  :func:`average_progress` is the same rule on frozen values (a report).

Only portable expressions are used (Cast, Case/When, Coalesce, Extract, Abs, and the
compact nodes :class:`YearEndDay` and :class:`ExpectedShare`, which write integer
arithmetic, COALESCE and CASE, and LEAST/GREATEST as SQLite's MIN/MAX): the same SQL
runs on SQLite and PostgreSQL. Date differences are computed as Julian
day numbers from year/month/day because subtracting dates yields an interval on
PostgreSQL and a number on SQLite.
"""

from __future__ import annotations

import datetime
from collections.abc import Iterable, Sequence

from django.db.models import (
    Case,
    CharField,
    Count,
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
from django.utils import timezone

import ctg.lookups  # noqa: F401 - registers pk__in_ids
from conventions import calendar
from conventions.models import Convention

from .models import Indicator, IndicatorTarget, Measurement
from .validation import counted

SCHEDULE_TOLERANCE = 10.0  # points of % between progress and the expected share
MAINTAIN_TOLERANCE = 0.05  # share of the target a "maintien" indicator may drift

AHEAD = "en_avance"
ON_TRACK = "dans_les_temps"
LATE = "en_retard"
NO_MEASURE = "pas_de_mesure"
UNDEFINED = "non_defini"
NOT_STARTED = "non_commencee"

STATUS_LABELS = {
    AHEAD: "En avance",
    ON_TRACK: "Dans les temps",
    LATE: "En retard",
    NO_MEASURE: "Pas de mesure",
    UNDEFINED: "Progression non définie",
    NOT_STARTED: "Convention non commencée",
}

FLOAT = FloatField()

#: What :func:`with_progress` computes for an indicator (the read model stores these).
PROGRESS_FIELDS = (
    "last_value",
    "last_date",
    "expected_pct",
    "progress_pct",
    "progress_bar_pct",
    "schedule_gap",
    "status",
)


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
    conventions: Sequence[Convention] | None = None,
):
    """Annotate indicators with the progress rule described in the module docstring.

    ``as_of`` ignores the measurements taken after that date (a report frozen at
    the end of its period). ``conventions``: the indicators all belong to these, so which
    of them have started is known before the query (the calendar's rule, decided once per
    convention instead of joined per indicator, which made the dashboard's queries half as
    slow again); without it the query reads each indicator's convention.
    """
    today = today or timezone.localdate()
    # Only the measurements that count (validated by the Caf: evaluation.validation).
    measurements = counted(Measurement.objects.filter(indicator=OuterRef("pk")))
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
    # The calendar (conventions.calendar): before its convention's start date an
    # indicator is neither late nor expected to have progressed.
    if conventions is not None:
        waiting = [c.pk for c in conventions if not calendar.has_started(c, today)]
        if not waiting or len(waiting) == len(conventions):
            not_started = Value(bool(waiting))
        else:
            not_started = Case(
                When(
                    Q(action_sheet__convention_id__in=waiting)
                    | Q(objective__convention_id__in=waiting),
                    then=Value(True),
                ),
                default=Value(False),
            )
    else:
        not_started = Case(
            When(
                Q(action_sheet__convention__start_date__gt=today)
                | Q(objective__convention__start_date__gt=today),
                then=Value(True),
            ),
            default=Value(False),
        )
    qs = qs.annotate(last_value=F("p_last__value"), last_date=F("p_last__date")).alias(
        p_not_started=not_started
    )
    # Without measurement, the expected share is measured today.
    qs = _with_target_anchors(
        qs.alias(p_ref_day=Coalesce(day_number(F("p_last__date")), Value(julian_day(today))))
    )
    qs = qs.annotate(
        expected_pct=Case(
            When(p_not_started=True, then=Value(None, output_field=FLOAT)),
            default=ExpectedShare(),
            output_field=FLOAT,
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
            When(p_not_started=True, then=Value(NOT_STARTED)),
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


class YearEndDay(Func):
    """The Julian day number of 31 December of an integer year expression: where a yearly
    target anchors the expected line. Integer arithmetic on positive numbers (Fliegel &
    Van Flandern with month 12 and day 31), the same on every database, written as one
    node whose argument is compiled once (an expression tree of the formula, repeated in
    the rule's expressions, made Django's part of the query several times longer)."""

    arity = 1
    output_field = IntegerField()
    FORMULA = "(1461 * ({y} + 4800) / 4 - 3 * (({y} + 4900) / 100) / 4 - 31739)"

    def as_sql(self, compiler, connection, **extra):
        sql, params = compiler.compile(self.source_expressions[0])
        return self.FORMULA.format(y=sql), [*params, *params]


def _sql(*pieces) -> tuple[str, list]:
    """SQL text and its parameters from pieces: literal text, or compiled ``(sql,
    params)`` pairs (a pair may come back several times: its parameters follow)."""
    text, params = [], []
    for piece in pieces:
        if isinstance(piece, str):
            text.append(piece)
        else:
            text.append(piece[0])
            params.extend(piece[1])
    return "".join(text), params


class ExpectedShare(Func):
    """The expected share (in %, bounded to 0–100) at the reference day (``p_ref_day``),
    once the convention has started (the module docstring's rule):

    - without a yearly target around the reference day (``p_prev`` and ``p_next`` both
      missing), for a *maintien* indicator or a target equal to the baseline: the share of
      the time from the baseline date to the target date;
    - otherwise the value on the line through the anchors at the reference day, from the
      anchor before it (the yearly target ``p_prev``, or the baseline) to the anchor after
      it (``p_next``, or the target), as a share of the way from the baseline to the
      target. The position between the two anchors is bounded to 0–1: before the baseline
      date the line is at the baseline, from the target date on at the target.

    Written as one node that compiles each of its columns once: the rule's later
    expressions (the gap to the schedule, the status) repeat the expected share, and as a
    tree of expressions it made Django's part of the query twice as long."""

    output_field = FLOAT

    def __init__(self):
        super().__init__(
            F("p_ref_day"),
            day_number(F("baseline_date")),
            day_number(F("target_date")),
            YearEndDay(F("p_prev__year")),
            YearEndDay(F("p_next__year")),
            Cast("p_prev__value", FLOAT),
            Cast("p_next__value", FLOAT),
            Cast("baseline_value", FLOAT),
            Cast("target_value", FLOAT),
            F("direction"),
            F("p_prev__year"),
            F("p_next__year"),
        )

    def as_sql(self, compiler, connection, **extra):
        (
            ref,
            base_day,
            target_day,
            prev_end,
            next_end,
            prev,
            next_,
            base,
            target,
            direction,
            prev_year,
            next_year,
        ) = (compiler.compile(e) for e in self.source_expressions)
        sqlite = connection.vendor == "sqlite"
        least, greatest = ("MIN", "MAX") if sqlite else ("LEAST", "GREATEST")
        real = "REAL" if sqlite else "double precision"
        time_share = _sql(
            "CAST(",
            ref,
            " - ",
            base_day,
            f" AS {real}) * 100.0 / CAST(",
            target_day,
            " - ",
            base_day,
            f" AS {real})",
        )
        prev_day = _sql("COALESCE(", prev_end, ", ", base_day, ")")
        next_day = _sql("COALESCE(", next_end, ", ", target_day, ")")
        prev_value = _sql("COALESCE(", prev, ", ", base, ")")
        next_value = _sql("COALESCE(", next_, ", ", target, ")")
        position = _sql(
            f"{least}({greatest}(CAST(",
            ref,
            " - ",
            prev_day,
            f" AS {real}) / (",
            next_day,
            " - ",
            prev_day,
            "), 0.0), 1.0)",
        )
        expected = _sql(prev_value, " + (", next_value, " - ", prev_value, ") * ", position)
        along = _sql("(", expected, " - ", base, ") * 100.0 / (", target, " - ", base, ")")
        straight = _sql(
            "(",
            prev_year,
            " IS NULL AND ",
            next_year,
            " IS NULL) OR ",
            direction,
            " = ",
            ("%s", [Indicator.Direction.MAINTAIN.value]),
            " OR ",
            target,
            " = ",
            base,
        )
        return _sql(
            f"{least}({greatest}(CASE WHEN ",
            straight,
            " THEN ",
            time_share,
            " ELSE ",
            along,
            " END, 0.0), 100.0)",
        )


def _with_target_anchors(qs: QuerySet[Indicator]) -> QuerySet[Indicator]:
    """JOIN the two yearly targets around the reference day (``p_ref_day``): the last one
    anchored on or before it (``p_prev``) and the first one after it (``p_next``), among
    those anchored strictly between the baseline date and the target date. Each is found by
    a subquery on the targets of its indicator (index ``indicator_target_one_per_year``),
    then joined by its id, so that the interpolation (:class:`AlongTargets`) is plain
    column arithmetic (as for the last measurement). An indicator without yearly targets
    has no row to join: the database finds none by the index and runs no subquery."""
    targets = (
        IndicatorTarget.objects.filter(indicator=OuterRef("pk"))
        .alias(p_anchor=YearEndDay(F("year")))
        .filter(
            p_anchor__gt=day_number(OuterRef("baseline_date")),
            p_anchor__lt=day_number(OuterRef("target_date")),
        )
    )
    return qs.alias(
        p_prev_id=Subquery(
            targets.filter(p_anchor__lte=OuterRef("p_ref_day")).order_by("-year").values("pk")[:1]
        ),
        p_next_id=Subquery(
            targets.filter(p_anchor__gt=OuterRef("p_ref_day")).order_by("year").values("pk")[:1]
        ),
    ).annotate(
        p_prev=FilteredRelation("yearly_targets", condition=Q(yearly_targets__pk=F("p_prev_id"))),
        p_next=FilteredRelation("yearly_targets", condition=Q(yearly_targets__pk=F("p_next_id"))),
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
    return in_page_order(
        with_progress(
            convention_indicators(convention), today=today, as_of=as_of, conventions=[convention]
        )
    )


def in_page_order(qs: QuerySet[Indicator]) -> QuerySet[Indicator]:
    """Indicators as the pages list them (by fiche number, then objective), with their holders."""
    return qs.select_related(
        "action_sheet", "objective", "action_sheet__thematic", "objective__thematic"
    ).order_by(F("action_sheet__number").asc(nulls_last=True), "objective__title", "id")


def indicator_of(*, convention: Convention, pk: int, today: datetime.date | None = None):
    """One indicator of the convention with its progress, or None."""
    return indicators_of(convention=convention, today=today).filter(pk=pk).first()


STATUS_KEYS = {
    AHEAD: "ahead",
    ON_TRACK: "on_track",
    LATE: "late",
    NO_MEASURE: "no_measure",
    UNDEFINED: "undefined",
    NOT_STARTED: "not_started",
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
    return sheet_summaries(
        with_progress(
            Indicator.objects.filter(action_sheet__convention=convention),
            today=today,
            conventions=[convention],
        )
    )


def sheet_summaries(annotated: QuerySet[Indicator]) -> list[dict]:
    """The per-fiche fold of indicators annotated with their progress (by
    :func:`with_progress`, or read from the read model), in the fiches' order."""
    rows = _summaries(annotated, ["action_sheet_id", "action_sheet__number", "action_sheet__title"])
    return sorted(rows, key=lambda r: r["action_sheet__number"])


def progress_by_objective(
    *, convention: Convention, today: datetime.date | None = None
) -> list[dict]:
    """Per objective: its own indicators and those of the fiches attached to it."""
    rows = _summaries(
        with_progress(convention_indicators(convention), today=today, conventions=[convention])
        .annotate(
            group_id=Coalesce("objective_id", "action_sheet__objective_id"),
            group_title=Coalesce("objective__title", "action_sheet__objective__title"),
        )
        .filter(group_id__isnull=False),
        ["group_id", "group_title"],
    )
    return sorted(rows, key=lambda r: (r["group_title"], r["group_id"]))


THEMATIC_KEYS = ["group_id", "group_title", "group_order"]
NO_THEMATIC = "Sans thématique"


def _with_thematic(qs: QuerySet, prefix: str = "") -> QuerySet:
    """Each indicator's thematic group: its fiche's main thematic, or its objective's
    (``prefix``: the path to the indicator, e.g. ``"indicator__"`` from a row about it)."""
    sheet, objective = f"{prefix}action_sheet__thematic", f"{prefix}objective__thematic"
    return qs.annotate(
        group_id=Coalesce(f"{sheet}_id", f"{objective}_id"),
        group_title=Coalesce(f"{sheet}__label", f"{objective}__label"),
        group_order=Coalesce(f"{sheet}__order", f"{objective}__order"),
    )


def _thematic_status_rows(
    *,
    convention: Convention,
    today: datetime.date | None,
    as_of: datetime.date | None = None,
) -> list[dict]:
    return _status_rows(
        _with_thematic(
            with_progress(
                convention_indicators(convention),
                today=today,
                as_of=as_of,
                conventions=[convention],
            )
        ),
        THEMATIC_KEYS,
    )


HOLDER = "holder_convention"  # the id of the convention holding an indicator


def conventions_progress(
    *, conventions: Sequence[Convention], today: datetime.date | None = None
) -> QuerySet[Indicator]:
    """:func:`with_progress` on the indicators of several conventions at once, each row
    with the id of its convention (``holder_convention``): what the read model
    (:mod:`evaluation.readmodel`) stores, computed for a batch of conventions in one query."""
    return with_progress(
        conventions_indicators([c.pk for c in conventions]), today=today, conventions=conventions
    ).annotate(
        holder_convention=Coalesce("action_sheet__convention_id", "objective__convention_id")
    )


def thematic_status_rows_of(
    annotated: QuerySet, *, convention_ids: Sequence[int], prefix: str = ""
) -> dict[int, list[dict]]:
    """The (thematic, status) rows of :func:`progress_by_thematic_and_total` for several
    conventions from one grouped query, per convention id. ``annotated``: their indicators
    with the columns of :func:`with_progress` and ``holder_convention`` (or the read model's
    rows about them, ``prefix="indicator__"``). The read model stores these rows and folds
    them on read with :func:`fold_thematic_rows`."""
    rows = _status_rows(_with_thematic(annotated, prefix), [HOLDER, *THEMATIC_KEYS])
    by_convention: dict[int, list[dict]] = {pk: [] for pk in convention_ids}
    for row in rows:
        by_convention[row.pop(HOLDER)].append(row)
    return by_convention


def fold_thematic_rows(rows: list[dict]) -> tuple[list[dict], dict]:
    """Per thematic and for the whole convention from its (thematic, status) rows: the
    folds of :func:`progress_by_thematic_and_total`, on rows stored by the read model."""
    return _by_thematic(rows), _total(rows)


def _by_thematic(rows: list[dict]) -> list[dict]:
    return sorted(
        _fold(rows, THEMATIC_KEYS),
        key=lambda r: (r["group_order"] or 0, r["group_title"] or ""),
    )


def _total(rows: list[dict]) -> dict:
    folded = _fold(rows, [])
    return folded[0] if folded else dict(EMPTY_SUMMARY)


def progress_by_thematic(
    *,
    convention: Convention,
    today: datetime.date | None = None,
    as_of: datetime.date | None = None,
) -> list[dict]:
    """Per thematic (the fiche's main thematic, or the objective's), in the
    thematics' order: ``group_title``, ``indicator_count``, ``avg_progress``
    (capped average, None when none is measured), ``avg_expected`` and the count
    of each status (``late``, ``no_measure``…)."""
    return _by_thematic(_thematic_status_rows(convention=convention, today=today, as_of=as_of))


def progress_of_convention(*, convention: Convention, today: datetime.date | None = None) -> dict:
    return _total(
        _status_rows(
            with_progress(convention_indicators(convention), today=today, conventions=[convention]),
            [],
        )
    )


def progress_by_thematic_and_total(
    *,
    convention: Convention,
    today: datetime.date | None = None,
    as_of: datetime.date | None = None,
) -> tuple[list[dict], dict]:
    """Per thematic and for the whole convention, from one grouped query: every
    indicator falls in exactly one thematic group (possibly none), so the total is
    the fold of the groups' rows."""
    return fold_thematic_rows(
        _thematic_status_rows(convention=convention, today=today, as_of=as_of)
    )


# ------------------------------------------------------------- the late rule


def late_first(qs: QuerySet[Indicator]) -> QuerySet[Indicator]:
    """The late indicators of annotated indicators, the furthest behind first (then
    by id): the one list of late indicators, on the Synthèse as in a report."""
    return qs.filter(status=LATE).order_by("schedule_gap", "id")


def late_indicators(
    *,
    convention: Convention,
    today: datetime.date | None = None,
    as_of: datetime.date | None = None,
) -> QuerySet[Indicator]:
    return late_first(indicators_of(convention=convention, today=today, as_of=as_of))


# ---------------------------------------------- the same rule on frozen values


def capped(progress_pct: float | None) -> float | None:
    """An indicator's progress as it counts in an average: bounded to 0–100 %
    (the SQL ``progress_bar_pct``)."""
    if progress_pct is None:
        return None
    return min(max(float(progress_pct), 0.0), 100.0)


def average_progress(progress_pcts: Iterable[float | None]) -> float | None:
    """The average progress of a group from its indicators' progress (in %): the
    mean of the capped values of the measured ones, None when none is measured.
    The same rule as :func:`_fold` (which sums ``progress_bar_pct`` in SQL), for
    figures already frozen in a report's snapshot."""
    values = [capped(p) for p in progress_pcts if p is not None]
    return sum(values) / len(values) if values else None
