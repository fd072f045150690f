"""The built copies of the convention document (``portal.document``).

Laying the document out takes seconds (tens on a loaded machine): it is built once
per content by a Celery task (``portal.tasks.build_convention_document``) and kept.
A copy is keyed by its convention and the fingerprint of what it shows
(``portal.document.document_fingerprint``): a new amendment, a signatory edited, a
fiche validated… change the fingerprint, and the next download asks for a new copy.
"""

from django.conf import settings
from django.db import models
from django.utils.text import slugify


class ConventionDocument(models.Model):
    class Status(models.TextChoices):
        PENDING = "pending", "En préparation"
        READY = "ready", "Prête"
        FAILED = "failed", "En échec"

    convention = models.ForeignKey(
        "conventions.Convention",
        verbose_name="convention",
        on_delete=models.CASCADE,
        related_name="documents",
    )
    fingerprint = models.CharField("empreinte du contenu", max_length=64)
    amendment_number = models.PositiveSmallIntegerField(
        "avenant intégré", default=0, help_text="0 : version initiale."
    )
    status = models.CharField("état", max_length=20, choices=Status.choices, default=Status.PENDING)
    pdf = models.FileField("PDF", upload_to="conventions/documents/", blank=True)
    error = models.TextField("erreur", blank=True)
    attempts = models.PositiveSmallIntegerField("tentatives", default=0)
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name="demandé par",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    requested_at = models.DateTimeField("demandé le", auto_now_add=True)
    # Set when the build was handed to the broker; empty or old while the message
    # may have been lost (broker away): the next download hands it over again.
    enqueued_at = models.DateTimeField("mis en file le", null=True, blank=True)
    built_at = models.DateTimeField("produit le", null=True, blank=True)

    class Meta:
        verbose_name = "document de convention"
        verbose_name_plural = "documents de convention"
        ordering = ["-requested_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["convention", "fingerprint"],
                name="convention_document_one_per_content",
                violation_error_message="Ce document est déjà demandé pour cette convention.",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.convention} — {self.version_label} ({self.get_status_display().lower()})"

    @property
    def version_label(self) -> str:
        """« version initiale » or « intégrant l'avenant n° 2 »."""
        if not self.amendment_number:
            return "version initiale"
        return f"intégrant l'avenant n° {self.amendment_number}"

    @property
    def filename(self) -> str:
        """The name the download is saved under."""
        stem = slugify(self.convention.name) or str(self.convention_id)
        suffix = f"-avenant-{self.amendment_number}" if self.amendment_number else ""
        return f"convention-{stem}{suffix}.pdf"
