"""Reads of evidence: one piece within a convention (for its download and removal), the
pieces of a fiche, those that the annex of a progress report names."""

from __future__ import annotations

import datetime

from django.db.models import Q, QuerySet
from django.utils import timezone

from conventions.models import Convention
from ctg import formatting

from .models import Evidence


def evidence_of(*, convention: Convention, pk: int) -> Evidence | None:
    """A piece of evidence of this convention (``None``: none, or another convention's)."""
    return (
        Evidence.objects.filter(convention=convention, pk=pk)
        .select_related("measurement__indicator", "observation", "action_sheet", "uploaded_by")
        .first()
    )


def evidence_of_sheet(*, sheet) -> QuerySet[Evidence]:
    """The pieces of a fiche action, oldest first, in one query."""
    return Evidence.objects.filter(action_sheet=sheet)


def evidence_for_report(
    *, convention: Convention, start: datetime.date, end: datetime.date
) -> list[dict]:
    """The annex of a progress report, by name: the pieces of the measurements and
    observations dated in the period, and of the fiches (added by the end of the period);
    one query."""
    end_moment = timezone.make_aware(
        datetime.datetime.combine(end + datetime.timedelta(days=1), datetime.time.min)
    )
    pieces = (
        Evidence.objects.filter(convention=convention)
        .filter(
            Q(measurement__date__gte=start, measurement__date__lte=end)
            | Q(observation__date__gte=start, observation__date__lte=end)
            | Q(action_sheet__isnull=False, uploaded_at__lt=end_moment)
        )
        .select_related(
            "measurement__indicator__action_sheet",
            "observation__marker__change",
            "action_sheet",
            "uploaded_by",
        )
        .order_by("uploaded_at", "pk")
    )
    return [_annex_row(piece) for piece in pieces]


def _annex_row(piece: Evidence) -> dict:
    if piece.measurement_id:
        indicator = piece.measurement.indicator
        fiche = indicator.action_sheet.number if indicator.action_sheet_id else ""
        about = f"Mesure du {formatting.date_short(piece.measurement.date)} — {indicator.name}"
    elif piece.observation_id:
        fiche = ""
        about = (
            f"Observation du {formatting.date_short(piece.observation.date)} — "
            f"{piece.observation.marker.change.title}"
        )
    else:
        fiche = piece.action_sheet.number
        about = f"Fiche {piece.action_sheet.number} — {piece.action_sheet.title}"
    return {
        "title": piece.title,
        "name": piece.original_name if piece.file else piece.url,
        "is_link": piece.is_link,
        "fiche": fiche,
        "about": about,
        "added": timezone.localdate(piece.uploaded_at).isoformat(),
        "by": str(piece.uploaded_by) if piece.uploaded_by else "",
    }
