"""Reads for the diagnostic pages."""

from __future__ import annotations

from conventions.models import Convention

from .models import Diagnostic, Finding


def diagnostic_of(*, convention: Convention) -> Diagnostic | None:
    return Diagnostic.objects.filter(convention=convention).first()


def findings_by_thematic(*, convention: Convention) -> list[dict]:
    """For each thematic of the convention, its findings (thematics without any included)."""
    thematics = list(convention.thematics.order_by("order", "label"))
    findings = Finding.objects.filter(diagnostic__convention=convention).select_related("thematic")
    grouped: dict[int, list[Finding]] = {}
    for finding in findings:
        grouped.setdefault(finding.thematic_id, []).append(finding)
    known = {t.pk for t in thematics}
    # Findings on a thematic the convention no longer covers stay visible.
    extra = {f.thematic_id: f.thematic for fs in grouped.values() for f in fs}
    thematics += [t for pk, t in extra.items() if pk not in known]
    return [{"thematic": t, "findings": grouped.get(t.pk, [])} for t in thematics]
