"""Faults: a report requested while the broker is down is kept as pending, the
user is told, and the dispatcher sends it once the broker is back.

"Down" is a real unreachable Redis (a closed port on this machine), not a mock;
"back" is eager mode in the fast test and the real Redis with a real worker in
the services test.
"""

import datetime
import time
import uuid

import pytest
from django.urls import reverse

from reports import services as reporting
from reports.models import ProgressReport
from tests.conftest import broker
from tests.test_healthz import closed_port_url
from tests.test_reports_worker import wait_for

PENDING_MESSAGE = (
    "Le service de génération est momentanément indisponible : le rapport est "
    "enregistré et sera produit dès son rétablissement."
)


def request_report(client, convention, *, start="2023-01-01", end="2023-06-30"):
    return client.post(
        reverse("reports:report_request", args=[convention.pk]),
        {"period_start": start, "period_end": end},
        follow=True,
    )


@pytest.mark.django_db(transaction=True)
def test_a_report_requested_with_the_broker_down_is_pending_then_built_when_it_is_back(
    world, login
):
    """Transactional: the build is queued on commit, before the view answers."""
    client = login(world.caf_staff)
    with broker(closed_port_url()):
        started = time.monotonic()
        response = request_report(client, world.convention)
        elapsed = time.monotonic() - started
    assert response.status_code == 200
    assert PENDING_MESSAGE in response.content.decode()
    assert elapsed < 10, f"the request took {elapsed:.1f} s with the broker down"
    report = ProgressReport.objects.get(convention=world.convention)
    assert report.status == ProgressReport.Status.PENDING
    assert report.enqueued_at is None
    # The archive says so too, and keeps working.
    page = client.get(reverse("reports:reports", args=[world.convention.pk]))
    assert "Service de génération indisponible" in page.content.decode()

    # Still down: the dispatcher leaves it pending and does not raise.
    with broker(closed_port_url()):
        assert reporting.dispatch_pending_reports() == []
    report.refresh_from_db()
    assert (report.status, report.enqueued_at) == (ProgressReport.Status.PENDING, None)

    # Back (in-process): the dispatcher sends it, it is built; a second run sends nothing.
    with broker(None):
        assert reporting.dispatch_pending_reports() == [report.pk]
        assert reporting.dispatch_pending_reports() == []
    report.refresh_from_db()
    assert report.status == ProgressReport.Status.READY and report.pdf


@pytest.fixture
def sent(monkeypatch):
    """The ids of the builds handed to the broker (these tests are about who sends
    what, not about a broker; the real one is in the last test)."""
    from reports import tasks

    ids = []
    monkeypatch.setattr(
        tasks.build_report, "apply_async", lambda args, **kwargs: ids.append(args[0])
    )
    return ids


def test_the_dispatcher_claims_each_pending_report_once(world, sent):
    """Two dispatcher runs never send the same report twice (compare-and-set)."""
    report = ProgressReport.objects.create(
        convention=world.convention,
        period_start=datetime.date(2023, 1, 1),
        period_end=datetime.date(2023, 6, 30),
    )
    assert reporting.dispatch_pending_reports() == [report.pk]
    assert reporting.dispatch_pending_reports() == []
    assert sent == [report.pk]
    # A report handed to the broker long ago and never started is sent again.
    ProgressReport.objects.filter(pk=report.pk).update(
        enqueued_at=report.requested_at - datetime.timedelta(hours=3)
    )
    assert reporting.dispatch_pending_reports() == [report.pk]
    assert sent == [report.pk, report.pk]


def test_a_failed_report_requested_again_is_sent_again(
    world, sent, django_capture_on_commit_callbacks
):
    report = ProgressReport.objects.create(
        convention=world.convention,
        period_start=datetime.date(2023, 1, 1),
        period_end=datetime.date(2023, 6, 30),
        status=ProgressReport.Status.FAILED,
        enqueued_at=datetime.datetime.now(datetime.UTC),
    )
    with django_capture_on_commit_callbacks(execute=True):
        again, queued = reporting.report_request(
            convention=world.convention,
            period_start=report.period_start,
            period_end=report.period_end,
        )
    assert again.pk == report.pk and queued
    assert sent == [report.pk]


@pytest.mark.services
def test_with_a_real_worker_the_pending_report_is_built_once_redis_is_back(
    world,
    login,
    real_redis_url,
    transactional_db,
):
    from celery.contrib.testing.worker import start_worker

    client = login(world.caf_staff)
    with broker(closed_port_url()):
        response = request_report(client, world.convention)  # on_commit runs for real
    assert PENDING_MESSAGE in response.content.decode()
    report = ProgressReport.objects.get(convention=world.convention)
    assert (report.status, report.enqueued_at) == (ProgressReport.Status.PENDING, None)

    queue = f"ctg-test-{uuid.uuid4().hex[:8]}"
    with broker(real_redis_url, queue=queue, backend=real_redis_url) as celery_app:
        with start_worker(
            celery_app, pool="solo", perform_ping_check=False, loglevel="WARNING", queues=[queue]
        ):
            from reports.tasks import dispatch_pending_reports

            assert dispatch_pending_reports.delay().get(timeout=60) == [report.pk]

            def ready():
                report.refresh_from_db()
                return report.status == ProgressReport.Status.READY

            assert wait_for(ready, timeout=90), (report.status, report.error)
    assert report.pdf and report.xlsx and report.enqueued_at is not None
