"""Integration: a real Celery worker, against the machine's real Redis, sends the
deadline notices of the conventions, once per convention and threshold.

Skipped without REDIS_URL (failed when CTG_REQUIRE_SERVICES=1), as
tests/test_reports_worker.py.
"""

import datetime
import uuid

import pytest
from django.utils import timezone

from conventions.factories import ConventionFactory
from conventions.models import DeadlineNotice
from tests.conftest import broker

pytestmark = pytest.mark.services


@pytest.fixture
def celery_worker(real_redis_url, transactional_db):
    from celery.contrib.testing.worker import start_worker

    queue = f"ctg-test-{uuid.uuid4().hex[:8]}"
    with (
        broker(real_redis_url, queue=queue, backend=real_redis_url) as app,
        start_worker(
            app, pool="solo", perform_ping_check=False, loglevel="WARNING", queues=[queue]
        ),
    ):
        yield app


def test_a_real_worker_sends_each_deadline_notice_once(world, celery_worker, mailoutbox):
    from conventions.tasks import send_deadline_notices

    # The job reads the real today: dates relative to it. The world's two conventions
    # ended on 31 December 2025; this one ends within 6 months.
    today = timezone.localdate()
    ending = ConventionFactory(
        caf=world.caf,
        name="CTG finit bientôt",
        start_date=today - datetime.timedelta(days=1000),
        end_date=today + datetime.timedelta(days=90),
    )
    result = send_deadline_notices.delay()
    # Sent to Redis and run by the worker, not in-process.
    assert type(result).__name__ == "AsyncResult"
    sent = result.get(timeout=60)
    assert len(sent) == 3
    assert set(DeadlineNotice.objects.values_list("convention__name", "threshold")) == {
        (ending.name, "ending_6_months"),
        ("CTG des Deux Rives", "ended"),
        ("CTG de Sorbiers", "ended"),
    }
    assert len(mailoutbox) == 3

    # The beat runs it again the next day (or twice): nothing is sent twice.
    assert send_deadline_notices.delay().get(timeout=60) == []
    assert DeadlineNotice.objects.count() == 3
    assert len(mailoutbox) == 3
