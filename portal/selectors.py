"""The Synthèse: what a convention's dashboard shows, composed from every app."""

from __future__ import annotations

import datetime
from dataclasses import dataclass, field
from functools import cached_property

from django.utils import timezone

from actions import workflow
from actions.models import ActionSheet
from conventions import calendar
from conventions.models import Convention, Meeting
from ctg import formatting
from evaluation import charts
from evaluation.figures import (
    funding_figure,
    progress_figure,
    sheet_status_figure,
    status_segments,
)
from evaluation.funding import funding_by_funder
from evaluation.models import Indicator
from evaluation.progress import indicators_of, late_first, progress_by_thematic_and_total
from reports.models import ProgressReport
from reports.selectors import reports_of

LATE_SHOWN = 8  # the late indicators listed on the Synthèse (their count is in the summary)


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

    @cached_property
    def time(self) -> calendar.TimeStatus:
        """Where the convention stands in time (conventions.calendar)."""
        return calendar.time_status(self.convention, self.today)

    @property
    def elapsed_pct(self) -> float:
        return self.convention.elapsed_share(self.today) * 100

    @property
    def sheet_count(self) -> int:
        return sum(row["count"] for row in self.sheets_by_status)

    @property
    def validated_count(self) -> int:
        return sum(r["count"] for r in self.sheets_by_status if r["status"] in workflow.VALIDATED)

    @cached_property
    def period_figure(self) -> charts.Figure:
        return charts.progress_bar(
            self.elapsed_pct, title=f"Temps écoulé : {formatting.percent(self.elapsed_pct)}"
        )

    @cached_property
    def sheets_figure(self) -> charts.Figure:
        return sheet_status_figure(
            self.sheets_by_status, title="Fiches action par statut", width=440
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
        return funding_figure(self.funding, title="Financements : dépensé sur prévu, par financeur")


def convention_dashboard(
    *, convention: Convention, today: datetime.date | None = None
) -> ConventionDashboard:
    """Everything the Synthèse tab shows, in a fixed number of queries (7)."""
    today = today or timezone.localdate()
    sheets_by_status = workflow.status_counts(
        convention.action_sheets.order_by().values_list("status", flat=True)
    )
    indicators = indicators_of(convention=convention, today=today)
    late = list(late_first(indicators)[:LATE_SHOWN])
    funding = funding_by_funder(convention=convention)
    next_meeting = (
        Meeting.objects.filter(committee__convention=convention, date__gte=timezone.now())
        .select_related("committee")
        .order_by("date")
        .first()
    )
    pending = list(
        workflow.with_favorable_counts(
            convention.action_sheets.filter(status__in=workflow.AWAITING_OPINION)
        ).order_by("number")[:6]
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
