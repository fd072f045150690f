"""The shared diagnostic: findings, territory statistics, facilities."""

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q
from django.utils import timezone
from simple_history.models import HistoricalRecords

from conventions.models import Thematic
from ctg.dates import validate_plausible_date

#: The public portal the open-data values come from (the data sets: ``diagnostics.cafdata``).
OPEN_DATA_PORTAL = "Cafdata"


class Diagnostic(models.Model):
    convention = models.OneToOneField(
        "conventions.Convention",
        verbose_name="convention",
        on_delete=models.CASCADE,
        related_name="diagnostic",
    )
    method = models.TextField("méthode", blank=True)
    start_date = models.DateField(
        "début", null=True, blank=True, validators=[validate_plausible_date]
    )
    end_date = models.DateField("fin", null=True, blank=True, validators=[validate_plausible_date])
    summary = models.TextField("synthèse", blank=True)
    participants_count = models.PositiveIntegerField("personnes consultées", null=True, blank=True)
    participation = models.TextField("modalités de participation", blank=True)
    sources = models.TextField("sources", blank=True)
    # Optimistic locking: a save carries the version its form was loaded with.
    version = models.PositiveIntegerField("version", default=1, editable=False)

    history = HistoricalRecords()

    class Meta:
        verbose_name = "diagnostic"
        verbose_name_plural = "diagnostics"
        constraints = [
            models.CheckConstraint(
                condition=Q(end_date__isnull=True)
                | Q(start_date__isnull=True)
                | Q(end_date__gte=models.F("start_date")),
                name="diagnostic_end_after_start",
                violation_error_message="La fin du diagnostic ne peut pas précéder son début.",
            ),
        ]

    def __str__(self) -> str:
        return f"Diagnostic — {self.convention}"


class Finding(models.Model):
    class Kind(models.TextChoices):
        STRENGTH = "atout", "Atout"
        WEAKNESS = "faiblesse", "Faiblesse"
        NEED = "besoin", "Besoin"
        EXISTING = "offre", "Offre existante"

    class Priority(models.IntegerChoices):
        HIGH = 1, "Haute"
        MEDIUM = 2, "Moyenne"
        LOW = 3, "Basse"

    class Source(models.TextChoices):
        CAF_DATA = "donnees_caf", "Données Caf"
        INSEE = "insee", "Insee"
        WORKSHOP = "atelier", "Atelier"
        QUESTIONNAIRE = "questionnaire", "Questionnaire"
        INTERVIEW = "entretien", "Entretien"
        OTHER = "autre", "Autre"

    diagnostic = models.ForeignKey(
        Diagnostic, verbose_name="diagnostic", on_delete=models.CASCADE, related_name="findings"
    )
    thematic = models.ForeignKey(Thematic, verbose_name="thématique", on_delete=models.PROTECT)
    kind = models.CharField("nature", max_length=20, choices=Kind.choices)
    text = models.TextField("constat")
    priority = models.PositiveSmallIntegerField(
        "priorité", choices=Priority.choices, default=Priority.MEDIUM
    )
    source = models.CharField("source", max_length=20, choices=Source.choices, blank=True)

    history = HistoricalRecords()

    class Meta:
        verbose_name = "constat"
        verbose_name_plural = "constats"
        ordering = ["thematic__order", "priority", "id"]
        indexes = [models.Index(fields=["diagnostic", "thematic"])]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} — {self.text[:60]}"


class StatisticDefinition(models.Model):
    code = models.SlugField("code", max_length=50, unique=True)
    label = models.CharField("libellé", max_length=200)
    unit = models.CharField("unité", max_length=50, blank=True)
    description = models.TextField("définition", blank=True)
    thematic = models.ForeignKey(
        Thematic, verbose_name="thématique", null=True, blank=True, on_delete=models.SET_NULL
    )

    class Meta:
        verbose_name = "définition de statistique"
        verbose_name_plural = "définitions de statistiques"
        ordering = ["label"]

    def __str__(self) -> str:
        return self.label


class StatisticImport(models.Model):
    """One confirmed import of an open-data file (Cafdata): what the values point to.

    The data set's producer, vintage and method are copied here from the registry
    (``diagnostics.cafdata``) at import time, so that a value keeps the words it was
    imported with even if the registry changes later.
    """

    caf = models.ForeignKey(
        "conventions.Caf",
        verbose_name="Caf",
        on_delete=models.PROTECT,
        related_name="statistic_imports",
    )
    dataset = models.CharField("jeu de données", max_length=50)
    dataset_label = models.CharField("libellé du jeu de données", max_length=200)
    filename = models.CharField("fichier", max_length=255)
    producer = models.CharField("producteur", max_length=200)
    vintage = models.PositiveSmallIntegerField("millésime", null=True, blank=True)
    method = models.TextField("méthode", blank=True)
    imported_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name="importé par",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    imported_at = models.DateTimeField("importé le", default=timezone.now)
    # The preview's token: a second confirmation finds this import instead of running again.
    token = models.CharField("jeton", max_length=64, unique=True)
    created_count = models.PositiveIntegerField("valeurs nouvelles", default=0)
    updated_count = models.PositiveIntegerField("valeurs modifiées", default=0)
    unchanged_count = models.PositiveIntegerField("valeurs inchangées", default=0)
    kept_count = models.PositiveIntegerField("valeurs remplacées à la main conservées", default=0)
    conventions_count = models.PositiveIntegerField("conventions concernées", default=0)

    class Meta:
        verbose_name = "import de données ouvertes"
        verbose_name_plural = "imports de données ouvertes"
        ordering = ["-imported_at", "-pk"]

    def __str__(self) -> str:
        return f"{self.dataset_label} — {self.filename}"


class TerritoryStatistic(models.Model):
    class SourceKind(models.TextChoices):
        MANUAL = "saisie", "Saisie"
        SPREADSHEET = "tableur", "Import tableur"
        OPEN_DATA = "donnees_ouvertes", "Données ouvertes"

    collectivity = models.ForeignKey(
        "conventions.Collectivity",
        verbose_name="collectivité",
        on_delete=models.CASCADE,
        related_name="statistics",
    )
    statistic = models.ForeignKey(
        StatisticDefinition, verbose_name="statistique", on_delete=models.PROTECT
    )
    year = models.PositiveSmallIntegerField("année")
    value = models.DecimalField("valeur", max_digits=14, decimal_places=2)
    source = models.CharField("source", max_length=200, blank=True)
    source_kind = models.CharField(
        "origine", max_length=20, choices=SourceKind.choices, default=SourceKind.MANUAL
    )
    source_import = models.ForeignKey(
        StatisticImport,
        verbose_name="import de données ouvertes",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="statistics",
    )
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name="saisie ou importée par",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    override_reason = models.TextField(
        "raison du remplacement de la valeur des données ouvertes", blank=True
    )

    history = HistoricalRecords()

    class Meta:
        verbose_name = "statistique territoriale"
        verbose_name_plural = "statistiques territoriales"
        ordering = ["collectivity", "statistic", "year"]
        constraints = [
            models.UniqueConstraint(
                fields=["collectivity", "statistic", "year"],
                name="territory_statistic_unique_year",
                violation_error_message=(
                    "Une valeur existe déjà pour cette collectivité, cette statistique et cette année."
                ),
            ),
            models.CheckConstraint(
                condition=Q(year__gte=1900) & Q(year__lte=2100),
                name="territory_statistic_plausible_year",
                violation_error_message="L'année doit être comprise entre 1900 et 2100.",
            ),
            models.CheckConstraint(
                condition=~Q(source_kind="donnees_ouvertes") | Q(source_import__isnull=False),
                name="territory_statistic_open_data_has_import",
                violation_error_message=(
                    "Une valeur des données ouvertes doit indiquer l'import dont elle vient."
                ),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.statistic} — {self.collectivity} ({self.year})"

    @property
    def is_open_data(self) -> bool:
        return self.source_kind == self.SourceKind.OPEN_DATA

    @property
    def is_override(self) -> bool:
        """Typed by hand over a value of the open data (with a reason)."""
        return self.source_kind == self.SourceKind.MANUAL and bool(self.override_reason)

    @property
    def source_badge(self) -> str:
        """The short French label of where the value comes from (« Données ouvertes Cafdata 2023 »)."""
        if self.is_open_data:
            return f"Données ouvertes {OPEN_DATA_PORTAL} {self.year}"
        if self.is_override:
            return "Saisie (remplace les données ouvertes)"
        return self.get_source_kind_display()


class Facility(models.Model):
    class Kind(models.TextChoices):
        EAJE = "eaje", "EAJE (accueil du jeune enfant)"
        RPE = "rpe", "RPE (relais petite enfance)"
        LAEP = "laep", "LAEP (lieu d'accueil enfants-parents)"
        ALSH = "alsh", "ALSH (accueil de loisirs)"
        SOCIAL_CENTRE = "centre_social", "Centre social"
        EVS = "evs", "EVS (espace de vie sociale)"

    kind = models.CharField("type", max_length=20, choices=Kind.choices)
    name = models.CharField("nom", max_length=200)
    manager = models.CharField("gestionnaire", max_length=200, blank=True)
    places = models.PositiveIntegerField("places", null=True, blank=True)
    collectivity = models.ForeignKey(
        "conventions.Collectivity",
        verbose_name="collectivité",
        on_delete=models.CASCADE,
        related_name="facilities",
    )

    class Meta:
        verbose_name = "équipement"
        verbose_name_plural = "équipements"
        ordering = ["collectivity", "kind", "name"]

    def __str__(self) -> str:
        return self.name

    def clean(self) -> None:
        if self.kind in (self.Kind.EAJE,) and self.places is None:
            raise ValidationError({"places": "Indiquez le nombre de places de l'EAJE."})
