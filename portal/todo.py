"""« À faire »: what is due for one person, per role, each item a link to where it is done.

The home page (``portal.views.todo``) lists :func:`todo_for`; the menu's « À faire » badge
shows the count of the same list (:func:`todo_count`, kept in the session, see below).

Every item comes from the rule's own home; this module only gathers them:

- **Caf staff** (a superuser: every Caf): conventions ended or ending
  (``conventions.calendar``), phase moves the guards allow now
  (``conventions.lifecycle.transition_blockers``), reports failed or ready
  (``reports.models.ProgressReport``), committees without parity
  (``conventions.selectors.Parity``, as on the Gouvernance page), measurements à valider
  (``evaluation.validation``);
- **coordinator**: measurements due by each indicator's frequency
  (``reports.selectors.due_measurements``, the reminder e-mails' rule), fiches sent back
  (« à revoir »), fiches without indicator, drafts not ready to submit
  (``actions.workflow.submission_gaps``) or ready;
- **the author of a measurement** (whatever the role): the values the Caf sent back;
- **committee member**: fiches awaiting *my* opinion (``actions.selectors.inbox``), the next
  meeting of each of my committees and its dossier de séance;
- **élu**: the Synthèse of each of my conventions and its last report.

Query count: fixed whatever the data size. Each kind reads at most :data:`KIND_LIMIT` rows
(a superuser sees every Caf: the page is paginated); the phase moves ask the guards for
at most :data:`PHASE_MOVE_LIMIT` conventions (one query each at most).
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass, field

from django.db.models import Count, Exists, F, OuterRef, Q, QuerySet, Subquery
from django.urls import reverse
from django.utils import timezone

from actions import workflow
from actions.models import ActionSheet
from actions.selectors import inbox
from conventions import calendar, lifecycle
from conventions.models import (
    Committee,
    CommitteeMember,
    Convention,
    Meeting,
    Side,
    Signatory,
    User,
)
from conventions.permissions import is_caf_staff
from conventions.selectors import Parity
from ctg import formatting, palette
from evaluation import ownership
from evaluation.models import Indicator
from evaluation.validation import conventions_with_pending, returned_to
from reports.models import ProgressReport
from reports.selectors import due_measurements

Phase = Convention.Phase

# --- what an item is ---------------------------------------------------------------------

URGENT = 3  # overdue, failed, sent back
DUE = 2  # to do now: measurements, opinions, an imminent meeting
INFO = 1  # to know or to decide when convenient

URGENCY_LABELS = {URGENT: "Urgent", DUE: "À faire", INFO: "À suivre"}
URGENCY_TONES = {URGENT: "danger", DUE: "warning", INFO: "info"}

CAF = "caf"
COORDINATION = "coordination"
COMMITTEE = "committee"
ELECTED = "elected"
GROUPS = {  # in the page's order
    CAF: "Pour la Caf",
    COORDINATION: "Fiches action et mesures",
    COMMITTEE: "Comités",
    ELECTED: "Suivre mes conventions",
}

KIND_LIMIT = 30  # rows read per kind (a superuser sees every Caf)
PHASE_MOVE_LIMIT = 8  # conventions whose phase move is asked of the guards
READY_REPORT_DAYS = 30  # a ready report stays on the list this long
MEETING_SOON_DAYS = 14  # a meeting this close is « à faire », not « à suivre »
# Kinds whose detail already says their date.
DATE_IN_DETAIL = {
    "convention_ended",
    "convention_ending",
    "measurement_due",
    "next_meeting",
    "meeting_pack",
    "synthese",  # dated today: first, before its last report
}
# Forward moves that are the partners' decision (later ones follow the calendar).
DECIDED_PHASES = (Phase.PREPARATION, Phase.DIAGNOSTIC, Phase.ACTION_PLAN, Phase.SIGNATURE)


@dataclass(frozen=True)
class TodoItem:
    kind: str
    urgency: int
    date: datetime.date | None
    label: str
    url: str
    convention: Convention
    group: str
    detail: str = ""

    @property
    def urgency_label(self) -> str:
        return URGENCY_LABELS[self.urgency]

    @property
    def badge_class(self) -> str:
        return palette.TONES[URGENCY_TONES[self.urgency]].badge

    @property
    def group_label(self) -> str:
        return GROUPS[self.group]

    @property
    def shows_date(self) -> bool:
        """Whether the page shows the date beside the convention (not when the detail
        already says it)."""
        return self.date is not None and self.kind not in DATE_IN_DETAIL

    def sort_key(self) -> tuple:
        # Group, then the most urgent, then the newest (undated last); equals keep the
        # order they were read in (a meeting before its pack).
        ordinal = self.date.toordinal() if self.date else 0
        return (list(GROUPS).index(self.group), -self.urgency, -ordinal)


@dataclass
class Todo:
    items: list[TodoItem] = field(default_factory=list)

    @property
    def count(self) -> int:
        return len(self.items)

    @property
    def groups(self) -> list[str]:
        return list(dict.fromkeys(item.group for item in self.items))


def _local_date(value: datetime.datetime | None) -> datetime.date | None:
    return timezone.localdate(value) if value else None


# --- Caf staff ---------------------------------------------------------------------------


def caf_scope(user: User) -> QuerySet[Convention]:
    qs = Convention.objects.all()
    return qs if user.is_superuser else qs.filter(caf_id=user.caf_id)


def calendar_items(scope: QuerySet[Convention], today: datetime.date) -> list[TodoItem]:
    """Conventions ended (and neither closed nor renewed) or ending within 12 months."""
    rows = (
        lifecycle.with_renewal_flag(scope, today)
        .exclude(phase__in=calendar.SETTLED_PHASES)
        .annotate(time_code=calendar.time_status_expression(today))
        .filter(time_code__in=(calendar.ENDED, calendar.ENDING))
        .order_by("end_date", "pk")[:KIND_LIMIT]
    )
    items = []
    for convention in rows:
        status = calendar.time_status(convention, today)
        if status.ended:
            urgency = URGENT if status.overdue else DUE
            url = reverse("conventions:lifecycle", args=[convention.pk])
            # The detail says what to engage (status.message); once in evaluation, what is left.
            label = (
                "Convention échue"
                if status.overdue
                else "Convention échue : clôturer ou renouveler"
            )
        else:
            urgency = DUE if convention.end_date <= calendar.notice_limit(today) else INFO
            if convention.renewal_due:
                url = reverse("conventions:renew", args=[convention.pk])
                label = "Convention bientôt échue : préparer le renouvellement"
            else:
                url = reverse("portal:detail", args=[convention.pk])
                label = "Convention bientôt échue"
        items.append(
            TodoItem(
                kind="convention_ended" if status.ended else "convention_ending",
                urgency=urgency,
                date=convention.end_date,
                label=label,
                detail=status.message,
                url=url,
                convention=convention,
                group=CAF,
            )
        )
    return items


def phase_move_items(scope: QuerySet[Convention]) -> list[TodoItem]:
    """Forward moves the guards allow now, for the conventions still being prepared
    (the most recently changed first)."""
    rows = (
        scope.filter(phase__in=DECIDED_PHASES)
        # transition_blockers reads these with .exists(): prefetched, they cost nothing.
        .prefetch_related("thematics", "territories", "signatories")
        .order_by("-updated_at", "-pk")[:PHASE_MOVE_LIMIT]
    )
    items = []
    for convention in rows:
        for target in lifecycle.FORWARD_TRANSITIONS.get(convention.phase, ()):
            if lifecycle.transition_blockers(convention=convention, to_phase=target):
                continue
            signing = convention.phase == Phase.SIGNATURE and target == Phase.IMPLEMENTATION
            name = "conventions:sign" if signing else "conventions:lifecycle"
            items.append(
                TodoItem(
                    kind="phase_move",
                    urgency=INFO,
                    date=_local_date(convention.updated_at),
                    label=(
                        "Signature à enregistrer : passage possible à la mise en œuvre"
                        if signing
                        else f"Passage possible à la phase « {Phase(target).label} »"
                    ),
                    detail=f"Phase actuelle : {Phase(convention.phase).label}",
                    url=reverse(name, args=[convention.pk]),
                    convention=convention,
                    group=CAF,
                )
            )
    return items


def report_items(scope: QuerySet[Convention], now: datetime.datetime) -> list[TodoItem]:
    """Reports and meeting packs that failed, or became ready lately."""
    since = now - datetime.timedelta(days=READY_REPORT_DAYS)
    rows = (
        ProgressReport.objects.filter(convention__in=scope)
        .filter(
            Q(status=ProgressReport.Status.FAILED)
            | Q(status=ProgressReport.Status.READY, generated_at__gte=since)
        )
        .select_related("convention")
        .order_by("-requested_at", "-pk")[:KIND_LIMIT]
    )
    items = []
    for report in rows:
        failed = report.status == ProgressReport.Status.FAILED
        items.append(
            TodoItem(
                kind="report_failed" if failed else "report_ready",
                urgency=URGENT if failed else INFO,
                date=_local_date(report.generated_at or report.requested_at),
                label=f"{report.get_kind_display()} {'en échec' if failed else 'prêt'}",
                detail=_period(report),
                url=reverse("reports:report_detail", args=[report.convention_id, report.pk]),
                convention=report.convention,
                group=CAF,
            )
        )
    return items


def _period(report: ProgressReport) -> str:
    return (
        f"Période du {formatting.date(report.period_start)} au {formatting.date(report.period_end)}"
    )


def parity_items(scope: QuerySet[Convention]) -> list[TodoItem]:
    """Committees whose sides differ in number (the Gouvernance page's parity rule)."""
    rows = (
        Committee.objects.filter(convention__in=scope)
        .exclude(convention__phase__in=calendar.SETTLED_PHASES)
        .annotate(
            caf_count=Count("members", filter=Q(members__side=Side.CAF)),
            territory_count=Count("members", filter=Q(members__side=Side.TERRITORY)),
        )
        .exclude(caf_count=F("territory_count"))  # read less; Parity decides below
        .select_related("convention")
        .order_by("convention__name", "name", "pk")[:KIND_LIMIT]
    )
    items = []
    for committee in rows:
        parity = Parity(caf=committee.caf_count, territory=committee.territory_count)
        if parity.is_balanced:
            continue
        items.append(
            TodoItem(
                kind="committee_parity",
                urgency=INFO,
                date=None,
                label=f"{committee.name} : parité à rétablir",
                detail=parity.message,
                url=reverse(
                    "conventions:committee_detail", args=[committee.convention_id, committee.pk]
                ),
                convention=committee.convention,
                group=CAF,
            )
        )
    return items


def validation_items(scope: QuerySet[Convention]) -> list[TodoItem]:
    """Conventions with measurements à valider (``evaluation.validation``): one item each,
    to the « Mesures à valider » page (one query)."""
    return [
        TodoItem(
            kind="measurements_to_validate",
            urgency=DUE,
            date=None,
            label=(
                f"{formatting.number(convention.pending, 0)} mesure"
                f"{formatting.plural(convention.pending)} à valider"
            ),
            detail="Saisies par le territoire, elles ne comptent pas avant votre validation.",
            url=reverse("evaluation:validation_list", args=[convention.pk]),
            convention=convention,
            group=CAF,
        )
        for convention in conventions_with_pending(scope, KIND_LIMIT)
    ]


# --- coordinator -------------------------------------------------------------------------


def collectivity_conventions(user: User) -> QuerySet[Convention]:
    """The conventions the user's collectivity signs (a coordinator works on them, an
    élu reads them)."""
    return Convention.objects.filter(
        Exists(
            Signatory.objects.filter(
                convention=OuterRef("pk"), collectivity_id=user.collectivity_id
            )
        )
    )


def measurement_items(scope: QuerySet[Convention], today: datetime.date) -> list[TodoItem]:
    """Indicators of the fiches being carried out whose last ended period (by the
    indicator's frequency) has no measurement: the reminder e-mails' rule
    (``reports.selectors.due_measurements``), for every fiche of the conventions."""
    indicators = (
        Indicator.objects.filter(
            action_sheet__convention__in=scope, action_sheet__status__in=workflow.ONGOING
        )
        .select_related("action_sheet__convention")
        .order_by("action_sheet__convention_id", "action_sheet__number", "pk")
    )
    items = []
    for due in due_measurements(indicators, today=today):
        indicator, period = due.indicator, due.period
        sheet = indicator.action_sheet
        items.append(
            TodoItem(
                kind="measurement_due",
                urgency=DUE,
                date=period.end,
                label=f"Mesure à saisir : {indicator.name}",
                detail=(
                    f"{sheet.number} — {sheet.title} · période du "
                    f"{formatting.date(period.start)} au {formatting.date(period.end)}"
                ),
                url=reverse(
                    "evaluation:indicator",
                    kwargs={"pk": sheet.convention_id, "indicator_pk": indicator.pk},
                ),
                convention=sheet.convention,
                group=COORDINATION,
            )
        )
        if len(items) >= KIND_LIMIT:
            break
    return items


def _sheet_url(sheet: ActionSheet, name: str = "actions:sheet_update", anchor: str = "") -> str:
    url = reverse(name, args=[sheet.convention_id, sheet.pk])
    return f"{url}#{anchor}" if anchor else url


def sheet_items(scope: QuerySet[Convention]) -> list[TodoItem]:
    """Fiches sent back, fiches carried out without indicator, drafts (ready or not)."""
    sheets = ActionSheet.objects.filter(convention__in=scope).select_related("convention")
    items = []
    for sheet in sheets.filter(status=ActionSheet.Status.TO_REVIEW).order_by("-updated_at", "-pk")[
        :KIND_LIMIT
    ]:
        items.append(
            TodoItem(
                kind="sheet_to_review",
                urgency=URGENT,
                date=_local_date(sheet.updated_at),
                label=f"Fiche à revoir : {sheet.number} — {sheet.title}",
                detail="Le comité l'a renvoyée : voyez son commentaire, corrigez et soumettez-la.",
                url=_sheet_url(sheet, "actions:sheet"),
                convention=sheet.convention,
                group=COORDINATION,
            )
        )
    without_indicator = (
        sheets.filter(status__in=workflow.VERSIONED)
        .filter(~Exists(Indicator.objects.filter(action_sheet=OuterRef("pk"))))
        .order_by("-updated_at", "-pk")[:KIND_LIMIT]
    )
    for sheet in without_indicator:
        items.append(
            TodoItem(
                kind="sheet_without_indicator",
                urgency=DUE,
                date=_local_date(sheet.updated_at),
                label=f"Fiche sans indicateur : {sheet.number} — {sheet.title}",
                detail="Ajoutez au moins un indicateur pour en suivre l'avancement.",
                url=_sheet_url(sheet, anchor=workflow.INDICATOR_GAP.anchor),
                convention=sheet.convention,
                group=COORDINATION,
            )
        )
    drafts = (
        sheets.filter(status=ActionSheet.Status.DRAFT)
        # submission_gaps reads both with .exists(): prefetched, they cost two queries in all.
        .prefetch_related("funding_lines", "indicators")
        .order_by("-updated_at", "-pk")[:KIND_LIMIT]
    )
    for sheet in drafts:
        gaps = workflow.submission_gaps(sheet)
        if gaps:
            item = TodoItem(
                kind="sheet_not_ready",
                urgency=INFO,
                date=_local_date(sheet.updated_at),
                label=f"Fiche à compléter : {sheet.number} — {sheet.title}",
                detail="Il manque " + " ; ".join(gap.label for gap in gaps) + ".",
                url=_sheet_url(sheet, anchor=gaps[0].anchor),
                convention=sheet.convention,
                group=COORDINATION,
            )
        else:
            item = TodoItem(
                kind="sheet_ready",
                urgency=DUE,
                date=_local_date(sheet.updated_at),
                label=f"Fiche prête à soumettre : {sheet.number} — {sheet.title}",
                detail="Elle est complète : soumettez-la au comité depuis sa page.",
                url=_sheet_url(sheet, "actions:sheet"),
                convention=sheet.convention,
                group=COORDINATION,
            )
        items.append(item)
    return items


def returned_items(user: User) -> list[TodoItem]:
    """The values I typed that the Caf sent back with a comment (``evaluation.validation``),
    to the indicator page where I correct them."""
    items = []
    for measurement in returned_to(user=user, limit=KIND_LIMIT):
        indicator = measurement.indicator
        convention = ownership.convention_of(indicator)
        url = reverse(
            "evaluation:indicator",
            kwargs={"pk": convention.pk, "indicator_pk": indicator.pk},
        )
        items.append(
            TodoItem(
                kind="measurement_returned",
                urgency=URGENT,
                date=_local_date(measurement.validated_at),
                label=f"Mesure renvoyée : {measurement.return_comment}",
                detail=(
                    f"{indicator.name} · valeur {formatting.number(measurement.value)} au "
                    f"{formatting.date(measurement.date)} : corrigez-la pour la soumettre à nouveau."
                ),
                url=f"{url}#mesure-{measurement.pk}",
                convention=convention,
                group=COORDINATION,
            )
        )
    return items


# --- committee member --------------------------------------------------------------------


def opinion_items(user: User) -> list[TodoItem]:
    """Fiches submitted to a committee where I sit, awaiting my opinion (« À examiner »)."""
    return [
        TodoItem(
            kind="opinion_awaited",
            urgency=DUE,
            date=_local_date(sheet.updated_at),
            label=f"Avis attendu : {sheet.number} — {sheet.title}",
            detail=f"Version {sheet.version} soumise au comité",
            url=_sheet_url(sheet, "actions:sheet"),
            convention=sheet.convention,
            group=COMMITTEE,
        )
        for sheet in inbox(user=user).order_by("-updated_at", "-pk")[:KIND_LIMIT]
    ]


def meeting_items(user: User, now: datetime.datetime) -> list[TodoItem]:
    """The next meeting of each committee where I sit, and its dossier de séance."""
    next_meeting = Meeting.objects.filter(committee=OuterRef("pk"), date__gte=now).order_by(
        "date", "pk"
    )
    meeting_ids = [
        pk
        for pk in Committee.objects.filter(
            Exists(CommitteeMember.objects.filter(committee=OuterRef("pk"), user=user))
        )
        .annotate(next_meeting_id=Subquery(next_meeting.values("pk")[:1]))
        .order_by("pk")
        .values_list("next_meeting_id", flat=True)[:KIND_LIMIT]
        if pk is not None
    ]
    if not meeting_ids:
        return []
    meetings = Meeting.objects.filter(pk__in=meeting_ids).select_related("committee__convention")
    packs = {}
    for pack in ProgressReport.objects.filter(
        meeting_id__in=meeting_ids,
        kind=ProgressReport.Kind.MEETING_PACK,
        status=ProgressReport.Status.READY,
    ).order_by("-generated_at", "-pk"):
        packs.setdefault(pack.meeting_id, pack)
    soon = now + datetime.timedelta(days=MEETING_SOON_DAYS)
    items = []
    for meeting in meetings:
        committee = meeting.committee
        urgency = DUE if meeting.date <= soon else INFO
        place = f" · {meeting.location}" if meeting.location else ""
        items.append(
            TodoItem(
                kind="next_meeting",
                urgency=urgency,
                date=_local_date(meeting.date),
                label=f"Prochaine réunion : {committee.name}",
                detail=f"Le {formatting.date_time(meeting.date)}{place}",
                url=reverse(
                    "conventions:meeting_detail",
                    args=[committee.convention_id, committee.pk, meeting.pk],
                ),
                convention=committee.convention,
                group=COMMITTEE,
            )
        )
        pack = packs.get(meeting.pk)
        if pack is not None:
            items.append(
                TodoItem(
                    kind="meeting_pack",
                    urgency=urgency,
                    date=_local_date(meeting.date),
                    label=f"Dossier de séance à lire : {committee.name}",
                    detail=f"Pour la réunion du {formatting.date(_local_date(meeting.date))}",
                    url=reverse(
                        "meetings:pack_pdf",
                        args=[committee.convention_id, committee.pk, meeting.pk],
                    ),
                    convention=committee.convention,
                    group=COMMITTEE,
                )
            )
    return items


# --- élu ---------------------------------------------------------------------------------


def elected_items(user: User, today: datetime.date) -> list[TodoItem]:
    """The Synthèse of each convention my collectivity signs, and its last report."""
    last_report = ProgressReport.objects.filter(
        convention=OuterRef("pk"),
        kind=ProgressReport.Kind.PERIODIC,
        status=ProgressReport.Status.READY,
    ).order_by("-period_end", "-pk")
    conventions = list(
        collectivity_conventions(user)
        .annotate(last_report_id=Subquery(last_report.values("pk")[:1]))
        .order_by("-start_date", "name", "pk")[:KIND_LIMIT]
    )
    reports = {
        report.pk: report
        for report in ProgressReport.objects.filter(
            pk__in=[c.last_report_id for c in conventions if c.last_report_id]
        )
    }
    items = []
    for convention in conventions:
        items.append(
            TodoItem(
                kind="synthese",
                urgency=INFO,
                date=today,
                label="Synthèse de la convention",
                detail=calendar.time_status(convention, today).message,
                url=reverse("portal:detail", args=[convention.pk]),
                convention=convention,
                group=ELECTED,
            )
        )
        report = reports.get(convention.last_report_id)
        if report is not None:
            items.append(
                TodoItem(
                    kind="last_report",
                    urgency=INFO,
                    date=_local_date(report.generated_at) or report.period_end,
                    label="Dernier rapport d'avancement",
                    detail=_period(report),
                    url=reverse("reports:report_detail", args=[convention.pk, report.pk]),
                    convention=convention,
                    group=ELECTED,
                )
            )
    return items


# --- the list ----------------------------------------------------------------------------


def todo_for(
    *, user: User, today: datetime.date | None = None, now: datetime.datetime | None = None
) -> Todo:
    """Everything due for ``user``, grouped by role (the union when they hold several),
    the most urgent and newest first in each group. A fixed number of queries."""
    todo = Todo()
    if not user.is_authenticated or not user.is_active:
        return todo
    today = today or timezone.localdate()
    now = now or timezone.now()
    items: list[TodoItem] = []
    if is_caf_staff(user):
        scope = caf_scope(user)
        items += calendar_items(scope, today)
        items += phase_move_items(scope)
        items += report_items(scope, now)
        items += parity_items(scope)
        items += validation_items(scope)
    if user.role == User.Role.COORDINATOR and user.collectivity_id:
        scope = collectivity_conventions(user)
        items += measurement_items(scope, today)
        items += sheet_items(scope)
    items += returned_items(user)
    if CommitteeMember.objects.filter(user=user).exists():
        items += opinion_items(user)
        items += meeting_items(user, now)
    if user.role == User.Role.ELECTED and user.collectivity_id:
        items += elected_items(user, today)
    todo.items = sorted(items, key=TodoItem.sort_key)
    return todo


# --- the menu's count --------------------------------------------------------------------

#: The menu shows the count of the list the person last saw, refreshed after this many
#: seconds: the list costs a dozen queries, too many for every page (the menu is drawn on
#: each one); the « À faire » page always counts afresh, so both agree there.
COUNT_MAX_AGE = 120
SESSION_KEY = "ctg_todo_count"


def remember_count(session, count: int, now: datetime.datetime | None = None) -> None:
    session[SESSION_KEY] = {"count": count, "at": (now or timezone.now()).timestamp()}


def todo_count(request, now: datetime.datetime | None = None) -> int | None:
    """The menu's « À faire » count: the one kept in the session, counted again when older
    than :data:`COUNT_MAX_AGE`; ``None`` before the person has seen their list (no query)."""
    session = getattr(request, "session", None)
    if session is None:
        return None
    kept = session.get(SESSION_KEY)
    if not isinstance(kept, dict):
        return None
    now = now or timezone.now()
    try:
        count, at = int(kept["count"]), float(kept["at"])
    except (KeyError, TypeError, ValueError):
        return None
    if now.timestamp() - at > COUNT_MAX_AGE:
        count = todo_for(user=request.user).count
        remember_count(session, count, now)
    return count
