"""A convention's publication: its opt-in public page and open-data files.

The Caf decides (its staff, ``ConventionAccess.can_edit_convention``): nothing of a
convention is public until ``published`` is set. The public address is either an
unguessable token (``secrets.token_urlsafe``, the default) or a slug the Caf chooses; only
the address of the chosen mode answers.
"""

from __future__ import annotations

import secrets

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MinLengthValidator, RegexValidator
from django.db import models
from django.db.models import Q
from simple_history.models import HistoricalRecords

SLUG_RE = r"^[a-z0-9]+(?:-[a-z0-9]+)*$"
SLUG_MIN, SLUG_MAX = 3, 80
#: Words of the public URLs themselves: no convention may take them as its address.
RESERVED_SLUGS = frozenset({"schemas", "donnees", "public", "rapport"})
SLUG_TAKEN = "Cette adresse est déjà prise par une autre convention : choisissez-en une autre."


def new_token() -> str:
    """32 URL-safe characters (192 random bits): an address nobody can guess."""
    return secrets.token_urlsafe(24)


def validate_not_reserved(value: str) -> None:
    if value in RESERVED_SLUGS:
        raise ValidationError(
            "« %(value)s » est réservé par l'application : choisissez une autre adresse.",
            params={"value": value},
        )


class Publication(models.Model):
    class Mode(models.TextChoices):
        TOKEN = "token", "Adresse secrète (impossible à deviner)"
        SLUG = "slug", "Adresse lisible choisie par la Caf"

    convention = models.OneToOneField(
        "conventions.Convention",
        verbose_name="convention",
        on_delete=models.CASCADE,
        related_name="publication",
    )
    published = models.BooleanField("publiée", default=False)
    published_at = models.DateTimeField("publiée le", null=True, blank=True)
    published_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name="publiée par",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    mode = models.CharField("adresse", max_length=10, choices=Mode.choices, default=Mode.TOKEN)
    slug = models.CharField(
        "adresse lisible",
        max_length=SLUG_MAX,
        blank=True,
        help_text="Lettres minuscules sans accent, chiffres et tirets, par exemple ctg-quercy-rouergue.",
        validators=[
            MinLengthValidator(SLUG_MIN, "L'adresse compte au moins %(limit_value)d caractères."),
            RegexValidator(
                SLUG_RE,
                "L'adresse ne peut contenir que des lettres minuscules sans accent, des "
                "chiffres et des tirets (pas au début ni à la fin, pas deux de suite).",
            ),
            validate_not_reserved,
        ],
    )
    token = models.CharField(
        "adresse secrète", max_length=64, unique=True, default=new_token, editable=False
    )
    noindex = models.BooleanField(
        "demander aux moteurs de recherche de ne pas référencer la page",
        default=True,
        help_text="Balise « robots » et en-tête X-Robots-Tag : noindex, nofollow.",
    )
    share_report_pdf = models.BooleanField(
        "publier le PDF du dernier rapport d'avancement",
        default=False,
        help_text=(
            "Le PDF du rapport nomme les membres du comité qui ont donné leur avis sur les "
            "fiches et reprend leurs commentaires : ne le publiez qu'avec leur accord."
        ),
    )
    updated_at = models.DateTimeField("modifiée le", auto_now=True)
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name="modifiée par",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )

    history = HistoricalRecords(excluded_fields=["updated_at"])

    class Meta:
        verbose_name = "publication"
        verbose_name_plural = "publications"
        constraints = [
            models.UniqueConstraint(
                fields=["slug"],
                condition=~Q(slug=""),
                name="publication_unique_slug",
                violation_error_message=SLUG_TAKEN,
            ),
            models.CheckConstraint(
                condition=~Q(mode="slug") | ~Q(slug=""),
                name="publication_slug_mode_has_slug",
                violation_error_message="Indiquez l'adresse lisible choisie.",
            ),
        ]

    def __str__(self) -> str:
        state = "publiée" if self.published else "non publiée"
        return f"Publication de {self.convention} ({state})"

    @property
    def address(self) -> str:
        """The part of the public URLs that names this convention (``/public/<address>/``)."""
        return self.slug if self.mode == self.Mode.SLUG else self.token

    def clean(self) -> None:
        if self.mode == self.Mode.SLUG and not self.slug:
            raise ValidationError({"slug": "Indiquez l'adresse lisible choisie."})
        if self.slug and Publication.objects.filter(token=self.slug).exclude(pk=self.pk).exists():
            raise ValidationError({"slug": SLUG_TAKEN})
