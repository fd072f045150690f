"""Pages that compose every app: the Synthèse, the history and the convention document
(PDF, and Word for the legal services)."""

import hashlib

from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import FileResponse, HttpResponse
from django.shortcuts import redirect, render
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils.http import content_disposition_header
from django.views.decorators.http import require_GET, require_http_methods

from conventions import selectors as convention_selectors
from conventions.permissions import get_convention_or_404
from ctg.fragments import cached_fragment
from evaluation import breakdown

from . import history as history_selectors
from . import todo as todo_selectors
from . import word
from .document import convention_document_data
from .models import ConventionDocument
from .selectors import convention_dashboard, figures_version
from .services import convention_document_request

# How often the « en préparation » page reloads itself (seconds).
DOCUMENT_REFRESH_SECONDS = 5
TODO_PAGE_SIZE = 25


@login_required
@require_GET
def todo(request):
    """The home page: « À faire », what is due for the person, grouped by role
    (portal.todo). The menu's count is the count of this list."""
    items = todo_selectors.todo_for(user=request.user)
    todo_selectors.remember_count(request.session, items.count)
    page = Paginator(items.items, TODO_PAGE_SIZE).get_page(request.GET.get("page"))
    return render(
        request,
        "portal/todo.html",
        {"todo": items, "page": page, "groups": todo_selectors.GROUPS},
    )


@login_required
def convention_detail(request, pk: int):
    convention, access = get_convention_or_404(request.user, pk)
    dashboard = convention_dashboard(convention=convention)
    return render(
        request,
        "conventions/convention_detail.html",
        {
            "convention": convention,
            "access": access,
            "signatories": convention_selectors.signatories_of(convention=convention),
            "thematics": convention.thematics.all(),
            "territories": convention.territories.all(),
            "dashboard": dashboard,
            "dashboard_figures": cached_fragment(
                "synthese",
                figures_version(convention, dashboard.today),
                lambda: render_to_string(
                    "evaluation/_dashboard_figures.html", {"dashboard": dashboard}
                ),
            ),
            # The broken-down indicators' latest value per commune, drawn once per data
            # version and list of communes (the communes read live, 1 query: a signatory or
            # a commune's name changes them without a data version).
            "commune_tables": _commune_tables(convention, dashboard.today),
        },
    )


def _commune_tables(convention, today):
    communes = repr([(c.pk, c.name) for c in breakdown.communes_of(convention=convention)])
    return cached_fragment(
        "synthese-communes",
        (*figures_version(convention, today), hashlib.sha256(communes.encode()).hexdigest()[:16]),
        lambda: render_to_string(
            "evaluation/_synthese_breakdown.html",
            {
                "convention": convention,
                "tables": breakdown.convention_tables(convention=convention),
            },
        ),
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
@require_http_methods(["GET", "POST"])
def convention_document(request, pk: int):
    """The convention document (PDF), built once per content by a task.

    GET serves the built copy when it shows what the convention says now; otherwise it
    asks for one and answers a page « en préparation » that reloads itself (or « en
    échec », with a button to try again). POST asks again for a copy that failed.
    """
    convention, access = get_convention_or_404(request.user, pk)
    if request.method == "POST":
        convention_document_request(convention=convention, user=request.user, retry=True)
        return redirect("portal:document", pk=convention.pk)
    copy = convention_document_request(convention=convention, user=request.user)
    # With an eager Celery (no worker) the build ran when the request committed.
    copy = ConventionDocument.objects.filter(pk=copy.pk).first() or copy
    address = reverse("portal:document", args=[convention.pk])
    if copy.status == ConventionDocument.Status.READY and request.GET.get("attente"):
        # The page that waited: it says the document is ready, then starts the download.
        response = render(
            request,
            "portal/document_status.html",
            {
                "convention": convention,
                "access": access,
                "crumb": "Document de la convention",
                "copy": copy,
                "ready": True,
            },
        )
        response["Refresh"] = f"0; url={address}"
        return response
    if copy.status == ConventionDocument.Status.READY:
        try:
            handle = copy.pdf.open("rb")
        except FileNotFoundError:  # superseded meanwhile: the next reload asks again
            copy.status = ConventionDocument.Status.PENDING
        else:
            return FileResponse(
                handle, as_attachment=True, filename=copy.filename, content_type="application/pdf"
            )
    failed = copy.status == ConventionDocument.Status.FAILED
    response = render(
        request,
        "portal/document_status.html",
        {
            "convention": convention,
            "access": access,
            "crumb": "Document de la convention",
            "copy": copy,
            "failed": failed,
            "refresh_seconds": DOCUMENT_REFRESH_SECONDS,
        },
    )
    if not failed:
        response["Refresh"] = f"{DOCUMENT_REFRESH_SECONDS}; url={address}?attente=1"
    return response


@login_required
@require_GET
def convention_document_docx(request, pk: int):
    """The convention document in Word, for the legal services: the PDF's articles,
    editable. Built in the request (a fraction of a second: no layout engine)."""
    convention, _access = get_convention_or_404(request.user, pk)
    data = convention_document_data(convention=convention)
    # The PDF copy's name (its convention, its amendment), as a .docx.
    pdf_name = ConventionDocument(
        convention=convention, amendment_number=data.amendment.number if data.amendment else 0
    ).filename
    response = HttpResponse(word.render_convention_docx(data=data), content_type=word.CONTENT_TYPE)
    response["Content-Disposition"] = content_disposition_header(True, word.docx_filename(pdf_name))
    return response
