"""Evidence (pièces justificatives): a file or a link, with its title, that vouches for a
measurement, an observation or a fiche action."""

from __future__ import annotations

import uuid

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import ProhibitNullCharactersValidator, URLValidator
from django.db import models
from django.db.models import Q
from simple_history.models import HistoricalRecords

from evaluation import ownership

from .content import CONTENT_TYPES
from .storage import evidence_storage

ONE_TARGET = "Une pièce justificative porte sur une mesure, une observation ou une fiche action."
FILE_OR_LINK = "Une pièce justificative est un fichier ou un lien, pas les deux."
LINK_REFUSED = "Saisissez un lien http:// ou https:// valide."
SAME_CONVENTION = "La pièce justificative doit appartenir à la convention de ce qu'elle justifie."


def stored_name(instance: Evidence, filename: str) -> str:
    """A name that owes nothing to the uploader: a random identifier, the extension of the
    kind read from the content."""
    kind = CONTENT_TYPES.get(instance.content_type)
    extension = f".{kind.extensions[0]}" if kind else ""
    return f"{uuid.uuid4().hex}{extension}"


class Evidence(models.Model):
    convention = models.ForeignKey(
        "conventions.Convention",
        verbose_name="convention",
        on_delete=models.CASCADE,
        related_name="evidence_files",
    )
    measurement = models.ForeignKey(
        "evaluation.Measurement",
        verbose_name="mesure",
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="evidence_files",
    )
    observation = models.ForeignKey(
        "evaluation.Observation",
        verbose_name="observation",
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="evidence_files",
    )
    action_sheet = models.ForeignKey(
        "actions.ActionSheet",
        verbose_name="fiche action",
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="evidence_files",
    )
    title = models.CharField(
        "titre", max_length=200, validators=[ProhibitNullCharactersValidator()]
    )
    file = models.FileField(
        "fichier", storage=evidence_storage, upload_to=stored_name, max_length=255, blank=True
    )
    url = models.CharField(
        "lien",
        max_length=500,
        blank=True,
        validators=[URLValidator(schemes=["http", "https"], message=LINK_REFUSED)],
    )
    original_name = models.CharField("nom du fichier", max_length=255, blank=True)
    content_type = models.CharField("type", max_length=100, blank=True)
    size = models.PositiveBigIntegerField("taille (octets)", default=0)
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name="ajoutée par",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    uploaded_at = models.DateTimeField("ajoutée le", auto_now_add=True)

    history = HistoricalRecords()

    class Meta:
        verbose_name = "pièce justificative"
        verbose_name_plural = "pièces justificatives"
        ordering = ["uploaded_at", "id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(
                    measurement__isnull=False, observation__isnull=True, action_sheet__isnull=True
                )
                | Q(measurement__isnull=True, observation__isnull=False, action_sheet__isnull=True)
                | Q(measurement__isnull=True, observation__isnull=True, action_sheet__isnull=False),
                name="evidence_one_target",
                violation_error_message=ONE_TARGET,
            ),
            models.CheckConstraint(
                condition=(Q(file="") & ~Q(url="")) | (~Q(file="") & Q(url="")),
                name="evidence_file_or_link",
                violation_error_message=FILE_OR_LINK,
            ),
        ]

    def __str__(self) -> str:
        return self.title

    @property
    def is_link(self) -> bool:
        return not self.file

    @property
    def target(self):
        return self.measurement or self.observation or self.action_sheet

    def clean(self) -> None:
        targets = [self.measurement_id, self.observation_id, self.action_sheet_id]
        if sum(1 for t in targets if t) != 1:
            raise ValidationError(ONE_TARGET)
        if bool(self.file) == bool(self.url):
            raise ValidationError(FILE_OR_LINK)
        if self.convention_id and target_convention_id(self) != self.convention_id:
            raise ValidationError(SAME_CONVENTION)


def target_convention_id(evidence: Evidence) -> int | None:
    """The convention of what the evidence vouches for (a measurement's indicator hangs on a
    fiche or an objective; an observation on a marker of a change sought)."""
    if evidence.action_sheet_id:
        return evidence.action_sheet.convention_id
    if evidence.observation_id:
        return evidence.observation.marker.change.convention_id
    if evidence.measurement_id:
        return ownership.convention_id_of(evidence.measurement.indicator)
    return None


def may_delete(evidence: Evidence, access) -> bool:
    """Who removes a piece of evidence: the Caf's staff of the convention, and the person who
    added it while they may still edit the convention's fiches and measurements
    (``conventions.permissions.ConventionAccess``)."""
    if access.can_edit_convention:
        return True
    return (
        access.can_edit_actions
        and evidence.uploaded_by_id is not None
        and evidence.uploaded_by_id == access.user.pk
    )
