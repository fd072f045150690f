"""Integration: a real Celery worker, against the machine's real Redis, builds the reports.

Not eager mode: the dispatcher is sent to Redis, a worker thread consumes it,
queues one build per convention, which queue their deliveries.
"""

import time
import uuid

import pytest

from reports.models import ProgressReport, ReportDelivery
from tests.conftest import broker

pytestmark = pytest.mark.services


@pytest.fixture
def celery_worker(real_redis_url, transactional_db):
    from celery.contrib.testing.worker import start_worker

    # A queue of our own, so that no stale message of another run is consumed.
    queue = f"ctg-test-{uuid.uuid4().hex[:8]}"
    with (
        broker(real_redis_url, queue=queue, backend=real_redis_url) as app,
        start_worker(
            app, pool="solo", perform_ping_check=False, loglevel="WARNING", queues=[queue]
        ),
    ):
        yield app


def wait_for(predicate, timeout=90):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.5)
    return False


def test_a_real_worker_builds_and_delivers_the_due_reports(world, celery_worker, mailoutbox):
    from reports.tasks import dispatch_due_reports

    result = dispatch_due_reports.delay()
    # Sent to Redis and run by the worker, not in-process (eager mode returns an EagerResult).
    assert type(result).__name__ == "AsyncResult"
    queued = result.get(timeout=60)
    assert len(queued) == 2  # the two conventions of the world are in implementation

    def all_ready():
        return ProgressReport.objects.filter(status=ProgressReport.Status.READY).count() == 2

    assert wait_for(all_ready), list(ProgressReport.objects.values("status", "error"))
    report = ProgressReport.objects.get(convention=world.convention)
    assert report.pdf and report.xlsx
    assert report.snapshot["convention"]["name"] == world.convention.name

    def delivered():
        return ReportDelivery.objects.filter(report=report, status="sent").count() == 2

    assert wait_for(delivered, timeout=30)
    # Running the dispatcher again changes nothing.
    assert dispatch_due_reports.delay().get(timeout=60) == []
    assert ProgressReport.objects.count() == 2
