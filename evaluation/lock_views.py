"""A measurement after it was entered: change it, delete it, and — when a report locked it —
unlock it (Caf staff, with a reason). The rule is :mod:`evaluation.locks`; the writes are
:mod:`evaluation.services`."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import Http404
from django.shortcuts import redirect, render

from conventions.permissions import get_convention_or_404
from ctg.forms import add_service_errors

from . import breakdown, locks, services, sources
from .forms import MeasurementDeleteForm, MeasurementEditForm, UnlockForm
from .models import Measurement
from .progress import convention_indicators


def _measurement_or_404(convention, pk: int) -> Measurement:
    measurement = (
        Measurement.objects.filter(pk=pk, indicator__in=convention_indicators(convention))
        .select_related("indicator__action_sheet", "indicator__objective", *sources.RELATED)
        .first()
    )
    if measurement is None:
        raise Http404("Mesure introuvable.")
    return measurement


def _back(convention, measurement):
    return redirect("evaluation:indicator", pk=convention.pk, indicator_pk=measurement.indicator_id)


def _page(request, template, convention, access, measurement, **extra):
    state = locks.lock_states(indicator=measurement.indicator, measurements=[measurement])[
        measurement.pk
    ]
    return render(
        request,
        template,
        {
            "convention": convention,
            "access": access,
            "active_tab": "evaluation",
            "crumb": measurement.indicator.name,
            "measurement": measurement,
            "indicator": measurement.indicator,
            "lock_state": state,
            **extra,
        },
    )


@login_required
def measurement_edit(request, pk: int, measurement_pk: int):
    convention, access = get_convention_or_404(request.user, pk)
    access.require(access.can_edit_actions)
    measurement = _measurement_or_404(convention, measurement_pk)
    # Broken down by commune: a field per commune, with its value (evaluation.breakdown).
    broken_down = breakdown.is_broken_down(measurement.indicator)
    parts = breakdown.parts_of(measurement) if broken_down else {}
    form = MeasurementEditForm(
        request.POST or None,
        initial={
            "value": measurement.value,
            "comment": measurement.comment,
            **{f"commune_{pk}": value for pk, value in parts.items()},
        },
        # A value of the open data is replaced with a reason (evaluation.sources).
        open_data=sources.is_open_data(measurement),
        communes=breakdown.communes_of(convention=convention) if broken_down else (),
        adds_up=breakdown.adds_up(measurement.indicator),
    )
    if request.method == "POST" and form.is_valid():
        try:
            services.measurement_update(
                measurement=measurement,
                value=form.cleaned_data["value"],
                comment=form.cleaned_data["comment"],
                user=request.user,
                override_reason=form.cleaned_data.get("override_reason", ""),
                parts=form.parts(),
            )
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, "La mesure est modifiée.")
            return _back(convention, measurement)
    return _page(
        request, "evaluation/lock_measurement_edit.html", convention, access, measurement, form=form
    )


@login_required
def measurement_delete(request, pk: int, measurement_pk: int):
    """Confirmation page, then the deletion (kept in history)."""
    convention, access = get_convention_or_404(request.user, pk)
    access.require(access.can_edit_actions)
    measurement = _measurement_or_404(convention, measurement_pk)
    error = ""
    # A value of the open data is deleted with a reason only (evaluation.sources).
    form = (
        MeasurementDeleteForm(request.POST or None) if sources.is_open_data(measurement) else None
    )
    if request.method == "POST" and (form is None or form.is_valid()):
        try:
            services.measurement_delete(
                measurement=measurement,
                user=request.user,
                override_reason=form.cleaned_data["override_reason"] if form else "",
            )
        except ValidationError as exc:
            if form is not None:
                add_service_errors(form, exc)
            else:
                error = " ".join(exc.messages)
        else:
            messages.success(request, "La mesure est supprimée.")
            return _back(convention, measurement)
    return _page(
        request,
        "evaluation/lock_measurement_delete.html",
        convention,
        access,
        measurement,
        error=error,
        form=form,
    )


@login_required
def measurement_unlock(request, pk: int, measurement_pk: int):
    """Caf staff unlock a value a report locked, with a reason."""
    convention, access = get_convention_or_404(request.user, pk)
    access.require(access.can_edit_convention)
    measurement = _measurement_or_404(convention, measurement_pk)
    form = UnlockForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.measurement_unlock(
                measurement=measurement, by=request.user, reason=form.cleaned_data["reason"]
            )
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(
                request,
                "La valeur est déverrouillée jusqu'au prochain rapport : elle peut être modifiée.",
            )
            return _back(convention, measurement)
    return _page(request, "evaluation/lock_unlock.html", convention, access, measurement, form=form)
