"""The fiche's audit trail and what changed since its approved version, in French.

The "changes since the approved version" shows exactly the substantive fields of
:data:`actions.workflow.SUBSTANTIVE_FIELDS`: whatever asks the committee to approve the fiche
again is shown to it.
"""

from __future__ import annotations

from collections import defaultdict
from typing import Any

from conventions.models import Collectivity, Thematic, User
from ctg import formatting
from evaluation.models import Indicator

from . import workflow
from .models import ActionSheet, FundingLine, Objective

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
    if model_field.is_relation:
        return labels.get((name, value), f"n° {value}")
    return formatting.field_value(model_field, value)


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


def _changes(record, previous, fields=None) -> list[tuple[str, Any, Any]]:
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
        raw.append(("Fiche", record, _changes(record, previous, sheet_fields)))
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
            changes = _changes(record, prev, list(FUNDING_HISTORY_FIELDS))
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
    changes = _changes(current, base, list(workflow.SUBSTANTIVE_FIELDS[ActionSheet]))
    labels = _fk_labels({(n, v) for n, o, nw in changes for v in (o, nw)})
    fields = [
        {
            "field": str(ActionSheet._meta.get_field(n).verbose_name),
            "old": _display(ActionSheet, n, o, labels),
            "new": _display(ActionSheet, n, nw, labels),
        }
        for n, o, nw in changes
    ]

    def rows(model, fk, at):
        if at is None:
            return {obj.pk: obj for obj in model.objects.filter(**{fk: sheet.pk})}
        return {obj.pk: obj for obj in model.history.as_of(at).filter(**{fk: sheet.pk})}

    children = []
    for model, fk, kind, describe in (
        (FundingLine, "sheet_id", "Financement", lambda o: f"{o.funder} {o.year}"),
        (Indicator, "action_sheet_id", "Indicateur", lambda o: o.name),
    ):
        before = rows(model, fk, base.history_date)
        now = rows(model, fk, None)
        for pk, obj in now.items():
            if pk not in before:
                children.append({"what": f"{kind} ajouté : {describe(obj)}", "details": []})
                continue
            old = before[pk]
            changed = workflow.substantive_changes(
                workflow.substantive_values(model, old), workflow.substantive_values(model, obj)
            )
            details = [
                {
                    "field": str(model._meta.get_field(k).verbose_name),
                    "old": _display(model, k, getattr(old, k), {}),
                    "new": _display(model, k, getattr(obj, k), {}),
                }
                for k in changed
            ]
            if details:
                children.append({"what": f"{kind} modifié : {describe(obj)}", "details": details})
        for pk, obj in before.items():
            if pk not in now:
                children.append({"what": f"{kind} supprimé : {describe(obj)}", "details": []})

    reasons = list(
        sheet.transitions.filter(version__gt=sheet.approved_version)
        .exclude(reason="")
        .filter(to_status__in=workflow.AWAITING_OPINION)
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
