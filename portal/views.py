"""Pages that compose every app: the Synthèse, the history and the convention document."""

from django.contrib.auth.decorators import login_required
from django.http import HttpResponse
from django.shortcuts import render
from django.utils.text import slugify

from conventions import selectors as convention_selectors
from conventions.permissions import get_convention_or_404

from . import history as history_selectors
from .document import convention_document_data, render_convention_pdf
from .selectors import convention_dashboard


@login_required
def convention_detail(request, pk: int):
    convention, access = get_convention_or_404(request.user, pk)
    return render(
        request,
        "conventions/convention_detail.html",
        {
            "convention": convention,
            "access": access,
            "signatories": convention_selectors.signatories_of(convention=convention),
            "thematics": convention.thematics.all(),
            "territories": convention.territories.all(),
            "dashboard": convention_dashboard(convention=convention),
        },
    )


@login_required
def history(request, pk: int):
    convention, access = get_convention_or_404(request.user, pk)
    page = history_selectors.convention_history_page(
        convention=convention, page_number=request.GET.get("page")
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


@login_required
def convention_document(request, pk: int):
    convention, _access = get_convention_or_404(request.user, pk)
    data = convention_document_data(convention=convention)
    pdf = render_convention_pdf(data=data, base_url=request.build_absolute_uri("/"))
    response = HttpResponse(pdf, content_type="application/pdf")
    filename = f"convention-{slugify(convention.name) or convention.pk}.pdf"
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response
