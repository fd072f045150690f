"""Writes on personal API tokens: keyword-only, atomic, validated."""

from __future__ import annotations

import datetime

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone

from conventions.models import User

from . import tokens
from .models import ApiToken

MAX_ACTIVE_TOKENS = 10


def api_token_create(
    *, user: User, name: str, expires_at: datetime.datetime
) -> tuple[ApiToken, str]:
    """A new token for ``user`` and its secret, to show once: only its hash is kept."""
    now = timezone.now()
    for _attempt in range(3):  # a prefix already taken: draw again
        key = tokens.new_key()
        try:
            with transaction.atomic():
                # One user's token creations run one after the other (the cap below).
                User.objects.select_for_update().filter(pk=user.pk).first()
                active = ApiToken.objects.filter(
                    user=user, revoked_at__isnull=True, expires_at__gt=now
                ).count()
                if active >= MAX_ACTIVE_TOKENS:
                    raise ValidationError(
                        f"Vous avez déjà {MAX_ACTIVE_TOKENS} jetons actifs : révoquez-en un "
                        "avant d'en créer un autre."
                    )
                token = ApiToken(
                    user=user,
                    name=(name or "").strip(),
                    prefix=key.prefix,
                    key_hash=key.key_hash,
                    created_at=now,
                    expires_at=expires_at,
                )
                token.full_clean(validate_unique=False)
                token.save()
            return token, key.raw
        except IntegrityError:
            continue
    raise ValidationError("Le jeton n'a pas pu être créé : réessayez.")


@transaction.atomic
def api_token_revoke(*, token: ApiToken, user: User) -> ApiToken:
    """Revoke one of ``user``'s tokens (at once: the next request with it is refused)."""
    locked = ApiToken.objects.select_for_update().filter(pk=token.pk, user=user).first()
    if locked is None:
        raise ValidationError("Ce jeton n'est pas le vôtre.")
    if locked.revoked_at is None:
        locked.revoked_at = timezone.now()
        locked.full_clean()
        locked.save(update_fields=["revoked_at"])
    return locked
