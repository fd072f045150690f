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


HISTORY_TYPES = {"+": "Création", "~": "Modification", "-": "Suppression"}


def convention_history(*, convention: Convention) -> list[dict]:
    """The audit trail of the convention itself, newest first, with the fields that changed."""
    records = list(convention.history.select_related("history_user").order_by("-history_date"))
    entries = []
    for index, record in enumerate(records):
        previous = records[index + 1] if index + 1 < len(records) else None
        changes = []
        if previous is not None:
            delta = record.diff_against(previous)
            for change in delta.changes:
                field = Convention._meta.get_field(change.field)
                changes.append({"field": field.verbose_name, "old": change.old, "new": change.new})
        entries.append(
            {
                "date": record.history_date,
                "user": record.history_user,
                "type": HISTORY_TYPES.get(record.history_type, record.history_type),
                "object": "Convention",
                "changes": changes,
                "reason": record.history_change_reason or "",
            }
        )
    return entries
