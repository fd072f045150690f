"""Reads for the evaluation pages."""

from __future__ import annotations

from django.db.models import OuterRef, Q, QuerySet, Subquery

from conventions.models import Convention

from .models import Indicator, Measurement, ProgressReport


def indicators_of(*, convention: Convention) -> QuerySet[Indicator]:
    """Indicators on the convention's fiches and objectives, with their last measurement."""
    last = Measurement.objects.filter(indicator=OuterRef("pk")).order_by("-date")
    return (
        Indicator.objects.filter(
            Q(action_sheet__convention=convention) | Q(objective__convention=convention)
        )
        .select_related("action_sheet", "objective")
        .annotate(
            last_value=Subquery(last.values("value")[:1]),
            last_date=Subquery(last.values("date")[:1]),
        )
        .order_by("action_sheet__number", "objective__title", "id")
    )


def reports_of(*, convention: Convention) -> QuerySet[ProgressReport]:
    return convention.reports.order_by("-period_end", "-id")
