"""Deadline notices: the Caf staff is told, once per convention and threshold, of the
conventions that end within 6 months and of those that have ended
(``conventions.calendar``). Run daily by ``conventions.tasks.send_deadline_notices``."""

from __future__ import annotations

import datetime

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.db import IntegrityError, transaction
from django.db.models import Exists, OuterRef
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone

from .. import calendar
from ..models import Convention, DeadlineNotice, User

Threshold = DeadlineNotice.Threshold
# The phases in which the end of a convention calls for the Caf: signed, not yet settled.
NOTIFIED_PHASES = (
    Convention.Phase.SIGNATURE,
    Convention.Phase.IMPLEMENTATION,
    Convention.Phase.EVALUATION,
)


def threshold_of(convention: Convention, today: datetime.date) -> str | None:
    """The notice a convention calls for on ``today`` (None: none)."""
    if convention.phase not in NOTIFIED_PHASES:
        return None
    status = calendar.time_status(convention, today)
    if status.ended:
        return Threshold.ENDED
    if not status.not_started and convention.end_date <= calendar.notice_limit(today):
        return Threshold.ENDING
    return None


def deadline_recipients(convention: Convention) -> list[User]:
    """The active Caf staff of the convention's Caf who have an e-mail address."""
    return list(
        User.objects.filter(role=User.Role.CAF_STAFF, caf_id=convention.caf_id, is_active=True)
        .exclude(email="")
        .order_by("email")
    )


def convention_url(convention: Convention) -> str:
    return settings.SITE_URL.rstrip("/") + reverse("portal:detail", args=[convention.pk])


def deadline_notice_send(
    *, convention_id: int, today: datetime.date | None = None
) -> DeadlineNotice | None:
    """Tell the Caf staff of this convention's deadline, unless already told for this
    threshold; returns the notice sent, None when there was nothing to send.

    The notice is recorded in the same transaction as the sending: a failed e-mail
    leaves no record, so the next run (or the task's retry) sends it again."""
    today = today or timezone.localdate()
    with transaction.atomic():
        convention = Convention.objects.select_related("caf").get(pk=convention_id)
        threshold = threshold_of(convention, today)
        if threshold is None:
            return None
        if DeadlineNotice.objects.filter(convention=convention, threshold=threshold).exists():
            return None
        recipients = deadline_recipients(convention)
        if not recipients:
            return None  # nobody to tell yet: the next run tries again
        notice = DeadlineNotice(
            convention=convention,
            threshold=threshold,
            end_date=convention.end_date,
            recipients=", ".join(user.email for user in recipients),
        )
        notice.full_clean(validate_constraints=False)
        try:
            with transaction.atomic():
                notice.save()
        except IntegrityError:
            return None  # another worker is sending it at this very moment
        status = calendar.time_status(convention, today)
        context = {
            "convention": convention,
            "notice": notice,
            "time": status,
            "ended": threshold == Threshold.ENDED,
            "url": convention_url(convention),
        }
        message = EmailMultiAlternatives(
            subject=render_to_string("emails/conventions/deadline_subject.txt", context).strip(),
            body=render_to_string("emails/conventions/deadline.txt", context),
            to=[user.email for user in recipients],
        )
        message.attach_alternative(
            render_to_string("emails/conventions/deadline.html", context), "text/html"
        )
        message.send()
    return notice


def deadline_notices_send(*, today: datetime.date | None = None) -> list[int]:
    """Send every notice due on ``today``; returns the ids of the notices sent.

    Safe to run twice: a convention is told once per threshold (DeadlineNotice)."""
    today = today or timezone.localdate()
    candidates = (
        Convention.objects.filter(
            phase__in=NOTIFIED_PHASES,
            start_date__lte=today,
            end_date__lte=calendar.notice_limit(today),
        )
        .annotate(
            ended_told=Exists(
                DeadlineNotice.objects.filter(convention=OuterRef("pk"), threshold=Threshold.ENDED)
            )
        )
        .filter(ended_told=False)
        .order_by("end_date", "pk")
        .values_list("pk", flat=True)
    )
    sent = []
    for convention_id in list(candidates):
        notice = deadline_notice_send(convention_id=convention_id, today=today)
        if notice is not None:
            sent.append(notice.pk)
    return sent
