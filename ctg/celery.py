"""The project's Celery app, beside the settings.

Tasks are discovered from each app's ``tasks.py``. One project-wide policy for
every task (``BaseTask``): late acknowledgement (a killed worker's task is
redelivered), bounded retries with exponential backoff and jitter on transient
errors, and the time limits of the settings (``CELERY_TASK_*_TIME_LIMIT``).
Tasks take ids and call a service; they must be safe to run twice.
"""

import os
import smtplib

from celery import Celery, Task
from celery.schedules import crontab

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "ctg.settings")


class BaseTask(Task):
    # Transient failures: the database, the broker or the mail server was away.
    autoretry_for = (ConnectionError, TimeoutError, OSError, smtplib.SMTPException)
    retry_backoff = 5
    retry_backoff_max = 600
    retry_jitter = True
    max_retries = 5
    acks_late = True
    reject_on_worker_lost = True


app = Celery("ctg", task_cls=BaseTask)
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()

# Periodic jobs, declared once here; each is safe to run twice.
app.conf.beat_schedule = {
    # Also the beat's heartbeat read by /healthz (ctg.health).
    "dispatch-pending-reports": {
        "task": "reports.tasks.dispatch_pending_reports",
        "schedule": crontab(minute="*/5"),
    },
    "dispatch-due-reports": {
        "task": "reports.tasks.dispatch_due_reports",
        "schedule": crontab(hour=6, minute=0),
    },
    "dispatch-meeting-packs": {
        "task": "reports.tasks.dispatch_meeting_packs",
        "schedule": crontab(hour=6, minute=30),
    },
    # The progress read model (evaluation.readmodel) for the new day: the expected share
    # and lateness change with time alone (a reader recomputes a stale convention anyway).
    "progress-refresh-all": {
        "task": "evaluation.tasks.progress_refresh_all",
        "schedule": crontab(hour=0, minute=15),
    },
    # The calendar (conventions.calendar): conventions ending within 6 months or ended.
    "send-deadline-notices": {
        "task": "conventions.tasks.send_deadline_notices",
        "schedule": crontab(hour=7, minute=0),
    },
}
