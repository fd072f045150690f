"""Progress reports and meeting packs: request, build, deliver, dispatch.

Each step is a service that takes ids and is safe to run twice:
- ``report_request`` stores one report per convention, kind and period (a
  unique constraint) and queues its build after the transaction commits;
- ``report_build`` freezes the snapshot, renders the PDF and XLSX and marks the
  report ready in one transaction, so a worker killed half-way leaves the
  report as it was and the redelivered task builds it again;
- ``report_deliver`` e-mails each committee member with an account once
  (one ``ReportDelivery`` row per recipient);
- ``dispatch_due_reports`` / ``dispatch_meeting_packs`` are the daily jobs;
- ``dispatch_pending_reports`` (every few minutes) queues the reports that were
  requested while the broker was away.
"""

from __future__ import annotations

import datetime
import logging

from django.conf import settings
from django.core.files.base import ContentFile
from django.core.mail import EmailMultiAlternatives
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone

from actions import workflow
from conventions import calendar
from conventions.models import CommitteeMember, Convention, Meeting
from conventions.selectors import reachable_members
from conventions.services.data_version import convention_activity_changed
from ctg import formatting
from evaluation.models import Indicator
from evaluation.services import period_lock_create

# Module imports, looked up at call time: the tasks call these services back.
from . import render, snapshot, tasks
from .models import ProgressReport, ReportDelivery
from .schedule import REPORTING_PHASES, report_period_due
from .selectors import due_measurements

logger = logging.getLogger(__name__)

# Beyond this size the e-mail carries the link only.
ATTACHMENT_MAX_BYTES = getattr(settings, "REPORT_ATTACHMENT_MAX_BYTES", 3 * 1024 * 1024)
# A pending report handed to the broker this long ago and still not started is
# queued again (its message was lost, e.g. Redis restarted without persistence).
REQUEUE_AFTER = getattr(settings, "REPORT_REQUEUE_AFTER", datetime.timedelta(hours=2))


class ReportError(Exception):
    """A report request that cannot be honoured; the message is for the user."""


def _not_in_queue(now: datetime.datetime) -> Q:
    """Pending reports the broker does not hold: never handed over, or handed over
    so long ago that the message must have been lost."""
    return Q(enqueued_at__isnull=True) | Q(enqueued_at__lt=now - REQUEUE_AFTER)


def _enqueue_build(report_id: int) -> bool:
    """Hand the build of a pending report to the broker; True when it was sent.

    A compare-and-set on ``enqueued_at`` makes it safe to run twice, even at the
    same moment: only the caller whose UPDATE matched sends the message. If the
    broker is away the mark is taken back, the report stays pending (with no
    ``enqueued_at``) and ``dispatch_pending_reports`` sends it later.
    """
    now = timezone.now()
    claimed = (
        ProgressReport.objects.filter(pk=report_id, status=ProgressReport.Status.PENDING)
        .filter(_not_in_queue(now))
        .update(enqueued_at=now)
    )
    if not claimed:
        return False  # already in the queue, or no longer pending
    try:
        # No result is awaited: with ignore_result the web request does not wait
        # for the result backend's reconnection attempts when Redis is down.
        tasks.build_report.apply_async((report_id,), ignore_result=True)
    except Exception:  # noqa: BLE001 - the broker may be down; the row is the source of truth
        # (In eager mode the build itself ran here and already marked the report failed.)
        logger.warning("Could not queue report %s: it stays pending", report_id, exc_info=True)
        ProgressReport.objects.filter(
            pk=report_id, status=ProgressReport.Status.PENDING, enqueued_at=now
        ).update(enqueued_at=None)
        return False
    return True


def report_request(
    *,
    convention: Convention,
    period_start: datetime.date,
    period_end: datetime.date,
    kind: str = ProgressReport.Kind.PERIODIC,
    meeting: Meeting | None = None,
    by=None,
) -> tuple[ProgressReport, bool]:
    """Ask for a report; returns (report, queued). A ready report is not rebuilt."""
    if period_end < period_start:
        raise ReportError("La fin de période ne peut pas précéder son début.")
    if period_start > convention.end_date or period_end < convention.start_date:
        raise ReportError("La période doit recouper celle de la convention.")
    with transaction.atomic():
        report, created = ProgressReport.objects.get_or_create(
            convention=convention,
            kind=kind,
            period_start=period_start,
            period_end=period_end,
            defaults={"meeting": meeting, "requested_by": by},
        )
        asked_again = not created and report.status == ProgressReport.Status.FAILED
        if asked_again:
            report.status = ProgressReport.Status.PENDING
            report.error = ""
            report.enqueued_at = None
            report.save(update_fields=["status", "error", "enqueued_at"])
        if created or asked_again:
            # Shown on the Synthèse (« Derniers rapports »), with its status.
            convention_activity_changed(convention_id=convention.pk)
        queued = report.status == ProgressReport.Status.PENDING
        if queued:
            transaction.on_commit(lambda: _enqueue_build(report.pk))
    return report, queued


def report_build(*, report_id: int) -> ProgressReport:
    """Build a report (idempotent: a ready report is returned as it is)."""
    report = ProgressReport.objects.select_related("convention", "meeting").get(pk=report_id)
    if report.status == ProgressReport.Status.READY:
        return report
    with transaction.atomic():
        ProgressReport.objects.filter(pk=report.pk).update(
            status=ProgressReport.Status.BUILDING, attempts=report.attempts + 1
        )
        convention_activity_changed(convention_id=report.convention_id)
    try:
        with render.long_lived_objects_frozen():
            frozen = snapshot.build_snapshot(report)
            pdf_bytes = render.render_pdf(report, frozen)
            xlsx_bytes = render.render_xlsx(report, frozen)
        with transaction.atomic():
            locked = ProgressReport.objects.select_for_update().get(pk=report.pk)
            if locked.status == ProgressReport.Status.READY:
                return locked
            stem = f"rapport-{locked.convention_id}-{locked.kind}-{locked.period_end:%Y%m%d}"
            # Files are written under new names; the row points at them only on commit.
            locked.pdf.save(f"{stem}.pdf", ContentFile(pdf_bytes), save=False)
            locked.xlsx.save(f"{stem}.xlsx", ContentFile(xlsx_bytes), save=False)
            locked.snapshot = frozen
            locked.status = ProgressReport.Status.READY
            locked.generated_at = timezone.now()
            locked.error = ""
            locked.save()
            convention_activity_changed(convention_id=locked.convention_id)
            if locked.kind == ProgressReport.Kind.PERIODIC:
                # The values it presents can no longer change silently (evaluation.locks).
                period_lock_create(
                    convention=locked.convention,
                    start=locked.period_start,
                    end=locked.period_end,
                    label=report_label(locked),
                    reference=f"rapport:{locked.pk}",
                    by=locked.requested_by,
                )
        return locked
    except Exception as exc:
        with transaction.atomic():
            ProgressReport.objects.filter(pk=report.pk).exclude(
                status=ProgressReport.Status.READY
            ).update(status=ProgressReport.Status.FAILED, error=f"{type(exc).__name__} : {exc}")
            convention_activity_changed(convention_id=report.convention_id)
        raise


def report_label(report: ProgressReport) -> str:
    """How users name a report: « Rapport d'avancement du 1er janvier au 30 juin 2026 »."""
    return (
        f"{report.get_kind_display()} du {formatting.date(report.period_start)} "
        f"au {formatting.date(report.period_end)}"
    )


def report_recipients(convention: Convention) -> list[CommitteeMember]:
    """Committee members of the convention whom an e-mail reaches, once per address."""
    return reachable_members(
        CommitteeMember.objects.filter(committee__convention=convention).select_related("committee")
    )


def report_url(report: ProgressReport) -> str:
    return settings.SITE_URL.rstrip("/") + reverse(
        "reports:report_detail", args=[report.convention_id, report.pk]
    )


def indicator_url(indicator: Indicator) -> str:
    """The screen where a measurement of the indicator is entered."""
    return settings.SITE_URL.rstrip("/") + reverse(
        "evaluation:indicator",
        kwargs={"pk": indicator.action_sheet.convention_id, "indicator_pk": indicator.pk},
    )


def measurements_due(*, convention: Convention, today: datetime.date) -> dict:
    """Indicators of the fiches being carried out whose last ended measurement period
    has no measurement (:func:`reports.selectors.due_measurements`), grouped by the lead's
    user account (two queries)."""
    indicators = (
        Indicator.objects.filter(
            action_sheet__convention=convention,
            action_sheet__status__in=workflow.ONGOING,
            action_sheet__lead_user__isnull=False,
            action_sheet__lead_user__is_active=True,
        )
        .exclude(action_sheet__lead_user__email="")
        .select_related("action_sheet__lead_user")
        .order_by("action_sheet__number", "pk")
    )
    due: dict = {}
    for row in due_measurements(indicators, today=today):
        indicator = row.indicator
        due.setdefault(indicator.action_sheet.lead_user, []).append(
            {
                "sheet": indicator.action_sheet,
                "indicator": indicator,
                "period_start": row.period.start,
                "period_end": row.period.end,
                "url": indicator_url(indicator),
            }
        )
    return due


def report_deliver(*, report_id: int) -> int:
    """Send the report to each recipient not yet served; returns how many were sent.

    A meeting pack also reminds the leads (*pilotes*) of the fiches whose
    measurements are due; a lead who sits on a committee gets both in one e-mail.
    """
    report = ProgressReport.objects.select_related("convention__caf").get(pk=report_id)
    if report.status != ProgressReport.Status.READY:
        raise ReportError("Seul un rapport prêt peut être envoyé.")
    attachment = None
    if report.pdf and report.pdf.size <= ATTACHMENT_MAX_BYTES:
        with report.pdf.open("rb") as handle:
            attachment = handle.read()
    recipients: dict[str, dict] = {}
    for member in report_recipients(report.convention):
        recipients[member.user.email.lower()] = {"member": member, "name": member.name, "due": []}
    if report.kind == ProgressReport.Kind.MEETING_PACK:
        for lead, rows in measurements_due(
            convention=report.convention, today=report.period_end
        ).items():
            entry = recipients.setdefault(
                lead.email.lower(), {"member": None, "name": str(lead), "due": []}
            )
            entry["due"] = rows
    time = calendar.time_status(report.convention)
    meeting_url = ""
    if report.kind == ProgressReport.Kind.MEETING_PACK and report.meeting_id:
        # The meeting page offers the full dossier de séance (composed by ``meetings``).
        meeting = report.meeting
        meeting_url = settings.SITE_URL.rstrip("/") + reverse(
            "conventions:meeting_detail",
            args=[report.convention_id, meeting.committee_id, meeting.pk],
        )
    sent = 0
    for email, entry in recipients.items():
        member = entry["member"]
        try:
            delivery, _ = ReportDelivery.objects.get_or_create(
                report=report, email=email, defaults={"member": member}
            )
        except IntegrityError:
            # Another worker created it at the same moment: it is theirs to send.
            continue
        if delivery.status == ReportDelivery.Status.SENT:
            continue
        context = {
            "report": report,
            "convention": report.convention,
            "member": member,
            "name": entry["name"],
            "due": entry["due"],
            "url": report_url(report),
            "meeting_url": meeting_url,
            "attached": attachment is not None and member is not None,
            "summary": (report.snapshot or {}).get("summary", {}),
            "time": time,
        }
        message = EmailMultiAlternatives(
            subject=render_to_string("emails/reports/report_subject.txt", context).strip(),
            body=render_to_string("emails/reports/report.txt", context),
            to=[email],
        )
        message.attach_alternative(
            render_to_string("emails/reports/report.html", context), "text/html"
        )
        if context["attached"]:
            message.attach(
                f"rapport-{report.period_end:%Y-%m-%d}.pdf", attachment, "application/pdf"
            )
        try:
            message.send()
        except Exception as exc:
            delivery.status = ReportDelivery.Status.FAILED
            delivery.error = f"{type(exc).__name__} : {exc}"
            delivery.save(update_fields=["status", "error"])
            raise
        delivery.status = ReportDelivery.Status.SENT
        delivery.sent_at = timezone.now()
        delivery.error = ""
        delivery.save(update_fields=["status", "sent_at", "error"])
        sent += 1
    return sent


def dispatch_due_reports(*, today: datetime.date | None = None) -> list[int]:
    """Ask for the due report of every convention in implementation or evaluation.

    One convention's failure is logged and never stops the others. Reports left
    pending (broker down at request time) are queued again.
    """
    today = today or timezone.localdate()
    queued: list[int] = []
    for convention in Convention.objects.filter(phase__in=REPORTING_PHASES).order_by("pk"):
        try:
            period = report_period_due(convention, today)
            if period is None:
                continue
            report, was_queued = report_request(
                convention=convention, period_start=period.start, period_end=period.end
            )
            if was_queued:
                queued.append(report.pk)
        except Exception:  # noqa: BLE001 - isolate conventions from each other
            logger.exception("Report dispatch failed for convention %s", convention.pk)
    dispatch_pending_reports()
    return queued


def dispatch_pending_reports() -> list[int]:
    """Queue the pending reports the broker has not received (it was away at
    request time), oldest first; returns the ids sent.

    Safe to run twice, even concurrently (``_enqueue_build`` claims each row).
    The first failure to reach the broker ends the run: the next one retries.
    """
    waiting = (
        ProgressReport.objects.filter(status=ProgressReport.Status.PENDING)
        .filter(_not_in_queue(timezone.now()))
        .order_by("requested_at", "pk")
        .values_list("pk", flat=True)
    )
    waiting = list(waiting)
    sent: list[int] = []
    for report_id in waiting:
        if _enqueue_build(report_id):
            sent.append(report_id)
            continue
        still_waiting = ProgressReport.objects.filter(
            pk=report_id, status=ProgressReport.Status.PENDING, enqueued_at__isnull=True
        ).exists()
        if still_waiting:
            logger.warning("Broker still unavailable: %s report(s) stay pending", len(waiting))
            break
    return sent


def dispatch_meeting_packs(*, now: datetime.datetime | None = None) -> list[int]:
    """Build the meeting pack of every meeting coming within its convention's lead time."""
    now = now or timezone.now()
    today = timezone.localdate(now)
    queued: list[int] = []
    horizon = now + datetime.timedelta(days=60)
    meetings = (
        Meeting.objects.filter(date__gte=now, date__lte=horizon)
        .exclude(
            committee__convention__phase__in=[Convention.Phase.CLOSED, Convention.Phase.RENEWED]
        )
        .select_related("committee__convention")
        .order_by("date")
    )
    for meeting in meetings:
        convention = meeting.committee.convention
        meeting_day = timezone.localdate(meeting.date)
        if (meeting_day - today).days > convention.meeting_pack_days:
            continue
        try:
            previous = (
                Meeting.objects.filter(committee=meeting.committee, date__lt=meeting.date)
                .order_by("-date")
                .first()
            )
            start = timezone.localdate(previous.date) if previous else convention.start_date
            start = max(start, convention.start_date)
            end = max(start, min(meeting_day, convention.end_date))
            report, was_queued = report_request(
                convention=convention,
                period_start=start,
                period_end=end,
                kind=ProgressReport.Kind.MEETING_PACK,
                meeting=meeting,
            )
            if was_queued:
                queued.append(report.pk)
        except Exception:  # noqa: BLE001
            logger.exception("Meeting pack failed for meeting %s", meeting.pk)
    return queued
