"""Reads of the publication app: which convention an address names, and what of it is
public (a fixed number of queries whatever the size of the plan).

What is public (decided here once, for the page and the open-data files alike):

- the fiches that went through the committee's approval (``actions.workflow.VALIDATED``:
  validated, in progress, done), never drafts, submitted fiches or fiches to review nor
  abandoned ones; their pilot as an organisation (``ActionSheet.lead``), never the pilot's
  account;
- the indicators of these fiches and of the objectives, with their progress and late flag
  from ``evaluation.progress`` (the Synthèse's rule), and their measurements (date and
  value, never the comment nor who typed it);
- the funding lines of these fiches.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass

from django.db.models import Prefetch, Q
from django.utils import timezone

from actions import workflow
from actions.funding import funding_totals
from actions.models import ActionSheet, FundingLine
from conventions.models import Collectivity, Convention, Thematic, User
from conventions.permissions import conventions_visible_to
from evaluation.models import Indicator, Measurement
from evaluation.progress import indicators_of
from evaluation.validation import counted
from reports.models import ProgressReport
from reports.selectors import reports_of

from .models import Publication

ADDRESS_MAX = 64


def publication_of(*, convention: Convention) -> Publication | None:
    return Publication.objects.filter(convention=convention).first()


def publication_at(address: str) -> Publication | None:
    """The publication whose public address (in its chosen mode) is ``address``."""
    if not address or len(address) > ADDRESS_MAX:
        return None
    return (
        Publication.objects.select_related("convention", "convention__caf")
        .filter(
            Q(mode=Publication.Mode.TOKEN, token=address)
            | Q(mode=Publication.Mode.SLUG, slug=address)
        )
        .order_by("pk")
        .first()
    )


def may_preview(user: User, publication: Publication) -> bool:
    """Whoever sees the convention in the application sees its public page and files
    before they are published (a preview, never indexed)."""
    if not user.is_authenticated:
        return False
    return conventions_visible_to(user).filter(pk=publication.convention_id).exists()


@dataclass
class PublicPlan:
    convention: Convention
    today: datetime.date
    sheets: list[ActionSheet]
    indicators: list[Indicator]
    measurements: list[Measurement]

    @property
    def sheets_by_id(self) -> dict[int, ActionSheet]:
        return {s.pk: s for s in self.sheets}

    def sheets_with_budget(self) -> list[tuple[ActionSheet, dict]]:
        """Each fiche with its funding totals (``actions.funding.funding_totals``)."""
        return [(s, funding_totals(list(s.funding_lines.all()))) for s in self.sheets]


def public_sheets(convention: Convention):
    return (
        ActionSheet.objects.filter(convention=convention, status__in=workflow.VALIDATED)
        .select_related("thematic", "objective")
        .prefetch_related(
            Prefetch("other_thematics", queryset=Thematic.objects.order_by("order", "label")),
            Prefetch("communes", queryset=Collectivity.objects.order_by("name", "pk")),
            Prefetch(
                "funding_lines", queryset=FundingLine.objects.order_by("year", "funder", "pk")
            ),
        )
        .order_by("number", "pk")
    )


def public_plan(*, convention: Convention, today: datetime.date | None = None) -> PublicPlan:
    """The public part of the plan (see the module docstring), in 7 queries."""
    today = today or timezone.localdate()
    sheets = list(public_sheets(convention))
    indicators = list(
        indicators_of(convention=convention, today=today).filter(
            Q(action_sheet__isnull=True) | Q(action_sheet__status__in=workflow.VALIDATED)
        )
    )
    measurements = list(
        counted(Measurement.objects.filter(indicator__in=[i.pk for i in indicators]))
        .select_related("indicator", "source_import")
        .order_by("indicator_id", "date", "pk")
    )
    return PublicPlan(
        convention=convention,
        today=today,
        sheets=sheets,
        indicators=indicators,
        measurements=measurements,
    )


def public_organisations(convention: Convention) -> list[str]:
    """The signatories' organisations (never their representatives' names)."""
    seen: list[str] = []
    for signatory in convention.signatories.select_related("collectivity", "caf").order_by(
        "order", "id"
    ):
        name = signatory.organisation_name
        if name and name not in seen:
            seen.append(name)
    return seen


def last_public_report(convention: Convention) -> ProgressReport | None:
    """The latest progress report produced (not a meeting pack: those are the committees')."""
    return (
        reports_of(convention=convention)
        .filter(kind=ProgressReport.Kind.PERIODIC, status=ProgressReport.Status.READY)
        .first()
    )


def territories_of(convention: Convention) -> list[Collectivity]:
    return list(convention.territories.order_by("kind", "name", "pk"))


def thematics_of(convention: Convention) -> list[Thematic]:
    return list(convention.thematics.order_by("order", "label"))
