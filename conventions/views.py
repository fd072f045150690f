from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.shortcuts import redirect, render

from . import selectors
from .models import Convention, User
from .permissions import conventions_visible_to, get_convention_or_404


@login_required
def home(request):
    # Elected officials land on their convention when they have only one.
    if request.user.role == User.Role.ELECTED:
        ids = list(conventions_visible_to(request.user).values_list("pk", flat=True)[:2])
        if len(ids) == 1:
            return redirect("conventions:detail", pk=ids[0])
    return redirect("conventions:list")


@login_required
def convention_list(request):
    search = request.GET.get("q", "").strip()
    phase = request.GET.get("phase", "")
    if phase not in Convention.Phase.values:
        phase = ""
    conventions = selectors.convention_list(user=request.user, search=search, phase=phase)
    page = Paginator(conventions, 25).get_page(request.GET.get("page"))
    return render(
        request,
        "conventions/convention_list.html",
        {
            "page": page,
            "search": search,
            "phase": phase,
            "phases": Convention.Phase.choices,
        },
    )


@login_required
def convention_detail(request, pk: int):
    from evaluation.selectors import convention_dashboard

    convention, access = get_convention_or_404(request.user, pk)
    return render(
        request,
        "conventions/convention_detail.html",
        {
            "convention": convention,
            "access": access,
            "signatories": selectors.signatories_of(convention=convention),
            "committees": selectors.committees_with_parity(convention=convention),
            "thematics": convention.thematics.all(),
            "territories": convention.territories.all(),
            "dashboard": convention_dashboard(convention=convention),
        },
    )


@login_required
def governance(request, pk: int):
    convention, access = get_convention_or_404(request.user, pk)
    return render(
        request,
        "conventions/governance.html",
        {
            "convention": convention,
            "access": access,
            "active_tab": "gouvernance",
            "crumb": "Gouvernance",
            "signatories": selectors.signatories_of(convention=convention),
            "committees": selectors.governance_committees(convention=convention),
        },
    )


@login_required
def history(request, pk: int):
    convention, access = get_convention_or_404(request.user, pk)
    page = Paginator(selectors.convention_history(convention=convention), 50).get_page(
        request.GET.get("page")
    )
    return render(
        request,
        "conventions/history.html",
        {
            "convention": convention,
            "access": access,
            "active_tab": "historique",
            "crumb": "Historique",
            "page": page,
        },
    )
