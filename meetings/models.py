"""The committee cycle around a meeting (conventions.Meeting): its attendees, its agenda
built by the tool and completed by the Caf, its convocations.

The app sits on the reports layer: the agenda proposes fiches (actions), late indicators
(evaluation) and progress reports (reports), which conventions cannot import."""

from django.conf import settings
from django.db import models
from django.utils import timezone

TITLE_MAX = 300
NOTE_MAX = 2000
GUESTS_MAX = 2000


class MeetingRecord(models.Model):
    """What the tool keeps about a meeting beyond its date, place and texts: whether its
    agenda still follows the data, and the guests who are not members."""

    meeting = models.OneToOneField(
        "conventions.Meeting",
        verbose_name="réunion",
        on_delete=models.CASCADE,
        related_name="record",
    )
    agenda_frozen_at = models.DateTimeField("ordre du jour figé le", null=True, blank=True)
    agenda_frozen_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name="ordre du jour figé par",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    guests = models.TextField("invités", blank=True, max_length=GUESTS_MAX)

    class Meta:
        verbose_name = "suivi de réunion"
        verbose_name_plural = "suivis de réunion"

    def __str__(self) -> str:
        return f"Suivi — {self.meeting}"


class Attendance(models.Model):
    class Status(models.TextChoices):
        PRESENT = "present", "Présent·e"
        EXCUSED = "excused", "Excusé·e"
        ABSENT = "absent", "Absent·e"

    meeting = models.ForeignKey(
        "conventions.Meeting",
        verbose_name="réunion",
        on_delete=models.CASCADE,
        related_name="attendances",
    )
    member = models.ForeignKey(
        "conventions.CommitteeMember",
        verbose_name="membre",
        on_delete=models.CASCADE,
        related_name="attendances",
    )
    status = models.CharField("présence", max_length=20, choices=Status.choices)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name="saisi par",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    recorded_at = models.DateTimeField("saisi le", default=timezone.now)

    class Meta:
        verbose_name = "présence"
        verbose_name_plural = "présences"
        ordering = ["meeting", "member"]
        constraints = [
            models.UniqueConstraint(
                fields=["meeting", "member"],
                name="attendance_once_per_member",
                violation_error_message="La présence de ce membre est déjà saisie.",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.member} : {self.get_status_display()}"


class AgendaItem(models.Model):
    """One point of a meeting's agenda. A proposed point (every kind but ``FREE``) is
    identified by ``key`` (« fiche:12 », « indicator:5 », « report:3 », « parity ») so that
    the Caf's order and removals survive while the agenda follows the data."""

    class Kind(models.TextChoices):
        PARITY = "parity", "Composition de l'instance"
        REPORT = "report", "Rapport d'avancement"
        FICHE_SUBMITTED = "fiche_submitted", "Fiche soumise à l'avis du comité"
        FICHE_CHANGED = "fiche_changed", "Fiche modifiée depuis sa validation"
        LATE_INDICATOR = "late_indicator", "Indicateur en retard"
        FREE = "free", "Point ajouté"

    meeting = models.ForeignKey(
        "conventions.Meeting",
        verbose_name="réunion",
        on_delete=models.CASCADE,
        related_name="agenda_items",
    )
    key = models.CharField("clé", max_length=40)
    position = models.PositiveIntegerField("rang", default=0)
    kind = models.CharField("nature", max_length=20, choices=Kind.choices)
    fiche = models.ForeignKey(
        "actions.ActionSheet",
        verbose_name="fiche action",
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="agenda_items",
    )
    indicator = models.ForeignKey(
        "evaluation.Indicator",
        verbose_name="indicateur",
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="agenda_items",
    )
    report = models.ForeignKey(
        "reports.ProgressReport",
        verbose_name="rapport",
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="agenda_items",
    )
    title = models.CharField("intitulé", max_length=TITLE_MAX)
    note = models.TextField("précision", blank=True, max_length=NOTE_MAX)
    removed = models.BooleanField("retiré", default=False)

    class Meta:
        verbose_name = "point de l'ordre du jour"
        verbose_name_plural = "points de l'ordre du jour"
        ordering = ["meeting", "position", "pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["meeting", "key"],
                name="agenda_item_once_per_meeting",
                violation_error_message="Ce point figure déjà à l'ordre du jour.",
            ),
        ]

    def __str__(self) -> str:
        return self.title

    @property
    def is_free(self) -> bool:
        return self.kind == self.Kind.FREE


class Convocation(models.Model):
    """One sending of the convocation to the committee's members (``sequence``: 1 for the
    first, the ``.ics`` carries ``sequence - 1``). ``content``: what was sent (date, place,
    agenda), so that a later sending says what changed."""

    class Status(models.TextChoices):
        PENDING = "pending", "En cours d'envoi"
        SENT = "sent", "Envoyée"
        FAILED = "failed", "En échec"

    meeting = models.ForeignKey(
        "conventions.Meeting",
        verbose_name="réunion",
        on_delete=models.CASCADE,
        related_name="convocations",
    )
    sequence = models.PositiveIntegerField("envoi n°")
    content = models.JSONField("contenu envoyé", default=dict, blank=True)
    changes = models.CharField("changements depuis l'envoi précédent", max_length=300, blank=True)
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name="envoyée par",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    requested_at = models.DateTimeField("demandée le", default=timezone.now)
    sent_at = models.DateTimeField("envoyée le", null=True, blank=True)
    recipient_count = models.PositiveIntegerField("destinataires", default=0)
    status = models.CharField("état", max_length=20, choices=Status.choices, default=Status.PENDING)
    error = models.TextField("erreur", blank=True)

    class Meta:
        verbose_name = "convocation"
        verbose_name_plural = "convocations"
        ordering = ["meeting", "-sequence"]
        constraints = [
            models.UniqueConstraint(
                fields=["meeting", "sequence"],
                name="convocation_sequence_once_per_meeting",
                violation_error_message="Cet envoi de la convocation existe déjà.",
            ),
        ]

    def __str__(self) -> str:
        return f"Convocation n° {self.sequence} — {self.meeting}"


class Delivery(models.Model):
    """One e-mail of a sending to one address (:func:`meetings.mailing.send_once_each`):
    sent once, even if the task runs twice or two workers run it at once. ``error``: why
    the last attempt failed (emptied once it is sent), so a retry sends only what is owed."""

    email = models.EmailField("adresse")
    sent_at = models.DateTimeField("envoyé le", null=True, blank=True)
    error = models.TextField("erreur", blank=True)

    class Meta:
        abstract = True


class ConvocationDelivery(Delivery):
    """One e-mail of a convocation."""

    convocation = models.ForeignKey(
        Convocation, verbose_name="convocation", on_delete=models.CASCADE, related_name="deliveries"
    )

    class Meta:
        verbose_name = "envoi de convocation"
        verbose_name_plural = "envois de convocation"
        ordering = ["convocation", "email"]
        constraints = [
            models.UniqueConstraint(
                fields=["convocation", "email"], name="convocation_delivery_once_per_address"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.convocation} → {self.email}"


COMMENT_MAX = 2000
FOLLOW_UP_MAX = 4000


class MeetingDecision(models.Model):
    """What the committee decided on one point of the meeting's agenda.

    For a fiche awaiting the committee's opinion: each side's vote (favourable / à revoir,
    with its comment), recorded as the opinions of members of that side marked present
    (``actions.services.approval_give``: the fiche's workflow applies the one validation
    rule), and the ``outcome`` it had on the fiche. For any point: the follow-up
    (« suites à donner »). ``title``: the point as it was decided, kept if the agenda moves.
    """

    class Vote(models.TextChoices):
        FAVORABLE = "favorable", "Favorable"
        TO_REVIEW = "a_revoir", "À revoir"

    class Outcome(models.TextChoices):
        VALIDATED = "validated", "Fiche validée"
        SENT_BACK = "sent_back", "Fiche renvoyée « à revoir »"
        PENDING = "pending", "Avis enregistrés, fiche toujours soumise"
        NOTED = "noted", "Suites à donner"

    meeting = models.ForeignKey(
        "conventions.Meeting",
        verbose_name="réunion",
        on_delete=models.CASCADE,
        related_name="recorded_decisions",
    )
    agenda_item = models.OneToOneField(
        AgendaItem,
        verbose_name="point de l'ordre du jour",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="decision",
    )
    fiche = models.ForeignKey(
        "actions.ActionSheet",
        verbose_name="fiche action",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="meeting_decisions",
    )
    version = models.PositiveIntegerField("version de la fiche", null=True, blank=True)
    title = models.CharField("point", max_length=TITLE_MAX)
    position = models.PositiveIntegerField("rang", default=0)
    caf_vote = models.CharField(
        "vote du collège Caf", max_length=20, choices=Vote.choices, blank=True
    )
    caf_comment = models.TextField("commentaire du collège Caf", blank=True, max_length=COMMENT_MAX)
    territory_vote = models.CharField(
        "vote du collège territoire", max_length=20, choices=Vote.choices, blank=True
    )
    territory_comment = models.TextField(
        "commentaire du collège territoire", blank=True, max_length=COMMENT_MAX
    )
    outcome = models.CharField("effet", max_length=20, choices=Outcome.choices)
    follow_up = models.TextField("suites à donner", blank=True, max_length=FOLLOW_UP_MAX)
    voters = models.JSONField("votants", default=list, blank=True)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name="saisie par",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    recorded_at = models.DateTimeField("saisie le", default=timezone.now)
    # When the fiche's author and pilot had all been told of the decision (one e-mail each,
    # once: :class:`DecisionDelivery`).
    notified_at = models.DateTimeField("auteur informé le", null=True, blank=True)

    class Meta:
        verbose_name = "décision de réunion"
        verbose_name_plural = "décisions de réunion"
        ordering = ["meeting", "position", "pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["meeting", "fiche", "version"],
                name="meeting_decision_once_per_fiche_version",
                violation_error_message="La décision sur cette fiche est déjà enregistrée.",
            ),
            models.CheckConstraint(
                condition=~models.Q(caf_vote="a_revoir") | ~models.Q(caf_comment=""),
                name="meeting_decision_caf_review_needs_comment",
                violation_error_message="Un vote « à revoir » doit être motivé par un commentaire.",
            ),
            models.CheckConstraint(
                condition=~models.Q(territory_vote="a_revoir") | ~models.Q(territory_comment=""),
                name="meeting_decision_territory_review_needs_comment",
                violation_error_message="Un vote « à revoir » doit être motivé par un commentaire.",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.title} : {self.get_outcome_display()}"

    @property
    def is_fiche(self) -> bool:
        return self.outcome != self.Outcome.NOTED


class DecisionDelivery(Delivery):
    """The notice of a meeting's decision on a fiche, to its author or its pilot."""

    decision = models.ForeignKey(
        MeetingDecision,
        verbose_name="décision",
        on_delete=models.CASCADE,
        related_name="deliveries",
    )

    class Meta:
        verbose_name = "avis de décision envoyé"
        verbose_name_plural = "avis de décision envoyés"
        ordering = ["decision", "email"]
        constraints = [
            models.UniqueConstraint(
                fields=["decision", "email"], name="decision_delivery_once_per_address"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.decision} → {self.email}"


class ReleveSending(models.Model):
    """One sending of the relevé de décisions to the committee's members, archived on the
    meeting page. ``decisions``: the decisions it carried (a double click with nothing new
    sends nothing); ``document``: the PDF as it was sent."""

    class Status(models.TextChoices):
        PENDING = "pending", "En cours d'envoi"
        SENT = "sent", "Envoyé"
        FAILED = "failed", "En échec"

    meeting = models.ForeignKey(
        "conventions.Meeting",
        verbose_name="réunion",
        on_delete=models.CASCADE,
        related_name="releve_sendings",
    )
    sequence = models.PositiveIntegerField("envoi n°")
    decisions = models.JSONField("décisions envoyées", default=list, blank=True)
    document = models.BinaryField("relevé envoyé (PDF)", blank=True, default=b"")
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name="envoyé par",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    requested_at = models.DateTimeField("demandé le", default=timezone.now)
    sent_at = models.DateTimeField("envoyé le", null=True, blank=True)
    recipient_count = models.PositiveIntegerField("destinataires", default=0)
    status = models.CharField("état", max_length=20, choices=Status.choices, default=Status.PENDING)
    error = models.TextField("erreur", blank=True)

    class Meta:
        verbose_name = "envoi du relevé de décisions"
        verbose_name_plural = "envois du relevé de décisions"
        ordering = ["meeting", "-sequence"]
        constraints = [
            models.UniqueConstraint(
                fields=["meeting", "sequence"],
                name="releve_sequence_once_per_meeting",
                violation_error_message="Cet envoi du relevé existe déjà.",
            ),
        ]

    def __str__(self) -> str:
        return f"Relevé n° {self.sequence} — {self.meeting}"


class ReleveDelivery(Delivery):
    """One e-mail of a relevé's sending."""

    sending = models.ForeignKey(
        ReleveSending, verbose_name="envoi", on_delete=models.CASCADE, related_name="deliveries"
    )

    class Meta:
        verbose_name = "courriel du relevé"
        verbose_name_plural = "courriels du relevé"
        ordering = ["sending", "email"]
        constraints = [
            models.UniqueConstraint(
                fields=["sending", "email"], name="releve_delivery_once_per_address"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.sending} → {self.email}"


class MeetingPack(models.Model):
    """The dossier de séance of a meeting as last built (``meetings.pack``): its PDF and the
    digest of the HTML it was rendered from, so that the PDF is built once per content and
    built again as soon as what it says changes."""

    meeting = models.OneToOneField(
        "conventions.Meeting",
        verbose_name="réunion",
        on_delete=models.CASCADE,
        related_name="meeting_pack",
    )
    digest = models.CharField("empreinte du contenu", max_length=64)
    document = models.BinaryField("dossier de séance (PDF)", default=b"")
    built_at = models.DateTimeField("produit le", default=timezone.now)

    class Meta:
        verbose_name = "dossier de séance"
        verbose_name_plural = "dossiers de séance"

    def __str__(self) -> str:
        return f"Dossier de séance — {self.meeting}"
