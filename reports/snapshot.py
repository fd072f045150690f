"""The frozen state of a convention for one report period (stored as JSON).

Everything a report shows comes from here, so that the HTML page, the PDF and
the XLSX workbook say the same thing, today and in five years.
"""

from __future__ import annotations

import datetime
from decimal import Decimal

from django.db.models import Q
from django.utils import timezone

from actions import workflow
from actions.models import ActionSheet, ActionSheetTransition, Approval
from conventions import calendar
from conventions.models import Meeting
from evaluation import reference, sources
from evaluation.funding import funding_of
from evaluation.locks import changes_since_last_lock
from evaluation.models import Measurement, Observation
from evaluation.progress import (
    NO_MEASURE,
    NO_THEMATIC,
    STATUS_LABELS,
    indicators_of,
    late_first,
    progress_by_thematic_and_total,
)
from evaluation.validation import awaiting, counted_q
from evidence.selectors import evidence_for_report

from .models import ProgressReport


def _num(value) -> float | None:
    if value is None:
        return None
    return float(value) if isinstance(value, Decimal) else value


def _day(value: datetime.date | None) -> str | None:
    return value.isoformat() if value else None


def _moment(value: datetime.datetime | None) -> str | None:
    return timezone.localtime(value).isoformat(timespec="minutes") if value else None


def previous_report(report: ProgressReport) -> ProgressReport | None:
    return (
        ProgressReport.objects.filter(
            convention_id=report.convention_id,
            kind=report.kind,
            status=ProgressReport.Status.READY,
            period_end__lt=report.period_end,
        )
        .order_by("-period_end")
        .only("pk", "period_start", "period_end", "snapshot")
        .first()
    )


def _fraction(pct: float | None) -> float | None:
    """A value in % stored as a fraction (the snapshot's unit for shares)."""
    return None if pct is None else pct / 100


def indicator_progress_rows(*, convention, as_of: datetime.date) -> tuple[list[dict], list[dict]]:
    """Every indicator with its progress as of the end of the period, and the late
    ones, the furthest behind first (four queries: the late rule is the
    Synthèse's, :func:`evaluation.progress.late_first`; the source of each last value,
    :func:`evaluation.sources.sources_at`; the yearly targets of the reference sheets,
    :func:`evaluation.reference.frozen_sheets`)."""
    indicators = indicators_of(convention=convention, today=as_of, as_of=as_of)
    rows = []
    for i in indicators:
        thematic = (
            i.action_sheet.thematic.label if i.action_sheet_id else i.objective.thematic.label
        )
        rows.append(
            {
                "id": i.pk,
                "fiche": i.action_sheet.number if i.action_sheet_id else "",
                "objective": i.objective.title if i.objective_id else "",
                "thematic": thematic,
                "name": i.name,
                "unit": i.unit,
                "baseline": _num(i.baseline_value),
                "target": _num(i.target_value),
                "target_date": _day(i.target_date),
                "last_value": _num(i.last_value),
                "last_date": _day(i.last_date),
                "progress": _fraction(i.progress_pct),  # the real value, may exceed 1
                "expected": _fraction(i.expected_pct),
                "status": i.status,
                "status_label": STATUS_LABELS[i.status],
            }
        )
    # Where each last value comes from (evaluation.sources), one query for all.
    found = sources.sources_at((i.pk, i.last_date) for i in indicators if i.last_date)
    for i, row in zip(indicators, rows, strict=True):
        source = found.get((i.pk, i.last_date))
        row["source"] = source.label if source is not None else ""
    # Each indicator's reference sheet and yearly targets (evaluation.reference), one query.
    sheets = reference.frozen_sheets(convention=convention, indicators=indicators)
    for row in rows:
        row["sheet"] = sheets[row["id"]]
    by_id = {row["id"]: row for row in rows}
    late = [by_id[pk] for pk in late_first(indicators).values_list("pk", flat=True)]
    return rows, late


def thematic_progress_rows(*, convention, as_of: datetime.date) -> tuple[list[dict], dict]:
    """Average progress per thematic and for the convention as of the end of the
    period: the Synthèse's figures (:func:`evaluation.progress.progress_by_thematic`),
    shares stored as fractions."""
    by_thematic, total = progress_by_thematic_and_total(
        convention=convention, today=as_of, as_of=as_of
    )
    rows = [
        {
            "thematic": row["group_title"] or NO_THEMATIC,
            "progress": _fraction(row["avg_progress"]),  # capped average, None: no measure
            "expected": _fraction(row["avg_expected"]),
            "indicators": row["indicator_count"],
            "late": row["late"],
            "no_measure": row["no_measure"],
        }
        for row in by_thematic
    ]
    return rows, {
        "progress": _fraction(total["avg_progress"]),
        "expected": _fraction(total["avg_expected"]),
    }


def _time_status(convention) -> dict:
    status = calendar.time_status(convention)
    return {
        "code": status.code,
        "label": status.label,
        "message": status.message,
        "overdue": status.overdue,
        "on": _day(status.today),
    }


def build_snapshot(report: ProgressReport) -> dict:
    convention = report.convention
    start, end = report.period_start, report.period_end
    period_start_dt = timezone.make_aware(datetime.datetime.combine(start, datetime.time.min))
    period_end_dt = timezone.make_aware(
        datetime.datetime.combine(end + datetime.timedelta(days=1), datetime.time.min)
    )
    in_period = Q(at__gte=period_start_dt, at__lt=period_end_dt)
    previous = previous_report(report)
    previous_statuses = {
        item["number"]: item["status"]
        for item in ((previous.snapshot or {}).get("fiches", []) if previous else [])
    }

    sheets = list(
        ActionSheet.objects.filter(convention=convention)
        .select_related("thematic")
        .order_by("number")
    )
    status_labels = dict(ActionSheet.Status.choices)
    fiches = [
        {
            "id": sheet.pk,
            "number": sheet.number,
            "title": sheet.title,
            "thematic": sheet.thematic.label,
            "status": sheet.status,
            "status_label": status_labels[sheet.status],
            "lead": sheet.lead,
            "version": sheet.version,
            "previous_status": previous_statuses.get(sheet.number),
            "is_new": bool(previous) and sheet.number not in previous_statuses,
        }
        for sheet in sheets
    ]
    status_counts = workflow.status_counts(sheet.status for sheet in sheets)
    by_status = {row["status"]: row["count"] for row in status_counts}

    transitions = [
        {
            "number": t.sheet.number,
            "title": t.sheet.title,
            "from": status_labels[t.from_status],
            "to": status_labels[t.to_status],
            "at": _moment(t.at),
            "by": str(t.by) if t.by else "",
            "reason": t.reason,
        }
        for t in ActionSheetTransition.objects.filter(in_period, sheet__convention=convention)
        .select_related("sheet", "by")
        .order_by("at", "pk")
    ]
    approvals = [
        {
            "number": a.sheet.number,
            "title": a.sheet.title,
            "member": a.member.name,
            "side": a.member.get_side_display(),
            "decision": a.get_decision_display(),
            "comment": a.comment,
            "version": a.version,
            "at": _moment(a.decided_at),
        }
        for a in Approval.objects.filter(
            sheet__convention=convention,
            decided_at__gte=period_start_dt,
            decided_at__lt=period_end_dt,
        )
        .select_related("sheet", "member")
        .order_by("decided_at", "pk")
    ]

    indicators, late = indicator_progress_rows(convention=convention, as_of=end)
    thematic_progress, overall = thematic_progress_rows(convention=convention, as_of=end)

    # The measurements of the indicators read above (the convention's, evaluation.progress),
    # by their ids: under the (indicator, date) index, where an OR across the fiche's and the
    # objective's convention joined every indicator of the country first. Each names its
    # indicator from those rows: no indicator or fiche is read again per measurement.
    indicator_rows = {row["id"]: row for row in indicators}
    measurements = [
        {
            "indicator": indicator_rows[m.indicator_id]["name"],
            "fiche": indicator_rows[m.indicator_id]["fiche"],
            "date": _day(m.date),
            "value": _num(m.value),
            "unit": indicator_rows[m.indicator_id]["unit"],
            "comment": m.comment,
            "source": sources.source_label(m),
        }
        for m in Measurement.objects.filter(
            counted_q(),  # validated by the Caf (evaluation.validation)
            indicator_id__in=list(indicator_rows),
            date__gte=start,
            date__lte=end,
        )
        .select_related(*sources.RELATED)
        .order_by("date", "indicator__name", "indicator_id")
    ]

    funding_sums = funding_of(convention=convention)
    funding = [
        {
            "funder": row["funder"],
            "planned": _num(row["planned"]),
            "spent": _num(row["spent"]),
        }
        for row in funding_sums["per_funder"]
    ]
    funding_years = [
        {
            "year": row["year"],
            "planned": _num(row["planned"]),
            "spent": _num(row["spent"]),
        }
        for row in funding_sums["per_year"]
    ]

    # Values a previous report presented, changed since after Caf staff unlocked them.
    unlocked_changes = [
        {
            "indicator": c.indicator,
            "fiche": c.fiche,
            "date": _day(c.date),
            "before": _num(c.before),
            "after": _num(c.after),
            "unit": c.unit,
            "unlocked_by": c.unlocked_by,
            "unlocked_at": _moment(c.unlocked_at),
            "reason": c.reason,
            "changed_by": c.changed_by,
            "report": c.lock_label,
        }
        for c in changes_since_last_lock(convention_id=convention.pk)
    ]

    observations = [
        {
            "change": o.marker.change.title,
            "level": o.marker.get_level_display(),
            "marker": o.marker.text,
            "date": _day(o.date),
            "degree": o.get_degree_display(),
            "text": o.text,
        }
        for o in Observation.objects.filter(
            marker__change__convention=convention, date__gte=start, date__lte=end
        )
        .select_related("marker__change")
        .order_by("date", "pk")
    ]

    upcoming = [
        {
            "committee": m.committee.name,
            "date": _moment(m.date),
            "location": m.location,
            "agenda": m.agenda,
        }
        for m in Meeting.objects.filter(committee__convention=convention, date__gte=period_end_dt)
        .select_related("committee")
        .order_by("date")[:5]
    ]
    past_meetings = [
        {
            "committee": m.committee.name,
            "date": _moment(m.date),
            "decisions": m.decisions,
        }
        for m in Meeting.objects.filter(committee__convention=convention, date__lt=period_end_dt)
        .exclude(decisions="")
        .select_related("committee")
        .order_by("-date")[:10]
    ]

    pending = [f for f in fiches if f["status"] in workflow.AWAITING_OPINION]
    changed = [f for f in fiches if f["previous_status"] and f["previous_status"] != f["status"]]
    summary = {
        "fiches_total": len(fiches),
        "fiches_validated": sum(by_status.get(s, 0) for s in workflow.VALIDATED),
        "fiches_pending": len(pending),
        "indicators_total": len(indicators),
        "indicators_late": len(late),
        "indicators_without_measure": sum(1 for r in indicators if r["status"] == NO_MEASURE),
        "progress_average": overall["progress"],
        "expected_average": overall["expected"],
        "measurements_in_period": len(measurements),
        # Typed in the period but not validated by the Caf: left out of every figure above.
        "measurements_awaiting_validation": awaiting(
            convention=convention, start=start, end=end
        ).total,
        "planned_total": _num(funding_sums["planned"]),
        "spent_total": _num(funding_sums["spent"]),
        "fiches_changed_since_previous": len(changed),
        "fiches_new_since_previous": sum(1 for f in fiches if f["is_new"]),
    }
    return {
        "convention": {
            "id": convention.pk,
            "name": convention.name,
            "caf": convention.caf.name,
            "phase": convention.get_phase_display(),
            "start": _day(convention.start_date),
            "end": _day(convention.end_date),
            "elapsed_share": convention.elapsed_share(end),
            # Where the convention stood in time on the day the report was built.
            "time_status": _time_status(convention),
            "thematics": [t.label for t in convention.thematics.order_by("order")],
        },
        "kind": report.get_kind_display(),
        "period": {"start": _day(start), "end": _day(end)},
        "meeting": (
            {
                "committee": report.meeting.committee.name,
                "date": _moment(report.meeting.date),
                "agenda": report.meeting.agenda,
            }
            if report.meeting_id
            else None
        ),
        "previous": (
            {
                "id": previous.pk,
                "start": _day(previous.period_start),
                "end": _day(previous.period_end),
            }
            if previous
            else None
        ),
        "summary": summary,
        "status_counts": status_counts,
        "fiches": fiches,
        "fiches_changed": changed,
        "pending_fiches": pending,
        "transitions": transitions,
        "approvals": approvals,
        "indicators": indicators,
        "late_indicators": late,
        "thematic_progress": thematic_progress,
        "measurements": measurements,
        "unlocked_changes": unlocked_changes,
        "funding": funding,
        "funding_years": funding_years,
        "observations": observations,
        # The annex: the pieces of evidence, by name (evidence app).
        "evidence": evidence_for_report(convention=convention, start=start, end=end),
        "upcoming_meetings": upcoming,
        "decisions_log": past_meetings,
    }
