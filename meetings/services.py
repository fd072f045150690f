"""Writes of the committee cycle: attendees, the agenda (proposed by the tool, arranged by
the Caf), the convocation.

Every service is keyword-only, runs in one transaction and locks the meeting's
:class:`MeetingRecord` first, so two clicks on the same meeting run one after the other.
The views check who may call them (``access.can_edit_convention``: the Caf's staff).
"""

from __future__ import annotations

import datetime
import logging
import uuid
from email.mime.text import MIMEText

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.urls import reverse
from django.utils import timezone

from actions import services as action_services
from actions import workflow
from actions.models import ActionSheet, Approval
from conventions import selectors as convention_selectors
from conventions.models import CommitteeMember, Meeting, Side, User
from ctg import formatting

# Module imports, looked up at call time: the task calls these services back.
from . import ical, mailing, pack, releve, selectors, tasks
from .models import (
    AgendaItem,
    Attendance,
    Convocation,
    MeetingDecision,
    MeetingPack,
    MeetingRecord,
    ReleveSending,
)

logger = logging.getLogger(__name__)

#: A second « Envoyer la convocation » with nothing changed within this delay is a double
#: click: nothing is sent again.
RESEND_WINDOW = datetime.timedelta(minutes=10)

UP, DOWN = "up", "down"

NOT_ON_AGENDA = "Ce point ne figure plus à l'ordre du jour : la page a été actualisée."
NO_RECIPIENT = (
    "Aucun membre de l'instance n'a de compte actif avec une adresse e-mail : personne à "
    "convoquer. Invitez les membres depuis l'onglet Gouvernance."
)


def _record_locked(meeting: Meeting) -> MeetingRecord:
    """The meeting's record, created if needed and locked until the transaction ends."""
    MeetingRecord.objects.get_or_create(meeting=meeting)
    return MeetingRecord.objects.select_for_update().get(meeting=meeting)


def _committee(meeting: Meeting):
    convention = meeting.committee.convention
    committee = convention_selectors.committee_of(
        convention=convention, committee_pk=meeting.committee_id
    )
    committee.convention = convention
    return committee


# --------------------------------------------------------------------------- the agenda


def agenda_propose(*, meeting: Meeting, today: datetime.date | None = None) -> selectors.Agenda:
    """Store the agenda as shown (:func:`selectors.agenda_rows`): new proposals saved at
    the end, points no longer proposed deleted, positions 1, 2, 3… A frozen agenda is
    stored as it is. Returns the agenda."""
    with transaction.atomic():
        record = _record_locked(meeting)
        agenda = selectors.agenda_rows(
            meeting=meeting, committee=_committee(meeting), record=record, today=today
        )
        kept = agenda.rows + agenda.removed
        if not agenda.frozen:
            AgendaItem.objects.filter(meeting=meeting).exclude(
                key__in=[item.key for item in kept]
            ).delete()
        for position, item in enumerate(kept, start=1):
            item.position = position
            if item.pk is None:
                item.full_clean()
                item.save()
            else:
                item.save(update_fields=["position", "title", "kind"])
    return agenda


def _find(items: list[AgendaItem], key: str) -> int:
    for index, item in enumerate(items):
        if item.key == key:
            return index
    raise ValidationError(NOT_ON_AGENDA)


def agenda_item_move(*, meeting: Meeting, key: str, direction: str, by: User) -> AgendaItem:
    """Move a point one place up or down (the first stays first, the last stays last)."""
    if direction not in (UP, DOWN):
        raise ValidationError("Sens de déplacement inconnu.")
    with transaction.atomic():
        rows = agenda_propose(meeting=meeting).rows
        index = _find(rows, key)
        other = index - 1 if direction == UP else index + 1
        item = rows[index]
        if 0 <= other < len(rows):
            neighbour = rows[other]
            item.position, neighbour.position = neighbour.position, item.position
            item.save(update_fields=["position"])
            neighbour.save(update_fields=["position"])
    return item


def agenda_item_add(*, meeting: Meeting, title: str, note: str = "", by: User) -> AgendaItem:
    """Add a free point at the end of the agenda."""
    with transaction.atomic():
        agenda = agenda_propose(meeting=meeting)
        item = AgendaItem(
            meeting=meeting,
            key=f"free:{uuid.uuid4().hex[:16]}",
            kind=AgendaItem.Kind.FREE,
            title=(title or "").strip(),
            note=(note or "").strip(),
            position=len(agenda.rows) + len(agenda.removed) + 1,
        )
        item.full_clean()
        item.save()
    return item


def agenda_item_remove(*, meeting: Meeting, key: str, by: User) -> AgendaItem:
    """Take a point off the agenda: a free point is deleted, a proposed point is set
    aside (it is no longer proposed, and can be put back)."""
    with transaction.atomic():
        rows = agenda_propose(meeting=meeting).rows
        item = rows[_find(rows, key)]
        if item.is_free:
            item.delete()
        else:
            item.removed = True
            item.save(update_fields=["removed"])
    return item


def agenda_item_restore(*, meeting: Meeting, key: str, by: User) -> AgendaItem:
    """Put a proposed point taken off back, at the end of the agenda."""
    with transaction.atomic():
        agenda = agenda_propose(meeting=meeting)
        item = agenda.removed[_find(agenda.removed, key)]
        item.removed = False
        item.position = len(agenda.rows) + len(agenda.removed) + 1
        item.save(update_fields=["removed", "position"])
    return item


def agenda_freeze(*, meeting: Meeting, by: User) -> MeetingRecord:
    """« Figer l'ordre du jour »: the agenda keeps its points and titles as they are now."""
    with transaction.atomic():
        agenda_propose(meeting=meeting)
        record = _record_locked(meeting)
        if not record.agenda_frozen_at:
            record.agenda_frozen_at = timezone.now()
            record.agenda_frozen_by = by
            record.save(update_fields=["agenda_frozen_at", "agenda_frozen_by"])
    return record


def agenda_unfreeze(*, meeting: Meeting, by: User) -> MeetingRecord:
    """The agenda follows the data again (its order and free points are kept)."""
    with transaction.atomic():
        record = _record_locked(meeting)
        record.agenda_frozen_at = None
        record.agenda_frozen_by = None
        record.save(update_fields=["agenda_frozen_at", "agenda_frozen_by"])
    return record


# --------------------------------------------------------------------------- attendees


def attendance_record(
    *, meeting: Meeting, statuses: dict[int, str], guests: str = "", by: User
) -> int:
    """Record who was present, excused or absent (``""`` clears a member's line) and the
    guests; members of other committees are refused. Returns the number of lines kept."""
    members = set(
        CommitteeMember.objects.filter(committee_id=meeting.committee_id).values_list(
            "pk", flat=True
        )
    )
    unknown = [pk for pk in statuses if pk not in members]
    if unknown:
        raise ValidationError("Une des personnes n'est pas membre de cette instance.")
    invalid = [s for s in statuses.values() if s and s not in Attendance.Status.values]
    if invalid:
        raise ValidationError("Présence inconnue : choisissez présent, excusé ou absent.")
    with transaction.atomic():
        record = _record_locked(meeting)
        record.guests = (guests or "").replace("\x00", "").strip()
        record.full_clean()
        record.save(update_fields=["guests"])
        now = timezone.now()
        for member_id, status in statuses.items():
            if not status:
                Attendance.objects.filter(meeting=meeting, member_id=member_id).delete()
                continue
            Attendance.objects.update_or_create(
                meeting=meeting,
                member_id=member_id,
                defaults={"status": status, "recorded_by": by, "recorded_at": now},
            )
        return Attendance.objects.filter(meeting=meeting).count()


# --------------------------------------------------------------------------- convocation

FIRST, RESENT, RESENT_CHANGED, DUPLICATE = "first", "resent", "resent_changed", "duplicate"
CHANGE_LABELS = (("start", "date ou heure"), ("location", "lieu"), ("agenda", "ordre du jour"))


def convocation_recipients(meeting: Meeting) -> list[CommitteeMember]:
    """Members of the meeting's committee whom an e-mail reaches, once per address."""
    return convention_selectors.reachable_members(
        CommitteeMember.objects.filter(committee_id=meeting.committee_id)
    )


def convocation_content(meeting: Meeting, agenda: selectors.Agenda) -> dict:
    return {
        "start": meeting.date.astimezone(datetime.UTC).isoformat(),
        "location": meeting.location,
        "agenda": [{"title": item.title, "note": item.note} for item in agenda.rows],
    }


def convocation_send(
    *, meeting: Meeting, by: User, now: datetime.datetime | None = None
) -> tuple[Convocation, str]:
    """Record a sending of the convocation and queue its e-mails after the commit.

    Returns the convocation and what happened: :data:`FIRST`, :data:`RESENT` (nothing
    changed, after the double-click window), :data:`RESENT_CHANGED` (``changes`` says
    what), or :data:`DUPLICATE` (the same convocation within :data:`RESEND_WINDOW`:
    nothing is sent, the previous one is returned)."""
    now = now or timezone.now()
    with transaction.atomic():
        agenda = agenda_propose(meeting=meeting)
        _record_locked(meeting)
        recipients = convocation_recipients(meeting)
        if not recipients:
            raise ValidationError(NO_RECIPIENT)
        content = convocation_content(meeting, agenda)
        last = Convocation.objects.filter(meeting=meeting).order_by("-sequence").first()
        if (
            last is not None
            and last.status != Convocation.Status.FAILED
            and last.content == content
            and now - last.requested_at < RESEND_WINDOW
        ):
            return last, DUPLICATE
        changes = ""
        if last is not None:
            changes = ", ".join(
                label for name, label in CHANGE_LABELS if last.content.get(name) != content[name]
            )
        convocation = Convocation(
            meeting=meeting,
            sequence=(last.sequence + 1) if last else 1,
            content=content,
            changes=changes,
            requested_by=by,
            requested_at=now,
            recipient_count=len(recipients),
        )
        convocation.full_clean()
        convocation.save()
        transaction.on_commit(lambda: _enqueue(convocation.pk))
    if last is None:
        return convocation, FIRST
    return convocation, RESENT_CHANGED if changes else RESENT


def _enqueue(convocation_id: int) -> None:
    """Hand the sending to the broker; if it is away (or, in-process, the mail server
    failed: the convocation is then marked « en échec »), the page still answers."""
    try:
        tasks.send_convocation.apply_async((convocation_id,), ignore_result=True)
    except Exception:  # noqa: BLE001 - the row keeps the state, the page says it
        logger.warning("Convocation %s not sent", convocation_id, exc_info=True)


def _absolute(path: str) -> str:
    return settings.SITE_URL.rstrip("/") + path


def meeting_url(meeting: Meeting) -> str:
    return _absolute(
        reverse(
            "conventions:meeting_detail",
            kwargs={
                "pk": meeting.committee.convention_id,
                "committee_pk": meeting.committee_id,
                "meeting_pk": meeting.pk,
            },
        )
    )


def pack_url(meeting: Meeting) -> str:
    """The meeting's dossier de séance (PDF), built from the data when it is opened."""
    return _absolute(
        reverse(
            "meetings:pack_pdf",
            kwargs={
                "pk": meeting.committee.convention_id,
                "committee_pk": meeting.committee_id,
                "meeting_pk": meeting.pk,
            },
        )
    )


def pack_build(*, meeting: Meeting, today: datetime.date | None = None) -> MeetingPack:
    """The meeting's dossier de séance as a PDF, built once per content: the HTML is
    composed from the data (:func:`meetings.pack.render_html`) and the PDF stored with
    its digest is returned while the HTML has not changed; otherwise the PDF is rendered
    and stored in its place."""
    convention = meeting.committee.convention
    html = pack.render_html(meeting=meeting, convention=convention, today=today)
    digest = pack.digest(html)
    stored = MeetingPack.objects.filter(meeting=meeting).first()
    if stored is not None and stored.digest == digest:
        return stored
    document = pack.render_pdf(html)
    with transaction.atomic():
        stored, _ = MeetingPack.objects.update_or_create(
            meeting=meeting,
            defaults={"digest": digest, "document": document, "built_at": timezone.now()},
        )
    return stored


def calendar_text(
    *, meeting: Meeting, content: dict, sequence: int, method: str = "REQUEST", now=None
) -> str:
    """The convocation's ``.ics`` (``sequence``: 0 for the first sending)."""
    start = datetime.datetime.fromisoformat(content["start"])
    committee = meeting.committee
    lines = [f"Ordre du jour de la réunion de l'instance « {committee.name} » :"]
    lines += [f"{n}. {point['title']}" for n, point in enumerate(content["agenda"], start=1)]
    url = meeting_url(meeting)
    lines += ["", f"La réunion en ligne : {url}"]
    return ical.meeting_calendar(
        meeting_id=meeting.pk,
        start=start,
        end=start + selectors.MEETING_DURATION,
        summary=f"{committee.name} — {committee.convention.name}",
        location=content["location"],
        description="\n".join(lines),
        url=url,
        sequence=sequence,
        method=method,
        organizer_name=committee.convention.caf.name,
        now=now,
    )


def _calendar_part(text: str) -> MIMEText:
    part = MIMEText(text, "calendar", "utf-8")
    part.set_param("method", "REQUEST")
    part.add_header("Content-Disposition", "attachment", filename="convocation.ics")
    return part


def _mail_each_member(record, *, meeting: Meeting, template: str, context: dict, attach) -> int:
    """E-mail ``template`` to each member of the meeting's committee an e-mail reaches
    (:func:`meetings.mailing.send_once_each`: once per address, ``record.deliveries``),
    then record on ``record`` (a :class:`Convocation` or a :class:`ReleveSending`) how it
    went. Returns how many were sent now."""
    model = type(record)
    recipients = [
        mailing.Recipient(member.user.email, {"name": member.name})
        for member in convocation_recipients(meeting)
    ]
    try:
        sent = mailing.send_once_each(
            record.deliveries, recipients, template=template, context=context, attach=attach
        )
    except Exception as exc:
        model.objects.filter(pk=record.pk).update(
            status=model.Status.FAILED,
            error=mailing.failures(record.deliveries) or mailing.describe(exc),
        )
        raise
    model.objects.filter(pk=record.pk).update(
        status=model.Status.SENT,
        sent_at=timezone.now(),
        recipient_count=record.deliveries.filter(sent_at__isnull=False).count(),
        error="",
    )
    return sent


def convocation_deliver(*, convocation_id: int) -> int:
    """Send the convocation to each recipient not yet served; returns how many were sent.
    Safe to run twice: one :class:`ConvocationDelivery` per address."""
    convocation = Convocation.objects.select_related("meeting__committee__convention__caf").get(
        pk=convocation_id
    )
    meeting = convocation.meeting
    content = convocation.content
    context = {
        "meeting": meeting,
        "committee": meeting.committee,
        "convention": meeting.committee.convention,
        "convocation": convocation,
        "start": datetime.datetime.fromisoformat(content["start"]),
        "location": content["location"],
        "agenda": content["agenda"],
        "url": meeting_url(meeting),
        "pack_url": pack_url(meeting),
    }
    calendar = calendar_text(meeting=meeting, content=content, sequence=convocation.sequence - 1)
    return _mail_each_member(
        convocation,
        meeting=meeting,
        template="emails/meetings/convocation",
        context=context,
        attach=lambda message: message.attach(_calendar_part(calendar)),
    )


# --------------------------------------------------------------------------- decisions

FICHE_KINDS = (AgendaItem.Kind.FICHE_SUBMITTED, AgendaItem.Kind.FICHE_CHANGED)
ALREADY_DECIDED = "La décision sur ce point est déjà enregistrée : la page a été actualisée."
NOT_SUBMITTED = (
    "La fiche {number} n'est plus soumise à l'avis du comité (statut : {status}) : "
    "aucune décision n'est enregistrée."
)
SIDE_LABELS = {Side.CAF: "Caf", Side.TERRITORY: "territoire"}


def occasion(meeting: Meeting) -> str:
    """« en comité de pilotage du 12 mars 2027 »: where a decision was taken."""
    name = meeting.committee.name
    return f"en {name[:1].lower()}{name[1:]} du {formatting.date(meeting.date)}"


def _clean(text: str) -> str:
    return (text or "").replace("\x00", "").strip()


def _voters(*, meeting: Meeting, sheet: ActionSheet, committee, side: str) -> list[CommitteeMember]:
    """The members of ``side`` marked present who may still give an opinion on the fiche
    (:func:`actions.workflow.opinion_refusal`: not its submitter, no opinion yet on this
    version), in the attendees' order."""
    present = list(
        CommitteeMember.objects.filter(
            attendances__meeting=meeting,
            attendances__status=Attendance.Status.PRESENT,
            side=side,
        ).order_by("name", "pk")
    )
    given = set(
        Approval.objects.filter(sheet=sheet, version=sheet.version).values_list(
            "member_id", flat=True
        )
    )
    return [
        member
        for member in present
        if workflow.opinion_refusal(
            sheet=sheet, member=member, committee=committee, already_given=member.pk in given
        )
        is None
    ]


def decision_record(
    *,
    meeting: Meeting,
    key: str,
    caf_vote: str = "",
    caf_comment: str = "",
    territory_vote: str = "",
    territory_comment: str = "",
    follow_up: str = "",
    by: User,
) -> MeetingDecision:
    """Record what the committee decided on the point ``key`` of the agenda.

    On a fiche awaiting the committee's opinion, each side's vote is recorded as the
    opinions of members of that side marked present (:func:`actions.services.approval_give`,
    so that the one rule applies: favourable on both sides → *validée*, one « à revoir » →
    sent back; the history says « Validée en comité de pilotage du … »). A side's favourable
    vote counts as many present members as the committee requires per side
    (``approvals_required_per_side``), less the favourable opinions already given.
    Favourable sides are recorded first, then an « à revoir ».

    A free point (or any point that is not a fiche) gets its follow-up only. Recording the
    first decision freezes the agenda (the decided points stay on it). Once per point: a
    second recording is refused, and nothing is half-saved (one transaction)."""
    caf_comment, territory_comment = _clean(caf_comment), _clean(territory_comment)
    follow_up = _clean(follow_up)
    with transaction.atomic():
        # Frozen first: a decided fiche leaves the proposals, its point must stay.
        agenda_freeze(meeting=meeting, by=by)
        rows = agenda_propose(meeting=meeting).rows
        item = rows[_find(rows, key)]
        if MeetingDecision.objects.filter(agenda_item=item).exists():
            raise ValidationError(ALREADY_DECIDED)
        decision = MeetingDecision(
            meeting=meeting,
            agenda_item=item,
            title=item.title,
            position=item.position,
            follow_up=follow_up,
            recorded_by=by,
            recorded_at=timezone.now(),
            outcome=MeetingDecision.Outcome.NOTED,
        )
        if item.kind in FICHE_KINDS and item.fiche_id:
            _decide_fiche(
                decision,
                meeting=meeting,
                votes={
                    Side.CAF: (caf_vote, caf_comment),
                    Side.TERRITORY: (territory_vote, territory_comment),
                },
                by=by,
            )
        elif not follow_up:
            raise ValidationError({"follow_up": "Indiquez les suites à donner à ce point."})
        decision.full_clean()
        decision.save()
        if decision.is_fiche:
            transaction.on_commit(lambda: _enqueue_decision_notice(decision.pk))
    return decision


def _enqueue_decision_notice(decision_id: int) -> None:
    try:
        tasks.send_decision_notice.apply_async((decision_id,), ignore_result=True)
    except Exception:  # noqa: BLE001 - the decision is recorded; the e-mail is a courtesy
        logger.warning("Decision %s: the author was not told", decision_id, exc_info=True)


def decision_recipients(sheet: ActionSheet) -> list[str]:
    """The fiche's author (who submitted it) and pilot (its lead's account), once per
    address, when an e-mail reaches them."""
    addresses = []
    for user in (sheet.submitted_by, sheet.lead_user):
        if user is not None and user.is_active and user.email:
            email = user.email.lower()
            if email not in addresses:
                addresses.append(email)
    return addresses


def decision_notify(*, decision_id: int) -> int:
    """Tell the fiche's author and pilot what the meeting decided on it: one e-mail each
    for the whole decision (the opinions recorded in the meeting send none,
    :func:`actions.services.approval_give` with an ``occasion``), through
    :func:`meetings.mailing.send_once_each`: one :class:`DecisionDelivery` per address, so
    a task run twice sends nothing twice and its retry after a failure sends only the
    e-mails still owed. ``notified_at`` is set once everyone is told. Returns how many
    were sent now."""
    decision = (
        MeetingDecision.objects.select_related(
            "fiche__submitted_by",
            "fiche__lead_user",
            "meeting__committee__convention__caf",
        )
        .filter(pk=decision_id, fiche__isnull=False, notified_at__isnull=True)
        .first()
    )
    if decision is None:
        return 0
    sheet, meeting = decision.fiche, decision.meeting
    context = {
        "decision": decision,
        "sheet": sheet,
        "meeting": meeting,
        "committee": meeting.committee,
        "convention": meeting.committee.convention,
        "occasion": occasion(meeting),
        "url": _absolute(
            reverse("actions:sheet", kwargs={"pk": sheet.convention_id, "sheet_id": sheet.pk})
        ),
        "meeting_url": meeting_url(meeting),
    }
    addresses = decision_recipients(sheet)
    sent = mailing.send_once_each(
        decision.deliveries,
        [mailing.Recipient(email) for email in addresses],
        template="emails/meetings/decision",
        context=context,
    )
    told = decision.deliveries.filter(email__in=addresses, sent_at__isnull=False).count()
    if told == len(addresses):  # not while another worker still sends one
        MeetingDecision.objects.filter(pk=decision_id, notified_at__isnull=True).update(
            notified_at=timezone.now()
        )
    return sent


def _decide_fiche(decision: MeetingDecision, *, meeting: Meeting, votes: dict, by: User) -> None:
    errors: dict[str, str] = {}
    for side, (vote, comment) in votes.items():
        name = "caf" if side == Side.CAF else "territory"
        if vote not in MeetingDecision.Vote.values:
            errors[f"{name}_vote"] = (
                f"Choisissez le vote du collège {SIDE_LABELS[side]} : favorable ou à revoir."
            )
        elif vote == MeetingDecision.Vote.TO_REVIEW and not comment:
            errors[f"{name}_comment"] = workflow.TRANSITIONS["send_back"].reason_missing
        elif len(comment) > MeetingDecision._meta.get_field(f"{name}_comment").max_length:
            errors[f"{name}_comment"] = "Le commentaire ne peut dépasser 2 000 caractères."
    if errors:
        raise ValidationError(errors)
    sheet = (
        ActionSheet.objects.select_for_update()
        .select_related("convention")
        .get(pk=decision.agenda_item.fiche_id)
    )
    if not workflow.is_awaiting_opinion(sheet):
        raise ValidationError(
            NOT_SUBMITTED.format(number=sheet.number, status=sheet.get_status_display().lower())
        )
    committee = workflow.approving_committee(convention=sheet.convention)
    if committee is None or committee.pk != meeting.committee_id:
        raise ValidationError("Cette instance ne rend pas d'avis sur les fiches de la convention.")
    decision.fiche, decision.version = sheet, sheet.version
    decision.caf_vote, decision.caf_comment = votes[Side.CAF]
    decision.territory_vote, decision.territory_comment = votes[Side.TERRITORY]
    tally = workflow.favorable_counts(sheet=sheet, committee=committee)
    required = committee.approvals_required_per_side
    plan: list[tuple[CommitteeMember, str, str]] = []
    favourable_first = sorted(votes, key=lambda side: votes[side][0] != Approval.Decision.FAVORABLE)
    for side in favourable_first:
        vote, comment = votes[side]
        voters = _voters(meeting=meeting, sheet=sheet, committee=committee, side=side)
        needed = max(0, required - tally.get(side, 0)) if vote == Approval.Decision.FAVORABLE else 1
        if len(voters) < needed:
            raise ValidationError(
                f"Le collège {SIDE_LABELS[side]} ne compte pas assez de membres présents "
                f"pouvant voter ({needed} requis, {len(voters)} disponible"
                f"{formatting.plural(len(voters))}) : renseignez les présences, puis "
                "enregistrez la décision. Un membre qui a soumis la fiche ou déjà donné son "
                "avis sur cette version ne vote pas."
            )
        plan += [(member, vote, comment) for member in voters[:needed]]
    where = occasion(meeting)
    decision.voters = [
        {"name": member.name, "side": member.side, "vote": vote} for member, vote, _ in plan
    ]
    try:
        for member, vote, comment in plan:
            sheet.refresh_from_db()
            if not workflow.is_awaiting_opinion(sheet):
                break  # validated or sent back by the previous opinion
            action_services.approval_give(
                sheet=sheet, member=member, decision=vote, comment=comment, occasion=where, by=by
            )
    except action_services.WorkflowError as exc:
        raise ValidationError(exc.message) from exc
    sheet.refresh_from_db()
    if sheet.status == ActionSheet.Status.VALIDATED:
        decision.outcome = MeetingDecision.Outcome.VALIDATED
    elif sheet.status == ActionSheet.Status.TO_REVIEW:
        decision.outcome = MeetingDecision.Outcome.SENT_BACK
    else:
        decision.outcome = MeetingDecision.Outcome.PENDING


# --------------------------------------------------------------------------- the relevé

NOTHING_DECIDED = (
    "Aucune décision n'est enregistrée pour cette réunion : il n'y a pas encore de relevé à "
    "envoyer."
)
NO_RELEVE_RECIPIENT = (
    "Aucun membre de l'instance n'a de compte actif avec une adresse e-mail : personne à qui "
    "envoyer le relevé. Invitez les membres depuis l'onglet Gouvernance."
)


def releve_send(
    *, meeting: Meeting, by: User, now: datetime.datetime | None = None
) -> tuple[ReleveSending, str]:
    """Record a sending of the relevé de décisions (its PDF kept as sent) and queue its
    e-mails after the commit. Returns the sending and :data:`FIRST`, :data:`RESENT` or
    :data:`DUPLICATE` (the same decisions within :data:`RESEND_WINDOW`: nothing is sent)."""
    now = now or timezone.now()
    with transaction.atomic():
        _record_locked(meeting)
        decided = sorted(
            MeetingDecision.objects.filter(meeting=meeting).values_list("pk", flat=True)
        )
        if not decided:
            raise ValidationError(NOTHING_DECIDED)
        recipients = convocation_recipients(meeting)
        if not recipients:
            raise ValidationError(NO_RELEVE_RECIPIENT)
        last = ReleveSending.objects.filter(meeting=meeting).order_by("-sequence").first()
        if (
            last is not None
            and last.status != ReleveSending.Status.FAILED
            and last.decisions == decided
            and now - last.requested_at < RESEND_WINDOW
        ):
            return last, DUPLICATE
        sending = ReleveSending(
            meeting=meeting,
            sequence=(last.sequence + 1) if last else 1,
            decisions=decided,
            document=releve.render_pdf(meeting=meeting, convention=meeting.committee.convention),
            requested_by=by,
            requested_at=now,
            recipient_count=len(recipients),
        )
        sending.full_clean()
        sending.save()
        transaction.on_commit(lambda: _enqueue_releve(sending.pk))
    return sending, FIRST if last is None else RESENT


def _enqueue_releve(sending_id: int) -> None:
    try:
        tasks.send_releve.apply_async((sending_id,), ignore_result=True)
    except Exception:  # noqa: BLE001 - the row keeps the state, the page says it
        logger.warning("Relevé %s not sent", sending_id, exc_info=True)


def releve_deliver(*, sending_id: int) -> int:
    """E-mail the relevé (its PDF attached) to each recipient not yet served; returns how
    many were sent. Safe to run twice: one :class:`ReleveDelivery` per address."""
    sending = ReleveSending.objects.select_related("meeting__committee__convention__caf").get(
        pk=sending_id
    )
    meeting = sending.meeting
    context = {
        "meeting": meeting,
        "committee": meeting.committee,
        "convention": meeting.committee.convention,
        "sending": sending,
        "decisions": list(
            MeetingDecision.objects.filter(pk__in=sending.decisions).order_by("position", "pk")
        ),
        "url": meeting_url(meeting),
    }
    attachment = releve.filename(meeting, "pdf")
    return _mail_each_member(
        sending,
        meeting=meeting,
        template="emails/meetings/releve",
        context=context,
        attach=lambda message: message.attach(
            attachment, bytes(sending.document), releve.PDF_CONTENT_TYPE
        ),
    )
