"""Progress reports and meeting packs: what was produced for a convention and period,
its frozen figures, its files and its deliveries to committee members.

Both tables were created by the evaluation app and keep their names."""

from django.conf import settings
from django.db import models
from django.db.models import Q

from ctg import formatting
from ctg.dates import validate_plausible_date


class ProgressReport(models.Model):
    class Kind(models.TextChoices):
        PERIODIC = "periodic", "Rapport d'avancement"
        MEETING_PACK = "meeting_pack", "Dossier de séance"

    class Status(models.TextChoices):
        PENDING = "pending", "En attente"
        BUILDING = "building", "En cours de production"
        READY = "ready", "Prêt"
        FAILED = "failed", "En échec"

    convention = models.ForeignKey(
        "conventions.Convention",
        verbose_name="convention",
        on_delete=models.CASCADE,
        related_name="reports",
    )
    kind = models.CharField("type", max_length=20, choices=Kind.choices, default=Kind.PERIODIC)
    meeting = models.ForeignKey(
        "conventions.Meeting",
        verbose_name="réunion",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="packs",
    )
    period_start = models.DateField("début de période", validators=[validate_plausible_date])
    period_end = models.DateField("fin de période", validators=[validate_plausible_date])
    status = models.CharField("état", max_length=20, choices=Status.choices, default=Status.PENDING)
    error = models.TextField("erreur", blank=True)
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name="demandé par",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    requested_at = models.DateTimeField("demandé le", auto_now_add=True)
    generated_at = models.DateTimeField("produit le", null=True, blank=True)
    snapshot = models.JSONField("données figées", default=dict, blank=True)
    pdf = models.FileField("PDF", upload_to="reports/pdf/", blank=True)
    xlsx = models.FileField("classeur XLSX", upload_to="reports/xlsx/", blank=True)
    attempts = models.PositiveSmallIntegerField("tentatives", default=0)
    # Set when the build was handed to the broker; empty while a pending report
    # waits for the broker to come back (``dispatch_pending_reports``).
    enqueued_at = models.DateTimeField("mis en file le", null=True, blank=True)

    class Meta:
        db_table = "evaluation_progressreport"  # created by the evaluation app
        verbose_name = "rapport d'avancement"
        verbose_name_plural = "rapports d'avancement"
        ordering = ["-period_end", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["convention", "kind", "period_start", "period_end"],
                name="progress_report_one_per_period",
                violation_error_message="Un rapport existe déjà pour cette convention et cette période.",
            ),
            models.CheckConstraint(
                condition=Q(period_end__gte=models.F("period_start")),
                name="progress_report_period_order",
                violation_error_message="La fin de période ne peut pas précéder son début.",
            ),
        ]
        indexes = [models.Index(fields=["convention", "status"])]

    def __str__(self) -> str:
        return (
            f"{self.get_kind_display()} — {self.convention} "
            f"({formatting.date_short(self.period_start)} – {formatting.date_short(self.period_end)})"
        )


class ReportDelivery(models.Model):
    class Status(models.TextChoices):
        PENDING = "pending", "À envoyer"
        SENT = "sent", "Envoyé"
        FAILED = "failed", "En échec"

    report = models.ForeignKey(
        ProgressReport, verbose_name="rapport", on_delete=models.CASCADE, related_name="deliveries"
    )
    member = models.ForeignKey(
        "conventions.CommitteeMember",
        verbose_name="destinataire",
        null=True,
        on_delete=models.SET_NULL,
        related_name="deliveries",
    )
    email = models.EmailField("adresse")
    status = models.CharField("état", max_length=20, choices=Status.choices, default=Status.PENDING)
    sent_at = models.DateTimeField("envoyé le", null=True, blank=True)
    error = models.TextField("erreur", blank=True)

    class Meta:
        db_table = "evaluation_reportdelivery"  # created by the evaluation app
        verbose_name = "envoi de rapport"
        verbose_name_plural = "envois de rapports"
        ordering = ["report", "email"]
        constraints = [
            models.UniqueConstraint(
                fields=["report", "email"], name="report_delivery_once_per_recipient"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.report} → {self.email}"
