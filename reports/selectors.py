"""Reads of the reports app."""

from django.db.models import QuerySet

from conventions.models import Convention

from .models import ProgressReport


def reports_of(*, convention: Convention) -> QuerySet[ProgressReport]:
    """The convention's reports, newest first, for lists: without their frozen
    snapshot (tens of kilobytes of JSON each, read only by a report's own page)."""
    return convention.reports.defer("snapshot").order_by("-period_end", "-id")
