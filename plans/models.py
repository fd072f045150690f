"""The record of a confirmed plan import: the file, who, when, what it did."""

from django.conf import settings
from django.db import models


class PlanImport(models.Model):
    """A confirmed import of the plan workbook, under the token of its preview.

    Confirming the same preview again (a double click, two tabs, a replayed request) finds this
    record and shows its result instead of importing a second time; the unique token and the
    convention's row lock taken by the import serialise confirmations that run at once.
    """

    token = models.CharField("jeton de l'aperçu", max_length=64, unique=True)
    convention = models.ForeignKey(
        "conventions.Convention",
        verbose_name="convention",
        on_delete=models.CASCADE,
        related_name="plan_imports",
    )
    filename = models.CharField("fichier", max_length=255)
    imported_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name="importé par",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    imported_at = models.DateTimeField("importé le", auto_now_add=True)
    historical = models.BooleanField("reprise de l'existant", default=False)
    counts = models.JSONField(
        "décompte",
        default=dict,
        blank=True,
        help_text="Par feuille : lignes créées, modifiées, inchangées.",
    )

    class Meta:
        verbose_name = "import de plan d'actions"
        verbose_name_plural = "imports de plans d'actions"
        ordering = ["-imported_at"]

    def __str__(self) -> str:
        return f"{self.filename} ({self.convention})"
