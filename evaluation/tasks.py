"""Celery tasks of the evaluation app: they take ids and call a service.

The retry, backoff and time-limit policy is the project's (``ctg.celery.BaseTask``).
"""

from celery import shared_task
from django.core.mail import get_connection

from . import readmodel, services


@shared_task
def send_measurement_returned(measurement_id: int) -> int:
    """After the commit: tell the author of a measurement the Caf sent back, built from the
    database when the task runs (nothing when it was corrected meanwhile). Returns how many
    e-mails were sent."""
    messages = services.measurement_returned_messages(measurement_id)
    if not messages:
        return 0
    with get_connection() as connection:
        return connection.send_messages(messages) or 0


@shared_task
def progress_refresh_all() -> int:
    """Daily, after midnight: the progress read model computed again for the new day (the
    expected share and lateness change with time alone). Returns how many conventions."""
    return readmodel.progress_rebuild()
