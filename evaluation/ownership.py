"""Whose an indicator is: the one home of the rule « an indicator belongs to the convention
of the fiche or of the objective that carries it ».

An indicator is carried by exactly one holder (the check constraint
``indicator_on_sheet_or_objective``): a fiche action or an objective, each in one
convention. The services (whose data changed, which period is locked) and the pages (which
convention a link goes to) ask here.

The querysets that filter or annotate by this rule (``evaluation.progress``,
``evaluation.validation``) say the same in SQL over the two paths
``action_sheet__convention`` and ``objective__convention``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from actions.models import ActionSheet, Objective
    from conventions.models import Convention

    from .models import Indicator


def holder_of(indicator: Indicator) -> ActionSheet | Objective:
    """The fiche or the objective carrying the indicator (no query for the objective of a
    fiche's indicator)."""
    return indicator.action_sheet if indicator.action_sheet_id else indicator.objective


def convention_id_of(indicator: Indicator) -> int:
    """The id of the indicator's convention (no query once the holder is loaded)."""
    return holder_of(indicator).convention_id


def convention_of(indicator: Indicator) -> Convention:
    """The indicator's convention (``select_related`` its holder's convention to read it
    without a query)."""
    return holder_of(indicator).convention
