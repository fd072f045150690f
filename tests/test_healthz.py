"""/healthz: database, Redis and the beat's heartbeat, for the monitoring.

Redis "down" is a real unreachable Redis (a closed port on this machine), not a mock.
"""

import datetime
import socket
import time
import uuid

import pytest
from django.test import override_settings
from django.urls import reverse
from django.utils import timezone

from ctg import heartbeat


def closed_port_url() -> str:
    """A Redis URL on a port nobody listens to (bound then released)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    return f"redis://127.0.0.1:{port}/0"


def redis_cache(url: str) -> dict:
    return {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": url,
            "KEY_PREFIX": f"test-{uuid.uuid4().hex[:8]}",
            "OPTIONS": {"socket_connect_timeout": 1, "socket_timeout": 1},
        }
    }


def get_health(client):
    response = client.get(reverse("healthz"))
    assert response["Content-Type"] == "application/json"
    assert "no-cache" in response["Cache-Control"]
    return response, response.json()


@pytest.mark.django_db
def test_embedded_mode_without_redis_is_ok_anonymously_and_without_session(client):
    with override_settings(CELERY_BROKER_URL="memory://"):
        response, body = get_health(client)
    assert response.status_code == 200
    assert body == {
        "database": "ok",
        "redis": "absent",
        "beat": {"last_run": None, "late": False},
        "status": "ok",
    }
    assert "sessionid" not in response.cookies and "csrftoken" not in response.cookies


@pytest.mark.django_db
@pytest.mark.services
def test_with_the_real_redis_the_beat_heartbeat_decides_ok_or_degraded(client, real_redis_url):
    with override_settings(CELERY_BROKER_URL=real_redis_url, CACHES=redis_cache(real_redis_url)):
        response, body = get_health(client)
        # Redis answers but the beat never ran: late, so degraded (still 200).
        assert (response.status_code, body["redis"], body["status"]) == (200, "ok", "degraded")
        assert body["beat"] == {"last_run": None, "late": True}

        heartbeat.beat_ran("dispatch_pending_reports")
        response, body = get_health(client)
        assert (response.status_code, body["status"], body["database"]) == (200, "ok", "ok")
        assert body["beat"]["late"] is False
        ran = datetime.datetime.fromisoformat(body["beat"]["last_run"])
        assert abs((timezone.now() - ran).total_seconds()) < 60

        # A heartbeat older than the limit (15 minutes) is late again.
        from django.core.cache import cache

        old = timezone.now() - datetime.timedelta(minutes=16)
        cache.set(heartbeat.KEY.format("dispatch_pending_reports"), old.isoformat())
        _, body = get_health(client)
        assert body["beat"]["late"] is True and body["status"] == "degraded"


@pytest.mark.django_db
def test_with_redis_unreachable_healthz_is_degraded_fast_and_does_not_raise(client):
    url = closed_port_url()
    with override_settings(CELERY_BROKER_URL=url, CACHES=redis_cache(url)):
        started = time.monotonic()
        response, body = get_health(client)
        elapsed = time.monotonic() - started
    assert response.status_code == 200
    assert body["database"] == "ok"
    assert body["redis"] == "error"
    assert body["beat"] == {"last_run": None, "late": True}
    assert body["status"] == "degraded"
    assert elapsed < 5, f"/healthz took {elapsed:.1f} s with Redis down"


@pytest.mark.django_db
def test_with_the_cache_unreachable_heartbeats_and_pages_keep_working(world, login):
    url = closed_port_url()
    with override_settings(CELERY_BROKER_URL=url, CACHES=redis_cache(url)):
        heartbeat.beat_ran("dispatch_pending_reports")  # lost, but does not raise
        assert heartbeat.beat_last_run("dispatch_pending_reports") is None
        client = login(world.caf_staff)
        assert client.get(reverse("home"), follow=True).status_code == 200
        for name in ("reports:reports", "portal:detail"):
            response = client.get(reverse(name, args=[world.convention.pk]))
            assert response.status_code == 200, name


def test_healthz_answers_over_plain_http_when_https_is_enforced(db, client, settings):
    # A monitoring probe inside the network is not redirected; every other page is.
    settings.SECURE_SSL_REDIRECT = True
    assert client.get(reverse("healthz")).status_code == 200
    assert client.get(reverse("login")).status_code == 301
