from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.shortcuts import render

from conventions.permissions import get_convention_or_404

from . import selectors


@login_required
def overview(request, pk: int):
    convention, access = get_convention_or_404(request.user, pk)
    return render(
        request,
        "evaluation/overview.html",
        {
            "convention": convention,
            "access": access,
            "active_tab": "evaluation",
            "crumb": "Évaluation",
            "indicators": selectors.indicators_of(convention=convention),
        },
    )


@login_required
def reports(request, pk: int):
    convention, access = get_convention_or_404(request.user, pk)
    page = Paginator(selectors.reports_of(convention=convention), 25).get_page(
        request.GET.get("page")
    )
    return render(
        request,
        "evaluation/reports.html",
        {
            "convention": convention,
            "access": access,
            "active_tab": "rapports",
            "crumb": "Rapports",
            "page": page,
        },
    )
