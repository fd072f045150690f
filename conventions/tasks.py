"""Celery tasks of the conventions app: they call a service.

The retry, backoff and time-limit policy is the project's (``ctg.celery.BaseTask``).
"""

from celery import shared_task
from django.core.mail import get_connection

from .services import deadline, invitation


@shared_task
def send_deadline_notices() -> list[int]:
    """Daily: tell the Caf staff of the conventions ending within 6 months or ended,
    once per convention and threshold."""
    return deadline.deadline_notices_send()


@shared_task
def send_account_email(kind: str, object_id: int) -> int:
    """After the commit: the e-mail of an account event (``invitation``: the link to set a
    password; ``seat``: a seat given to an existing account; ``password_reset``), built from
    the database when the task runs. Returns how many were sent."""
    messages = invitation.account_email_messages(kind, object_id)
    if not messages:
        return 0
    with get_connection() as connection:
        return connection.send_messages(messages) or 0
