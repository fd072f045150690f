"""Personal API tokens: a user creates, lists and revokes them on their profile page.

Only a SHA-256 hash of the secret is stored (the secret is shown once, at creation); the
prefix, not secret, identifies a token in lists and in the ``Authorization`` header's
lookup. Every token expires (``expires_at`` is required, one year at most).
"""

import datetime

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import F, Q
from django.utils import timezone

DEFAULT_VALIDITY = datetime.timedelta(days=90)
MAX_VALIDITY = datetime.timedelta(days=366)


class ApiToken(models.Model):
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name="utilisateur",
        on_delete=models.CASCADE,
        related_name="api_tokens",
    )
    name = models.CharField("nom", max_length=100)
    prefix = models.CharField("préfixe", max_length=16, unique=True, editable=False)
    key_hash = models.CharField("empreinte SHA-256", max_length=64, unique=True, editable=False)
    created_at = models.DateTimeField("créé le", default=timezone.now, editable=False)
    expires_at = models.DateTimeField("expire le")
    revoked_at = models.DateTimeField("révoqué le", null=True, blank=True)
    last_used_at = models.DateTimeField("dernière utilisation", null=True, blank=True)

    class Meta:
        verbose_name = "jeton d'API"
        verbose_name_plural = "jetons d'API"
        ordering = ["-created_at", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(expires_at__gt=F("created_at")),
                name="api_token_expires_after_creation",
                violation_error_message="La date d'expiration doit suivre la création du jeton.",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.display_prefix}…)"

    @property
    def display_prefix(self) -> str:
        return f"ctg_{self.prefix}"

    def clean(self) -> None:
        if self.expires_at and self.created_at:
            if self.expires_at <= self.created_at:
                raise ValidationError(
                    {"expires_at": "La date d'expiration doit être postérieure à aujourd'hui."}
                )
            if self.expires_at - self.created_at > MAX_VALIDITY:
                raise ValidationError(
                    {"expires_at": "Un jeton est valable un an au plus."},
                )

    def is_expired(self, now: datetime.datetime | None = None) -> bool:
        return self.expires_at <= (now or timezone.now())

    @property
    def is_revoked(self) -> bool:
        return self.revoked_at is not None

    def is_active(self, now: datetime.datetime | None = None) -> bool:
        return not self.is_revoked and not self.is_expired(now)

    @property
    def state_label(self) -> str:
        if self.is_revoked:
            return "Révoqué"
        if self.is_expired():
            return "Expiré"
        return "Actif"
