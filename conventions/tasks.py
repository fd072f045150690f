"""Celery tasks of the conventions app: they call a service.

The retry, backoff and time-limit policy is the project's (``ctg.celery.BaseTask``).
"""

from celery import shared_task

from .services import deadline


@shared_task
def send_deadline_notices() -> list[int]:
    """Daily: tell the Caf staff of the conventions ending within 6 months or ended,
    once per convention and threshold."""
    return deadline.deadline_notices_send()
