"""Reads for the action plan pages, each in a fixed number of queries."""

from __future__ import annotations

import datetime
from collections import OrderedDict, defaultdict
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.db.models import (
    Case,
    DecimalField,
    Exists,
    IntegerField,
    OuterRef,
    Prefetch,
    Q,
    QuerySet,
    Subquery,
    Sum,
    Value,
    When,
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
from diagnostics.models import Finding
from evaluation.models import Indicator

from .models import ActionSheet, ActionSheetTransition, Approval, FundingLine, Objective

Status = ActionSheet.Status

# --------------------------------------------------------------------------- committee


def _approving_committees() -> QuerySet[Committee]:
    """Committees that have members, the COPIL first, then by kind and creation."""
    return (
        Committee.objects.filter(Exists(CommitteeMember.objects.filter(committee=OuterRef("pk"))))
        .annotate(
            copil_first=Case(
                When(kind=Committee.Kind.COPIL, then=Value(0)),
                default=Value(1),
                output_field=IntegerField(),
            )
        )
        .order_by("copil_first", "id")
    )


def approving_committee(*, convention: Convention) -> Committee | None:
    """The committee whose members approve the fiches of the convention.

    The convention's comité de pilotage (the first one having members); failing that, the
    first committee having members. ``None`` when no committee has members.
    """
    return _approving_committees().filter(convention=convention).first()


def approving_committee_id_subquery(convention_ref) -> Subquery:
    """The id of the approving committee of the convention ``convention_ref`` points to."""
    return Subquery(_approving_committees().filter(convention_id=convention_ref).values("id")[:1])


_UNKNOWN = object()


def approving_member(
    *, user: User, convention: Convention, committee: Committee | None | object = _UNKNOWN
) -> CommitteeMember | None:
    """The seat of ``user`` on the approving committee of the convention, if any
    (``committee``: that committee, when the caller already has it)."""
    if not user.is_authenticated:
        return None
    if committee is _UNKNOWN:
        committee = approving_committee(convention=convention)
    if committee is None:
        return None
    return (
        CommitteeMember.objects.filter(committee=committee, user=user)
        .select_related("committee")
        .first()
    )


# --------------------------------------------------------------------------- inbox


def sheets_awaiting_opinion(*, user: User) -> QuerySet[ActionSheet]:
    """Submitted fiches on which ``user`` has a seat in the approving committee and has not
    yet given an opinion for the current version (their own submissions excluded)."""
    if not user.is_authenticated:
        return ActionSheet.objects.none()
    seat = CommitteeMember.objects.filter(
        user=user,
        committee_id=approving_committee_id_subquery(OuterRef(OuterRef("convention_id"))),
    )
    given = Approval.objects.filter(
        sheet=OuterRef("pk"), version=OuterRef("version"), member__user=user
    )
    # First the conventions where the user holds any seat (an index lookup), so the
    # approving-committee subquery runs for their fiches only, not for every
    # submitted fiche of the country (it ran on every page, for the menu count).
    seated_conventions = CommitteeMember.objects.filter(user=user).values(
        "committee__convention_id"
    )
    return (
        ActionSheet.objects.filter(status=Status.SUBMITTED, convention_id__in=seated_conventions)
        .filter(Exists(seat))
        .exclude(Exists(given))
        .exclude(submitted_by=user)
    )


def review_navigation(*, user: User) -> dict[str, Any]:
    """Whether the user sits on a committee, and how many fiches wait for them.

    On every page: one small query for the many who sit on no committee; the count
    (a query whose construction costs more than its execution) only for members.
    """
    if not user.is_authenticated or not CommitteeMember.objects.filter(user=user).exists():
        return {"nav_is_committee_member": False, "nav_review_count": 0}
    return {
        "nav_is_committee_member": True,
        "nav_review_count": sheets_awaiting_opinion(user=user).order_by().count(),
    }


def inbox(*, user: User) -> QuerySet[ActionSheet]:
    return (
        sheets_awaiting_opinion(user=user)
        .select_related("convention", "convention__caf", "thematic", "submitted_by")
        .order_by("convention__name", "number")
    )


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
    thematic: int | None = None
    status: str = ""
    lead: str = ""
    q: str = ""
    sort: str = "number"
    descending: bool = False

    @classmethod
    def from_query(cls, params) -> SheetFilters:
        try:
            thematic = int(params.get("thematique") or 0) or None
        except ValueError:
            thematic = None
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


def thematics_of_sheets(*, convention: Convention) -> QuerySet[Thematic]:
    return (
        Thematic.objects.filter(
            Q(action_sheets__convention=convention)
            | Q(secondary_action_sheets__convention=convention)
        )
        .distinct()
        .order_by("order", "label")
    )


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


def funding_totals(lines) -> dict[str, Any]:
    per_funder: OrderedDict[str, dict[str, Decimal]] = OrderedDict()
    planned = spent = Decimal("0")
    for line in sorted(lines, key=lambda li: (li.funder.lower(), li.year)):
        row = per_funder.setdefault(line.funder, {"planned": Decimal("0"), "spent": Decimal("0")})
        row["planned"] += line.planned_amount
        row["spent"] += line.spent_amount
        planned += line.planned_amount
        spent += line.spent_amount
    return {
        "per_funder": [{"funder": k, **v} for k, v in per_funder.items()],
        "planned": planned,
        "spent": spent,
    }


@dataclass
class ApprovalState:
    committee: Committee | None
    required: int = 1
    caf: int = 0
    territory: int = 0
    by_version: list[tuple[int, list[Approval]]] = field(default_factory=list)


def approval_state(*, sheet: ActionSheet) -> ApprovalState:
    committee = approving_committee(convention=sheet.convention)
    approvals = list(
        sheet.approvals.select_related("member", "member__committee", "member__user").order_by(
            "-version", "decided_at", "id"
        )
    )
    state = ApprovalState(
        committee=committee, required=committee.approvals_required_per_side if committee else 1
    )
    grouped: OrderedDict[int, list[Approval]] = OrderedDict()
    for a in approvals:
        grouped.setdefault(a.version, []).append(a)
        if (
            a.version == sheet.version
            and a.decision == Approval.Decision.FAVORABLE
            and committee is not None
            and a.member.committee_id == committee.pk
        ):
            if a.member.side == Side.CAF:
                state.caf += 1
            else:
                state.territory += 1
    state.by_version = list(grouped.items())
    return state


def transitions_of(*, sheet: ActionSheet) -> QuerySet[ActionSheetTransition]:
    return sheet.transitions.select_related("by").order_by("-at", "-id")


HISTORY_TYPES = {"+": "Création", "~": "Modification", "-": "Suppression"}
_FK_MODELS = {
    "thematic": Thematic,
    "objective": Objective,
    "lead_user": User,
    "submitted_by": User,
    "other_thematics": Thematic,
    "communes": Collectivity,
}
# The many-to-many fields recorded with the fiche, and the key of their target in
# the recorded through rows.
_M2M_TARGETS = {"other_thematics": "thematic", "communes": "collectivity"}


def _display(model, name: str, value, labels: dict[tuple[str, Any], str]) -> str:
    if value is None or value == "" or value == ():
        return "—"
    if isinstance(value, tuple):  # many-to-many: the targets' ids
        return ", ".join(sorted(labels.get((name, v), f"n° {v}") for v in value))
    try:
        model_field = model._meta.get_field(name)
    except Exception:
        return str(value)
    if model_field.choices:
        return str(dict(model_field.flatchoices).get(value, value))
    if model_field.is_relation:
        return labels.get((name, value), f"n° {value}")
    if isinstance(value, datetime.date):
        from django.utils.formats import date_format

        return date_format(value, "j F Y")
    if isinstance(value, Decimal):
        from django.utils.formats import number_format

        return number_format(value, decimal_pos=2, use_l10n=True, force_grouping=True)
    return str(value)


def _fk_labels(pairs: set[tuple[str, Any]]) -> dict[tuple[str, Any], str]:
    labels: dict[tuple[str, Any], str] = {}
    by_field: dict[str, set] = defaultdict(set)
    for name, value in pairs:
        if name in _FK_MODELS and value is not None:
            by_field[name].update(value if isinstance(value, tuple) else (value,))
    for name, ids in by_field.items():
        for obj in _FK_MODELS[name].objects.filter(pk__in=ids):
            labels[(name, obj.pk)] = str(obj)
    return labels


def _changes(model, record, previous, fields=None) -> list[tuple[str, Any, Any]]:
    if previous is None:
        return []
    delta = record.diff_against(previous, included_fields=fields)
    changes = []
    for c in delta.changes:
        old, new = c.old, c.new
        if c.field in _M2M_TARGETS:
            key = _M2M_TARGETS[c.field]
            old = tuple(sorted(row[key] for row in old))
            new = tuple(sorted(row[key] for row in new))
            if old == new:
                continue
        changes.append((c.field, old, new))
    return changes


def sheet_history(*, sheet: ActionSheet) -> list[dict[str, Any]]:
    """The audit trail of the fiche and its funding lines, newest first, in French."""
    ignored = {"revision", "status_reason"}
    sheet_fields = [
        f.name
        for f in ActionSheet._meta.concrete_fields
        if f.name not in ignored | {"id", "created_at", "updated_at", "convention", "created_by"}
    ] + list(_M2M_TARGETS)
    raw: list[tuple[Any, str, Any, list]] = []
    records = list(
        sheet.history.select_related("history_user").order_by("history_date", "history_id")
    )
    previous = None
    for record in records:
        raw.append(("Fiche", record, _changes(ActionSheet, record, previous, sheet_fields)))
        previous = record
    lines = FundingLine.history.filter(sheet_id=sheet.pk).select_related("history_user")
    last_by_line: dict[int, Any] = {}
    for record in lines.order_by("history_date", "history_id"):
        prev = last_by_line.get(record.id)
        label = f"Financement {record.funder} {record.year}"
        if record.history_type == "+" or prev is None:
            changes = [
                (f, None, getattr(record, f))
                for f in ("funder", "year", "planned_amount", "spent_amount")
            ]
        elif record.history_type == "-":
            changes = []
        else:
            changes = _changes(FundingLine, record, prev, list(FUNDING_HISTORY_FIELDS))
        raw.append((label, record, changes))
        last_by_line[record.id] = record

    pairs = {(name, v) for _, _, changes in raw for name, old, new in changes for v in (old, new)}
    labels = _fk_labels(pairs)
    entries = []
    for label, record, changes in raw:
        model = ActionSheet if label == "Fiche" else FundingLine
        if record.history_type == "~" and not changes:
            continue
        entries.append(
            {
                "date": record.history_date,
                "user": record.history_user,
                "type": HISTORY_TYPES.get(record.history_type, record.history_type),
                "object": label,
                "reason": record.history_change_reason or "",
                "changes": [
                    {
                        "field": str(model._meta.get_field(name).verbose_name),
                        "old": _display(model, name, old, labels),
                        "new": _display(model, name, new, labels),
                    }
                    for name, old, new in changes
                ],
            }
        )
    entries.sort(key=lambda e: e["date"], reverse=True)
    return entries


FUNDING_HISTORY_FIELDS = ("funder", "year", "planned_amount", "spent_amount")
DIFF_SHEET_FIELDS = (
    "title",
    "thematic",
    "objective",
    "context",
    "goals",
    "description",
    "target_public",
    "lead",
    "partners",
    "start_date",
    "end_date",
    "expected_results",
    "other_thematics",
    "communes",
)


def changes_since_approved(*, sheet: ActionSheet) -> dict[str, Any] | None:
    """What changed in the substance since the last approved version, with the reasons.

    ``None`` when the current version is the approved one or nothing was ever approved.
    """
    if not sheet.approved_version or sheet.approved_version >= sheet.version:
        return None
    base = (
        sheet.history.filter(version=sheet.approved_version)
        .order_by("-history_date", "-history_id")
        .first()
    )
    current = sheet.history.order_by("-history_date", "-history_id").first()
    if base is None or current is None:
        return None
    changes = _changes(ActionSheet, current, base, list(DIFF_SHEET_FIELDS))
    labels = _fk_labels({(n, v) for n, o, nw in changes for v in (o, nw)})
    fields = [
        {
            "field": str(ActionSheet._meta.get_field(n).verbose_name),
            "old": _display(ActionSheet, n, o, labels),
            "new": _display(ActionSheet, n, nw, labels),
        }
        for n, o, nw in changes
    ]

    def rows(model, fk, at, keys):
        if at is None:
            return {obj.pk: obj for obj in model.objects.filter(**{fk: sheet.pk})}
        return {obj.pk: obj for obj in model.history.as_of(at).filter(**{fk: sheet.pk})}

    children = []
    for model, fk, keys, describe in (
        (
            FundingLine,
            "sheet_id",
            ("funder", "year", "planned_amount"),
            lambda o: f"{o.funder} {o.year}",
        ),
        (
            Indicator,
            "action_sheet_id",
            (
                "name",
                "kind",
                "unit",
                "baseline_value",
                "baseline_date",
                "target_value",
                "target_date",
                "direction",
            ),
            lambda o: o.name,
        ),
    ):
        before = rows(model, fk, base.history_date, keys)
        now = rows(model, fk, None, keys)
        kind = "Financement" if model is FundingLine else "Indicateur"
        for pk, obj in now.items():
            if pk not in before:
                children.append({"what": f"{kind} ajouté : {describe(obj)}", "details": []})
                continue
            old = before[pk]
            details = [
                {
                    "field": str(model._meta.get_field(k).verbose_name),
                    "old": _display(model, k, getattr(old, k), {}),
                    "new": _display(model, k, getattr(obj, k), {}),
                }
                for k in keys
                if getattr(old, k) != getattr(obj, k)
            ]
            if details:
                children.append({"what": f"{kind} modifié : {describe(obj)}", "details": details})
        for pk, obj in before.items():
            if pk not in now:
                children.append({"what": f"{kind} supprimé : {describe(obj)}", "details": []})

    reasons = list(
        sheet.transitions.filter(version__gt=sheet.approved_version)
        .exclude(reason="")
        .filter(to_status=Status.SUBMITTED)
        .select_related("by")
        .order_by("at", "id")
    )
    return {
        "approved_version": sheet.approved_version,
        "approved_at": base.history_date,
        "fields": fields,
        "children": children,
        "reasons": reasons,
    }
