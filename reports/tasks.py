"""Celery tasks of the reports app: they take ids and call a service.

The retry, backoff and time-limit policy is the project's (``ctg.celery.BaseTask``).
"""

from celery import shared_task

from ctg.heartbeat import beat_ran

from . import services as reporting


@shared_task
def dispatch_due_reports() -> list[int]:
    """Daily: queue the due progress report of every convention."""
    beat_ran("dispatch_due_reports")
    return reporting.dispatch_due_reports()


@shared_task
def dispatch_pending_reports() -> list[int]:
    """Every few minutes: queue the reports requested while the broker was away."""
    beat_ran("dispatch_pending_reports")
    return reporting.dispatch_pending_reports()


@shared_task
def dispatch_meeting_packs() -> list[int]:
    """Daily: queue the packs of the meetings coming soon, and the reminders."""
    return reporting.dispatch_meeting_packs()


@shared_task
def build_report(report_id: int) -> int:
    report = reporting.report_build(report_id=report_id)
    deliver_report.delay(report.pk)
    return report.pk


@shared_task
def deliver_report(report_id: int) -> int:
    return reporting.report_deliver(report_id=report_id)
