"""The Synthèse: what a convention's dashboard shows, composed from every app."""

from __future__ import annotations

import datetime
from dataclasses import dataclass
from functools import cached_property

from django.utils import timezone

from actions import workflow
from actions.models import ActionSheet
from conventions import calendar
from conventions.models import Convention, Meeting
from ctg import formatting
from ctg.fragments import convention_version, digest
from evaluation import charts
from evaluation.figures import (
    funding_figure,
    progress_figure,
    sheet_status_figure,
    status_segments,
)
from evaluation.funding import funding_of, funding_year_figure
from evaluation.models import Indicator
from evaluation.readmodel import late_indicators, thematic_and_total
from evaluation.validation import Awaiting, awaiting
from reports.models import ProgressReport
from reports.selectors import reports_of

LATE_SHOWN = 8  # the late indicators listed on the Synthèse (their count is in the summary)


@dataclass
class ConventionDashboard:
    """What the Synthèse shows, each part read when first used: the page draws only the
    parts missing from the cache (``portal.views``: each kept under what it depends on).
    Every part read: a fixed number of queries (8, the values awaiting validation
    included)."""

    convention: Convention
    today: datetime.date

    @cached_property
    def sheets_by_status(self) -> list[dict]:
        return workflow.status_counts(
            self.convention.action_sheets.order_by().values_list("status", flat=True)
        )

    @cached_property
    def _progress(self) -> tuple[list[dict], dict]:
        return thematic_and_total(convention=self.convention, today=self.today)

    @property
    def thematic_progress(self) -> list[dict]:
        return self._progress[0]

    @property
    def summary(self) -> dict:
        return self._progress[1]

    @cached_property
    def late_indicators(self) -> list[Indicator]:
        return list(late_indicators(convention=self.convention, today=self.today)[:LATE_SHOWN])

    @cached_property
    def funding_totals(self) -> dict:
        """Per funder and per year (evaluation.funding.funding_of, one query)."""
        return funding_of(convention=self.convention)

    @property
    def funding(self) -> list[dict]:
        return self.funding_totals["per_funder"]

    @cached_property
    def awaiting_validation(self) -> Awaiting:
        """The values typed but not validated by the Caf yet: not counted above (one query)."""
        return awaiting(convention=self.convention)

    @cached_property
    def next_meeting(self) -> Meeting | None:
        return (
            Meeting.objects.filter(committee__convention=self.convention, date__gte=timezone.now())
            .select_related("committee")
            .order_by("date")
            .first()
        )

    @cached_property
    def pending_sheets(self) -> list[ActionSheet]:
        return list(
            workflow.with_favorable_counts(
                self.convention.action_sheets.filter(status__in=workflow.AWAITING_OPINION).only(
                    "number", "title", "version", "convention_id"
                )
            ).order_by("number")[:6]
        )

    @cached_property
    def latest_reports(self) -> list[ProgressReport]:
        return list(reports_of(convention=self.convention)[:3])

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

    @cached_property
    def funding_year_figure(self) -> charts.Figure:
        return funding_year_figure(self.funding_totals["per_year"])


def convention_dashboard(
    *, convention: Convention, today: datetime.date | None = None
) -> ConventionDashboard:
    """Everything the Synthèse tab shows (read when used, 8 queries for all of it)."""
    return ConventionDashboard(convention=convention, today=today or timezone.localdate())


def figures_version(convention: Convention, today: datetime.date) -> tuple:
    """What the Synthèse's figures depend on: the convention's own fields (``version``,
    ``updated_at``), the data of its plan (``data_version``, bumped by every write on it)
    and the day. The key of their cached rendering (ctg.fragments)."""
    return (*convention_version(convention), today.isoformat())


def activity_version(convention: Convention) -> tuple:
    """What the Synthèse's next meeting and latest reports depend on: the convention's
    activity (``activity_version``, bumped by every write on its committees, meetings,
    reports, signatories and the names of its collectivities; conventions.services
    .data_version)."""
    return (convention.pk, convention.activity_version)


def details_version(convention: Convention) -> tuple:
    """What the Synthèse's « La convention », signatories, thematics and territories depend
    on: the convention's own fields (``version``, ``updated_at``), its activity, the Caf's
    name and the convention it renews (read with the convention)."""
    previous = convention.previous
    return (
        *activity_version(convention),
        convention.version,
        convention.updated_at.isoformat(),
        digest((convention.caf.name, previous and previous.name)),
    )


def synthese_version(convention: Convention, today: datetime.date) -> tuple:
    """What the whole Synthèse tab depends on: its figures and its details. The next
    meeting's start bounds the cached rendering's life (``portal.views``)."""
    return (*figures_version(convention, today), *details_version(convention))
