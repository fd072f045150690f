"""Reads for the conventions pages, each in a fixed number of queries."""

from __future__ import annotations

from dataclasses import dataclass

from django.db.models import Count, Prefetch, Q, QuerySet
from django.http import Http404
from django.utils import timezone

from ctg import formatting

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
            return f"{count} membre{formatting.plural(count)}"

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
                f"Le collège {label} compte {count} membre{formatting.plural(count)} pour "
                f"{required} avis favorable{formatting.plural(required)} requis : "
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


def reachable_members(members: QuerySet[CommitteeMember]) -> list[CommitteeMember]:
    """The members of ``members`` whom an e-mail reaches: an active account with an address,
    each address once (a person sitting twice gets one message). Report deliveries,
    convocations and relevés."""
    seen: set[str] = set()
    reachable = []
    for member in (
        members.filter(user__isnull=False, user__is_active=True)
        .exclude(user__email="")
        .select_related("user")
        .order_by("user__email", "pk")
    ):
        email = member.user.email.lower()
        if email not in seen:
            seen.add(email)
            reachable.append(member)
    return reachable


def history_token(instance) -> str:
    """Optimistic-locking token of a model with history (committee, member, meeting): the id
    of its latest django-simple-history record. Edit forms carry it; the services of
    ``conventions.services.governance`` refuse a save made from an older one."""
    latest = instance.history.order_by("-history_id").values_list("history_id", flat=True).first()
    return str(latest or "")


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
