"""The data version of a convention: the key of the cached rendering of its figures.

Every write that changes what the Synthèse's figures show — a fiche, its funding lines and
indicators, an objective, a measurement — calls :func:`convention_data_changed` inside its
own transaction, before it locks anything else (so that every writer locks the convention
first: no deadlock between a fiche's edit and a plan import). The cached rendering is keyed
by the version (``portal.views``), so a committed write is seen by the next view and a
rolled-back one changes nothing. The convention's own fields (dates, phase, thematics) bump
``Convention.version`` already, which is part of the key too.

What the convention's pages show besides its figures — its meetings and committees, its
progress reports — has a version of its own, bumped by :func:`convention_activity_changed`
in the transaction of every write on them: the key of those blocks' cached rendering, so that
a meeting moved or a report built is seen on the next view without drawing the figures again.
"""

from __future__ import annotations

from django.db.models import F

from ..models import Convention


def convention_data_changed(*, convention_id: int) -> None:
    """Mark the convention's figures as changed (call inside the write's transaction)."""
    Convention.objects.filter(pk=convention_id).update(data_version=F("data_version") + 1)


def convention_activity_changed(*, convention_id: int) -> None:
    """Mark the convention's meetings, committees or reports as changed (call inside the
    write's transaction)."""
    Convention.objects.filter(pk=convention_id).update(activity_version=F("activity_version") + 1)


def caf_activity_changed(*, caf_id: int) -> None:
    """Mark the activity of every convention of a Caf as changed: its collectivities'
    referential (names, EPCI of each commune), shown on every convention of the Caf,
    changed (call inside the write's transaction)."""
    Convention.objects.filter(caf_id=caf_id).update(activity_version=F("activity_version") + 1)
