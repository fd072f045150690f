"""The Caf's portfolio: every convention of a Caf, with its fiches validated, its
renewal, the parity of its committees and its late indicators."""

from __future__ import annotations

import datetime
from dataclasses import dataclass

from django.db.models import (
    Case,
    Count,
    F,
    FloatField,
    Func,
    IntegerField,
    Max,
    OuterRef,
    QuerySet,
    Subquery,
    Sum,
    Value,
    When,
)
from django.db.models.functions import Cast, Coalesce
from django.utils import timezone

from actions.models import ActionSheet
from actions.workflow import VALIDATED
from conventions import calendar, lifecycle
from conventions.models import Committee, CommitteeMember, Convention, Side, User
from ctg.fragments import digest
from ctg.ratios import share_pct

from . import readmodel

FLOAT = FloatField()


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


@dataclass(frozen=True)
class PortfolioState:
    """How many conventions of the portfolio in each phase, how many of them are due for
    renewal, and ``digest``: the state of every one of them (read in one query by
    :func:`portfolio_state`)."""

    by_phase: dict[str, int]
    renewal_due_by_phase: dict[str, int]
    digest: str

    @property
    def total(self) -> int:
        return sum(self.by_phase.values())

    def matching(self, *, phase: str = "", renewal: bool = False) -> int:
        """The number of rows of :func:`portfolio` with these filters."""
        counts = self.renewal_due_by_phase if renewal else self.by_phase
        return counts.get(phase, 0) if phase else sum(counts.values())


def portfolio_state(*, user: User, today: datetime.date | None = None) -> PortfolioState:
    """The portfolio's conventions counted by phase, those due for renewal (the renewal
    radar's rule, as :func:`portfolio` filters them), and a digest of what every page of
    the portfolio shows, in one query of constant size whatever the Caf's size.

    Per phase: how many, their ids summed, their versions summed — ``version`` (their own
    fields), ``data_version`` (their fiches and the progress of their indicators),
    ``activity_version`` (their committees and members; conventions.services.data_version)
    — and the latest ``updated_at``. The versions only ever grow and a new convention takes
    an id above every earlier one, so any write that changes a row of any page, its order or
    the set of rows changes a sum, a count or the latest save (with the day, the digest is
    the key of the pages' cached rendering)."""
    due = Case(
        When(lifecycle.renewal_due_condition(today or timezone.localdate()), then=Value(1)),
        default=Value(0),
        output_field=IntegerField(),
    )
    groups = (
        portfolio_scope(user=user)
        .order_by()
        .values("phase")
        .annotate(
            n=Count("pk"),
            due=Sum(due),
            ids=Sum("pk"),
            versions=Sum("version"),
            data=Sum("data_version"),
            activity=Sum("activity_version"),
            saved=Max("updated_at"),
        )
        .order_by("phase")
    )
    by_phase, renewal_due, shown = {}, {}, []
    for row in groups:
        by_phase[row["phase"]] = row["n"]
        renewal_due[row["phase"]] = row["due"] or 0
        shown.append(repr(sorted(row.items())))
    return PortfolioState(
        by_phase=by_phase,
        renewal_due_by_phase=renewal_due,
        digest=digest(shown),
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
    # The renewal radar's rule (conventions.lifecycle): signed, ending within 12 months or
    # ended, and no renewal started.
    renewal_due = lifecycle.renewal_due_condition(today)
    if renewal:
        qs = qs.filter(renewal_due)
    # Every fiche counts, as on the Synthèse and in the reports (« 5 sur 7 »).
    sheets = ActionSheet.objects.filter(convention=OuterRef("pk"))
    members = CommitteeMember.objects.filter(committee=OuterRef("pk"))
    committees = Committee.objects.filter(convention=OuterRef("pk")).annotate(
        caf_n=_count_subquery(members.filter(side=Side.CAF)),
        territory_n=_count_subquery(members.filter(side=Side.TERRITORY)),
    )
    qs = qs.annotate(
        sheet_count=_count_subquery(sheets),
        validated_count=_count_subquery(sheets.filter(status__in=VALIDATED)),
        unbalanced_committees=_count_subquery(committees.exclude(caf_n=F("territory_n"))),
        renewal_due=Case(When(renewal_due, then=Value(True)), default=Value(False)),
    ).alias(
        # Sort key only (a page shows the shares of its rows, see portfolio_page).
        validated_pct=Case(
            When(sheet_count=0, then=Value(None, output_field=FLOAT)),
            default=Cast("validated_count", FLOAT) * Value(100.0) / Cast("sheet_count", FLOAT),
            output_field=FLOAT,
        ),
    )
    if sort == "retard":
        qs = qs.alias(late_pct=_late_share(portfolio_scope(user=user), today))
    # Ended conventions still open come first, whatever the sort: their end calls for
    # the Caf's decision (evaluation, renewal).
    qs = calendar.ended_first(qs, today)
    order = PORTFOLIO_SORTS.get(sort, PORTFOLIO_SORTS["fin"])[0]
    nulls = F(order.lstrip("-"))
    if order.startswith("-"):
        return qs.order_by("-ended_open", nulls.desc(nulls_last=True), "name", "pk")
    return qs.order_by("-ended_open", nulls.asc(nulls_last=True), "name", "pk")


def _late_share(scope: QuerySet[Convention], today: datetime.date):
    """The share of a convention's indicators that are late, from the read model: only to
    sort the whole portfolio by it, so every convention of the scope is made fresh first
    (one query when all are, as after the daily refresh)."""
    readmodel.fresh(list(scope.only("pk", "start_date", "end_date", "data_version")), today=today)
    return Case(
        When(
            progress_row__indicator_count__gt=0,
            then=Cast("progress_row__late_count", FLOAT)
            * Value(100.0)
            / Cast("progress_row__indicator_count", FLOAT),
        ),
        default=Value(None, output_field=FLOAT),
        output_field=FLOAT,
    )


def portfolio_page(rows, *, today: datetime.date | None = None) -> list[Convention]:
    """The rows of a portfolio page with their indicators, how many are late (the read
    model's rows of the page, one query when fresh) and the shares, in %, of fiches
    validated and of indicators late (None when there is nothing to count)."""
    rows = list(rows)
    stored = readmodel.fresh(rows, today=today) if rows else {}
    for row in rows:
        state = stored.get(row.pk)
        row.indicator_count = state.indicator_count if state else 0
        row.late_count = state.late_count if state else 0
        row.validated_pct = share_pct(row.validated_count, row.sheet_count)
        row.late_pct = share_pct(row.late_count, row.indicator_count)
    return rows
