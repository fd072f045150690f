"""When did the periodic jobs last run? (read by /healthz).

The cache is Redis in production: when Redis is away a heartbeat is lost and
reads as "never", but the caller never fails because of it.
"""

import logging

from django.core.cache import cache
from django.utils import timezone

logger = logging.getLogger(__name__)

KEY = "ctg:beat:{}"


def beat_ran(job: str) -> None:
    try:
        cache.set(KEY.format(job), timezone.now().isoformat(), timeout=None)
    except Exception:  # noqa: BLE001 - the cache (Redis) may be down
        logger.warning("Cache unavailable: heartbeat of %s not recorded", job, exc_info=True)


def beat_last_run(job: str) -> str | None:
    try:
        return cache.get(KEY.format(job))
    except Exception:  # noqa: BLE001 - the cache (Redis) may be down
        logger.warning("Cache unavailable: heartbeat of %s unknown", job, exc_info=True)
        return None
