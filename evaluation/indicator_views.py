"""Indicator page (chart, measurements, entry form) and the workbook round-trip."""

from __future__ import annotations

import datetime
import functools
from decimal import Decimal

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import Http404, HttpResponse
from django.middleware.csrf import get_token
from django.shortcuts import redirect, render
from django.template.loader import render_to_string
from django.utils import timezone
from django.utils.html import escape
from django.utils.safestring import mark_safe
from django.utils.text import slugify
from django.views.decorators.http import require_POST

from conventions.permissions import get_convention_or_404
from ctg import formatting, fragments, palette, pending
from ctg.forms import add_service_errors
from ctg.fragments import cached_fragment

from . import (
    breakdown,
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


def _measurements(indicator) -> list:
    """The indicator's measurements, each with its lock state (a report's lock, or its
    unlock: evaluation.locks)."""
    rows = list(selectors.measurements_of(indicator=indicator))
    states = locks.lock_states(indicator=indicator, measurements=rows)
    for m in rows:
        m.lock_state = states[m.pk]
    return rows


def _draw_figure(indicator, measurements) -> str:
    # The curve of the values that count (validated by the Caf: evaluation.validation).
    counted = [m for m in measurements if validation.is_counted(m)]
    return str(indicator_figure(indicator, counted))


def _draw_measurements(convention, access, measurements, csrf_token=None) -> str:
    return render_to_string(
        "evaluation/_indicator_measurements.html",
        {
            "convention": convention,
            "access": access,
            "measurements": measurements,
            "csrf_token": csrf_token,
        },
    )


def _body_context(indicator, *, commune_table, figure, measurements_section, form=None) -> dict:
    """What templates/evaluation/_indicator_body.html shows besides the convention."""
    return {
        "indicator": indicator,
        "measurements_section": measurements_section,
        "figure": figure,
        "progress_figure": charts.progress_bar(
            indicator.progress_bar_pct,
            expected=indicator.expected_pct,
            title=f"Progression : {formatting.percent(indicator.progress_pct)}",
        ),
        "status_label": progress.STATUS_LABELS[indicator.status],
        "status_badge": palette.badge_class(indicator.status),
        "form": form,
        "commune_table": commune_table,
    }


def _page(request, convention, access, *, crumb, **body):
    return render(
        request,
        "evaluation/indicator_detail.html",
        {
            "convention": convention,
            "access": access,
            "active_tab": "evaluation",
            "crumb": crumb,
            **body,
        },
    )


def _read_only_page(request, convention, access, indicator_pk: int):
    """The page of those who do not edit (no form): the indicator's name and the page's body
    drawn once, then read from the cache — neither the indicator nor its measurements are
    read again. The body's key holds all it shows: the convention's data version (the
    indicator, its targets and reference sheet, its sheet or objective, the measurements,
    their evidence, locks and validation all bump it) and its own version (dates), the
    activity version (the communes of the table by commune: signatories, collectivities),
    the day (expected progress, status), the person and their rights (ctg.fragments)."""

    @functools.cache
    def indicator():
        return _indicator_or_404(convention, indicator_pk)

    def draw_body() -> str:
        shown = indicator()
        rows = _measurements(shown)
        return render_to_string(
            "evaluation/_indicator_body.html",
            {
                "convention": convention,
                "access": access,
                **_body_context(
                    shown,
                    commune_table=breakdown.indicator_table(indicator=shown, convention=convention),
                    figure=mark_safe(_draw_figure(shown, rows)),
                    measurements_section=mark_safe(_draw_measurements(convention, access, rows)),
                ),
            },
        )

    version = (*fragments.convention_version(convention), indicator_pk)
    # Drawn only for an indicator of the convention (404 otherwise): never cached for another.
    name = cached_fragment("indicateur-nom", version, lambda: escape(indicator().name))
    body = cached_fragment(
        "indicateur-page",
        (
            *version,
            convention.activity_version,
            timezone.localdate().isoformat(),
            request.user.pk,
            access.can_edit_actions,
            access.can_edit_convention,
        ),
        draw_body,
    )
    return _page(request, convention, access, crumb=name, body=body)


@login_required
def indicator_detail(request, pk: int, indicator_pk: int):
    convention, access = get_convention_or_404(request.user, pk)
    if not access.can_edit_actions:
        if request.method == "POST":
            _indicator_or_404(convention, indicator_pk)
            access.require(False)
        return _read_only_page(request, convention, access, indicator_pk)
    indicator = _indicator_or_404(convention, indicator_pk)
    # Broken down by commune: the communes' table and a field each (evaluation.breakdown).
    commune_table = breakdown.indicator_table(indicator=indicator, convention=convention)
    form = MeasurementForm(
        request.POST or None,
        communes=[row.commune for row in commune_table.rows] if commune_table else (),
        adds_up=breakdown.adds_up(indicator),
    )
    if request.method == "POST" and form.is_valid():
        try:
            services.record_measurement(
                indicator=indicator,
                date=form.cleaned_data["date"],
                value=form.cleaned_data["value"],
                comment=form.cleaned_data["comment"],
                user=request.user,
                parts=form.parts(),
            )
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, "La mesure est enregistrée.")
            return redirect("evaluation:indicator", pk=convention.pk, indicator_pk=indicator.pk)

    @functools.cache
    def measurements() -> list:
        return _measurements(indicator)

    def draw_figure() -> str:
        return _draw_figure(indicator, measurements())

    def draw_measurements() -> str:
        return _draw_measurements(convention, access, measurements(), get_token(request))

    if access.can_edit_convention:
        # Those who validate get forms (a CSRF token of their own): drawn each time.
        figure, measurements_section = mark_safe(draw_figure()), mark_safe(draw_measurements())
    else:
        # Drawn once per data version (measurements, their evidence, locks and validation
        # all bump it), day, person and right to edit (ctg.fragments).
        key = (
            *fragments.convention_version(convention),
            timezone.localdate().isoformat(),
            indicator.pk,
            request.user.pk,
            access.can_edit_actions,
        )
        figure = cached_fragment("indicateur-graphique", key, draw_figure)
        measurements_section = cached_fragment("indicateur-mesures", key, draw_measurements)
    return _page(
        request,
        convention,
        access,
        crumb=indicator.name,
        **_body_context(
            indicator,
            commune_table=commune_table,
            figure=figure,
            measurements_section=measurements_section,
            form=form,
        ),
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
        if preview.errors:  # communes and totals that disagree (evaluation.breakdown)
            return render(
                request,
                "evaluation/workbook_upload.html",
                _context(
                    convention, access, form=form, errors=preview.errors, filename=upload.name
                ),
            )
        # Values a report locked are listed as refused and never imported.
        refused = {(line.indicator.pk, line.date) for line in preview.refused}
        token = pending.stash(
            request.session,
            SESSION_KEY,
            {
                "convention": convention.pk,
                "filename": upload.name,
                "values": [
                    [
                        v.indicator_id,
                        v.date.isoformat(),
                        str(v.value),
                        v.row,
                        v.column,
                        v.collectivity_id,
                    ]
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
            # A commune's value carries its commune (evaluation.breakdown).
            imports.CellValue(
                int(i), datetime.date.fromisoformat(d), Decimal(v), int(r), c, *commune
            )
            for i, d, v, r, c, *commune in kept["values"]
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
