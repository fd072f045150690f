"""Reads for the action plan pages, each in a fixed number of queries.

The audit trail and the changes since the approved version are in :mod:`actions.history`;
the approving committee and who may give an opinion are rules of :mod:`actions.workflow`.
"""

from __future__ import annotations

import re
from collections import OrderedDict, defaultdict
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any, ClassVar

from django.db.models import (
    DecimalField,
    OuterRef,
    Prefetch,
    Q,
    QuerySet,
    Subquery,
    Sum,
    Value,
)
from django.db.models.functions import Coalesce

from conventions.models import (
    Collectivity,
    Committee,
    CommitteeMember,
    Convention,
    Side,
    Thematic,
    User,
)
from conventions.permissions import seats_of
from ctg.forms import parse_id
from ctg.fragments import cached_value, digest
from diagnostics.models import Finding
from evaluation.models import Indicator

from . import workflow
from .models import ActionSheet, ActionSheetTransition, Approval, FundingLine, Objective

Status = ActionSheet.Status

# --------------------------------------------------------------------------- inbox


def sheets_awaiting_opinion(*, user: User) -> QuerySet[ActionSheet]:
    """Submitted fiches on which ``user`` may give an opinion now
    (:func:`actions.workflow.awaiting_opinion_of`)."""
    if not user.is_authenticated:
        return ActionSheet.objects.none()
    # First the conventions where the user holds any seat (an index lookup), so the
    # approving-committee subquery runs for their fiches only, not for every
    # submitted fiche of the country (it ran on every page, for the menu count).
    seated_conventions = CommitteeMember.objects.filter(user=user).values(
        "committee__convention_id"
    )
    return ActionSheet.objects.filter(convention_id__in=seated_conventions).filter(
        workflow.awaiting_opinion_of(user)
    )


def review_navigation(*, user: User) -> dict[str, Any]:
    """Whether the user sits on a committee, and how many fiches wait for them.

    On every page: one small query for the many who sit on no committee; for members,
    the count (a query whose construction costs more than its execution) kept in the
    cache under their seats and the versions of their conventions (one small query).
    """
    seats = seats_of(user)
    if not seats:
        return {"nav_is_committee_member": False, "nav_review_count": 0}
    # The count changes only with the user's seats and the fiches, opinions (data version)
    # and committees (activity version) of the conventions where they sit.
    versions = sorted(
        Convention.objects.filter(
            pk__in={seat.committee.convention_id for seat in seats}
        ).values_list("pk", "data_version", "activity_version")
    ) + sorted((seat.pk, seat.committee_id, seat.side) for seat in seats)
    [count] = cached_value(
        "review-count",
        (user.pk, digest(versions)),
        lambda: [sheets_awaiting_opinion(user=user).order_by().count()],
    )
    return {"nav_is_committee_member": True, "nav_review_count": count}


def inbox(*, user: User) -> QuerySet[ActionSheet]:
    return (
        sheets_awaiting_opinion(user=user)
        .select_related("convention", "convention__caf", "thematic", "submitted_by")
        .order_by("convention__name", "number")
    )


# --------------------------------------------------------------------------- numbering

NUMBER_RE = re.compile(r"^FA-(\d+)$", re.IGNORECASE)


def next_sheet_number(*, convention: Convention) -> str:
    """The next free FA-NN of the convention (FA-01 for the first one)."""
    highest = 0
    for number in convention.action_sheets.values_list("number", flat=True):
        match = NUMBER_RE.match(number.strip())
        if match:
            highest = max(highest, int(match.group(1)))
    return f"FA-{highest + 1:02d}"


# --------------------------------------------------------------------------- objectives


def objectives_of(*, convention: Convention) -> QuerySet[Objective]:
    return (
        convention.objectives.select_related("thematic", "parent")
        .prefetch_related(
            Prefetch("findings", queryset=Finding.objects.select_related("thematic")),
        )
        .order_by("thematic__order", "thematic__label", "level", "title")
    )


def objectives_tree(*, convention: Convention) -> list[dict[str, Any]]:
    """Objectives grouped by thematic, operational ones under their general objective."""
    objectives = list(objectives_of(convention=convention))
    children: dict[int, list[Objective]] = defaultdict(list)
    for o in objectives:
        if o.parent_id:
            children[o.parent_id].append(o)
    groups: OrderedDict[int, dict[str, Any]] = OrderedDict()
    for o in objectives:
        if o.parent_id and any(p.pk == o.parent_id for p in objectives):
            continue
        group = groups.setdefault(o.thematic_id, {"thematic": o.thematic, "items": []})
        group["items"].append({"objective": o, "children": children.get(o.pk, [])})
    return list(groups.values())


def findings_by_thematic(*, convention: Convention) -> list[tuple[str, list[Finding]]]:
    findings = Finding.objects.filter(diagnostic__convention=convention).select_related("thematic")
    groups: OrderedDict[str, list[Finding]] = OrderedDict()
    for f in findings.order_by("thematic__order", "thematic__label", "priority", "id"):
        groups.setdefault(f.thematic.label, []).append(f)
    return list(groups.items())


# --------------------------------------------------------------------------- list of fiches

SORTS = {
    "number": ("number",),
    "title": ("title",),
    "thematic": ("thematic__order", "thematic__label", "number"),
    "status": ("status", "number"),
    "lead": ("lead", "number"),
    "start": ("start_date", "number"),
    "end": ("end_date", "number"),
    "planned": ("planned_total", "number"),
}
SORT_LABELS = {
    "number": "Numéro",
    "title": "Intitulé",
    "thematic": "Thématique",
    "status": "Statut",
    "lead": "Pilote",
    "start": "Début",
    "end": "Fin",
    "planned": "Montant prévu",
}


@dataclass
class SheetFilters:
    #: The query string's parameters read by :meth:`from_query`.
    PARAMS: ClassVar[frozenset[str]] = frozenset({"thematique", "statut", "pilote", "q", "tri"})

    thematic: int | None = None
    status: str = ""
    lead: str = ""
    q: str = ""
    sort: str = "number"
    descending: bool = False

    @classmethod
    def from_query(cls, params) -> SheetFilters:
        thematic = parse_id(params.get("thematique", ""))
        status = params.get("statut", "")
        if status not in Status.values:
            status = ""
        sort = params.get("tri", "number")
        descending = sort.startswith("-")
        sort = sort.lstrip("-")
        if sort not in SORTS:
            sort, descending = "number", False
        return cls(
            thematic=thematic,
            status=status,
            lead=params.get("pilote", "").strip(),
            q=params.get("q", "").strip(),
            sort=sort,
            descending=descending,
        )

    @property
    def active(self) -> bool:
        return bool(self.thematic or self.status or self.lead or self.q)


def _money_sum(path: str) -> Subquery:
    return Coalesce(
        Subquery(
            FundingLine.objects.filter(sheet=OuterRef("pk"))
            .order_by()
            .values("sheet")
            .annotate(total=Sum(path))
            .values("total")[:1]
        ),
        Value(Decimal("0")),
        output_field=DecimalField(max_digits=14, decimal_places=2),
    )


def action_sheets_of(
    *, convention: Convention, filters: SheetFilters | None = None
) -> QuerySet[ActionSheet]:
    filters = filters or SheetFilters()
    qs = convention.action_sheets.select_related("thematic", "objective", "lead_user").annotate(
        planned_total=_money_sum("planned_amount"), spent_total=_money_sum("spent_amount")
    )
    if filters.thematic:
        qs = qs.filter(
            Q(thematic_id=filters.thematic)
            | Q(
                pk__in=ActionSheet.other_thematics.through.objects.filter(
                    thematic_id=filters.thematic
                ).values("actionsheet_id")
            )
        )
    if filters.status:
        qs = qs.filter(status=filters.status)
    if filters.lead:
        qs = qs.filter(lead__iexact=filters.lead)
    if filters.q:
        q = filters.q
        qs = qs.filter(
            Q(number__icontains=q)
            | Q(title__icontains=q)
            | Q(description__icontains=q)
            | Q(context__icontains=q)
            | Q(goals__icontains=q)
            | Q(target_public__icontains=q)
            | Q(lead__icontains=q)
            | Q(partners__icontains=q)
        )
    order = SORTS[filters.sort]
    if filters.descending:
        order = tuple(f"-{o}" if i == 0 else o for i, o in enumerate(order))
    return qs.order_by(*order, "pk")


def leads_of(*, convention: Convention) -> list[str]:
    return list(
        convention.action_sheets.exclude(lead="")
        .order_by("lead")
        .values_list("lead", flat=True)
        .distinct()
    )


def thematics_version() -> str:
    """The thematics' labels and order as they are now: the key of a cached rendering that
    shows them. They are a national list edited in the admin, whose writes bump no
    convention's version; one small query."""
    rows = Thematic.objects.order_by("pk").values_list("pk", "label", "order")
    return digest(list(rows))


def thematics_of_sheets(*, convention: Convention) -> QuerySet[Thematic]:
    """The thematics the convention's fiches use, main or other. Two ``pk IN (subquery)``
    rather than an OR across two outer joins: the joins made PostgreSQL read every fiche of
    the country (70 ms at national size, 371 ms at ×10; the subqueries take 0.2 ms)."""
    other_links = ActionSheet.other_thematics.through.objects.filter(
        actionsheet__convention=convention
    )
    return Thematic.objects.filter(
        Q(pk__in=ActionSheet.objects.filter(convention=convention).values("thematic_id"))
        | Q(pk__in=other_links.values("thematic_id"))
    ).order_by("order", "label")


def sheets_for_export(*, convention: Convention, filters: SheetFilters) -> list[ActionSheet]:
    """The fiches with their related rows as plain lists (``export_*`` attributes): a
    prefetch into lists skips building four querysets per fiche (half the export's time)."""
    return list(
        action_sheets_of(convention=convention, filters=filters)
        .prefetch_related(
            Prefetch(
                "other_thematics", queryset=Thematic.objects.all(), to_attr="export_thematics"
            ),
            Prefetch(
                "communes",
                queryset=Collectivity.objects.order_by("name"),
                to_attr="export_communes",
            ),
            Prefetch(
                "funding_lines",
                queryset=FundingLine.objects.order_by("year", "funder"),
                to_attr="export_funding_lines",
            ),
            Prefetch(
                "indicators",
                queryset=Indicator.objects.order_by("id"),
                to_attr="export_indicators",
            ),
        )
        .select_related("created_by", "submitted_by")
    )


def thematics_offered(*, convention: Convention, sheet: ActionSheet | None = None):
    """Thematics a fiche may be filed under: those the convention covers (every active one
    while it covers none yet), plus those the fiche already carries, so that narrowing the
    convention's thematics never blocks the edit of an older fiche."""
    covered = convention.thematics.values("pk")
    offered = Q(is_active=True) & (Q(pk__in=covered) if covered.exists() else Q())
    if sheet is not None and sheet.thematic_id:
        offered |= Q(pk=sheet.thematic_id)
    if sheet is not None and sheet.pk:
        offered |= Q(pk__in=sheet.other_thematics.values("pk"))
    return Thematic.objects.filter(offered).distinct()


def communes_for(*, convention: Convention) -> QuerySet[Collectivity]:
    """Communes a fiche may concern: those covered by or signing the convention, and the
    member communes of signing EPCIs."""
    return (
        Collectivity.objects.filter(kind=Collectivity.Kind.COMMUNE)
        .filter(
            Q(covering_conventions=convention)
            | Q(signatures__convention=convention)
            | Q(parent_epci__signatures__convention=convention)
            | Q(parent_epci__covering_conventions=convention)
        )
        .distinct()
        .order_by("name")
    )


def lead_users_for(*, convention: Convention) -> QuerySet[User]:
    return (
        User.objects.filter(is_active=True)
        .filter(
            Q(role=User.Role.CAF_STAFF, caf_id=convention.caf_id)
            | Q(
                role=User.Role.COORDINATOR,
                collectivity__signatures__convention=convention,
            )
        )
        .distinct()
        .order_by("last_name", "first_name", "email")
    )


# --------------------------------------------------------------------------- one fiche


@dataclass
class ApprovalState:
    committee: Committee | None
    required: int = 1
    caf: int = 0
    territory: int = 0
    by_version: list[tuple[int, list[Approval]]] = field(default_factory=list)
    current: list[Approval] = field(default_factory=list)

    def given_by(self, member: CommitteeMember | None) -> bool:
        """Whether ``member`` gave an opinion on the current version."""
        return member is not None and any(a.member_id == member.pk for a in self.current)


def approval_state(*, sheet: ActionSheet) -> ApprovalState:
    """The approving committee, the opinions that count per side (the workflow's rule) and
    every opinion grouped by version, newest version first."""
    committee = workflow.approving_committee(convention=sheet.convention)
    approvals = list(
        sheet.approvals.select_related("member", "member__committee", "member__user").order_by(
            "-version", "decided_at", "id"
        )
    )
    tally = workflow.favorable_counts(sheet=sheet, committee=committee, approvals=approvals)
    grouped: OrderedDict[int, list[Approval]] = OrderedDict()
    for a in approvals:
        grouped.setdefault(a.version, []).append(a)
    return ApprovalState(
        committee=committee,
        required=committee.approvals_required_per_side if committee else 1,
        caf=tally[Side.CAF],
        territory=tally[Side.TERRITORY],
        by_version=list(grouped.items()),
        current=grouped.get(sheet.version, []),
    )


def transitions_of(*, sheet: ActionSheet) -> QuerySet[ActionSheetTransition]:
    return sheet.transitions.select_related("by").order_by("-at", "-id")
