"""Qualitative follow-up, territory comparison and the Caf portfolio."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils import timezone

from conventions.models import Convention
from conventions.permissions import get_convention_or_404, is_caf_staff
from ctg import palette
from ctg.forms import add_service_errors

from . import charts, selectors, services
from . import portfolio as portfolio_selectors
from . import territories as territory_selectors
from .forms import ChangeSoughtForm, MarkerForm, ObservationForm


def _ctx(convention, access, crumb, **extra):
    return {
        "convention": convention,
        "access": access,
        "active_tab": "evaluation",
        "crumb": crumb,
        **extra,
    }


# ------------------------------------------------------- qualitative side


@login_required
def changes(request, pk: int):
    convention, access = get_convention_or_404(request.user, pk)
    return render(
        request,
        "evaluation/changes.html",
        _ctx(
            convention,
            access,
            "Changements recherchés",
            changes=selectors.changes_of(convention=convention),
            subnav="changes",
        ),
    )


@login_required
def change_create(request, pk: int):
    convention, access = get_convention_or_404(request.user, pk)
    access.require(access.can_edit_convention)
    form = ChangeSoughtForm(request.POST or None, convention=convention)
    if request.method == "POST" and form.is_valid():
        try:
            services.create_change(convention=convention, **form.cleaned_data)
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, "Le changement recherché est enregistré.")
            return redirect("evaluation:changes", pk=convention.pk)
    return render(
        request,
        "evaluation/simple_form.html",
        _ctx(
            convention,
            access,
            "Nouveau changement recherché",
            form=form,
            heading="Nouveau changement recherché",
            back_url="evaluation:changes",
        ),
    )


@login_required
def marker_create(request, pk: int, change_pk: int):
    convention, access = get_convention_or_404(request.user, pk)
    change = selectors.change_of(convention=convention, pk=change_pk)
    if change is None:
        raise Http404("Changement introuvable.")
    access.require(access.can_edit_convention)
    form = MarkerForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.add_marker(change=change, **form.cleaned_data)
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, "Le marqueur de progrès est ajouté.")
            return redirect("evaluation:changes", pk=convention.pk)
    return render(
        request,
        "evaluation/simple_form.html",
        _ctx(
            convention,
            access,
            "Nouveau marqueur de progrès",
            form=form,
            heading="Nouveau marqueur de progrès",
            lead=f"Changement recherché : {change.title}",
            back_url="evaluation:changes",
        ),
    )


@login_required
def observation_create(request, pk: int, marker_pk: int):
    convention, access = get_convention_or_404(request.user, pk)
    marker = selectors.marker_of(convention=convention, pk=marker_pk)
    if marker is None:
        raise Http404("Marqueur introuvable.")
    access.require(access.can_edit_actions)
    form = ObservationForm(request.POST or None, initial={"date": timezone.localdate()})
    if request.method == "POST" and form.is_valid():
        try:
            services.add_observation(marker=marker, user=request.user, **form.cleaned_data)
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, "L'observation est enregistrée.")
            return redirect("evaluation:changes", pk=convention.pk)
    return render(
        request,
        "evaluation/simple_form.html",
        _ctx(
            convention,
            access,
            "Nouvelle observation",
            form=form,
            heading="Nouvelle observation",
            lead=f"{marker.get_level_display()} — {marker.text}",
            back_url="evaluation:changes",
        ),
    )


# ----------------------------------------------------- territory comparison


@login_required
def territories(request, pk: int):
    convention, access = get_convention_or_404(request.user, pk)
    available = list(territory_selectors.statistics_available(convention=convention))
    code = request.GET.get("statistique", "")
    statistic = next((s for s in available if s.code == code), None)
    if statistic is None and available:
        statistic = next((s for s in available if s.code == "taux-couverture"), available[0])
    data, bar_fig, line_fig = None, None, None
    if statistic is not None:
        data = territory_selectors.territory_comparison(convention=convention, statistic=statistic)
        bar_fig, line_fig = territory_selectors.comparison_figures(data)
    return render(
        request,
        "evaluation/territories.html",
        _ctx(
            convention,
            access,
            "Comparaison territoriale",
            available=available,
            statistic=statistic,
            data=data,
            bar_fig=bar_fig,
            line_fig=line_fig,
            subnav="territories",
        ),
    )


# -------------------------------------------------------------- portfolio


@login_required
def portfolio(request):
    if not is_caf_staff(request.user):
        raise PermissionDenied("Le portefeuille est réservé aux agents de la Caf.")
    phase = request.GET.get("phase", "")
    if phase not in Convention.Phase.values:
        phase = ""
    renewal = request.GET.get("renouvellement") == "1"
    sort = request.GET.get("tri", "fin")
    if sort not in portfolio_selectors.PORTFOLIO_SORTS:
        sort = "fin"
    today = timezone.localdate()
    qs = portfolio_selectors.portfolio(
        user=request.user, phase=phase, renewal=renewal, sort=sort, today=today
    )
    page = Paginator(qs, 25).get_page(request.GET.get("page"))
    page.object_list = portfolio_selectors.portfolio_page(page.object_list, today=today)
    by_phase = portfolio_selectors.portfolio_phase_counts(user=request.user)
    phase_fig = charts.stacked_bar(
        [
            charts.Segment(
                label,
                by_phase.get(value, 0),
                palette.phase_tone(value).hex,
                palette.phase_tone(value).text,
            )
            for value, label in Convention.Phase.choices
        ],
        title="Conventions de la Caf par phase",
    )
    return render(
        request,
        "evaluation/portfolio.html",
        {
            "page": page,
            "phase": phase,
            "renewal": renewal,
            "sort": sort,
            "sorts": [(k, v[1]) for k, v in portfolio_selectors.PORTFOLIO_SORTS.items()],
            "phases": Convention.Phase.choices,
            "total": sum(by_phase.values()),
            "phase_fig": phase_fig,
            "today": today,
        },
    )
