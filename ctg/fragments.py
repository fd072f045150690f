"""Rendered fragments kept in the cache under keys that say what they show.

A fragment's key holds the version of the data it was drawn from (for a convention:
``Convention.version``, ``data_version`` and ``updated_at``, see
``conventions.services.data_version``) and the day (expected progress and lateness move
with time alone): a write changes the key, so the next view draws the fragment again, and
nothing is ever deleted from the cache to keep it true. The cache is Redis when
``REDIS_URL`` is set (shared by the workers), local memory otherwise. A cache that fails
(Redis away) is read as empty: the page is drawn, never refused.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable

from django.conf import settings
from django.core.cache import cache
from django.utils.safestring import SafeString, mark_safe

logger = logging.getLogger(__name__)

PREFIX = "fragment"


def fragment_key(name: str, parts: Iterable[object]) -> str:
    return ":".join([PREFIX, name, *(str(part) for part in parts)])


def cached_fragment(name: str, parts: Iterable[object], render: Callable[[], str]) -> SafeString:
    """The fragment ``name`` for ``parts`` (the data version and the day), from the cache
    or drawn by ``render()`` (HTML the caller has escaped, a template's output)."""
    timeout = settings.FRAGMENT_CACHE_SECONDS
    if not timeout:
        return mark_safe(render())
    key = fragment_key(name, parts)
    try:
        html = cache.get(key)
    except Exception:  # noqa: BLE001 — a cache that fails is an empty one
        logger.warning("Cache indisponible : le fragment %s est redessiné.", name)
        html = None
    if html is None:
        html = render()
        try:
            cache.set(key, html, timeout)
        except Exception:  # noqa: BLE001
            logger.warning("Cache indisponible : le fragment %s n'est pas conservé.", name)
    return mark_safe(html)


def convention_version(convention) -> tuple:
    """What every cached fragment of a convention's data depends on: its own fields
    (``version``, ``updated_at``) and the data of its plan (``data_version``, bumped by
    every write on it, see ``conventions.services.data_version``)."""
    return (
        convention.pk,
        convention.version,
        convention.data_version,
        convention.updated_at.isoformat(),
    )
