"""The data version of a convention: the key of the cached rendering of its figures.

Every write that changes what the Synthèse's figures show — a fiche, its funding lines and
indicators, an objective, a measurement — calls :func:`convention_data_changed` inside its
own transaction, before it locks anything else (so that every writer locks the convention
first: no deadlock between a fiche's edit and a plan import). The cached rendering is keyed
by the version (``portal.views``), so a committed write is seen by the next view and a
rolled-back one changes nothing. The convention's own fields (dates, phase, thematics) bump
``Convention.version`` already, which is part of the key too.
"""

from __future__ import annotations

from django.db.models import F

from ..models import Convention


def convention_data_changed(*, convention_id: int) -> None:
    """Mark the convention's figures as changed (call inside the write's transaction)."""
    Convention.objects.filter(pk=convention_id).update(data_version=F("data_version") + 1)
