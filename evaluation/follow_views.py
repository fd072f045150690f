"""Qualitative follow-up, territory comparison and the Caf portfolio."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import redirect, render
from django.template.loader import render_to_string
from django.utils import timezone
from django.utils.functional import SimpleLazyObject

from conventions.models import Caf, Convention
from conventions.permissions import get_convention_or_404, is_caf_staff
from ctg import palette
from ctg.forms import add_service_errors
from ctg.fragments import cached_fragment, digest

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


PORTFOLIO_PAGE_SIZE = 25


def _caf_names_digest() -> str:
    """The names of the Cafs (shown on a superuser's portfolio), as a digest."""
    names = Caf.objects.order_by("pk").values_list("pk", "name")
    return digest(list(names))


def _phase_figure(counts: list[int]) -> charts.Figure:
    """The portfolio's conventions by phase (``counts``: in the order of the phases)."""
    return charts.stacked_bar(
        [
            charts.Segment(label, n, palette.phase_tone(value).hex, palette.phase_tone(value).text)
            for (value, label), n in zip(Convention.Phase.choices, counts, strict=True)
        ],
        title="Conventions de la Caf par phase",
    )


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
    state = portfolio_selectors.portfolio_state(user=request.user, today=today)
    # Counted with the phases; the page's rows are read only when its table is drawn.
    paginator = Paginator((), PORTFOLIO_PAGE_SIZE)
    paginator.count = state.matching(phase=phase, renewal=renewal)
    page = paginator.get_page(request.GET.get("page"))
    start = (page.number - 1) * PORTFOLIO_PAGE_SIZE
    page.object_list = SimpleLazyObject(
        lambda: portfolio_selectors.portfolio_page(
            portfolio_selectors.portfolio(
                user=request.user, phase=phase, renewal=renewal, sort=sort, today=today
            )[start : start + PORTFOLIO_PAGE_SIZE],
            today=today,
        )
    )
    show_caf = request.user.caf_id is None  # a superuser's portfolio: every Caf

    def draw_table() -> str:
        return render_to_string(
            "evaluation/_portfolio_rows.html", {"rows": page.object_list, "show_caf": show_caf}
        )

    phases = [state.by_phase.get(value, 0) for value, _ in Convention.Phase.choices]
    return render(
        request,
        "evaluation/portfolio.html",
        {
            "page": page,
            # Drawn once per day, portfolio (a Caf's or all), state of its conventions
            # (all that any page shows, see portfolio_state), filters, sort and page; with
            # the Cafs' names where they are shown.
            "table": paginator.count
            and cached_fragment(
                "portefeuille-lignes",
                (
                    today.isoformat(),
                    "*" if request.user.is_superuser else request.user.caf_id,
                    state.digest,
                    phase,
                    renewal,
                    sort,
                    page.number,
                    show_caf and _caf_names_digest(),
                ),
                draw_table,
            ),
            "phase": phase,
            "renewal": renewal,
            "sort": sort,
            "sorts": [(k, v[1]) for k, v in portfolio_selectors.PORTFOLIO_SORTS.items()],
            "phases": Convention.Phase.choices,
            "total": state.total,
            # Drawn once per list of counts.
            "phase_fig": cached_fragment(
                "portefeuille-phases", phases, lambda: str(_phase_figure(phases))
            ),
            "today": today,
        },
    )
