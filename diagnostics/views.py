from django.contrib.auth.decorators import login_required
from django.shortcuts import render

from conventions.permissions import get_convention_or_404

from . import selectors


@login_required
def diagnostic_detail(request, pk: int):
    convention, access = get_convention_or_404(request.user, pk)
    return render(
        request,
        "diagnostics/diagnostic_detail.html",
        {
            "convention": convention,
            "access": access,
            "active_tab": "diagnostic",
            "crumb": "Diagnostic",
            "diagnostic": selectors.diagnostic_of(convention=convention),
            "themes": selectors.findings_by_thematic(convention=convention),
        },
    )
