"""The convention document (PDF), for everyone who may see the convention."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import HttpResponse
from django.utils.text import slugify

from .document import convention_document_data, render_convention_pdf
from .permissions import get_convention_or_404


@login_required
def convention_document(request, pk: int):
    convention, _access = get_convention_or_404(request.user, pk)
    data = convention_document_data(convention=convention)
    pdf = render_convention_pdf(data=data, base_url=request.build_absolute_uri("/"))
    response = HttpResponse(pdf, content_type="application/pdf")
    filename = f"convention-{slugify(convention.name) or convention.pk}.pdf"
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response
