"""Reads for the conventions pages, each in a fixed number of queries."""

from __future__ import annotations

import datetime
from dataclasses import dataclass
from decimal import Decimal

from django.core.paginator import Page, Paginator
from django.db.models import CharField, Count, OuterRef, Prefetch, Q, QuerySet, Subquery, Value
from django.http import Http404
from django.utils import formats, timezone
from django.utils.formats import date_format
from django.utils.text import Truncator

from . import lifecycle
from .models import (
    Caf,
    Collectivity,
    Committee,
    CommitteeMember,
    Convention,
    Meeting,
    Side,
    Signatory,
    User,
)
from .permissions import conventions_visible_to


def convention_list(*, user: User, search: str = "", phase: str = "") -> QuerySet[Convention]:
    qs = conventions_visible_to(user).select_related("caf")
    if search:
        qs = qs.filter(Q(name__icontains=search) | Q(caf__name__icontains=search))
    if phase:
        qs = qs.filter(phase=phase)
    qs = qs.annotate(
        signatory_count=Count("signatories", distinct=True),
    ).order_by("-start_date", "name")
    return lifecycle.with_renewal_flag(qs)


def committees_with_parity(*, convention: Convention) -> list[Committee]:
    """Committees with their members and the counts per side."""
    committees = list(
        convention.committees.select_related("thematic")
        .prefetch_related(
            Prefetch(
                "members",
                queryset=CommitteeMember.objects.select_related("user").order_by("side", "name"),
            )
        )
        .annotate(
            caf_count=Count("members", filter=Q(members__side=Side.CAF)),
            territory_count=Count("members", filter=Q(members__side=Side.TERRITORY)),
        )
    )
    for committee in committees:
        committee.is_balanced = committee.caf_count == committee.territory_count
    return committees


def signatories_of(*, convention: Convention) -> QuerySet[Signatory]:
    return convention.signatories.select_related("collectivity", "caf")


HISTORY_TYPES = {"+": "Création", "~": "Modification", "-": "Suppression"}
HISTORY_PAGE_SIZE = 50


def _history_sources(convention: Convention) -> dict:
    """Per tracked model: (model, queryset of its historical records about this convention).

    The filters read the historical tables, so that deleted signatories, committees,
    members or findings still appear."""
    from diagnostics.models import Diagnostic, Finding, TerritoryStatistic

    committee_ids = Committee.history.filter(convention_id=convention.pk).values("id")
    diagnostic_ids = Diagnostic.history.filter(convention_id=convention.pk).values("id")
    territory_ids = convention.territories.values("pk")
    return {
        "convention": (Convention, Convention.history.filter(id=convention.pk)),
        "signatory": (Signatory, Signatory.history.filter(convention_id=convention.pk)),
        "committee": (Committee, Committee.history.filter(convention_id=convention.pk)),
        "member": (
            CommitteeMember,
            CommitteeMember.history.filter(committee_id__in=committee_ids),
        ),
        "meeting": (Meeting, Meeting.history.filter(committee_id__in=committee_ids)),
        "diagnostic": (Diagnostic, Diagnostic.history.filter(convention_id=convention.pk)),
        "finding": (Finding, Finding.history.filter(diagnostic_id__in=diagnostic_ids)),
        "statistic": (
            TerritoryStatistic,
            TerritoryStatistic.history.filter(collectivity_id__in=territory_ids),
        ),
    }


def _history_timeline(sources: dict):
    """One ordered queryset of (date, history id, source key) over every historical table."""
    parts = [
        qs.order_by()
        .annotate(history_source=Value(key, output_field=CharField()))
        .values_list("history_date", "history_id", "history_source")
        for key, (_model, qs) in sources.items()
    ]
    return parts[0].union(*parts[1:], all=True).order_by("-history_date", "-history_id")


def _diffed_fields(model) -> list:
    return [f for f in model._meta.concrete_fields if f.editable and not f.primary_key]


def _display_value(field, value, names: dict) -> str:
    if value is None or value == "":
        return ""
    if field.is_relation:
        return names.get((field.related_model, value), f"n° {value} (supprimé·e)")
    if field.choices:
        return str(dict(field.flatchoices).get(value, value))
    if isinstance(value, bool):
        return "oui" if value else "non"
    if isinstance(value, datetime.datetime):
        return date_format(timezone.localtime(value), "j F Y à H:i")
    if isinstance(value, datetime.date):
        return date_format(value, "j F Y")
    if isinstance(value, int | float | Decimal):
        return formats.number_format(value, use_l10n=True, force_grouping=True)
    return Truncator(str(value)).chars(200)


def _history_object_label(key: str, record, names: dict) -> str:
    from diagnostics.models import Finding, StatisticDefinition, Thematic

    def name(model, pk):
        return names.get((model, pk), "") if pk else ""

    if key == "convention":
        return "Convention"
    if key == "signatory":
        organisation = (
            name(Collectivity, record.collectivity_id)
            or name(Caf, record.caf_id)
            or record.partner_name
        )
        return f"Signataire : {organisation}"
    if key == "committee":
        return f"Instance : {record.name}"
    if key == "member":
        return f"Membre : {record.name} ({name(Committee, record.committee_id)})"
    if key == "meeting":
        when = date_format(timezone.localtime(record.date), "j F Y")
        return f"Réunion du {when} ({name(Committee, record.committee_id)})"
    if key == "diagnostic":
        return "Diagnostic"
    if key == "finding":
        kind = dict(Finding.Kind.choices).get(record.kind, record.kind)
        thematic = name(Thematic, record.thematic_id)
        return f"Constat ({thematic}, {kind.lower()}) : {Truncator(record.text).chars(60)}"
    if key == "statistic":
        return (
            f"Statistique : {name(StatisticDefinition, record.statistic_id)} — "
            f"{name(Collectivity, record.collectivity_id)} ({record.year})"
        )
    return key


def _history_entries(keys: list[tuple], sources: dict) -> list[dict]:
    """Entries for the given (date, history id, source) keys in a bounded number of queries:
    two per tracked model present (records with the id of their previous record, then those
    previous records) and one per related model whose names are shown."""
    by_source: dict[str, list[int]] = {}
    for _date, history_id, key in keys:
        by_source.setdefault(key, []).append(history_id)
    records: dict[tuple[str, int], object] = {}
    previous: dict[tuple[str, int], object] = {}
    related: dict = {}
    for key, history_ids in by_source.items():
        model, _qs = sources[key]
        historical = model.history.model
        earlier = historical.objects.filter(id=OuterRef("id")).filter(
            Q(history_date__lt=OuterRef("history_date"))
            | Q(history_date=OuterRef("history_date"), history_id__lt=OuterRef("history_id"))
        )
        rows = list(
            historical.objects.filter(history_id__in=history_ids)
            .select_related("history_user")
            .annotate(
                previous_history_id=Subquery(
                    earlier.order_by("-history_date", "-history_id").values("history_id")[:1]
                )
            )
        )
        previous_ids = [r.previous_history_id for r in rows if r.previous_history_id]
        previous_rows = {
            r.history_id: r for r in historical.objects.filter(history_id__in=previous_ids)
        }
        for row in rows:
            records[(key, row.history_id)] = row
            if row.previous_history_id in previous_rows:
                previous[(key, row.history_id)] = previous_rows[row.previous_history_id]
        for field in model._meta.concrete_fields:
            if field.is_relation:
                for row in (*rows, *previous_rows.values()):
                    value = getattr(row, field.attname)
                    if value is not None:
                        related.setdefault(field.related_model, set()).add(value)
    names = {}
    for related_model, pks in related.items():
        for pk, obj in related_model._default_manager.in_bulk(list(pks)).items():
            names[(related_model, pk)] = str(obj)

    entries = []
    for _date, history_id, key in keys:
        record = records.get((key, history_id))
        if record is None:
            continue
        model = sources[key][0]
        before = previous.get((key, history_id))
        changes = []
        if record.history_type == "~" and before is not None:
            for field in _diffed_fields(model):
                old, new = getattr(before, field.attname), getattr(record, field.attname)
                if old != new:
                    changes.append(
                        {
                            "field": field.verbose_name,
                            "old": _display_value(field, old, names),
                            "new": _display_value(field, new, names),
                        }
                    )
        entries.append(
            {
                "date": record.history_date,
                "user": record.history_user,
                "type": HISTORY_TYPES.get(record.history_type, record.history_type),
                "object": _history_object_label(key, record, names),
                "source": key,
                "changes": changes,
                "reason": record.history_change_reason or "",
            }
        )
    return entries


def convention_history_page(
    *, convention: Convention, page_number=None, per_page: int = HISTORY_PAGE_SIZE
) -> Page:
    """One page of every change to the convention, its signatories, committees, members,
    meetings, diagnostic, findings and the statistics of its territories, newest first.

    ``page.object_list`` holds dicts: date, user, type, object, changes (field, old, new
    display values in French), reason."""
    sources = _history_sources(convention)
    page = Paginator(_history_timeline(sources), per_page).get_page(page_number)
    page.object_list = _history_entries(list(page.object_list), sources)
    return page


def convention_history(*, convention: Convention) -> list[dict]:
    """The whole audit trail of the convention (same entries as the "Historique" tab)."""
    sources = _history_sources(convention)
    return _history_entries(list(_history_timeline(sources)), sources)


# --- Governance: committees, parity, meetings ---------------------------------------------


@dataclass(frozen=True)
class Parity:
    """Counts per side of a committee; co-piloting asks for equal numbers."""

    caf: int
    territory: int

    @property
    def is_balanced(self) -> bool:
        return self.caf == self.territory

    @property
    def is_empty(self) -> bool:
        return self.caf == 0 and self.territory == 0

    @property
    def message(self) -> str:
        def members(count: int) -> str:
            return f"{count} membre{'s' if count > 1 else ''}"

        if self.is_empty:
            return "Aucun membre pour l'instant"
        if self.is_balanced:
            return f"Parité respectée : {members(self.caf)} de chaque côté"
        if self.territory > self.caf:
            return (
                f"Parité non respectée : {members(self.territory)} côté territoire, "
                f"{self.caf} côté Caf"
            )
        return (
            f"Parité non respectée : {members(self.caf)} côté Caf, {self.territory} côté territoire"
        )


def approval_warnings(committee: Committee, parity: Parity) -> list[str]:
    """Sides too small to ever give the approvals the committee requires."""
    required = committee.approvals_required_per_side
    warnings = []
    for label, count in (("Caf", parity.caf), ("territoire", parity.territory)):
        if count < required:
            warnings.append(
                f"Le collège {label} compte {count} membre{'s' if count > 1 else ''} pour "
                f"{required} avis favorable{'s' if required > 1 else ''} requis : "
                "aucune fiche ne pourra y être validée."
            )
    return warnings


def _with_governance_facts(committee: Committee, now) -> Committee:
    members = list(committee.members.all())
    committee.parity = Parity(
        caf=sum(1 for m in members if m.side == Side.CAF),
        territory=sum(1 for m in members if m.side == Side.TERRITORY),
    )
    committee.caf_members = [m for m in members if m.side == Side.CAF]
    committee.territory_members = [m for m in members if m.side == Side.TERRITORY]
    committee.approval_warnings = approval_warnings(committee, committee.parity)
    meetings = list(committee.meetings.all())  # ordered by date, oldest first
    committee.upcoming_meetings = [m for m in meetings if m.date >= now]
    committee.past_meetings = [m for m in reversed(meetings) if m.date < now]
    committee.meeting_count = len(meetings)
    committee.next_meeting = committee.upcoming_meetings[0] if committee.upcoming_meetings else None
    committee.last_meeting = committee.past_meetings[0] if committee.past_meetings else None
    return committee


def _governance_queryset(convention: Convention):
    return (
        convention.committees.select_related("thematic")
        .prefetch_related(
            Prefetch(
                "members",
                queryset=CommitteeMember.objects.select_related(
                    "user__caf", "user__collectivity"
                ).order_by("side", "name", "pk"),
            ),
            Prefetch("meetings", queryset=Meeting.objects.order_by("date", "pk")),
        )
        .order_by("kind", "name", "pk")
    )


def governance_committees(*, convention: Convention, now=None) -> list[Committee]:
    """Every committee of the convention with its members per side, its parity, and
    its past and upcoming meetings (3 queries whatever the numbers)."""
    now = now or timezone.now()
    return [_with_governance_facts(c, now) for c in _governance_queryset(convention)]


def committee_of(*, convention: Convention, committee_pk: int, now=None) -> Committee:
    """One committee of the convention with its governance facts; 404 elsewhere."""
    committee = _governance_queryset(convention).filter(pk=committee_pk).first()
    if committee is None:
        raise Http404("Instance introuvable.")
    return _with_governance_facts(committee, now or timezone.now())


def eligible_member_users(*, convention: Convention) -> QuerySet[User]:
    """Accounts that may sit on a committee: people of the convention's Caf or of a
    collectivity signing it."""
    collectivity_ids = convention.signatories.filter(collectivity__isnull=False).values(
        "collectivity_id"
    )
    return (
        User.objects.filter(is_active=True)
        .filter(Q(caf_id=convention.caf_id) | Q(collectivity_id__in=collectivity_ids))
        .select_related("caf", "collectivity")
        .order_by("last_name", "first_name", "email")
    )


# --- Collectivities referential -------------------------------------------------------------


def collectivity_list(
    *, caf: Caf | None, search: str = "", kind: str = ""
) -> QuerySet[Collectivity]:
    """The collectivities of ``caf`` (every Caf when None, for superusers), with the number
    of member communes, filtered by name or code and kind."""
    qs = Collectivity.objects.select_related("parent_epci", "caf")
    if caf is not None:
        qs = qs.filter(caf=caf)
    if search:
        qs = qs.filter(Q(name__icontains=search) | Q(code__icontains=search))
    if kind:
        qs = qs.filter(kind=kind)
    return qs.annotate(member_count=Count("member_communes")).order_by("name", "kind", "pk")


def collectivity_for(*, user: User, pk: int) -> Collectivity:
    """A collectivity of the user's Caf (any for a superuser); 404 otherwise."""
    qs = Collectivity.objects.select_related("caf", "parent_epci")
    if not user.is_superuser:
        qs = qs.filter(caf_id=user.caf_id)
    collectivity = qs.filter(pk=pk).first()
    if collectivity is None:
        raise Http404("Collectivité introuvable.")
    return collectivity


def signatory_of(*, convention: Convention, signatory_pk: int) -> Signatory:
    signatory = (
        convention.signatories.select_related("collectivity", "caf").filter(pk=signatory_pk).first()
    )
    if signatory is None:
        raise Http404("Signataire introuvable.")
    return signatory


def conventions_to_renew(caf: Caf, today=None) -> QuerySet[Convention]:
    """Signed conventions of ``caf`` ending within 12 months that nobody has started to renew,
    the soonest ending first (see ``lifecycle.renewal_due_condition``)."""
    return lifecycle.conventions_to_renew(caf, today)
