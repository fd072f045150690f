"""The progress read model: the figures of the progress rule, stored.

The rule has one home, :mod:`evaluation.progress`; this module runs it and keeps what it
computes, so that a page reads a few stored rows instead of building and compiling the
rule's expressions (most of a Synthèse's time, see bench/):

- :class:`~evaluation.models.IndicatorProgress`, per indicator: the columns of
  :func:`~evaluation.progress.with_progress` (last value and date, progress, expected
  share, status, late flag);
- :class:`~evaluation.models.ConventionProgress`, per convention: the (thematic, status)
  rows of the rule's grouped query, folded on read by the rule's own folds, the number
  of indicators and of late ones (the portfolio's sort), and what they were computed
  for: the day, the convention's dates and its data version.

**Kept fresh** in three ways, all through :func:`progress_refresh_many`:

1. every service that changes the figures (measurements, imports, fiches and their
   indicators, objectives, plan import) calls :func:`progress_refresh` at its end,
   inside its transaction, after ``convention_data_changed``: the rows are committed
   with the write, or rolled back with it;
2. a reader (:func:`fresh`) compares the stored day, dates and data version with the
   convention it shows, and computes the rows again when they differ: the convention's
   own dates are written by ``conventions``, which cannot call this module, and time
   alone changes the expected share and lateness;
3. a daily task (``evaluation.tasks.progress_refresh_all``) recomputes every convention
   for the new day, and ``manage.py progress_rebuild`` rebuilds everything.
"""

from __future__ import annotations

import datetime
from collections.abc import Iterable, Sequence

from django.db import connection, transaction
from django.db.models import F, QuerySet
from django.utils import timezone

from conventions.models import Convention

from . import progress
from .models import ConventionProgress, Indicator, IndicatorProgress

BATCH = 200  # conventions refreshed per transaction by the rebuild


def _state(convention: Convention, today: datetime.date) -> tuple:
    return (today, convention.start_date, convention.end_date)


def _is_fresh(row: ConventionProgress, convention: Convention, today: datetime.date) -> bool:
    """Computed for this day, these dates and this data version (or a later one: the
    convention in hand may have been read before a write that refreshed the rows)."""
    return (row.computed_on, row.start_date, row.end_date) == _state(
        convention, today
    ) and row.data_version >= convention.data_version


def progress_refresh_many(
    *, convention_ids: Iterable[int], today: datetime.date | None = None
) -> int:
    """Compute again, by the progress rule, the read model of these conventions (a fixed
    number of queries for the batch). The conventions' rows are locked first, as every
    writer of their data does (``convention_data_changed``): two refreshes of one
    convention run one after the other. Returns the number of conventions refreshed."""
    return len(_refresh(convention_ids, today=today or timezone.localdate()))


# No savepoint inside a writer's transaction: a refresh that fails fails the write.
@transaction.atomic(savepoint=False)
def _refresh(convention_ids: Iterable[int], *, today: datetime.date) -> list[ConventionProgress]:
    conventions = list(
        Convention.objects.select_for_update().filter(pk__in=list(convention_ids)).order_by("pk")
    )
    if not conventions:
        return []
    ids = [c.pk for c in conventions]
    IndicatorProgress.objects.filter(convention_id__in=ids).delete()
    _insert_indicator_rows(
        progress.conventions_progress(conventions=conventions, today=today), today=today
    )
    # The rule's grouped fold on the columns just stored: its expression is built once.
    # (From the stored rows, each joined to its indicator by its key.)
    thematic_rows = progress.thematic_status_rows_of(
        IndicatorProgress.objects.filter(convention_id__in=ids).annotate(
            **{progress.HOLDER: F("convention_id")}
        ),
        convention_ids=ids,
        prefix="indicator__",
    )
    rows = []
    for convention in conventions:
        total = progress.fold_thematic_rows(thematic_rows[convention.pk])[1]
        rows.append(
            ConventionProgress(
                convention_id=convention.pk,
                computed_on=today,
                data_version=convention.data_version,
                start_date=convention.start_date,
                end_date=convention.end_date,
                indicator_count=total["indicator_count"],
                late_count=total["late"],
                thematic_rows=thematic_rows[convention.pk],
            )
        )
    return ConventionProgress.objects.bulk_create(
        rows,
        update_conflicts=True,
        unique_fields=["convention"],
        update_fields=[
            f.name for f in ConventionProgress._meta.concrete_fields if not f.primary_key
        ],
    )


def _insert_indicator_rows(annotated: QuerySet[Indicator], *, today: datetime.date) -> None:
    """INSERT … SELECT of the rule's query: one statement whatever the number of
    indicators, and no row goes through Python. The columns are read by their names in
    the rule's query (its annotations' aliases)."""
    table = connection.ops.quote_name(IndicatorProgress._meta.db_table)
    columns = ["indicator_id", "convention_id", *progress.PROGRESS_FIELDS, "late", "computed_on"]
    sql, params = (
        annotated.order_by()
        .values(progress.HOLDER, *progress.PROGRESS_FIELDS, indicator=F("pk"))
        .query
    ).sql_with_params()
    quote = connection.ops.quote_name
    selected = ", ".join(
        [
            f"p_rule.{quote('indicator')}",
            f"p_rule.{quote(progress.HOLDER)}",
            *(f"p_rule.{quote(name)}" for name in progress.PROGRESS_FIELDS),
            f"CASE WHEN p_rule.{quote('status')} = %s THEN %s ELSE %s END",
            "%s",
        ]
    )
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {table} ({', '.join(quote(c) for c in columns)}) "
            f"SELECT {selected} FROM ({sql}) p_rule",
            # The placeholders of the SELECT list come before the rule's own.
            (progress.LATE, True, False, connection.ops.adapt_datefield_value(today), *params),
        )


def progress_refresh(*, convention_id: int, today: datetime.date | None = None) -> None:
    """Compute again the read model of one convention: called at the end of every service
    that changes its figures, inside its transaction."""
    progress_refresh_many(convention_ids=[convention_id], today=today)


def progress_rebuild(*, today: datetime.date | None = None) -> int:
    """The whole read model computed again from scratch, by batches of conventions (one
    transaction each); the rows of no convention left behind. Returns the number of
    conventions."""
    today = today or timezone.localdate()
    ids = list(Convention.objects.order_by("pk").values_list("pk", flat=True))
    done = 0
    for start in range(0, len(ids), BATCH):
        done += progress_refresh_many(convention_ids=ids[start : start + BATCH], today=today)
    if connection.vendor == "postgresql" and not connection.in_atomic_block:
        # Every row was written again: the planner learns the tables' new shape (how many
        # rows per convention) instead of waiting for autovacuum to notice.
        tables = (IndicatorProgress._meta.db_table, ConventionProgress._meta.db_table)
        with connection.cursor() as cursor:
            cursor.execute(f"ANALYZE {', '.join(connection.ops.quote_name(t) for t in tables)}")
    return done


def fresh(
    conventions: Sequence[Convention], *, today: datetime.date | None = None
) -> dict[int, ConventionProgress]:
    """The read model's rows of these conventions, per id, after computing again those
    missing or stale (another day, other dates, an older data version): one query when
    all are fresh. Marks the conventions as checked for the day (see :func:`_checked`)."""
    today = today or timezone.localdate()
    rows = {r.pk: r for r in ConventionProgress.objects.filter(pk__in=[c.pk for c in conventions])}
    stale = [c.pk for c in conventions if c.pk not in rows or not _is_fresh(rows[c.pk], c, today)]
    if stale:
        rows.update({r.pk: r for r in _refresh(stale, today=today)})
    for convention in conventions:
        convention._progress_checked = (*_state(convention, today), convention.data_version)
    return rows


def _checked(convention: Convention, today: datetime.date) -> None:
    """Make sure the convention's rows are fresh, without a query when :func:`fresh` already
    checked this convention, in this state, for this day (the Synthèse reads its figures,
    then its late indicators)."""
    state = (*_state(convention, today), convention.data_version)
    if getattr(convention, "_progress_checked", None) != state:
        fresh([convention], today=today)


# ------------------------------------------------------------------------------ readers


def thematic_and_total(
    *, convention: Convention, today: datetime.date | None = None
) -> tuple[list[dict], dict]:
    """:func:`evaluation.progress.progress_by_thematic_and_total`, from the stored rows."""
    row = fresh([convention], today=today)[convention.pk]
    return progress.fold_thematic_rows(row.thematic_rows)


def with_stored_progress(qs: QuerySet[Indicator]) -> QuerySet[Indicator]:
    """Indicators annotated with their stored progress, under the names of
    :func:`evaluation.progress.with_progress` (so ``late_first`` and the templates work
    on them unchanged). Filter them on ``progress_row__convention_id``: only indicators
    that have a row."""
    return qs.annotate(**{name: F(f"progress_row__{name}") for name in progress.PROGRESS_FIELDS})


def indicators_of(
    *, convention: Convention, today: datetime.date | None = None
) -> QuerySet[Indicator]:
    """:func:`evaluation.progress.indicators_of` (as of today), from the stored rows."""
    today = today or timezone.localdate()
    _checked(convention, today)
    return progress.in_page_order(
        with_stored_progress(Indicator.objects.filter(progress_row__convention_id=convention.pk))
    )


def indicator_of(
    *, convention: Convention, pk: int, today: datetime.date | None = None
) -> Indicator | None:
    """One indicator of the convention with its stored progress, or None."""
    return indicators_of(convention=convention, today=today).filter(pk=pk).first()


def late_indicators(
    *, convention: Convention, today: datetime.date | None = None
) -> QuerySet[Indicator]:
    """The convention's late indicators, the furthest behind first (the late rule's order,
    :func:`evaluation.progress.late_first`), from the stored rows; with what a list of
    them shows (name, fiche number, progress), not their holders' thematics: two joins
    fewer for PostgreSQL to plan."""
    today = today or timezone.localdate()
    _checked(convention, today)
    return progress.late_first(
        with_stored_progress(
            Indicator.objects.filter(progress_row__convention_id=convention.pk)
            .select_related("action_sheet")
            .only("name", "unit", "action_sheet__number")
        )
    )


def progress_by_sheet(*, convention: Convention, today: datetime.date | None = None) -> list[dict]:
    """:func:`evaluation.progress.progress_by_sheet`: the same fold, on the stored rows."""
    today = today or timezone.localdate()
    _checked(convention, today)
    return progress.sheet_summaries(
        with_stored_progress(
            Indicator.objects.filter(
                progress_row__convention_id=convention.pk, action_sheet__isnull=False
            )
        )
    )
