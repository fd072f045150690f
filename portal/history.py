"""The "Historique" tab: every change to a convention and to what hangs on it, from the
historical tables of several apps, newest first."""

from __future__ import annotations

from django.core.paginator import Page, Paginator
from django.db.models import CharField, OuterRef, Q, Subquery, Value
from django.utils import timezone
from django.utils.text import Truncator

from conventions.models import (
    Caf,
    Collectivity,
    Committee,
    CommitteeMember,
    Convention,
    Meeting,
    Signatory,
    Thematic,
)
from ctg import formatting
from diagnostics.models import Diagnostic, Finding, StatisticDefinition, TerritoryStatistic

HISTORY_TYPES = {"+": "Création", "~": "Modification", "-": "Suppression"}
HISTORY_PAGE_SIZE = 50


def _history_sources(convention: Convention) -> dict:
    """Per tracked model: (model, queryset of its historical records about this convention).

    The filters read the historical tables, so that deleted signatories, committees,
    members or findings still appear."""
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
    return Truncator(formatting.field_value(field, value)).chars(200)


def _history_object_label(key: str, record, names: dict) -> str:
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
        when = formatting.date(timezone.localtime(record.date))
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
