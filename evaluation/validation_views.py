"""Validation of measurements by the Caf: « Mesures à valider », validate one value or all
of a fiche, send one back to its author with a comment (rules: :mod:`evaluation.validation`)."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.db.models import Count
from django.http import Http404
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from actions.models import ActionSheet
from conventions.permissions import get_convention_or_404
from ctg import formatting
from ctg.forms import add_service_errors

from . import services, validation
from .forms import MeasurementReturnForm

PAGE_SIZE = 50
#: ``retour=liste`` brings the Caf back to « Mesures à valider », otherwise to the indicator.
BACK_TO_LIST = "liste"


def _caf_convention(request, pk: int):
    convention, access = get_convention_or_404(request.user, pk)
    access.require(access.can_edit_convention)
    return convention, access


def _measurement_or_404(convention, measurement_pk: int):
    measurement = (
        validation.convention_measurements([convention.pk])
        .select_related("indicator__action_sheet", "indicator__objective", "entered_by")
        .filter(pk=measurement_pk)
        .first()
    )
    if measurement is None:
        raise Http404("Mesure introuvable.")
    return measurement


def _back(request, convention, measurement):
    if request.POST.get("retour") == BACK_TO_LIST:
        return redirect("evaluation:validation_list", pk=convention.pk)
    return redirect("evaluation:indicator", pk=convention.pk, indicator_pk=measurement.indicator_id)


def _describe(measurement) -> str:
    unit = f" {measurement.indicator.unit}" if measurement.indicator.unit else ""
    return (
        f"« {measurement.indicator.name} » : {formatting.number(measurement.value)}{unit} "
        f"au {formatting.date(measurement.date)}"
    )


@login_required
def validation_list(request, pk: int):
    """The values à valider of the convention, by fiche, paginated."""
    convention, access = _caf_convention(request, pk)
    pending = validation.pending_of(convention=convention)
    page = Paginator(pending, PAGE_SIZE).get_page(request.GET.get("page"))
    sheet_ids = {m.indicator.action_sheet_id for m in page.object_list} - {None}
    per_sheet = dict(
        pending.filter(indicator__action_sheet_id__in=sheet_ids)
        .order_by()
        .values_list("indicator__action_sheet_id")
        .annotate(n=Count("pk"))
        .values_list("indicator__action_sheet_id", "n")
    )
    groups: list[dict] = []
    for measurement in page.object_list:
        sheet = measurement.indicator.action_sheet
        key = ("sheet", sheet.pk) if sheet else ("objective", None)
        if not groups or groups[-1]["key"] != key:
            groups.append(
                {
                    "key": key,
                    "sheet": sheet,
                    "sheet_total": per_sheet.get(sheet.pk, 0) if sheet else 0,
                    "measurements": [],
                }
            )
        groups[-1]["measurements"].append(measurement)
    return render(
        request,
        "evaluation/validation_list.html",
        {
            "convention": convention,
            "access": access,
            "active_tab": "evaluation",
            "crumb": "Mesures à valider",
            "page": page,
            "groups": groups,
            "awaiting": validation.awaiting(convention=convention),
            "return_form": MeasurementReturnForm(),
            "back_to_list": BACK_TO_LIST,
        },
    )


@login_required
@require_POST
def measurement_validate(request, pk: int, measurement_pk: int):
    convention, _access = _caf_convention(request, pk)
    measurement = _measurement_or_404(convention, measurement_pk)
    try:
        services.measurement_validate(measurement=measurement, user=request.user)
    except ValidationError as exc:
        for message in exc.messages:
            messages.error(request, message)
    else:
        messages.success(request, f"Mesure validée : {_describe(measurement)}.")
    return _back(request, convention, measurement)


@login_required
def measurement_return(request, pk: int, measurement_pk: int):
    """Send a value back with a comment; the page shows the form again with its error."""
    convention, access = _caf_convention(request, pk)
    measurement = _measurement_or_404(convention, measurement_pk)
    form = MeasurementReturnForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.measurement_return(
                measurement=measurement,
                comment=form.cleaned_data["return_comment"],
                user=request.user,
            )
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, f"Mesure renvoyée à son auteur : {_describe(measurement)}.")
            return _back(request, convention, measurement)
    return render(
        request,
        "evaluation/validation_return.html",
        {
            "convention": convention,
            "access": access,
            "active_tab": "evaluation",
            "crumb": "Renvoyer une mesure",
            "measurement": measurement,
            "form": form,
            "retour": request.POST.get("retour") or request.GET.get("retour", ""),
        },
    )


@login_required
@require_POST
def sheet_validate(request, pk: int, sheet_pk: int):
    """Validate every value à valider of one fiche (the page asked to confirm)."""
    convention, _access = _caf_convention(request, pk)
    sheet = ActionSheet.objects.filter(convention=convention, pk=sheet_pk).first()
    if sheet is None:
        raise Http404("Fiche introuvable.")
    try:
        count = services.sheet_measurements_validate(sheet=sheet, user=request.user)
    except ValidationError as exc:
        for message in exc.messages:
            messages.error(request, message)
    else:
        if count:
            messages.success(
                request,
                f"{formatting.number(count, 0)} mesure{formatting.plural(count)} "
                f"validée{formatting.plural(count)} pour la fiche {sheet.number}.",
            )
        else:
            messages.info(request, f"La fiche {sheet.number} n'a plus de mesure à valider.")
    return redirect("evaluation:validation_list", pk=convention.pk)
