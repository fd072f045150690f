"""Evaluation: indicators and measurements, and the qualitative ladder of the
change-oriented approach."""

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q
from simple_history.models import HistoricalRecords

from ctg import formatting
from ctg.dates import validate_plausible_date

#: The refusal of an indicator code already used on the same fiche (or objective).
CODE_TAKEN = "Ce code d'indicateur est déjà utilisé sur cette fiche."


def code_for(n: int) -> str:
    """The n-th indicator code of a fiche: IND-01, IND-02…"""
    return f"IND-{n:02d}"


class IndicatorKind(models.TextChoices):
    OUTPUT = "realisation", "Réalisation"
    OUTCOME = "resultat", "Résultat"
    MEANS = "moyens", "Moyens"
    CONTEXT = "contexte", "Contexte"


class IndicatorDirection(models.TextChoices):
    INCREASE = "hausse", "Hausse"
    DECREASE = "baisse", "Baisse"
    MAINTAIN = "maintien", "Maintien"


class IndicatorFrequency(models.TextChoices):
    MONTHLY = "monthly", "Mensuelle"
    QUARTERLY = "quarterly", "Trimestrielle"
    HALF_YEARLY = "half_yearly", "Semestrielle"
    YEARLY = "yearly", "Annuelle"


class Aggregation(models.TextChoices):
    """How the values of an indicator combine: across the communes of a breakdown
    (:mod:`evaluation.breakdown`) and across conventions (the portfolio's departmental
    figure of a shared indicator)."""

    SUM = "somme", "Somme (un effectif, un nombre de places…)"
    MEAN = "moyenne", "Moyenne (un taux, une part…)"
    NONE = "aucune", "Aucune"


class Breakdown(models.TextChoices):
    NONE = "aucune", "Aucune"
    COMMUNE = "commune", "Par commune"


class ReferenceSheet(models.Model):
    """The reference sheet of an indicator (TolaActivity's fields, in French) and its
    binding to a series of the Caf's open data (``diagnostics.cafdata``): the fields an
    indicator and a shared indicator of a département have in common."""

    definition = models.TextField("définition", blank=True)
    calculation_method = models.TextField("mode de calcul", blank=True)
    verification_means = models.TextField("moyens de vérification", blank=True)
    responsible = models.CharField("personne responsable", max_length=200, blank=True)
    known_limits = models.TextField("limites connues", blank=True)
    aggregation = models.CharField(
        "agrégation des valeurs",
        max_length=20,
        choices=Aggregation.choices,
        default=Aggregation.NONE,
        help_text="Comment les valeurs s'additionnent entre communes ou entre conventions.",
    )
    breakdown = models.CharField(
        "ventilation", max_length=20, choices=Breakdown.choices, default=Breakdown.NONE
    )
    open_data_dataset = models.CharField("jeu de données ouvertes", max_length=50, blank=True)
    open_data_column = models.CharField("série des données ouvertes", max_length=50, blank=True)

    class Meta:
        abstract = True

    @property
    def is_bound(self) -> bool:
        """Fed by a series of the Caf's open data."""
        return bool(self.open_data_dataset and self.open_data_column)

    def clean_reference_sheet(self) -> dict:
        """The errors of the binding: both fields or neither, and a series the registry
        knows (``diagnostics.cafdata``)."""
        from diagnostics import cafdata

        if not (self.open_data_dataset or self.open_data_column):
            return {}
        if cafdata.series(self.open_data_dataset, self.open_data_column) is None:
            return {"open_data_column": "Cette série n'existe pas dans ce jeu de données ouvertes."}
        return {}


#: The fields of the reference sheet (and open-data binding), in their order.
REFERENCE_SHEET_FIELDS: tuple[str, ...] = tuple(f.name for f in ReferenceSheet._meta.fields)


#: The fields of an indicator that come from its shared indicator when it is linked to one
#: (written by ``evaluation.shared`` only; the indicator's form shows them read-only).
SHARED_FIELDS = (
    "name",
    "kind",
    "unit",
    "direction",
    "source",
    "frequency",
    "definition",
    "calculation_method",
    "verification_means",
    "known_limits",
    "aggregation",
    "breakdown",
    "open_data_dataset",
    "open_data_column",
)


class SharedIndicator(ReferenceSheet):
    """An indicator defined once by a Caf for its département (the *schéma départemental
    des services aux familles*, SDSF) and reported by every CTG that links it: each
    convention keeps its own baseline, targets and measurements on its linked
    :class:`Indicator`."""

    caf = models.ForeignKey(
        "conventions.Caf",
        verbose_name="Caf",
        on_delete=models.PROTECT,
        related_name="shared_indicators",
    )
    code = models.SlugField("code", max_length=30)
    name = models.CharField("intitulé", max_length=255)
    kind = models.CharField(
        "type", max_length=20, choices=IndicatorKind.choices, default=IndicatorKind.OUTCOME
    )
    unit = models.CharField("unité", max_length=50, blank=True)
    direction = models.CharField(
        "sens attendu",
        max_length=20,
        choices=IndicatorDirection.choices,
        default=IndicatorDirection.INCREASE,
    )
    source = models.CharField("source", max_length=200, blank=True)
    frequency = models.CharField(
        "fréquence de mesure",
        max_length=20,
        choices=IndicatorFrequency.choices,
        default=IndicatorFrequency.YEARLY,
    )
    framework = models.CharField(
        "cadre de référence",
        max_length=200,
        blank=True,
        default="Schéma départemental des services aux familles",
    )

    history = HistoricalRecords()

    class Meta:
        verbose_name = "indicateur partagé"
        verbose_name_plural = "indicateurs partagés"
        ordering = ["caf", "code"]
        constraints = [
            models.UniqueConstraint(
                fields=["caf", "code"],
                name="shared_indicator_unique_code_per_caf",
                violation_error_message="Ce code d'indicateur partagé est déjà utilisé par la Caf.",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.code} — {self.name}"

    def clean(self) -> None:
        errors = self.clean_reference_sheet()
        if errors:
            raise ValidationError(errors)


class Indicator(ReferenceSheet):
    Kind = IndicatorKind
    Direction = IndicatorDirection
    Frequency = IndicatorFrequency

    action_sheet = models.ForeignKey(
        "actions.ActionSheet",
        verbose_name="fiche action",
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="indicators",
    )
    objective = models.ForeignKey(
        "actions.Objective",
        verbose_name="objectif",
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="indicators",
    )
    code = models.CharField(
        "code",
        max_length=20,
        blank=True,
        help_text="Clé stable de l'indicateur dans sa fiche (IND-01…), reprise par le classeur "
        "du plan d'actions ; attribuée à l'enregistrement si elle est vide.",
    )
    name = models.CharField("intitulé", max_length=255)
    kind = models.CharField("type", max_length=20, choices=Kind.choices, default=Kind.OUTPUT)
    unit = models.CharField("unité", max_length=50, blank=True)
    baseline_value = models.DecimalField("valeur de référence", max_digits=14, decimal_places=2)
    baseline_date = models.DateField("date de référence", validators=[validate_plausible_date])
    target_value = models.DecimalField("valeur cible", max_digits=14, decimal_places=2)
    target_date = models.DateField("échéance de la cible", validators=[validate_plausible_date])
    direction = models.CharField(
        "sens attendu", max_length=20, choices=Direction.choices, default=Direction.INCREASE
    )
    source = models.CharField("source", max_length=200, blank=True)
    frequency = models.CharField(
        "fréquence de mesure", max_length=20, choices=Frequency.choices, default=Frequency.YEARLY
    )
    shared = models.ForeignKey(
        SharedIndicator,
        verbose_name="indicateur partagé",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="indicators",
    )

    history = HistoricalRecords()

    class Meta:
        verbose_name = "indicateur"
        verbose_name_plural = "indicateurs"
        ordering = ["action_sheet", "objective", "id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(action_sheet__isnull=False, objective__isnull=True)
                | Q(action_sheet__isnull=True, objective__isnull=False),
                name="indicator_on_sheet_or_objective",
                violation_error_message="Un indicateur porte soit sur une fiche, soit sur un objectif.",
            ),
            models.CheckConstraint(
                condition=Q(target_date__gt=models.F("baseline_date")),
                name="indicator_target_after_baseline",
                violation_error_message="L'échéance de la cible doit suivre la date de référence.",
            ),
            models.UniqueConstraint(
                fields=["action_sheet", "code"],
                condition=~Q(code=""),
                name="indicator_unique_code_per_sheet",
                violation_error_message=CODE_TAKEN,
            ),
            models.UniqueConstraint(
                fields=["objective", "code"],
                condition=~Q(code=""),
                name="indicator_unique_code_per_objective",
                violation_error_message=CODE_TAKEN,
            ),
        ]
        indexes = [models.Index(fields=["shared"], name="indicator_shared_idx")]

    def __str__(self) -> str:
        return self.name

    def save(self, *args, **kwargs) -> None:
        """An indicator saved without a code gets the next free one of its holder."""
        if not self.code and (self.action_sheet_id or self.objective_id):
            self.code = self.next_code(
                action_sheet_id=self.action_sheet_id, objective_id=self.objective_id
            )
        super().save(*args, **kwargs)

    @classmethod
    def next_code(cls, *, action_sheet_id=None, objective_id=None, taken=()) -> str:
        """The first ``IND-nn`` not used by the indicators of this fiche (or objective), nor
        in ``taken``."""
        holder = (
            {"action_sheet_id": action_sheet_id}
            if action_sheet_id
            else {"objective_id": objective_id}
        )
        used = set(cls.objects.filter(**holder).values_list("code", flat=True)) | set(taken)
        return next(code for n in range(1, len(used) + 2) if (code := code_for(n)) not in used)

    def clean(self) -> None:
        errors = self.clean_reference_sheet()
        if bool(self.action_sheet_id) == bool(self.objective_id):
            errors["__all__"] = "Un indicateur porte soit sur une fiche, soit sur un objectif."
        if self.baseline_date and self.target_date and self.target_date <= self.baseline_date:
            errors["target_date"] = "L'échéance de la cible doit suivre la date de référence."
        if (
            self.direction == self.Direction.INCREASE
            and self.baseline_value is not None
            and self.target_value is not None
            and self.target_value < self.baseline_value
        ):
            errors["target_value"] = "Pour une hausse, la cible doit dépasser la référence."
        if (
            self.direction == self.Direction.DECREASE
            and self.baseline_value is not None
            and self.target_value is not None
            and self.target_value > self.baseline_value
        ):
            errors["target_value"] = (
                "Pour une baisse, la cible doit être inférieure à la référence."
            )
        if errors:
            raise ValidationError(errors)


class IndicatorTarget(models.Model):
    """The value an indicator should reach at the end of a year (its reference sheet's
    yearly targets): the progress rule expects progress along them rather than along a
    straight line to the final target (:mod:`evaluation.progress`)."""

    indicator = models.ForeignKey(
        Indicator,
        verbose_name="indicateur",
        on_delete=models.CASCADE,
        related_name="yearly_targets",
    )
    year = models.PositiveSmallIntegerField("année")
    value = models.DecimalField("cible de l'année", max_digits=14, decimal_places=2)

    history = HistoricalRecords()

    class Meta:
        verbose_name = "cible annuelle"
        verbose_name_plural = "cibles annuelles"
        ordering = ["indicator", "year"]
        constraints = [
            models.UniqueConstraint(
                fields=["indicator", "year"],
                name="indicator_target_one_per_year",
                violation_error_message="Une cible existe déjà pour cette année.",
            ),
            models.CheckConstraint(
                condition=Q(year__gte=1900) & Q(year__lte=2100),
                name="indicator_target_plausible_year",
                violation_error_message="L'année doit être comprise entre 1900 et 2100.",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.indicator} — {self.year} : {self.value}"


class Measurement(models.Model):
    class State(models.TextChoices):
        """Where a value stands in its validation by the Caf (``evaluation.validation``)."""

        PENDING = "a_valider", "À valider"
        VALIDATED = "validee", "Validée"
        RETURNED = "renvoyee", "Renvoyée"

    class SourceKind(models.TextChoices):
        TYPED = "saisie", "Saisie"
        SPREADSHEET = "tableur", "Import du classeur"
        OPEN_DATA = "donnees_ouvertes", "Données ouvertes"

    indicator = models.ForeignKey(
        Indicator, verbose_name="indicateur", on_delete=models.CASCADE, related_name="measurements"
    )
    date = models.DateField("date", validators=[validate_plausible_date])
    value = models.DecimalField("valeur", max_digits=14, decimal_places=2)
    comment = models.TextField("commentaire", blank=True)
    entered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name="saisie par",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    entered_at = models.DateTimeField("saisie le", auto_now=True)
    # Validated unless a service says otherwise: the services set it from the convention's
    # setting and the author's side (evaluation.validation).
    validation_state = models.CharField(
        "validation", max_length=20, choices=State.choices, default=State.VALIDATED
    )
    validated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name="examinée par",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    validated_at = models.DateTimeField("examinée le", null=True, blank=True)
    return_comment = models.TextField("motif du renvoi", blank=True)
    # Where the value comes from (DOMAIN.md, data trust): typed, imported from the
    # measurement workbook, or imported from the Caf's open data — which nobody edits by
    # hand, except to replace it with a reason (``override_reason``, then typed).
    source_kind = models.CharField(
        "origine", max_length=20, choices=SourceKind.choices, default=SourceKind.TYPED
    )
    source_import = models.ForeignKey(
        "diagnostics.StatisticImport",
        verbose_name="import de données ouvertes",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="measurements",
    )
    spreadsheet_import = models.ForeignKey(
        "MeasurementImport",
        verbose_name="import du classeur",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="measurements",
    )
    override_reason = models.TextField(
        "raison du remplacement de la valeur des données ouvertes", blank=True
    )

    history = HistoricalRecords()

    class Meta:
        verbose_name = "mesure"
        verbose_name_plural = "mesures"
        ordering = ["indicator", "date"]
        constraints = [
            models.UniqueConstraint(
                fields=["indicator", "date"],
                name="measurement_one_per_date",
                violation_error_message="Une mesure existe déjà pour cet indicateur à cette date.",
            ),
            models.CheckConstraint(
                condition=~Q(source_kind="donnees_ouvertes") | Q(source_import__isnull=False),
                name="measurement_open_data_has_import",
                violation_error_message=(
                    "Une valeur des données ouvertes doit indiquer l'import dont elle vient."
                ),
            ),
        ]
        indexes = [
            # The Caf's « Mesures à valider » list and its count.
            models.Index(
                fields=["validation_state", "indicator"],
                condition=~Q(validation_state="validee"),
                name="measurement_awaiting_idx",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.indicator} — {formatting.date_short(self.date)} : {self.value}"

    def clean(self) -> None:
        if self.validation_state == self.State.RETURNED and not self.return_comment.strip():
            raise ValidationError({"return_comment": "Indiquez pourquoi la mesure est renvoyée."})


class MeasurementPart(models.Model):
    """The value of a broken-down measurement for one commune of the convention's
    territory; the measurement's own value is the total (:mod:`evaluation.breakdown`)."""

    measurement = models.ForeignKey(
        Measurement, verbose_name="mesure", on_delete=models.CASCADE, related_name="parts"
    )
    collectivity = models.ForeignKey(
        "conventions.Collectivity",
        verbose_name="commune",
        on_delete=models.PROTECT,
        related_name="+",
    )
    value = models.DecimalField("valeur", max_digits=14, decimal_places=2)

    history = HistoricalRecords()

    class Meta:
        verbose_name = "valeur par commune"
        verbose_name_plural = "valeurs par commune"
        ordering = ["measurement", "collectivity__name"]
        constraints = [
            models.UniqueConstraint(
                fields=["measurement", "collectivity"],
                name="measurement_part_one_per_commune",
                violation_error_message="Une valeur existe déjà pour cette commune.",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.measurement} — {self.collectivity_id} : {self.value}"


class MeasurementImport(models.Model):
    """A confirmed import of the measurement workbook, under the token of its preview.

    Confirming the same preview again (a double click, two tabs, a replayed request) finds this
    record and shows its result instead of importing a second time; the unique token and the
    convention's row lock taken by the import serialise confirmations that run at once.
    """

    token = models.CharField("jeton de l'aperçu", max_length=64, unique=True)
    convention = models.ForeignKey(
        "conventions.Convention",
        verbose_name="convention",
        on_delete=models.CASCADE,
        related_name="measurement_imports",
    )
    imported_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name="importé par",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    imported_at = models.DateTimeField("importé le", auto_now_add=True)
    created = models.PositiveIntegerField("mesures créées", default=0)
    updated = models.PositiveIntegerField("mesures modifiées", default=0)
    unchanged = models.PositiveIntegerField("mesures inchangées", default=0)

    class Meta:
        verbose_name = "import de mesures"
        verbose_name_plural = "imports de mesures"

    def __str__(self) -> str:
        return f"Import du {formatting.date_time(self.imported_at)} ({self.convention})"


class ChangeSought(models.Model):
    """A change sought (outcome mapping): what should change, for whom."""

    convention = models.ForeignKey(
        "conventions.Convention",
        verbose_name="convention",
        on_delete=models.CASCADE,
        related_name="changes_sought",
    )
    objective = models.ForeignKey(
        "actions.Objective",
        verbose_name="objectif",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="changes_sought",
    )
    thematic = models.ForeignKey(
        "conventions.Thematic",
        verbose_name="thématique",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
    )
    actor = models.CharField("acteurs concernés", max_length=200, blank=True)
    title = models.CharField("changement recherché", max_length=255)
    description = models.TextField("description", blank=True)

    history = HistoricalRecords()

    class Meta:
        verbose_name = "changement recherché"
        verbose_name_plural = "changements recherchés"
        ordering = ["convention", "id"]

    def __str__(self) -> str:
        return self.title


class ProgressMarker(models.Model):
    class Level(models.TextChoices):
        EXPECT = "attendu", "Attendu"
        LIKE = "souhaite", "Souhaité"
        LOVE = "ideal", "Idéal"

    change = models.ForeignKey(
        ChangeSought, verbose_name="changement", on_delete=models.CASCADE, related_name="markers"
    )
    level = models.CharField("niveau", max_length=20, choices=Level.choices)
    text = models.TextField("marqueur de progrès")
    order = models.PositiveSmallIntegerField("ordre", default=0)

    history = HistoricalRecords()

    class Meta:
        verbose_name = "marqueur de progrès"
        verbose_name_plural = "marqueurs de progrès"
        ordering = ["change", "order", "id"]

    def __str__(self) -> str:
        return f"{self.get_level_display()} — {self.text[:60]}"


class Observation(models.Model):
    class Degree(models.TextChoices):
        NOT_SEEN = "non", "Pas observé"
        PARTIAL = "partiel", "Partiellement observé"
        SEEN = "oui", "Observé"

    marker = models.ForeignKey(
        ProgressMarker,
        verbose_name="marqueur",
        on_delete=models.CASCADE,
        related_name="observations",
    )
    date = models.DateField("date", validators=[validate_plausible_date])
    degree = models.CharField("constat", max_length=20, choices=Degree.choices)
    text = models.TextField("observation")
    observed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name="observée par",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )

    history = HistoricalRecords()

    class Meta:
        verbose_name = "observation"
        verbose_name_plural = "observations"
        ordering = ["marker", "-date"]

    def __str__(self) -> str:
        return f"{formatting.date_short(self.date)} — {self.get_degree_display()}"


class PeriodLock(models.Model):
    """The measurements of a period that a report presented: they cannot be changed any more,
    unless Caf staff unlock one value with a reason (:class:`MeasurementUnlock`).

    Created by the layer that produces the report (evaluation does not know reports): ``label``
    names it for the users, ``reference`` identifies it (« rapport:12 ») so that building the
    same report again creates no second lock. The rule lives in :mod:`evaluation.locks`.
    """

    convention = models.ForeignKey(
        "conventions.Convention",
        verbose_name="convention",
        on_delete=models.CASCADE,
        related_name="period_locks",
    )
    start = models.DateField("début de la période verrouillée")
    end = models.DateField("fin de la période verrouillée")
    label = models.CharField("verrouillée par", max_length=255)
    reference = models.CharField("référence", max_length=100)
    created_at = models.DateTimeField("verrouillée le", auto_now_add=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name="verrouillée par (personne)",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )

    class Meta:
        verbose_name = "période verrouillée"
        verbose_name_plural = "périodes verrouillées"
        ordering = ["convention", "-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["convention", "reference"], name="period_lock_once_per_reference"
            ),
            models.CheckConstraint(
                condition=Q(end__gte=models.F("start")),
                name="period_lock_order",
                violation_error_message="La fin de période ne peut pas précéder son début.",
            ),
        ]
        indexes = [models.Index(fields=["convention", "start", "end"])]

    def __str__(self) -> str:
        return self.label


class MeasurementUnlock(models.Model):
    """Caf staff unlocked one locked value (indicator and date) with a reason; the value may be
    changed until the next report locks again. Kept when the measurement is deleted."""

    lock = models.ForeignKey(
        PeriodLock, verbose_name="verrou", on_delete=models.CASCADE, related_name="unlocks"
    )
    indicator = models.ForeignKey(
        Indicator, verbose_name="indicateur", on_delete=models.CASCADE, related_name="+"
    )
    date = models.DateField("date de la mesure")
    measurement = models.ForeignKey(
        Measurement,
        verbose_name="mesure",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="unlocks",
    )
    value_before = models.DecimalField("valeur au déverrouillage", max_digits=14, decimal_places=2)
    reason = models.TextField("motif")
    by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name="déverrouillée par",
        null=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    at = models.DateTimeField("déverrouillée le", auto_now_add=True)

    class Meta:
        verbose_name = "déverrouillage de mesure"
        verbose_name_plural = "déverrouillages de mesures"
        ordering = ["-at", "-id"]
        indexes = [models.Index(fields=["indicator", "date"])]

    def __str__(self) -> str:
        return f"{self.indicator} — {formatting.date_short(self.date)} ({self.lock})"


# ------------------------------------------------- the progress read model


class IndicatorProgress(models.Model):
    """An indicator's progress as the progress rule (:mod:`evaluation.progress`) computed
    it on ``computed_on``: the stored columns of ``with_progress``. Written only by
    :mod:`evaluation.readmodel`, read by the pages instead of computing the rule again."""

    indicator = models.OneToOneField(
        Indicator,
        verbose_name="indicateur",
        primary_key=True,
        on_delete=models.CASCADE,
        related_name="progress_row",
    )
    convention = models.ForeignKey(
        "conventions.Convention",
        verbose_name="convention",
        on_delete=models.CASCADE,
        related_name="+",
    )
    last_value = models.DecimalField(
        "dernière valeur", max_digits=14, decimal_places=2, null=True, blank=True
    )
    last_date = models.DateField("date de la dernière mesure", null=True, blank=True)
    progress_pct = models.FloatField("progression", null=True, blank=True)
    progress_bar_pct = models.FloatField("progression bornée", null=True, blank=True)
    expected_pct = models.FloatField("progression attendue", null=True, blank=True)
    schedule_gap = models.FloatField("écart au calendrier", null=True, blank=True)
    status = models.CharField("état", max_length=20)
    late = models.BooleanField("en retard", default=False)
    computed_on = models.DateField("calculé pour le")

    class Meta:
        verbose_name = "progression d'un indicateur"
        verbose_name_plural = "progressions des indicateurs"
        indexes = [models.Index(fields=["convention", "status", "schedule_gap"])]

    def __str__(self) -> str:
        return f"{self.indicator_id} : {self.status} ({formatting.date_short(self.computed_on)})"


class ConventionProgress(models.Model):
    """A convention's progress figures as the folds of :mod:`evaluation.progress` computed
    them, and what they were computed for: the day, the convention's dates and its data
    version. A reader finding another day, other dates or another version computes them
    again (:func:`evaluation.readmodel.fresh`)."""

    convention = models.OneToOneField(
        "conventions.Convention",
        verbose_name="convention",
        primary_key=True,
        on_delete=models.CASCADE,
        related_name="progress_row",
    )
    computed_on = models.DateField("calculé pour le")
    data_version = models.PositiveBigIntegerField("version des données")
    start_date = models.DateField("début de la convention")
    end_date = models.DateField("fin de la convention")
    indicator_count = models.PositiveIntegerField("indicateurs", default=0)
    late_count = models.PositiveIntegerField("indicateurs en retard", default=0)
    # The (thematic, status) rows of the progress rule's grouped query: folded on read.
    thematic_rows = models.JSONField("lignes par thématique et état", default=list)

    class Meta:
        verbose_name = "progression d'une convention"
        verbose_name_plural = "progressions des conventions"

    def __str__(self) -> str:
        return f"{self.convention_id} ({formatting.date_short(self.computed_on)})"
