"""Reads for the conventions pages, each in a fixed number of queries."""

from __future__ import annotations

from django.db.models import Count, Prefetch, Q, QuerySet

from .models import Committee, CommitteeMember, Convention, Side, Signatory, User
from .permissions import conventions_visible_to


def convention_list(*, user: User, search: str = "", phase: str = "") -> QuerySet[Convention]:
    qs = conventions_visible_to(user).select_related("caf")
    if search:
        qs = qs.filter(Q(name__icontains=search) | Q(caf__name__icontains=search))
    if phase:
        qs = qs.filter(phase=phase)
    return qs.annotate(
        signatory_count=Count("signatories", distinct=True),
    ).order_by("-start_date", "name")


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
