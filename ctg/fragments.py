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

import datetime
import hashlib
import logging
from collections.abc import Callable, Iterable

from django.conf import settings
from django.core.cache import cache
from django.utils import timezone
from django.utils.safestring import SafeString

logger = logging.getLogger(__name__)

PREFIX = "fragment"


def digest(value: object) -> str:
    """A short, stable stand-in for ``value`` (its ``repr``: rows, names, a query string)
    in a fragment's key: what a key part says without its length."""
    return hashlib.sha256(repr(value).encode()).hexdigest()


def fragment_key(name: str, parts: Iterable[object]) -> str:
    return ":".join([PREFIX, name, *(str(part) for part in parts)])


class Fragment(SafeString):
    """A drawn fragment; ``expires_at``: the moment it stops being true by time alone
    (``None``: none), so that a fragment made of it lives no longer."""

    expires_at: datetime.datetime | None = None


def _fragment(html: str, moment: datetime.datetime | None) -> Fragment:
    fragment = Fragment(html)
    fragment.expires_at = moment
    return fragment


def _read(key: str, name: str):
    try:
        return cache.get(key)
    except Exception:  # noqa: BLE001 — a cache that fails is an empty one
        logger.warning("Cache indisponible : le fragment %s est redessiné.", name)
        return None


def _keep(key: str, name: str, value, timeout: int) -> None:
    try:
        cache.set(key, value, timeout)
    except Exception:  # noqa: BLE001
        logger.warning("Cache indisponible : le fragment %s n'est pas conservé.", name)


def cached_fragment(
    name: str,
    parts: Iterable[object],
    render: Callable[[], str],
    *,
    expires_at: Callable[[], datetime.datetime | None] | None = None,
) -> Fragment:
    """The fragment ``name`` for ``parts`` (the data version and the day), from the cache
    or drawn by ``render()`` (HTML the caller has escaped, a template's output).

    ``expires_at``, asked after a drawing, is the moment the fragment stops being true by
    time alone within the day (a meeting shown as « prochaine » starts): it is kept until
    then at most (``None``: no such moment), and the fragment returned says when
    (``Fragment.expires_at``), from the cache too."""
    timeout = settings.FRAGMENT_CACHE_SECONDS
    if not timeout:
        html = render()
        return _fragment(html, expires_at() if expires_at else None)
    key = fragment_key(name, parts)
    cached = _read(key, name)
    if isinstance(cached, tuple) and len(cached) == 2:  # else absent, or of an older format
        html, moment = cached
        return _fragment(html, moment)
    html = render()
    moment = expires_at() if expires_at else None
    if moment is not None:
        timeout = min(timeout, int((moment - timezone.now()).total_seconds()))
        if timeout <= 0:
            return _fragment(html, moment)
    _keep(key, name, (html, moment), timeout)
    return _fragment(html, moment)


def cached_value(name: str, parts: Iterable[object], compute: Callable[[], list]) -> list:
    """A list read from the database (rows, model instances), kept like a fragment under
    ``parts`` — what it depends on — or computed by ``compute()``."""
    timeout = settings.FRAGMENT_CACHE_SECONDS
    if not timeout:
        return compute()
    key = fragment_key(f"value-{name}", parts)
    cached = _read(key, name)
    if isinstance(cached, list):
        return cached
    value = compute()
    _keep(key, name, value, timeout)
    return value


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
