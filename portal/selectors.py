"""The Synthèse: what a convention's dashboard shows, composed from every app."""

from __future__ import annotations

import datetime
from dataclasses import dataclass, field
from decimal import Decimal
from functools import cached_property

from django.db.models import Count, F, Q, Sum
from django.utils import timezone

from actions.models import ActionSheet, Approval, FundingLine
from conventions.models import Convention, Meeting, Side
from evaluation import charts
from evaluation.models import Indicator
from evaluation.selectors import (
    LATE,
    SHEET_STATUS_COLORS,
    VALIDATED_STATUSES,
    indicators_of,
    progress_by_thematic_and_total,
    progress_figure,
    status_segments,
)
from reports.models import ProgressReport
from reports.selectors import reports_of


@dataclass
class ConventionDashboard:
    convention: Convention
    today: datetime.date
    sheets_by_status: list[dict]
    thematic_progress: list[dict]
    summary: dict
    late_indicators: list[Indicator]
    funding: list[dict]
    next_meeting: Meeting | None
    pending_sheets: list[ActionSheet]
    latest_reports: list[ProgressReport]
    extra: dict = field(default_factory=dict)

    @property
    def elapsed_pct(self) -> float:
        return round(self.convention.elapsed_share(self.today) * 100, 1)

    @property
    def days_left(self) -> int:
        return max(0, (self.convention.end_date - self.today).days)

    @property
    def sheet_count(self) -> int:
        return sum(row["count"] for row in self.sheets_by_status)

    @property
    def validated_count(self) -> int:
        return sum(r["count"] for r in self.sheets_by_status if r["status"] in VALIDATED_STATUSES)

    @cached_property
    def period_figure(self) -> charts.Figure:
        return charts.progress_bar(
            self.elapsed_pct, title=f"Temps écoulé : {charts.fmt_percent(self.elapsed_pct)}"
        )

    @cached_property
    def sheets_figure(self) -> charts.Figure:
        return charts.stacked_bar(
            [
                charts.Segment(row["label"], row["count"], SHEET_STATUS_COLORS[row["status"]])
                for row in self.sheets_by_status
            ],
            title="Fiches action par statut",
            width=440,
        )

    @cached_property
    def status_figure(self) -> charts.Figure:
        return charts.stacked_bar(
            status_segments(self.summary), title="Indicateurs par état d'avancement", width=440
        )

    @cached_property
    def thematic_figure(self) -> charts.Figure:
        return progress_figure(self.thematic_progress, title="Progression moyenne par thématique")

    @cached_property
    def funding_figure(self) -> charts.Figure:
        return charts.budget_chart(
            [
                charts.Budget(
                    row["funder"], row["planned"] or Decimal(0), row["spent"] or Decimal(0)
                )
                for row in self.funding
            ],
            title="Financements : dépensé sur prévu, par financeur",
        )


def convention_dashboard(
    *, convention: Convention, today: datetime.date | None = None
) -> ConventionDashboard:
    """Everything the Synthèse tab shows, in a fixed number of queries (7)."""
    today = today or timezone.localdate()
    labels = dict(ActionSheet.Status.choices)
    counts = dict(
        convention.action_sheets.order_by()
        .values_list("status")
        .annotate(n=Count("pk"))
        .values_list("status", "n")
    )
    sheets_by_status = [
        {"status": status, "label": labels[status], "count": counts.get(status, 0)}
        for status in ActionSheet.Status.values
    ]
    indicators = indicators_of(convention=convention, today=today)
    late = list(indicators.filter(status=LATE).order_by("schedule_gap", "id")[:8])
    funding = list(
        FundingLine.objects.filter(sheet__convention=convention)
        .order_by()
        .values("funder")
        .annotate(planned=Sum("planned_amount"), spent=Sum("spent_amount"))
        .order_by("-planned", "funder")
    )
    next_meeting = (
        Meeting.objects.filter(committee__convention=convention, date__gte=timezone.now())
        .select_related("committee")
        .order_by("date")
        .first()
    )
    pending = list(
        convention.action_sheets.filter(status=ActionSheet.Status.SUBMITTED)
        .annotate(
            caf_favorable=Count(
                "approvals",
                filter=Q(
                    approvals__version=F("version"),
                    approvals__decision=Approval.Decision.FAVORABLE,
                    approvals__member__side=Side.CAF,
                ),
            ),
            territory_favorable=Count(
                "approvals",
                filter=Q(
                    approvals__version=F("version"),
                    approvals__decision=Approval.Decision.FAVORABLE,
                    approvals__member__side=Side.TERRITORY,
                ),
            ),
        )
        .order_by("number")[:6]
    )
    thematic_progress, summary = progress_by_thematic_and_total(convention=convention, today=today)
    return ConventionDashboard(
        convention=convention,
        today=today,
        sheets_by_status=sheets_by_status,
        thematic_progress=thematic_progress,
        summary=summary,
        late_indicators=late,
        funding=funding,
        next_meeting=next_meeting,
        pending_sheets=pending,
        latest_reports=list(reports_of(convention=convention)[:3]),
    )
