"""Celery tasks of the portal: they take ids and call a service.

The retry, backoff and time-limit policy is the project's (``ctg.celery.BaseTask``).
"""

from celery import shared_task

from . import services


@shared_task
def build_convention_document(document_id: int) -> int | None:
    """Render and store a copy of the convention document (``portal.services``)."""
    copy = services.convention_document_build(document_id=document_id)
    return copy.pk if copy is not None else None
