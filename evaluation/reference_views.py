"""The reference sheet of an indicator (:mod:`evaluation.reference`): read by everyone who
sees the convention, edited by those who edit its actions."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import path
from django.views.decorators.http import require_GET

from conventions.permissions import get_convention_or_404
from ctg.forms import add_service_errors

from . import progress, reference
from .reference_forms import ReferenceSheetForm, YearlyTargetFormSet, target_rows

TARGETS_PREFIX = "cibles"


def _sheet_or_404(convention, pk: int):
    indicator = reference.sheet_indicator(convention=convention, pk=pk)
    if indicator is None:
        raise Http404("Indicateur introuvable.")
    return indicator


def _context(convention, access, indicator, **extra) -> dict:
    return {
        "convention": convention,
        "access": access,
        "active_tab": "evaluation",
        "crumb": f"Fiche de référence — {indicator.name}",
        "indicator": indicator,
        "targets": indicator.targets,
        "line": reference.expected_line(indicator, indicator.targets),
        # Kept from before a change of the indicator's dates: shown, without effect.
        "ignored": [
            t
            for t in indicator.targets
            if not reference.shapes_line(indicator, t.year)
            and not (
                reference.year_end(t.year) == indicator.target_date
                and t.value == indicator.target_value
            )
        ],
        "binding": reference.binding_words(indicator),
        "locked": reference.locked_fields(indicator),
        "shared_words": reference.shared_words(indicator),
        "status_label": progress.STATUS_LABELS[indicator.status],
        **extra,
    }


@login_required
@require_GET
def reference_sheet(request, pk: int, indicator_pk: int):
    convention, access = get_convention_or_404(request.user, pk)
    indicator = _sheet_or_404(convention, indicator_pk)
    return render(
        request,
        "evaluation/reference_sheet.html",
        _context(convention, access, indicator),
    )


@login_required
def reference_sheet_edit(request, pk: int, indicator_pk: int):
    convention, access = get_convention_or_404(request.user, pk)
    access.require(access.can_edit_actions)
    indicator = _sheet_or_404(convention, indicator_pk)
    data = request.POST if request.method == "POST" else None
    form = ReferenceSheetForm(data, indicator=indicator)
    formset = YearlyTargetFormSet(
        data,
        indicator=indicator,
        initial=target_rows(indicator, indicator.targets),
        prefix=TARGETS_PREFIX,
    )
    if data is not None:
        valid = form.is_valid()
        valid = formset.is_valid() and valid
        if valid:
            try:
                reference.indicator_sheet_save(
                    indicator=indicator,
                    data=form.service_data(),
                    targets=formset.pairs(),
                    user=request.user,
                )
            except ValidationError as exc:
                add_service_errors(form, exc)
            else:
                messages.success(request, "La fiche de référence est enregistrée.")
                return redirect(
                    "evaluation:reference_sheet", pk=convention.pk, indicator_pk=indicator.pk
                )
    return render(
        request,
        "evaluation/reference_sheet_edit.html",
        _context(
            convention,
            access,
            indicator,
            form=form,
            formset=formset,
            years=reference.target_years(indicator),
        ),
    )


#: Included by :mod:`evaluation.urls`.
urlpatterns = [
    path(
        "conventions/<int:pk>/evaluation/indicateurs/<int:indicator_pk>/fiche-reference/",
        reference_sheet,
        name="reference_sheet",
    ),
    path(
        "conventions/<int:pk>/evaluation/indicateurs/<int:indicator_pk>/fiche-reference/modifier/",
        reference_sheet_edit,
        name="reference_sheet_edit",
    ),
]
