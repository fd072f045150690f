"""Conventions: the Caf, the collectivities, the convention itself, its
signatories, amendments, committees, members and meetings, and the users."""

import re

from django.contrib.auth.models import AbstractUser, BaseUserManager
from django.core.exceptions import ValidationError
from django.core.validators import MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils import timezone
from simple_history.models import HistoricalRecords

from ctg import formatting
from ctg.dates import validate_plausible_date

DEPARTMENT_CODE_RE = re.compile(r"^(0[1-9]|[1-8][0-9]|9[0-5]|2A|2B|97[1-6])$")
INSEE_CODE_RE = re.compile(r"^(\d{5}|2[AB]\d{3})$")
SIREN_RE = re.compile(r"^\d{9}$")


def validate_department_code(value: str) -> None:
    if not DEPARTMENT_CODE_RE.match(value or ""):
        raise ValidationError(
            "« %(value)s » n'est pas un code de département valide (ex. 82, 2A, 974).",
            params={"value": value},
        )


def siren_is_valid(value: str) -> bool:
    """SIREN numbers carry a Luhn check digit."""
    if not SIREN_RE.match(value or ""):
        return False
    total = 0
    for index, char in enumerate(reversed(value)):
        digit = int(char)
        if index % 2 == 1:
            digit *= 2
            if digit > 9:
                digit -= 9
        total += digit
    return total % 10 == 0


class Thematic(models.Model):
    """A reference table, extensible by the administrators (not an enum)."""

    code = models.SlugField("code", max_length=50, unique=True)
    label = models.CharField("libellé", max_length=100, unique=True)
    order = models.PositiveSmallIntegerField("ordre", default=100)
    is_active = models.BooleanField("active", default=True)

    class Meta:
        # Created by the diagnostics app, moved here so that conventions and committees
        # can use it without importing an upper layer; the table keeps its name.
        db_table = "diagnostics_thematic"
        verbose_name = "thématique"
        verbose_name_plural = "thématiques"
        ordering = ["order", "label"]

    def __str__(self) -> str:
        return self.label


class Caf(models.Model):
    name = models.CharField("nom", max_length=200, unique=True)
    department_code = models.CharField(
        "code du département",
        max_length=3,
        unique=True,
        validators=[validate_department_code],
    )

    class Meta:
        verbose_name = "Caf"
        verbose_name_plural = "Cafs"
        ordering = ["department_code"]

    def __str__(self) -> str:
        return self.name


class Collectivity(models.Model):
    class Kind(models.TextChoices):
        COMMUNE = "commune", "Commune"
        EPCI = "epci", "EPCI (intercommunalité)"
        DEPARTEMENT = "departement", "Département"
        SYNDICAT = "syndicat", "Syndicat"
        OTHER = "other", "Autre"

    kind = models.CharField("type", max_length=20, choices=Kind.choices)
    name = models.CharField("nom", max_length=200)
    code = models.CharField(
        "code officiel",
        max_length=14,
        help_text="Code INSEE pour une commune (5 caractères), SIREN pour un EPCI (9 chiffres).",
    )
    population = models.PositiveIntegerField("population", null=True, blank=True)
    parent_epci = models.ForeignKey(
        "self",
        verbose_name="EPCI de rattachement",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="member_communes",
        limit_choices_to={"kind": "epci"},
    )
    caf = models.ForeignKey(
        Caf, verbose_name="Caf", on_delete=models.PROTECT, related_name="collectivities"
    )

    history = HistoricalRecords()

    class Meta:
        verbose_name = "collectivité"
        verbose_name_plural = "collectivités"
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(fields=["kind", "code"], name="collectivity_unique_code"),
        ]
        indexes = [models.Index(fields=["caf", "kind"])]

    def __str__(self) -> str:
        return self.name

    def clean(self) -> None:
        errors = {}
        if self.kind == self.Kind.COMMUNE and not INSEE_CODE_RE.match(self.code or ""):
            errors["code"] = "Le code INSEE d'une commune compte 5 caractères (ex. 82155, 2A004)."
        elif self.kind == self.Kind.EPCI and not siren_is_valid(self.code or ""):
            errors["code"] = "Le SIREN d'un EPCI compte 9 chiffres avec une clé de contrôle valide."
        if self.parent_epci_id:
            if self.kind != self.Kind.COMMUNE:
                errors["parent_epci"] = "Seule une commune peut être rattachée à un EPCI."
            elif self.parent_epci.kind != self.Kind.EPCI:
                errors["parent_epci"] = "Le rattachement doit désigner un EPCI."
        if errors:
            raise ValidationError(errors)


class UserManager(BaseUserManager):
    use_in_migrations = True

    def _create_user(self, email, password, **extra_fields):
        if not email:
            raise ValueError("L'adresse e-mail est obligatoire.")
        email = self.normalize_email(email).lower()
        user = self.model(email=email, **extra_fields)
        user.set_password(password)
        user.save(using=self._db)
        return user

    def create_user(self, email, password=None, **extra_fields):
        extra_fields.setdefault("is_staff", False)
        extra_fields.setdefault("is_superuser", False)
        return self._create_user(email, password, **extra_fields)

    def create_superuser(self, email, password=None, **extra_fields):
        extra_fields.setdefault("is_staff", True)
        extra_fields.setdefault("is_superuser", True)
        return self._create_user(email, password, **extra_fields)


class User(AbstractUser):
    """A person who logs in with their e-mail address.

    The role says what the person is in the CTG world; committee membership is
    separate (``CommitteeMember.user``) because a Caf agent or an elected
    official may also sit on a committee.
    """

    class Role(models.TextChoices):
        CAF_STAFF = "caf_staff", "Agent de la Caf"
        COORDINATOR = "coordinator", "Chargé·e de coopération CTG"
        ELECTED = "elected", "Élu·e"
        OTHER = "other", "Autre (partenaire, membre de comité)"

    username = None
    email = models.EmailField("adresse e-mail", unique=True)
    role = models.CharField("rôle", max_length=20, choices=Role.choices, default=Role.OTHER)
    caf = models.ForeignKey(
        Caf,
        verbose_name="Caf",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="staff",
    )
    collectivity = models.ForeignKey(
        Collectivity,
        verbose_name="collectivité",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="people",
    )
    job_title = models.CharField("fonction", max_length=200, blank=True)

    USERNAME_FIELD = "email"
    REQUIRED_FIELDS = []

    objects = UserManager()

    class Meta:
        verbose_name = "utilisateur"
        verbose_name_plural = "utilisateurs"
        ordering = ["last_name", "first_name", "email"]

    def __str__(self) -> str:
        return self.get_full_name() or self.email

    def clean(self) -> None:
        super().clean()
        if self.role == self.Role.CAF_STAFF and not self.caf_id:
            raise ValidationError({"caf": "Un agent de la Caf doit être rattaché à une Caf."})
        if self.role in (self.Role.COORDINATOR, self.Role.ELECTED) and not self.collectivity_id:
            raise ValidationError(
                {"collectivity": "Ce rôle doit être rattaché à une collectivité."}
            )


class Convention(models.Model):
    class Phase(models.TextChoices):
        PREPARATION = "preparation", "Préparation"
        DIAGNOSTIC = "diagnostic", "Diagnostic partagé"
        ACTION_PLAN = "action_plan", "Plan d'actions"
        SIGNATURE = "signature", "Signature"
        IMPLEMENTATION = "implementation", "Mise en œuvre"
        EVALUATION = "evaluation", "Évaluation"
        CLOSED = "closed", "Échue"
        RENEWED = "renewed", "Renouvelée"

    class Frequency(models.TextChoices):
        MONTHLY = "monthly", "Mensuelle"
        QUARTERLY = "quarterly", "Trimestrielle"
        HALF_YEARLY = "half_yearly", "Semestrielle"
        YEARLY = "yearly", "Annuelle"

    caf = models.ForeignKey(
        Caf, verbose_name="Caf", on_delete=models.PROTECT, related_name="conventions"
    )
    name = models.CharField("intitulé", max_length=255)
    start_date = models.DateField("date de début", validators=[validate_plausible_date])
    end_date = models.DateField("date de fin", validators=[validate_plausible_date])
    phase = models.CharField(
        "phase", max_length=20, choices=Phase.choices, default=Phase.PREPARATION
    )
    signed_on = models.DateField(
        "signée le", null=True, blank=True, validators=[validate_plausible_date]
    )
    vision = models.TextField("vision stratégique partagée", blank=True)
    purpose = models.TextField("objet de la convention", blank=True)
    horizon_year = models.PositiveSmallIntegerField(
        "horizon du projet social de territoire", null=True, blank=True
    )
    thematics = models.ManyToManyField(Thematic, verbose_name="thématiques couvertes", blank=True)
    territories = models.ManyToManyField(
        Collectivity,
        verbose_name="territoires couverts",
        blank=True,
        related_name="covering_conventions",
    )
    previous = models.ForeignKey(
        "self",
        verbose_name="convention précédente",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="renewals",
    )
    reporting_frequency = models.CharField(
        "fréquence des rapports d'avancement",
        max_length=20,
        choices=Frequency.choices,
        default=Frequency.YEARLY,
    )
    meeting_pack_days = models.PositiveSmallIntegerField(
        "envoi du dossier de séance (jours avant la réunion)", default=10
    )

    class MeasurementValidation(models.TextChoices):
        TERRITORY = "territory", "Les valeurs saisies par le territoire"
        EVERYONE = "everyone", "Toutes les valeurs"
        NOBODY = "nobody", "Aucune valeur"

    measurements_need_validation = models.CharField(
        "validation des mesures par la Caf",
        max_length=20,
        choices=MeasurementValidation.choices,
        default=MeasurementValidation.TERRITORY,
        help_text="Les mesures à valider ne comptent dans la synthèse, les rapports et les "
        "exports qu'une fois validées par la Caf.",
    )
    is_takeover = models.BooleanField(
        "reprise de l'existant",
        default=False,
        editable=False,
        help_text="Convention signée avant l'outil, créée directement dans sa phase réelle : "
        "son plan d'actions s'importe quelle que soit sa phase.",
    )
    version = models.PositiveIntegerField("version", default=1, editable=False)
    # Bumped in the transaction of every write that changes the figures of the Synthèse
    # (conventions.services.data_version): the key of their cached rendering.
    data_version = models.PositiveBigIntegerField(
        "version des données suivies", default=0, editable=False
    )
    # Bumped in the transaction of every write that changes what a convention's pages show
    # besides its figures — committees and members, meetings, progress reports, signatories,
    # the Caf's collectivities (conventions.services.data_version): the key of the cached
    # rendering of those blocks.
    activity_version = models.PositiveBigIntegerField(
        "version de l'activité", default=0, editable=False
    )
    created_at = models.DateTimeField("créée le", auto_now_add=True)
    updated_at = models.DateTimeField("modifiée le", auto_now=True)

    history = HistoricalRecords(excluded_fields=["updated_at", "data_version", "activity_version"])

    class Meta:
        verbose_name = "convention territoriale globale"
        verbose_name_plural = "conventions territoriales globales"
        ordering = ["-start_date", "name"]
        constraints = [
            models.CheckConstraint(
                condition=Q(end_date__gt=models.F("start_date")),
                name="convention_end_after_start",
                violation_error_message="La date de fin doit être postérieure à la date de début.",
            ),
        ]
        indexes = [models.Index(fields=["caf", "phase"]), models.Index(fields=["end_date"])]

    def __str__(self) -> str:
        return self.name

    def clean(self) -> None:
        if self.start_date and self.end_date and self.end_date <= self.start_date:
            raise ValidationError(
                {"end_date": "La date de fin doit être postérieure à la date de début."}
            )
        if self.horizon_year and self.start_date and self.horizon_year < self.start_date.year:
            raise ValidationError(
                {"horizon_year": "L'horizon ne peut pas précéder le début de la convention."}
            )

    @property
    def duration_years(self) -> float:
        return round((self.end_date - self.start_date).days / 365.25, 1)

    def elapsed_share(self, today=None) -> float:
        """Share of the period elapsed, between 0 and 1."""
        today = today or timezone.localdate()
        total = (self.end_date - self.start_date).days
        if total <= 0:
            return 1.0
        done = (today - self.start_date).days
        return max(0.0, min(1.0, done / total))


class Signatory(models.Model):
    class Role(models.TextChoices):
        SIGNATORY = "signataire", "Signataire"
        LEAD = "porteur", "Porteur"

    class Civility(models.TextChoices):
        MADAME = "madame", "Madame"
        MONSIEUR = "monsieur", "Monsieur"

    class PartnerKind(models.TextChoices):
        DEPARTEMENT = "departement", "Département"
        MSA = "msa", "MSA"
        ETAT = "etat", "État"
        CPAM = "cpam", "CPAM"
        CARSAT = "carsat", "Carsat"
        OTHER = "other", "Autre partenaire"

    convention = models.ForeignKey(
        Convention,
        verbose_name="convention",
        on_delete=models.CASCADE,
        related_name="signatories",
    )
    collectivity = models.ForeignKey(
        Collectivity,
        verbose_name="collectivité",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="signatures",
    )
    caf = models.ForeignKey(
        Caf,
        verbose_name="Caf",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="signatures",
    )
    partner_kind = models.CharField(
        "type de partenaire", max_length=20, choices=PartnerKind.choices, blank=True
    )
    partner_name = models.CharField("nom du partenaire", max_length=200, blank=True)
    role = models.CharField("rôle", max_length=20, choices=Role.choices, default=Role.SIGNATORY)
    # A database default too: writers that list their columns (the bench's COPY) leave it out.
    representative_civility = models.CharField(
        "civilité du représentant",
        max_length=10,
        choices=Civility.choices,
        blank=True,
        default="",
        db_default="",
        help_text="Pour accorder le texte de la convention (« représentée par Madame … »).",
    )
    representative_name = models.CharField("représenté·e par", max_length=200, blank=True)
    representative_title = models.CharField("qualité", max_length=200, blank=True)
    resolution_reference = models.CharField(
        "référence de la délibération", max_length=100, blank=True
    )
    resolution_date = models.DateField(
        "date de la délibération", null=True, blank=True, validators=[validate_plausible_date]
    )
    signed_on = models.DateField(
        "signée le", null=True, blank=True, validators=[validate_plausible_date]
    )
    order = models.PositiveSmallIntegerField("ordre", default=0)

    history = HistoricalRecords()

    class Meta:
        verbose_name = "signataire"
        verbose_name_plural = "signataires"
        ordering = ["order", "id"]
        constraints = [
            # Exactly one organisation: a collectivity, the Caf, or a named partner.
            models.CheckConstraint(
                condition=(
                    Q(collectivity__isnull=False, caf__isnull=True, partner_name="")
                    | Q(collectivity__isnull=True, caf__isnull=False, partner_name="")
                    | (Q(collectivity__isnull=True, caf__isnull=True) & ~Q(partner_name=""))
                ),
                name="signatory_exactly_one_organisation",
                violation_error_message=(
                    "Un signataire est soit une collectivité, soit la Caf, soit un partenaire nommé."
                ),
            ),
            models.UniqueConstraint(
                fields=["convention", "collectivity"],
                condition=Q(collectivity__isnull=False),
                name="signatory_unique_collectivity",
                violation_error_message="Cette collectivité est déjà signataire de la convention.",
            ),
            models.UniqueConstraint(
                fields=["convention", "caf"],
                condition=Q(caf__isnull=False),
                name="signatory_unique_caf",
                violation_error_message="La Caf est déjà signataire de la convention.",
            ),
        ]

    def __str__(self) -> str:
        return self.organisation_name

    @property
    def organisation_name(self) -> str:
        if self.collectivity_id:
            return self.collectivity.name
        if self.caf_id:
            return self.caf.name
        return self.partner_name

    def clean(self) -> None:
        chosen = sum(bool(x) for x in (self.collectivity_id, self.caf_id, self.partner_name))
        if chosen != 1:
            raise ValidationError(
                "Choisissez une seule organisation : une collectivité, la Caf ou un partenaire nommé."
            )
        if self.resolution_date and self.signed_on and self.signed_on < self.resolution_date:
            raise ValidationError(
                {"signed_on": "La signature ne peut pas précéder la délibération."}
            )


class Amendment(models.Model):
    convention = models.ForeignKey(
        Convention, verbose_name="convention", on_delete=models.CASCADE, related_name="amendments"
    )
    number = models.PositiveSmallIntegerField("numéro")
    date = models.DateField("date", validators=[validate_plausible_date])
    purpose = models.TextField("objet")
    signatories_added = models.ManyToManyField(
        Signatory, verbose_name="signataires ajoutés", blank=True, related_name="amendments"
    )

    history = HistoricalRecords()

    class Meta:
        verbose_name = "avenant"
        verbose_name_plural = "avenants"
        ordering = ["convention", "number"]
        constraints = [
            models.UniqueConstraint(
                fields=["convention", "number"],
                name="amendment_unique_number",
                violation_error_message="Ce numéro d'avenant existe déjà pour cette convention.",
            ),
        ]

    def __str__(self) -> str:
        return f"Avenant n° {self.number}"


class Committee(models.Model):
    class Kind(models.TextChoices):
        COPIL = "copil", "Comité de pilotage"
        TECHNICAL = "technical", "Comité technique / opérationnel"
        THEMATIC = "thematic", "Groupe thématique"

    convention = models.ForeignKey(
        Convention, verbose_name="convention", on_delete=models.CASCADE, related_name="committees"
    )
    kind = models.CharField("type", max_length=20, choices=Kind.choices)
    name = models.CharField("nom", max_length=200)
    thematic = models.ForeignKey(
        Thematic,
        verbose_name="thématique",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
    )
    approvals_required_per_side = models.PositiveSmallIntegerField(
        "avis favorables requis par collège",
        default=1,
        validators=[MinValueValidator(1)],
    )

    history = HistoricalRecords()

    class Meta:
        verbose_name = "instance"
        verbose_name_plural = "instances"
        ordering = ["convention", "kind", "name"]
        constraints = [
            models.CheckConstraint(
                condition=Q(approvals_required_per_side__gte=1),
                name="committee_approvals_at_least_one",
                violation_error_message="Au moins un avis favorable par collège est requis.",
            ),
        ]

    def __str__(self) -> str:
        return self.name

    def clean(self) -> None:
        if self.kind == self.Kind.THEMATIC and not self.thematic_id:
            raise ValidationError({"thematic": "Un groupe thématique doit avoir une thématique."})


class Side(models.TextChoices):
    CAF = "caf", "Caf"
    TERRITORY = "territory", "Territoire"


class CommitteeMember(models.Model):
    committee = models.ForeignKey(
        Committee, verbose_name="instance", on_delete=models.CASCADE, related_name="members"
    )
    side = models.CharField("collège", max_length=20, choices=Side.choices)
    name = models.CharField("nom", max_length=200)
    function = models.CharField("fonction", max_length=200, blank=True)
    user = models.ForeignKey(
        User,
        verbose_name="compte utilisateur",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="committee_memberships",
    )

    history = HistoricalRecords()

    class Meta:
        verbose_name = "membre d'instance"
        verbose_name_plural = "membres d'instance"
        ordering = ["committee", "side", "name"]
        constraints = [
            models.UniqueConstraint(
                fields=["committee", "user"],
                condition=Q(user__isnull=False),
                name="committee_member_unique_user",
                violation_error_message="Cette personne est déjà membre de l'instance.",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.get_side_display()})"


class Meeting(models.Model):
    committee = models.ForeignKey(
        Committee, verbose_name="instance", on_delete=models.CASCADE, related_name="meetings"
    )
    date = models.DateTimeField("date", validators=[validate_plausible_date])
    location = models.CharField("lieu", max_length=200, blank=True)
    agenda = models.TextField("ordre du jour", blank=True)
    minutes = models.TextField("compte rendu", blank=True)
    decisions = models.TextField("décisions", blank=True)

    history = HistoricalRecords()

    class Meta:
        verbose_name = "réunion"
        verbose_name_plural = "réunions"
        ordering = ["-date"]
        indexes = [models.Index(fields=["committee", "date"])]

    def __str__(self) -> str:
        return f"{self.committee} — {formatting.date_short(self.date)}"


class DeadlineNotice(models.Model):
    """A notice sent to the Caf staff about a convention's end (conventions.calendar):
    one per convention and threshold, whatever the number of runs of the daily job."""

    class Threshold(models.TextChoices):
        ENDING = "ending_6_months", "Échéance dans les 6 mois"
        ENDED = "ended", "Convention échue"

    convention = models.ForeignKey(
        Convention,
        verbose_name="convention",
        on_delete=models.CASCADE,
        related_name="deadline_notices",
    )
    threshold = models.CharField("seuil", max_length=20, choices=Threshold.choices)
    end_date = models.DateField("date de fin notifiée")
    recipients = models.TextField("destinataires", blank=True)
    sent_at = models.DateTimeField("envoyé le", default=timezone.now)

    class Meta:
        verbose_name = "avis d'échéance"
        verbose_name_plural = "avis d'échéance"
        ordering = ["-sent_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["convention", "threshold"],
                name="deadline_notice_once_per_threshold",
                violation_error_message="Cet avis d'échéance a déjà été envoyé.",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_threshold_display()} — {self.convention}"


class Invitation(models.Model):
    """A person invited by e-mail to a role on a convention (conventions.services.invitation).

    The link sent carries a token of ``InvitationTokenGenerator``: valid 7 days, for one use,
    and only the last link sent (``send_count``) works. The record stays when the person is
    removed from the seat (``removed_at``): it is the history of who invited whom to what.
    """

    class Kind(models.TextChoices):
        COORDINATOR = "coordinator", "Chargé·e de coopération CTG"
        ELECTED = "elected", "Élu·e"
        MEMBER = "member", "Membre d'une instance"

    convention = models.ForeignKey(
        Convention, verbose_name="convention", on_delete=models.CASCADE, related_name="invitations"
    )
    user = models.ForeignKey(
        User, verbose_name="personne invitée", on_delete=models.CASCADE, related_name="invitations"
    )
    kind = models.CharField("rôle", max_length=20, choices=Kind.choices)
    collectivity = models.ForeignKey(
        Collectivity,
        verbose_name="collectivité",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    committee = models.ForeignKey(
        Committee,
        verbose_name="instance",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    side = models.CharField("collège", max_length=20, choices=Side.choices, blank=True)
    member = models.ForeignKey(
        CommitteeMember,
        verbose_name="siège",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="invitations",
    )
    invited_by = models.ForeignKey(
        User,
        verbose_name="invité·e par",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="invitations_sent",
    )
    created_at = models.DateTimeField("invitée le", default=timezone.now)
    sent_at = models.DateTimeField("lien envoyé le", null=True, blank=True)
    send_count = models.PositiveIntegerField("liens envoyés", default=0)
    expires_at = models.DateTimeField("lien valable jusqu'au", null=True, blank=True)
    accepted_at = models.DateTimeField("acceptée le", null=True, blank=True)
    removed_at = models.DateTimeField("retirée le", null=True, blank=True)
    removed_by = models.ForeignKey(
        User,
        verbose_name="retirée par",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )

    class Meta:
        verbose_name = "invitation"
        verbose_name_plural = "invitations"
        ordering = ["-created_at", "-pk"]
        indexes = [models.Index(fields=["convention", "created_at"])]
        constraints = [
            models.CheckConstraint(
                condition=~Q(kind="member") | Q(side__in=["caf", "territory"]),
                name="invitation_member_has_side",
                violation_error_message="Choisissez le collège du membre : Caf ou territoire.",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.user} — {self.get_kind_display()} ({self.convention})"

    @property
    def is_removed(self) -> bool:
        return self.removed_at is not None or (
            self.kind == self.Kind.MEMBER and self.member_id is None
        )

    @property
    def is_expired(self) -> bool:
        return self.expires_at is not None and self.expires_at <= timezone.now()

    @property
    def status(self) -> str:
        if self.is_removed:
            return "Retiré·e"
        if self.accepted_at:
            return "Compte actif"
        if self.is_expired:
            return "Lien expiré"
        return "En attente"

    @property
    def target_label(self) -> str:
        """« Élu·e — Laguépie », « Membre — Comité de pilotage (Caf) »."""
        if self.kind == self.Kind.MEMBER:
            where = self.committee.name if self.committee_id else "instance supprimée"
            return f"Membre — {where} ({self.get_side_display()})"
        where = self.collectivity.name if self.collectivity_id else "—"
        return f"{self.get_kind_display()} — {where}"
