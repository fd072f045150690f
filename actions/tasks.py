"""E-mail notifications of the fiche workflow, sent by Celery after the commit.

Queued by :func:`actions.services._queue_notification` with ``transaction.on_commit``;
a failed send is retried with backoff and never blocks the workflow.
"""

from __future__ import annotations

import logging
from smtplib import SMTPException

from celery import shared_task
from django.conf import settings
from django.core.mail import EmailMultiAlternatives, get_connection
from django.template.loader import render_to_string
from django.urls import reverse

from conventions.models import CommitteeMember, Side

from . import workflow
from .models import ActionSheet, Approval

logger = logging.getLogger(__name__)

SUBJECTS = {
    "submitted": "[CTG] Fiche {number} soumise à votre avis",
    "decision": "[CTG] Avis {decision} sur la fiche {number}",
    "validated": "[CTG] Fiche {number} validée par le comité",
}


def _member_recipients(sheet: ActionSheet, *, exclude_user_id: int | None = None) -> list[str]:
    committee = workflow.approving_committee(convention=sheet.convention)
    if committee is None:
        return []
    members = CommitteeMember.objects.filter(
        committee=committee, user__isnull=False, user__is_active=True, side__in=Side.values
    ).exclude(user__email="")
    if exclude_user_id:
        members = members.exclude(user_id=exclude_user_id)
    return sorted({m.user.email for m in members.select_related("user")})


def build_messages(event: str, sheet_id: int, approval_id: int | None = None):
    """The e-mails of one workflow event (an empty list when nobody is to be told)."""
    sheet = (
        ActionSheet.objects.select_related("convention", "submitted_by", "thematic")
        .filter(pk=sheet_id)
        .first()
    )
    if sheet is None:
        return []
    approval = (
        Approval.objects.select_related("member").filter(pk=approval_id).first()
        if approval_id
        else None
    )
    if event == "submitted":
        recipients = _member_recipients(sheet, exclude_user_id=sheet.submitted_by_id)
    elif event == "decision":
        submitter = sheet.submitted_by
        recipients = [submitter.email] if submitter and submitter.email else []
    elif event == "validated":
        recipients = _member_recipients(sheet)
    else:
        raise ValueError(f"Événement inconnu : {event}")
    if not recipients:
        return []
    url = settings.SITE_URL.rstrip("/") + reverse(
        "actions:sheet", kwargs={"pk": sheet.convention_id, "sheet_id": sheet.pk}
    )
    context = {"sheet": sheet, "approval": approval, "url": url, "convention": sheet.convention}
    subject = SUBJECTS[event].format(
        number=sheet.number,
        decision=approval.get_decision_display().lower() if approval else "",
    )
    text = render_to_string(f"emails/actions/{event}.txt", context)
    html = render_to_string(f"emails/actions/{event}.html", context)
    messages = []
    for recipient in recipients:
        message = EmailMultiAlternatives(subject, text, settings.DEFAULT_FROM_EMAIL, [recipient])
        message.attach_alternative(html, "text/html")
        messages.append(message)
    return messages


@shared_task(
    bind=True,
    autoretry_for=(SMTPException, OSError, ConnectionError),
    retry_backoff=True,
    retry_jitter=True,
    max_retries=5,
)
def send_action_sheet_notification(self, event: str, sheet_id: int, approval_id: int | None = None):
    """Send the e-mails of a workflow event; returns how many were sent."""
    messages = build_messages(event, sheet_id, approval_id)
    if not messages:
        return 0
    with get_connection() as connection:
        sent = connection.send_messages(messages)
    logger.info("Notification %s de la fiche %s : %s e-mail(s)", event, sheet_id, sent)
    return sent or 0
