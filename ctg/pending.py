"""Previews waiting for their confirmation, kept in the session under a token.

An import shows what it would do before doing it: the preview's data is kept here, the
confirmation form carries only the token. The last few previews of a session are kept (two
tabs, a second try), the older ones dropped; the import records the token it confirmed, so
that a second confirmation (double click, replayed request) finds the first one's result.
"""

from __future__ import annotations

import secrets
from typing import Any

#: Previews kept per kind and session.
KEEP = 4


def stash(session, kind: str, payload: dict[str, Any]) -> str:
    """Keep ``payload`` (JSON-serialisable) and return its new token."""
    token = secrets.token_urlsafe(16)
    store = dict(list(session.get(kind, {}).items())[-(KEEP - 1) :])
    store[token] = payload
    session[kind] = store
    return token


def pending(session, kind: str, token: str, **expected) -> dict[str, Any] | None:
    """The payload kept under ``token`` if its items match ``expected`` (its convention…)."""
    payload = session.get(kind, {}).get(token) if token else None
    if payload is None or any(payload.get(k) != v for k, v in expected.items()):
        return None
    return payload


def discard(session, kind: str, token: str) -> None:
    store = dict(session.get(kind, {}))
    if store.pop(token, None) is not None:
        session[kind] = store
