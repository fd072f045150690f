"""``/healthz``: is the service up? For the monitoring, not for people.

JSON, no login, no session, never cached::

    {"database": "ok" | "error: <type>",
     "redis": "ok" | "absent" | "error",
     "beat": {"last_run": "<iso>" | null, "late": bool},
     "status": "ok" | "degraded" | "error"}

- HTTP 503 and ``"error"`` when the database does not answer: nothing works.
- HTTP 200 and ``"degraded"`` when Redis is down or the beat is late: pages
  still work and report requests are kept as pending (``dispatch_pending_reports``),
  so a load balancer must not take the web server out of rotation; the
  monitoring alerts on ``status != "ok"``.
- ``"absent"``: no broker configured (embedded mode, tasks run in-process, no beat).

Every check fails fast (1 s socket timeouts) and never raises.
"""

from __future__ import annotations

import datetime

from django.conf import settings
from django.db import connection
from django.http import JsonResponse
from django.utils import timezone
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from .heartbeat import beat_last_run

# The job the beat runs every 5 minutes (ctg.celery): its heartbeat is the beat's.
BEAT_JOB = "dispatch_pending_reports"
BEAT_MAX_AGE = getattr(settings, "HEALTHZ_BEAT_MAX_AGE", datetime.timedelta(minutes=15))
TIMEOUT = 1


def check_database() -> str:
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
    except Exception as exc:  # noqa: BLE001 - reported, never raised
        return f"error: {type(exc).__name__}"
    return "ok"


def redis_url() -> str | None:
    """The broker's Redis (the cache uses the same one), or None in embedded mode."""
    url = settings.CELERY_BROKER_URL or ""
    return url if url.startswith(("redis://", "rediss://", "unix://")) else None


def check_redis() -> str:
    url = redis_url()
    if url is None:
        return "absent"
    import redis

    try:
        client = redis.Redis.from_url(url, socket_connect_timeout=TIMEOUT, socket_timeout=TIMEOUT)
        try:
            client.ping()
        finally:
            client.close()
    except Exception:  # noqa: BLE001 - reported, never raised
        return "error"
    return "ok"


def check_beat(*, now: datetime.datetime | None = None) -> dict:
    last_run = beat_last_run(BEAT_JOB)
    if redis_url() is None:
        # Embedded mode: no beat is expected.
        return {"last_run": last_run, "late": False}
    late = True
    if last_run:
        try:
            late = (now or timezone.now()) - datetime.datetime.fromisoformat(
                last_run
            ) > BEAT_MAX_AGE
        except ValueError:
            late = True
    return {"last_run": last_run, "late": late}


def health() -> tuple[dict, int]:
    database = check_database()
    redis_state = check_redis()
    beat = check_beat()
    if database != "ok":
        status = "error"
    elif redis_state == "error" or beat["late"]:
        status = "degraded"
    else:
        status = "ok"
    body = {"database": database, "redis": redis_state, "beat": beat, "status": status}
    return body, 503 if status == "error" else 200


@never_cache
@require_GET
def healthz(request):
    body, code = health()
    return JsonResponse(body, status=code)
