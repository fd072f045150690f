"""The action plan: stakes, objectives, fiches action, funding and approvals."""

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MinValueValidator
from django.db import models
from django.db.models import Q
from simple_history.models import HistoricalRecords

from ctg.dates import validate_plausible_date

#: The refusal of a fiche number already used in the convention (form, service, constraint).
NUMBER_TAKEN = "Ce numéro de fiche est déjà utilisé dans la convention."


class Stake(models.Model):
    """An *enjeu* drawn from the diagnostic."""

    convention = models.ForeignKey(
        "conventions.Convention",
        verbose_name="convention",
        on_delete=models.CASCADE,
        related_name="stakes",
    )
    thematic = models.ForeignKey(
        "conventions.Thematic", verbose_name="thématique", on_delete=models.PROTECT
    )
    title = models.CharField("intitulé", max_length=255)
    description = models.TextField("description", blank=True)
    findings = models.ManyToManyField(
        "diagnostics.Finding", verbose_name="constats liés", blank=True, related_name="stakes"
    )

    history = HistoricalRecords()

    class Meta:
        verbose_name = "enjeu"
        verbose_name_plural = "enjeux"
        ordering = ["convention", "thematic__order", "title"]

    def __str__(self) -> str:
        return self.title


class Objective(models.Model):
    class Level(models.TextChoices):
        GENERAL = "general", "Objectif général"
        OPERATIONAL = "operational", "Objectif opérationnel"

    convention = models.ForeignKey(
        "conventions.Convention",
        verbose_name="convention",
        on_delete=models.CASCADE,
        related_name="objectives",
    )
    thematic = models.ForeignKey(
        "conventions.Thematic", verbose_name="thématique", on_delete=models.PROTECT
    )
    stake = models.ForeignKey(
        Stake,
        verbose_name="enjeu",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="objectives",
    )
    parent = models.ForeignKey(
        "self",
        verbose_name="objectif général",
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="children",
        limit_choices_to={"level": "general"},
    )
    level = models.CharField("niveau", max_length=20, choices=Level.choices, default=Level.GENERAL)
    title = models.CharField("intitulé", max_length=255)
    change_sought = models.TextField("changement recherché", blank=True)
    findings = models.ManyToManyField(
        "diagnostics.Finding",
        verbose_name="constats auxquels il répond",
        blank=True,
        related_name="objectives",
    )

    history = HistoricalRecords()

    class Meta:
        verbose_name = "objectif"
        verbose_name_plural = "objectifs"
        ordering = ["convention", "thematic__order", "level", "title"]

    def __str__(self) -> str:
        return self.title

    def clean(self) -> None:
        if self.parent_id and self.level != self.Level.OPERATIONAL:
            raise ValidationError(
                {"parent": "Seul un objectif opérationnel se rattache à un objectif général."}
            )
        if self.parent_id and self.parent.convention_id != self.convention_id:
            raise ValidationError({"parent": "L'objectif général doit être de la même convention."})


# The fiche's audit trail, communes and other thematics included (their rows are
# copied with each record); kept by name so that services can record once after
# setting the many-to-many fields.
SHEET_HISTORY = HistoricalRecords(
    excluded_fields=["updated_at"], m2m_fields=["other_thematics", "communes"]
)


class ActionSheet(models.Model):
    """A *fiche action*."""

    class Status(models.TextChoices):
        DRAFT = "brouillon", "Brouillon"
        SUBMITTED = "soumise", "Soumise"
        VALIDATED = "validee", "Validée"
        TO_REVIEW = "a_revoir", "À revoir"
        IN_PROGRESS = "en_cours", "En cours"
        DONE = "realisee", "Réalisée"
        ABANDONED = "abandonnee", "Abandonnée"

    convention = models.ForeignKey(
        "conventions.Convention",
        verbose_name="convention",
        on_delete=models.CASCADE,
        related_name="action_sheets",
    )
    number = models.CharField("numéro", max_length=20, help_text="Par exemple FA-01.")
    title = models.CharField("intitulé", max_length=255)
    thematic = models.ForeignKey(
        "conventions.Thematic",
        verbose_name="thématique principale",
        on_delete=models.PROTECT,
        related_name="action_sheets",
    )
    other_thematics = models.ManyToManyField(
        "conventions.Thematic",
        verbose_name="autres thématiques",
        blank=True,
        related_name="secondary_action_sheets",
    )
    objective = models.ForeignKey(
        Objective,
        verbose_name="objectif",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="action_sheets",
    )
    context = models.TextField("constat / contexte", blank=True)
    goals = models.TextField("objectifs opérationnels", blank=True)
    description = models.TextField("description de l'action", blank=True)
    target_public = models.CharField("public visé", max_length=255, blank=True)
    lead = models.CharField("pilote", max_length=200, blank=True)
    lead_user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name="compte du pilote",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="led_action_sheets",
    )
    partners = models.TextField("partenaires", blank=True)
    communes = models.ManyToManyField(
        "conventions.Collectivity",
        verbose_name="communes concernées",
        blank=True,
        related_name="action_sheets",
    )
    start_date = models.DateField(
        "début", null=True, blank=True, validators=[validate_plausible_date]
    )
    end_date = models.DateField("fin", null=True, blank=True, validators=[validate_plausible_date])
    expected_results = models.TextField("résultats attendus", blank=True)
    no_funding = models.BooleanField(
        "sans financement",
        default=False,
        help_text="Cochez si l'action ne demande aucun financement (sinon, une ligne au moins).",
    )
    status = models.CharField("statut", max_length=20, choices=Status.choices, default=Status.DRAFT)
    status_reason = models.TextField("motif du dernier changement de statut", blank=True)
    version = models.PositiveIntegerField(
        "version", default=1, help_text="Version de fond, soumise à l'avis du comité."
    )
    approved_version = models.PositiveIntegerField("version validée", null=True, blank=True)
    revision = models.PositiveIntegerField(
        "révision", default=1, editable=False, help_text="Compteur de verrouillage optimiste."
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name="créée par",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    submitted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name="soumise par",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    created_at = models.DateTimeField("créée le", auto_now_add=True)
    updated_at = models.DateTimeField("modifiée le", auto_now=True)

    history = SHEET_HISTORY

    class Meta:
        verbose_name = "fiche action"
        verbose_name_plural = "fiches action"
        ordering = ["convention", "number"]
        constraints = [
            models.UniqueConstraint(
                fields=["convention", "number"],
                name="action_sheet_unique_number",
                violation_error_message=NUMBER_TAKEN,
            ),
            models.CheckConstraint(
                condition=Q(end_date__isnull=True)
                | Q(start_date__isnull=True)
                | Q(end_date__gte=models.F("start_date")),
                name="action_sheet_end_after_start",
                violation_error_message="La fin de l'action ne peut pas précéder son début.",
            ),
            models.CheckConstraint(
                condition=Q(approved_version__isnull=True)
                | Q(approved_version__lte=models.F("version")),
                name="action_sheet_approved_version_exists",
                violation_error_message="La version validée ne peut dépasser la version courante.",
            ),
        ]
        indexes = [
            models.Index(fields=["convention", "status"]),
            models.Index(fields=["convention", "thematic"]),
        ]

    def __str__(self) -> str:
        return f"{self.number} — {self.title}"

    def clean(self) -> None:
        if self.start_date and self.end_date and self.end_date < self.start_date:
            raise ValidationError(
                {"end_date": "La fin de l'action ne peut pas précéder son début."}
            )
        if self.objective_id and self.objective.convention_id != self.convention_id:
            raise ValidationError({"objective": "L'objectif doit appartenir à la même convention."})


class ActionSheetTransition(models.Model):
    """Who moved a fiche from one status to another, when and why."""

    sheet = models.ForeignKey(
        ActionSheet, verbose_name="fiche", on_delete=models.CASCADE, related_name="transitions"
    )
    from_status = models.CharField("de", max_length=20, choices=ActionSheet.Status.choices)
    to_status = models.CharField("vers", max_length=20, choices=ActionSheet.Status.choices)
    version = models.PositiveIntegerField("version")
    by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name="par",
        null=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    at = models.DateTimeField("le", auto_now_add=True)
    reason = models.TextField("motif", blank=True)

    class Meta:
        verbose_name = "changement de statut"
        verbose_name_plural = "changements de statut"
        ordering = ["sheet", "at", "id"]

    def __str__(self) -> str:
        return f"{self.sheet.number} : {self.get_from_status_display()} → {self.get_to_status_display()}"


class FundingLine(models.Model):
    """What one funder plans and spends on a fiche in one year, investment or operating
    (one line per funder and year; its totals: :mod:`actions.funding`)."""

    class Nature(models.TextChoices):
        OPERATING = "fonctionnement", "Fonctionnement"
        INVESTMENT = "investissement", "Investissement"

    sheet = models.ForeignKey(
        ActionSheet, verbose_name="fiche", on_delete=models.CASCADE, related_name="funding_lines"
    )
    funder = models.CharField("financeur", max_length=200)
    year = models.PositiveSmallIntegerField("année")
    nature = models.CharField(
        "nature",
        max_length=20,
        choices=Nature.choices,
        default=Nature.OPERATING,
        help_text="Fonctionnement (dépenses courantes) ou investissement (équipement, travaux).",
    )
    planned_amount = models.DecimalField(
        "montant prévu (€)",
        max_digits=12,
        decimal_places=2,
        default=0,
        validators=[MinValueValidator(0, "Le montant ne peut pas être négatif.")],
    )
    spent_amount = models.DecimalField(
        "montant dépensé (€)",
        max_digits=12,
        decimal_places=2,
        default=0,
        validators=[MinValueValidator(0, "Le montant ne peut pas être négatif.")],
    )

    history = HistoricalRecords()

    class Meta:
        verbose_name = "ligne de financement"
        verbose_name_plural = "plan de financement"
        ordering = ["sheet", "year", "funder"]
        constraints = [
            models.CheckConstraint(
                condition=Q(planned_amount__gte=0) & Q(spent_amount__gte=0),
                name="funding_line_non_negative",
                violation_error_message="Les montants ne peuvent pas être négatifs.",
            ),
            models.CheckConstraint(
                condition=Q(nature__in=["fonctionnement", "investissement"]),
                name="funding_line_nature_known",
                violation_error_message="La nature est « fonctionnement » ou « investissement ».",
            ),
            models.UniqueConstraint(
                fields=["sheet", "funder", "year"],
                name="funding_line_unique_funder_year",
                violation_error_message="Ce financeur a déjà une ligne pour cette année.",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.funder} {self.year}"


class Approval(models.Model):
    """An *avis* of a committee member on one version of a fiche."""

    class Decision(models.TextChoices):
        FAVORABLE = "favorable", "Favorable"
        TO_REVIEW = "a_revoir", "À revoir"

    sheet = models.ForeignKey(
        ActionSheet, verbose_name="fiche", on_delete=models.CASCADE, related_name="approvals"
    )
    member = models.ForeignKey(
        "conventions.CommitteeMember",
        verbose_name="membre",
        on_delete=models.PROTECT,
        related_name="approvals",
    )
    version = models.PositiveIntegerField("version")
    decision = models.CharField("avis", max_length=20, choices=Decision.choices)
    comment = models.TextField("commentaire", blank=True)
    decided_at = models.DateTimeField("le", auto_now_add=True)

    class Meta:
        verbose_name = "avis"
        verbose_name_plural = "avis"
        ordering = ["sheet", "-decided_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["sheet", "member", "version"],
                name="approval_once_per_version",
                violation_error_message="Ce membre a déjà donné son avis sur cette version.",
            ),
            models.CheckConstraint(
                condition=Q(decision="favorable") | ~Q(comment=""),
                name="approval_review_needs_comment",
                violation_error_message="Un avis « à revoir » doit être motivé par un commentaire.",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.member} : {self.get_decision_display()} (v{self.version})"
