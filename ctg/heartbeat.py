"""When did the periodic jobs last run? (read by /healthz)."""

from django.core.cache import cache
from django.utils import timezone

KEY = "ctg:beat:{}"


def beat_ran(job: str) -> None:
    cache.set(KEY.format(job), timezone.now().isoformat(), timeout=None)


def beat_last_run(job: str) -> str | None:
    return cache.get(KEY.format(job))
