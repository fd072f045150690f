"""Celery tasks of the meetings app: they take ids and call a service.

The retry, backoff and time-limit policy is the project's (``ctg.celery.BaseTask``).
"""

from celery import shared_task

from . import services


@shared_task
def send_convocation(convocation_id: int) -> int:
    return services.convocation_deliver(convocation_id=convocation_id)


@shared_task
def send_releve(sending_id: int) -> int:
    return services.releve_deliver(sending_id=sending_id)


@shared_task
def send_decision_notice(decision_id: int) -> int:
    return services.decision_notify(decision_id=decision_id)
