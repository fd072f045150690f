"""Where a convention stands in time: its one home (DOMAIN.md, "Calendar").

A convention's *phase* is what its people decided; its *time status* comes from its
own dates and the date of today:

- **not started** (``NOT_STARTED``): today is before the start date — nothing is late
  and no progress is expected yet (``evaluation.progress`` reads :func:`has_started`'s
  rule through the start date);
- **running** (``RUNNING``): between the start and the end date;
- **ending** (``ENDING``): running, and the end date falls within 12 months;
- **ended** (``ENDED``): the end date is past (the convention runs until its end
  date included).

An ended convention whose people have not moved on — still in signature or in
*mise en œuvre* — is **overdue**: it is flagged wherever it appears ("Échue depuis
le 31 décembre 2024 — évaluation et renouvellement à engager") and comes first in
the Caf's portfolio and renewal radar.

Every screen, report and e-mail reads the status from here, for one convention
(:func:`time_status`) or in a query (:func:`time_status_expression`,
:func:`overdue_condition`, :func:`ended_open_condition`).
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass

from django.db.models import BooleanField, Case, CharField, Q, QuerySet, Value, When
from django.utils import timezone

from ctg import formatting
from ctg.dates import add_months

from .models import Convention

Phase = Convention.Phase

NOT_STARTED = "not_started"
RUNNING = "running"
ENDING = "ending"
ENDED = "ended"

LABELS = {
    NOT_STARTED: "Pas encore commencée",
    RUNNING: "En cours",
    ENDING: "Échéance dans les 12 mois",
    ENDED: "Échue",
}

ENDING_MONTHS = 12  # "ending": the end date falls within this many months
NOTICE_MONTHS = 6  # the Caf staff is told of a convention ending within this many months
# Phases in which an ended convention is overdue: its evaluation and renewal are to engage.
OVERDUE_PHASES = (Phase.SIGNATURE, Phase.IMPLEMENTATION)
# Phases after which a convention's calendar no longer calls for anything.
SETTLED_PHASES = (Phase.CLOSED, Phase.RENEWED)


def notice_limit(today: datetime.date) -> datetime.date:
    """The last end date the Caf staff is told of on ``today`` (see services.deadline)."""
    return add_months(today, NOTICE_MONTHS)


def ending_limit(today: datetime.date) -> datetime.date:
    """The last end date that counts as "ending" on ``today``."""
    return add_months(today, ENDING_MONTHS)


def status_code(*, start: datetime.date, end: datetime.date, today: datetime.date) -> str:
    if today < start:
        return NOT_STARTED
    if today > end:
        return ENDED
    if end <= ending_limit(today):
        return ENDING
    return RUNNING


def overdue_message(end: datetime.date) -> str:
    return f"Échue depuis le {formatting.date(end)} — évaluation et renouvellement à engager"


@dataclass(frozen=True)
class TimeStatus:
    code: str
    start: datetime.date
    end: datetime.date
    today: datetime.date
    phase: str

    @property
    def label(self) -> str:
        return LABELS[self.code]

    @property
    def not_started(self) -> bool:
        return self.code == NOT_STARTED

    @property
    def ended(self) -> bool:
        return self.code == ENDED

    @property
    def ending(self) -> bool:
        return self.code == ENDING

    @property
    def overdue(self) -> bool:
        """Ended while still in signature or in mise en œuvre."""
        return self.ended and self.phase in OVERDUE_PHASES

    @property
    def days_to_start(self) -> int:
        return max(0, (self.start - self.today).days)

    @property
    def days_left(self) -> int:
        return max(0, (self.end - self.today).days)

    @property
    def message(self) -> str:
        """The sentence shown beside the phase, in French."""
        if self.overdue:
            return overdue_message(self.end)
        if self.ended:
            return f"Échue depuis le {formatting.date(self.end)}"
        if self.not_started:
            return f"Pas encore commencée : elle débute le {formatting.date(self.start)}"
        if self.ending:
            return f"S'achève le {formatting.date(self.end)}"
        return f"En cours jusqu'au {formatting.date(self.end)}"


def time_status(convention: Convention, today: datetime.date | None = None) -> TimeStatus:
    """Where ``convention`` stands in time on ``today`` (no query)."""
    today = today or timezone.localdate()
    return TimeStatus(
        code=status_code(start=convention.start_date, end=convention.end_date, today=today),
        start=convention.start_date,
        end=convention.end_date,
        today=today,
        phase=convention.phase,
    )


def has_started(convention: Convention, today: datetime.date | None = None) -> bool:
    return not time_status(convention, today).not_started


# --- the same rule in a query ---------------------------------------------------------------


def time_status_expression(today: datetime.date | None = None, prefix: str = "") -> Case:
    """The time status code of a convention (``prefix``: the path to it, e.g.
    ``"convention__"``) as a SQL expression."""
    today = today or timezone.localdate()
    start, end = f"{prefix}start_date", f"{prefix}end_date"
    return Case(
        When(**{f"{start}__gt": today}, then=Value(NOT_STARTED)),
        When(**{f"{end}__lt": today}, then=Value(ENDED)),
        When(**{f"{end}__lte": ending_limit(today)}, then=Value(ENDING)),
        default=Value(RUNNING),
        output_field=CharField(),
    )


def overdue_condition(today: datetime.date | None = None) -> Q:
    """Ended conventions still in signature or in mise en œuvre."""
    today = today or timezone.localdate()
    return Q(end_date__lt=today, phase__in=OVERDUE_PHASES)


def ended_open_condition(today: datetime.date | None = None) -> Q:
    """Ended conventions neither closed nor renewed: their end calls for a decision."""
    today = today or timezone.localdate()
    return Q(end_date__lt=today) & ~Q(phase__in=SETTLED_PHASES)


def ended_first(qs: QuerySet[Convention], today: datetime.date | None = None) -> QuerySet:
    """``qs`` annotated with ``ended_open`` (True for an ended convention still open),
    to be ordered by it first."""
    return qs.annotate(
        ended_open=Case(
            When(ended_open_condition(today), then=Value(True)),
            default=Value(False),
            output_field=BooleanField(),
        )
    )
