"""Reads for the action plan pages."""

from __future__ import annotations

from django.db.models import QuerySet

from conventions.models import Convention

from .models import ActionSheet, Objective


def objectives_of(*, convention: Convention) -> QuerySet[Objective]:
    return convention.objectives.select_related("thematic", "parent").order_by(
        "thematic__order", "level", "title"
    )


def action_sheets_of(*, convention: Convention) -> QuerySet[ActionSheet]:
    return convention.action_sheets.select_related("thematic", "objective").order_by("number")
