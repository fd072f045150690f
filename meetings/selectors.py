"""Reads of the committee cycle, each in a fixed number of queries: the meeting of a
convention, the agenda the tool proposes and the agenda as the Caf arranged it, the
attendees, the convocations and the meeting pack.

The agenda proposes, in this order:

1. the composition of the committee (its parity, the rule of the Gouvernance screen:
   ``conventions.selectors.Parity``);
2. the progress reports produced since the committee's previous meeting (``reports``);
3. for the approving committee (``actions.workflow.approving_committee``), the fiches
   awaiting its opinion (``workflow.AWAITING_OPINION``), split between the fiches never
   validated and the new versions of validated fiches (``approved_version`` below the
   current ``version``, the rule behind ``actions.history.changes_since_approved``);
4. the late indicators (``evaluation.progress``: status ``LATE``, the one definition), of
   the group's thematic for a thematic group.

The stored points (:class:`AgendaItem`) keep the Caf's order, removals and free points;
until the agenda is frozen, proposed points follow the data (:func:`agenda_rows`).
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass, field

from django.db.models import Q
from django.http import Http404
from django.urls import reverse
from django.utils import timezone

from actions import history as fiche_history
from actions import workflow
from actions.funding import funding_totals
from actions.models import ActionSheet
from conventions import selectors as convention_selectors
from conventions.models import Committee, Convention, Meeting, Side
from ctg import formatting
from evaluation import progress, validation
from evaluation.models import Measurement
from reports.models import ProgressReport

from .models import (
    AgendaItem,
    Attendance,
    Convocation,
    MeetingDecision,
    MeetingRecord,
    ReleveSending,
)

#: The convocation's calendar event lasts this long (a meeting has a start only).
MEETING_DURATION = datetime.timedelta(hours=2)


def meeting_of(*, convention: Convention, committee_pk: int, meeting_pk: int) -> Meeting:
    """The meeting of a committee of the convention; 404 elsewhere."""
    meeting = (
        Meeting.objects.filter(
            pk=meeting_pk, committee_id=committee_pk, committee__convention=convention
        )
        .select_related("committee__convention__caf")
        .first()
    )
    if meeting is None:
        raise Http404("Réunion introuvable.")
    return meeting


def record_of(meeting: Meeting) -> MeetingRecord | None:
    return MeetingRecord.objects.filter(meeting=meeting).first()


def previous_meeting(meeting: Meeting) -> Meeting | None:
    return (
        Meeting.objects.filter(committee_id=meeting.committee_id, date__lt=meeting.date)
        .order_by("-date", "-pk")
        .first()
    )


# --------------------------------------------------------------------------- proposals


def _fiche_url(sheet: ActionSheet) -> str:
    return reverse("actions:sheet", kwargs={"pk": sheet.convention_id, "sheet_id": sheet.pk})


def proposals(
    *, meeting: Meeting, committee: Committee, today: datetime.date | None = None
) -> list[AgendaItem]:
    """The points the tool proposes for the meeting, unsaved, in their default order
    (five queries). ``committee``: the meeting's, with its governance facts (parity)."""
    convention = committee.convention
    today = today or timezone.localdate()
    items: list[AgendaItem] = []

    def add(key: str, kind: str, title: str, url: str = "", **objects) -> None:
        item = AgendaItem(meeting=meeting, key=key, kind=kind, title=title[:300], **objects)
        item.url = url
        items.append(item)

    parity = getattr(committee, "parity", None)
    if parity is not None:
        add(
            "parity",
            AgendaItem.Kind.PARITY,
            f"Composition de l'instance — {parity.message}",
            reverse("conventions:committee_detail", args=[convention.pk, committee.pk]),
        )

    previous = previous_meeting(meeting)
    reports = ProgressReport.objects.filter(
        convention=convention,
        kind=ProgressReport.Kind.PERIODIC,
        status=ProgressReport.Status.READY,
        generated_at__lt=meeting.date,
    )
    if previous is not None:
        reports = reports.filter(generated_at__gte=previous.date)
    for report in reports.order_by("period_end", "pk"):
        add(
            f"report:{report.pk}",
            AgendaItem.Kind.REPORT,
            f"{report.get_kind_display()} du {formatting.date(report.period_start)} au "
            f"{formatting.date(report.period_end)}",
            reverse("reports:report_detail", args=[convention.pk, report.pk]),
            report=report,
        )

    approving = workflow.approving_committee(convention=convention)
    if approving is not None and approving.pk == committee.pk:
        sheets = ActionSheet.objects.filter(
            convention=convention, status__in=workflow.AWAITING_OPINION
        ).order_by("number", "pk")
        changed, submitted = [], []
        for sheet in sheets:
            is_new_version = sheet.approved_version and sheet.approved_version < sheet.version
            (changed if is_new_version else submitted).append(sheet)
        for sheet in submitted:
            add(
                f"fiche:{sheet.pk}",
                AgendaItem.Kind.FICHE_SUBMITTED,
                f"Avis sur la fiche {sheet.number} — {sheet.title}",
                _fiche_url(sheet),
                fiche=sheet,
            )
        for sheet in changed:
            add(
                f"fiche:{sheet.pk}",
                AgendaItem.Kind.FICHE_CHANGED,
                f"Nouvelle version de la fiche {sheet.number} — {sheet.title} "
                f"(version {sheet.version}, modifiée depuis la version validée "
                f"{sheet.approved_version})",
                _fiche_url(sheet),
                fiche=sheet,
            )

    late = progress.indicators_of(convention=convention, today=today).filter(status=progress.LATE)
    if committee.kind == Committee.Kind.THEMATIC and committee.thematic_id:
        late = late.filter(
            Q(action_sheet__thematic_id=committee.thematic_id)
            | Q(objective__thematic_id=committee.thematic_id)
        )
    for indicator in late:
        holder = (
            indicator.action_sheet.number
            if indicator.action_sheet_id
            else (indicator.objective.title if indicator.objective_id else "")
        )
        add(
            f"indicator:{indicator.pk}",
            AgendaItem.Kind.LATE_INDICATOR,
            f"Indicateur en retard : {indicator.name}" + (f" ({holder})" if holder else ""),
            reverse(
                "evaluation:indicator",
                kwargs={"pk": convention.pk, "indicator_pk": indicator.pk},
            ),
            indicator=indicator,
        )
    return items


# --------------------------------------------------------------------------- the agenda


@dataclass
class Agenda:
    """The agenda as shown: ``rows`` in order (stored points and new proposals),
    ``removed``: the proposed points the Caf took off, ``frozen``: the record when the
    agenda no longer follows the data."""

    rows: list[AgendaItem]
    removed: list[AgendaItem] = field(default_factory=list)
    record: MeetingRecord | None = None

    @property
    def frozen(self) -> bool:
        return bool(self.record and self.record.agenda_frozen_at)


def _stored_url(item: AgendaItem, convention_id: int) -> str:
    """The link of a stored point (a frozen agenda): the fiche, indicator or report."""
    if item.fiche_id:
        return reverse("actions:sheet", kwargs={"pk": convention_id, "sheet_id": item.fiche_id})
    if item.indicator_id:
        return reverse(
            "evaluation:indicator", kwargs={"pk": convention_id, "indicator_pk": item.indicator_id}
        )
    if item.report_id:
        return reverse("reports:report_detail", args=[convention_id, item.report_id])
    return ""


def agenda_rows(
    *,
    meeting: Meeting,
    committee: Committee,
    record: MeetingRecord | None = None,
    today: datetime.date | None = None,
) -> Agenda:
    """The stored points in the Caf's order, merged with the proposals while the agenda
    follows the data: a proposed point no longer proposed drops out, its title follows the
    data, a new proposal comes at the end. Nothing is written (see
    ``services.agenda_propose``)."""
    stored = list(AgendaItem.objects.filter(meeting=meeting).order_by("position", "pk"))
    for item in stored:
        item.meeting = meeting
    agenda = Agenda(rows=[], record=record)
    if agenda.frozen:
        for item in stored:
            item.url = _stored_url(item, committee.convention_id)
            (agenda.removed if item.removed else agenda.rows).append(item)
        return agenda
    live = {item.key: item for item in proposals(meeting=meeting, committee=committee, today=today)}
    seen = set()
    for item in stored:
        seen.add(item.key)
        if item.is_free:
            item.url = ""
            agenda.rows.append(item)
            continue
        current = live.get(item.key)
        if current is None:
            continue  # no longer proposed: the data moved on
        item.title, item.kind, item.url = current.title, current.kind, current.url
        (agenda.removed if item.removed else agenda.rows).append(item)
    agenda.rows.extend(item for key, item in live.items() if key not in seen)
    return agenda


# --------------------------------------------------------------------------- attendees


def attendees(*, committee: Committee, meeting: Meeting) -> list[dict]:
    """Each member of the committee (``committee``: with its governance facts) with their
    recorded presence, Caf side first."""
    recorded = {a.member_id: a for a in Attendance.objects.filter(meeting=meeting).order_by("pk")}
    rows = []
    for member in [*committee.caf_members, *committee.territory_members]:
        attendance = recorded.get(member.pk)
        rows.append(
            {
                "member": member,
                "status": attendance.status if attendance else "",
                "label": attendance.get_status_display() if attendance else "Non renseigné",
            }
        )
    return rows


def attendance_counts(rows: list[dict]) -> dict[str, int]:
    counts = {status: 0 for status in Attendance.Status.values}
    for row in rows:
        if row["status"]:
            counts[row["status"]] += 1
    return counts


# --------------------------------------------------------------------------- convocation


def last_convocation(meeting: Meeting) -> Convocation | None:
    return (
        Convocation.objects.filter(meeting=meeting)
        .select_related("requested_by")
        .order_by("-sequence")
        .first()
    )


def meeting_pack(meeting: Meeting) -> ProgressReport | None:
    """The meeting's pack (a progress report of kind « dossier de séance »), the latest."""
    return (
        ProgressReport.objects.filter(meeting=meeting, kind=ProgressReport.Kind.MEETING_PACK)
        .order_by("-requested_at", "-pk")
        .first()
    )


def meeting_panel(*, meeting: Meeting, convention: Convention, today=None) -> dict:
    """Everything the meeting page shows about the cycle, in a fixed number of queries."""
    committee = convention_selectors.committee_of(
        convention=convention, committee_pk=meeting.committee_id
    )
    committee.convention = convention
    record = record_of(meeting)
    agenda = agenda_rows(meeting=meeting, committee=committee, record=record, today=today)
    rows = attendees(committee=committee, meeting=meeting)
    decisions = decisions_of(meeting)
    by_item = {d.agenda_item_id: d for d in decisions if d.agenda_item_id}
    for item in agenda.rows:
        item.recorded_decision = by_item.get(item.pk)
        item.decidable = item.kind in DECIDABLE_KINDS and item.fiche_id is not None
    return {
        "committee": committee,
        "record": record,
        "agenda": agenda,
        "decisions": decisions,
        "releve_sendings": releve_sendings(meeting),
        "attendees": rows,
        "attendance_counts": attendance_counts(rows),
        "unreachable": [
            row["member"]
            for row in rows
            if not (
                row["member"].user and row["member"].user.is_active and row["member"].user.email
            )
        ],
        "convocation": last_convocation(meeting),
        "pack": meeting_pack(meeting),
        "end": meeting.date + MEETING_DURATION,
    }


# --------------------------------------------------------------------------- decisions

#: The points on which the committee votes (the others get a follow-up).
DECIDABLE_KINDS = (AgendaItem.Kind.FICHE_SUBMITTED, AgendaItem.Kind.FICHE_CHANGED)


def decisions_of(meeting: Meeting) -> list[MeetingDecision]:
    """The meeting's decisions in the agenda's order (one query)."""
    return list(
        MeetingDecision.objects.filter(meeting=meeting)
        .select_related("recorded_by", "fiche")
        .order_by("position", "pk")
    )


def releve(*, meeting: Meeting, convention: Convention) -> dict:
    """What the relevé de décisions says: the meeting, its attendees per side and
    presence, each decision with the votes per side and their comments, the follow-ups."""
    committee = convention_selectors.committee_of(
        convention=convention, committee_pk=meeting.committee_id
    )
    committee.convention = convention
    rows = attendees(committee=committee, meeting=meeting)
    sides = []
    for side, label in ((Side.CAF, "Collège Caf"), (Side.TERRITORY, "Collège territoire")):
        members = [row for row in rows if row["member"].side == side]
        sides.append(
            {
                "label": label,
                "groups": [
                    {
                        "label": status_label,
                        "names": [r["member"].name for r in members if r["status"] == status],
                    }
                    for status, status_label in (
                        (Attendance.Status.PRESENT, "Présents"),
                        (Attendance.Status.EXCUSED, "Excusés"),
                        (Attendance.Status.ABSENT, "Absents"),
                    )
                ],
            }
        )
    record = record_of(meeting)
    decisions = decisions_of(meeting)
    return {
        "meeting": meeting,
        "committee": committee,
        "convention": convention,
        "caf": convention.caf,
        "sides": sides,
        "guests": record.guests if record else "",
        "attendance_counts": attendance_counts(rows),
        "decisions": decisions,
        "fiche_decisions": [d for d in decisions if d.is_fiche],
        "follow_ups": [d for d in decisions if d.follow_up],
        "end": meeting.date + MEETING_DURATION,
    }


def sent_releve(*, meeting: Meeting, sending_pk: int) -> ReleveSending:
    """A sending of the meeting's relevé with its PDF as sent; 404 elsewhere."""
    sending = (
        ReleveSending.objects.filter(meeting=meeting, pk=sending_pk).exclude(document=b"").first()
    )
    if sending is None:
        raise Http404("Relevé introuvable.")
    return sending


def releve_sendings(meeting: Meeting) -> list[ReleveSending]:
    """The sendings of the relevé, latest first (the archive on the meeting page)."""
    return list(
        ReleveSending.objects.filter(meeting=meeting)
        .select_related("requested_by")
        .defer("document")
        .order_by("-sequence")
    )


# --------------------------------------------------------------------------- the pack


def _sheets_to_decide(agenda: Agenda, convention: Convention, today) -> list[dict]:
    """One entry per fiche on the agenda for the committee's opinion, in the agenda's
    order: the fiche (its summary), its funding lines and totals (``funding_totals``, the
    fiche page's), its indicators with their progress (``evaluation.progress``) and what
    changed since its validated version (``actions.history.changes_since_approved``, the
    fiche page's reading of the history)."""
    items = [i for i in agenda.rows if i.kind in DECIDABLE_KINDS and i.fiche_id]
    if not items:
        return []
    ids = [item.fiche_id for item in items]
    sheets = {
        sheet.pk: sheet
        for sheet in ActionSheet.objects.filter(pk__in=ids, convention=convention)
        .select_related("thematic", "objective", "lead_user", "submitted_by")
        .prefetch_related("funding_lines", "other_thematics", "communes")
    }
    indicators: dict[int, list] = {}
    for indicator in progress.indicators_of(convention=convention, today=today).filter(
        action_sheet_id__in=ids
    ):
        indicator.status_label = progress.STATUS_LABELS.get(indicator.status, "")
        indicators.setdefault(indicator.action_sheet_id, []).append(indicator)
    fiches = []
    for position, item in enumerate(agenda.rows, start=1):
        sheet = sheets.get(item.fiche_id) if item.kind in DECIDABLE_KINDS else None
        if sheet is None:
            continue
        lines = sorted(sheet.funding_lines.all(), key=lambda li: (li.year, li.funder.lower()))
        fiches.append(
            {
                "item": item,
                "position": position,
                "sheet": sheet,
                "thematics": [t for t in [sheet.thematic, *sheet.other_thematics.all()] if t],
                "communes": list(sheet.communes.all()),
                "pilot": sheet.lead_user.get_full_name() if sheet.lead_user else "",
                "lines": lines,
                "totals": funding_totals(lines),
                "indicators": indicators.get(sheet.pk, []),
                "changes": fiche_history.changes_since_approved(sheet=sheet),
            }
        )
    return fiches


def _figures(*, meeting: Meeting, convention: Convention, previous: Meeting | None, today) -> dict:
    """The convention's figures now (progress per thematic and in all, the late
    indicators: ``evaluation.progress``, the one rule) and the measurements entered since
    the previous meeting (since the convention's start for a first meeting), before this
    one."""
    thematics, total = progress.progress_by_thematic_and_total(convention=convention, today=today)
    late = list(progress.late_indicators(convention=convention, today=today))
    for indicator in late:
        indicator.holder = (
            indicator.action_sheet.number
            if indicator.action_sheet_id
            else (indicator.objective.title if indicator.objective_id else "")
        )
    since = previous.date if previous is not None else None
    # The values that count (validated), as in the progress report.
    measurements = validation.counted(
        Measurement.objects.filter(
            indicator__in=progress.convention_indicators(convention), entered_at__lt=meeting.date
        )
    )
    if since is not None:
        measurements = measurements.filter(entered_at__gte=since)
    else:
        measurements = measurements.filter(date__gte=convention.start_date)
    return {
        "thematics": thematics,
        "total": total,
        "late": late,
        "since": since,
        "measurements": list(
            measurements.select_related(
                "indicator__action_sheet", "indicator__objective", "entered_by"
            ).order_by("indicator__action_sheet__number", "indicator__name", "date", "pk")
        ),
    }


def pack(*, meeting: Meeting, convention: Convention, today: datetime.date | None = None) -> dict:
    """What the dossier de séance says (``meetings.pack``): the meeting (date, time,
    place), its agenda as shown on the meeting page, the members convened with their
    presence, one entry per fiche to decide, the figures since the previous meeting and
    that meeting's relevé de décisions (:func:`releve`, the relevé's own reading).

    A fixed number of queries, plus those of ``changes_since_approved`` for each new version
    of a validated fiche on the agenda (a handful per fiche: a document, not a list)."""
    today = today or timezone.localdate()
    committee = convention_selectors.committee_of(
        convention=convention, committee_pk=meeting.committee_id
    )
    committee.convention = convention
    record = record_of(meeting)
    agenda = agenda_rows(meeting=meeting, committee=committee, record=record, today=today)
    rows = attendees(committee=committee, meeting=meeting)
    previous = previous_meeting(meeting)
    return {
        "meeting": meeting,
        "committee": committee,
        "convention": convention,
        "caf": convention.caf,
        "end": meeting.date + MEETING_DURATION,
        "agenda": agenda.rows,
        "attendees": rows,
        "attendance_counts": attendance_counts(rows),
        "guests": record.guests if record else "",
        "fiches": _sheets_to_decide(agenda, convention, today),
        "figures": _figures(meeting=meeting, convention=convention, previous=previous, today=today),
        "previous": previous,
        "previous_releve": releve(meeting=previous, convention=convention) if previous else None,
        "today": today,
    }
