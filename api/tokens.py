"""The form of a personal API token and how one is checked: the one home of both.

A token reads ``ctg_<prefix>_<secret>``: the prefix (12 hexadecimal characters) finds the
row, the SHA-256 hash of the whole token is compared with the stored one in constant time
(:func:`hmac.compare_digest`). The secret has 256 bits of entropy, so a plain hash is
enough (no key stretching: a token is not a password a person chose).
"""

from __future__ import annotations

import datetime
import hashlib
import hmac
import secrets
from dataclasses import dataclass

from django.utils import timezone

from ctg import formatting

from .models import ApiToken

SCHEME = "ctg_"
PREFIX_LENGTH = 12
# last_used_at is written at most once per this delay (one UPDATE, not one per request).
LAST_USED_PRECISION = datetime.timedelta(minutes=1)

INVALID = "Jeton d'API invalide."
REVOKED = "Ce jeton d'API a été révoqué : créez-en un nouveau sur votre page « Jetons d'API »."
INACTIVE = "Le compte de ce jeton d'API est désactivé."


def expired_message(token: ApiToken) -> str:
    day = timezone.localtime(token.expires_at).date()
    return (
        f"Ce jeton d'API a expiré le {formatting.date(day)} : créez-en un nouveau sur votre "
        "page « Jetons d'API »."
    )


def digest(raw: str) -> str:
    return hashlib.sha256(raw.encode("utf-8")).hexdigest()


@dataclass(frozen=True)
class NewKey:
    raw: str  # shown once to its owner, never stored
    prefix: str
    key_hash: str


def new_key() -> NewKey:
    prefix = secrets.token_hex(PREFIX_LENGTH // 2)
    raw = f"{SCHEME}{prefix}_{secrets.token_urlsafe(32)}"
    return NewKey(raw=raw, prefix=prefix, key_hash=digest(raw))


def prefix_of(raw: str) -> str | None:
    """The prefix of a well-formed token, None for anything else."""
    if not raw.startswith(SCHEME) or len(raw) < len(SCHEME) + PREFIX_LENGTH + 2:
        return None
    prefix = raw[len(SCHEME) : len(SCHEME) + PREFIX_LENGTH]
    if raw[len(SCHEME) + PREFIX_LENGTH] != "_":
        return None
    if any(c not in "0123456789abcdef" for c in prefix):
        return None
    return prefix


class TokenRefused(Exception):
    """The token does not authenticate; ``str(exc)`` is the French reason."""


def check(raw: str, now: datetime.datetime | None = None) -> ApiToken:
    """The token (with its user) that ``raw`` is, if it may be used now; raises
    :class:`TokenRefused` otherwise. One query (two when ``last_used_at`` is refreshed)."""
    now = now or timezone.now()
    prefix = prefix_of(raw)
    if prefix is None:
        raise TokenRefused(INVALID)
    token = ApiToken.objects.select_related("user").filter(prefix=prefix).first()
    # Compare even when no row matched, so that timing does not tell prefixes apart.
    expected = token.key_hash if token is not None else digest("")
    if not hmac.compare_digest(digest(raw), expected) or token is None:
        raise TokenRefused(INVALID)
    if token.is_revoked:
        raise TokenRefused(REVOKED)
    if token.is_expired(now):
        raise TokenRefused(expired_message(token))
    if not token.user.is_active:
        raise TokenRefused(INACTIVE)
    if token.last_used_at is None or now - token.last_used_at >= LAST_USED_PRECISION:
        ApiToken.objects.filter(pk=token.pk).update(last_used_at=now)
        token.last_used_at = now
    return token
