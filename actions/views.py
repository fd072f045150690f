from django.contrib.auth.decorators import login_required
from django.shortcuts import render

from conventions.permissions import get_convention_or_404

from . import selectors


@login_required
def action_plan(request, pk: int):
    convention, access = get_convention_or_404(request.user, pk)
    return render(
        request,
        "actions/action_plan.html",
        {
            "convention": convention,
            "access": access,
            "active_tab": "plan",
            "crumb": "Plan d'actions",
            "objectives": selectors.objectives_of(convention=convention),
            "sheets": selectors.action_sheets_of(convention=convention),
        },
    )
