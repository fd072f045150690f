"""Indicator page (chart, measurements, entry form) and the workbook round-trip."""

from __future__ import annotations

import datetime
from decimal import Decimal

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.utils.text import slugify
from django.views.decorators.http import require_POST

from conventions.permissions import get_convention_or_404
from ctg import formatting, palette, pending
from ctg.forms import add_service_errors

from . import (
    charts,
    imports,
    locks,
    progress,
    readmodel,
    selectors,
    services,
    validation,
    workbook,
)
from .forms import MeasurementForm, WorkbookUploadForm

SESSION_KEY = "evaluation_workbook_imports"


def _indicator_or_404(convention, pk):
    indicator = readmodel.indicator_of(convention=convention, pk=pk)
    if indicator is None:
        raise Http404("Indicateur introuvable.")
    return indicator


def indicator_figure(indicator, measurements) -> charts.Figure:
    unit = f" ({indicator.unit})" if indicator.unit else ""
    return charts.line_chart(
        [
            charts.Series(
                label=indicator.name,
                points=[(m.date, float(m.value)) for m in measurements],
            )
        ],
        title=f"Évolution de l'indicateur « {indicator.name} »{unit}",
        unit=indicator.unit,
        ref_lines=[
            charts.RefLine(
                "Référence", float(indicator.baseline_value), color=palette.TONES["secondary"].hex
            ),
            charts.RefLine(
                "Cible",
                float(indicator.target_value),
                color=palette.TONES["success"].hex,
                dash="8 3",
            ),
        ],
        x_range=(indicator.baseline_date, indicator.target_date),
    )


@login_required
def indicator_detail(request, pk: int, indicator_pk: int):
    convention, access = get_convention_or_404(request.user, pk)
    indicator = _indicator_or_404(convention, indicator_pk)
    form = None
    if access.can_edit_actions:
        form = MeasurementForm(request.POST or None)
        if request.method == "POST" and form.is_valid():
            try:
                services.record_measurement(
                    indicator=indicator,
                    date=form.cleaned_data["date"],
                    value=form.cleaned_data["value"],
                    comment=form.cleaned_data["comment"],
                    user=request.user,
                )
            except ValidationError as exc:
                add_service_errors(form, exc)
            else:
                messages.success(request, "La mesure est enregistrée.")
                return redirect("evaluation:indicator", pk=convention.pk, indicator_pk=indicator.pk)
    elif request.method == "POST":
        access.require(False)
    measurements = list(selectors.measurements_of(indicator=indicator))
    states = locks.lock_states(indicator=indicator, measurements=measurements)
    for m in measurements:
        m.lock_state = states[m.pk]  # a report's lock, or its unlock (evaluation.locks)
    return render(
        request,
        "evaluation/indicator_detail.html",
        {
            "convention": convention,
            "access": access,
            "active_tab": "evaluation",
            "crumb": indicator.name,
            "indicator": indicator,
            "measurements": measurements,
            # The curve of the values that count (validated by the Caf: evaluation.validation).
            "figure": indicator_figure(
                indicator, [m for m in measurements if validation.is_counted(m)]
            ),
            "progress_figure": charts.progress_bar(
                indicator.progress_bar_pct,
                expected=indicator.expected_pct,
                title=f"Progression : {formatting.percent(indicator.progress_pct)}",
            ),
            "status_label": progress.STATUS_LABELS[indicator.status],
            "status_badge": palette.badge_class(indicator.status),
            "form": form,
        },
    )


@login_required
def workbook_download(request, pk: int):
    convention, access = get_convention_or_404(request.user, pk)
    access.require(access.can_edit_actions)
    content = imports.build_workbook(
        convention_name=convention.name,
        start=convention.start_date,
        end=convention.end_date,
        lines=workbook.workbook_lines(convention=convention),
    )
    response = HttpResponse(
        content,
        content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    )
    filename = f"mesures-{slugify(convention.name)}-{datetime.date.today():%Y%m%d}.xlsx"
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


def _context(convention, access, **extra):
    return {
        "convention": convention,
        "access": access,
        "active_tab": "evaluation",
        "crumb": "Import des mesures",
        **extra,
    }


@login_required
def workbook_upload(request, pk: int):
    """Upload the filled workbook: parse, validate everything, show the preview."""
    convention, access = get_convention_or_404(request.user, pk)
    access.require(access.can_edit_actions)
    form = WorkbookUploadForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        upload = form.cleaned_data["file"]
        parsed = imports.parse_workbook(
            upload.read(),
            indicator_ids=progress.convention_indicators(convention).values_list("pk", flat=True),
            start=convention.start_date,
            end=convention.end_date,
        )
        if not parsed.ok:
            return render(
                request,
                "evaluation/workbook_upload.html",
                _context(convention, access, form=form, errors=parsed.errors, filename=upload.name),
            )
        preview = workbook.import_preview(convention=convention, values=parsed.values)
        # Values a report locked are listed as refused and never imported.
        refused = {(line.indicator.pk, line.date) for line in preview.refused}
        token = pending.stash(
            request.session,
            SESSION_KEY,
            {
                "convention": convention.pk,
                "filename": upload.name,
                "values": [
                    [v.indicator_id, v.date.isoformat(), str(v.value), v.row, v.column]
                    for v in parsed.values
                    if (v.indicator_id, v.date) not in refused
                ],
            },
        )
        return render(
            request,
            "evaluation/workbook_preview.html",
            _context(
                convention,
                access,
                preview=preview,
                token=token,
                filename=upload.name,
                # Whether the imported values wait for the Caf (evaluation.validation).
                needs_validation=validation.needs_validation(
                    convention=convention, user=request.user
                ),
            ),
        )
    return render(
        request, "evaluation/workbook_upload.html", _context(convention, access, form=form)
    )


@login_required
@require_POST
def workbook_confirm(request, pk: int):
    """Import the values kept from the preview, in one transaction.

    Confirming the same preview again (a double click, two tabs) lands on the same result:
    the import is recorded under the preview's token and never runs twice.
    """
    convention, access = get_convention_or_404(request.user, pk)
    access.require(access.can_edit_actions)
    token = request.POST.get("token", "")
    kept = pending.pending(request.session, SESSION_KEY, token, convention=convention.pk)
    if kept is not None:
        values = [
            imports.CellValue(int(i), datetime.date.fromisoformat(d), Decimal(v), int(r), c)
            for i, d, v, r, c in kept["values"]
        ]
        try:
            result = services.import_measurements(
                convention=convention, values=values, user=request.user, token=token
            )
        except ValidationError as exc:
            for message in exc.messages:
                messages.error(request, message)
            return redirect("evaluation:workbook_upload", pk=convention.pk)
        pending.discard(request.session, SESSION_KEY, token)
    else:
        # Already confirmed (the session no longer holds it): the same result again.
        result = selectors.measurement_import_result(
            convention=convention, token=token, user=request.user
        )
        if result is None:
            messages.error(
                request,
                "Cet aperçu a expiré ou a déjà été importé. Déposez à nouveau le classeur.",
            )
            return redirect("evaluation:workbook_upload", pk=convention.pk)
    messages.success(
        request,
        f"Import terminé : {result.created} mesure(s) créée(s), {result.updated} modifiée(s), "
        f"{result.unchanged} inchangée(s).",
    )
    return redirect("evaluation:overview", pk=convention.pk)
