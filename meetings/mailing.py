"""« Send this e-mail to these recipients, once each »: the one loop behind the meeting's
e-mails (the convocation, the relevé de décisions, the notice of a decision on a fiche).

Each address gets one delivery row (:class:`meetings.models.Delivery`: ``email``,
``sent_at``, ``error``) under the sending it belongs to. A row already sent is skipped, so
a task run twice, or retried after a failure, sends only what is still owed; a row being
sent by another worker is locked and skipped too. An address the mail server refuses gets
its ``error`` and does not stop the others; the first failure is raised at the end, for
the task's retry (``ctg.celery.BaseTask``). A mail server that cannot be reached stops the
loop at once (nothing can be sent).
"""

from __future__ import annotations

import contextlib
import smtplib
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

from django.core.mail import EmailMultiAlternatives, get_connection
from django.db import IntegrityError, transaction
from django.template.loader import render_to_string
from django.utils import timezone

ERROR_MAX = 2000


@dataclass(frozen=True)
class Recipient:
    """An address, and what its e-mail says to that person only (``{"name": …}``)."""

    email: str
    context: dict = field(default_factory=dict)


def describe(exc: BaseException) -> str:
    """What went wrong, as kept on a row (« SMTPRecipientsRefused : … »)."""
    return f"{type(exc).__name__} : {exc}"[:ERROR_MAX]


def send_once_each(
    deliveries,
    recipients: Iterable[Recipient],
    *,
    template: str,
    context: dict,
    attach: Callable[[EmailMultiAlternatives], None] | None = None,
) -> int:
    """E-mail ``template`` (``_subject.txt``, ``.txt``, ``.html``, rendered with
    ``context`` and the recipient's own context) to each recipient not yet served, one row
    of ``deliveries`` (a related manager: ``record.deliveries``) per address. ``attach``
    adds the message's attachment. Returns how many were sent now; raises the first
    failure once every address was tried (each failed row keeps its ``error``)."""
    subject = render_to_string(f"{template}_subject.txt", context).strip()
    connection = None
    failure: Exception | None = None
    sent = 0
    seen: set[str] = set()
    try:
        for recipient in recipients:
            email = recipient.email.lower()
            if email in seen:
                continue
            seen.add(email)
            # The row stays locked while its e-mail goes: another worker skips it.
            with transaction.atomic():
                try:
                    delivery, _ = deliveries.get_or_create(email=email)
                except IntegrityError:
                    continue  # another worker has it
                delivery = (
                    deliveries.select_for_update(skip_locked=True).filter(pk=delivery.pk).first()
                )
                if delivery is None or delivery.sent_at:
                    continue
                personal = {**context, **recipient.context}
                if connection is None:
                    # One connection for the whole sending; the server away stops it here.
                    connection = get_connection()
                    connection.open()
                message = EmailMultiAlternatives(
                    subject=subject,
                    body=render_to_string(f"{template}.txt", personal),
                    to=[email],
                    connection=connection,
                )
                message.attach_alternative(
                    render_to_string(f"{template}.html", personal), "text/html"
                )
                if attach is not None:
                    attach(message)
                try:
                    message.send()
                except Exception as exc:  # noqa: BLE001 - kept on the row, raised at the end
                    delivery.error = describe(exc)
                    delivery.save(update_fields=["error"])
                    failure = failure or exc
                    continue
                delivery.sent_at, delivery.error = timezone.now(), ""
                delivery.save(update_fields=["sent_at", "error"])
                sent += 1
    finally:
        if connection is not None:
            with contextlib.suppress(smtplib.SMTPException, OSError):
                connection.close()  # what was sent is recorded: a failed QUIT changes nothing
    if failure is not None:
        raise failure
    return sent


def failures(deliveries) -> str:
    """The addresses still owed an e-mail and why (« a@x.fr : SMTP… ; b@y.fr : … »)."""
    rows = deliveries.filter(sent_at__isnull=True).exclude(error="").order_by("email")
    return " ; ".join(f"{row.email} : {row.error}" for row in rows)[:ERROR_MAX]
