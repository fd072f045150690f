"""Pages that compose every app: the Synthèse, the history and the convention document
(PDF, and Word for the legal services)."""

from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import FileResponse, HttpResponse
from django.shortcuts import redirect, render
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone
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
from .selectors import (
    activity_version,
    convention_dashboard,
    details_version,
    figures_version,
    synthese_version,
)
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
    """The Synthèse: drawn once per version of what it shows (``synthese_version``) from
    parts cached each under what it depends on (a measurement draws the figures again, not
    the signatories); only the header (the user's buttons) is live."""
    convention, access = get_convention_or_404(request.user, pk)
    today = timezone.localdate()
    dashboard = convention_dashboard(convention=convention, today=today)
    parts = {}

    def draw():
        parts.update(_synthese_parts(dashboard))
        return render_to_string("portal/_synthese.html", parts)

    synthese = cached_fragment(
        "synthese-page",
        synthese_version(convention, today),
        draw,
        # As long as its next meeting is the next one (its own part knows until when).
        expires_at=lambda: parts["meeting"].expires_at,
    )
    return render(
        request,
        "conventions/convention_detail.html",
        {"convention": convention, "access": access, "synthese": synthese},
    )


def _next_meeting_start(dashboard):
    """A meeting that has started is no longer the next one: what shows it lives until
    then at most."""
    return dashboard.next_meeting.date if dashboard.next_meeting else None


def _synthese_parts(dashboard) -> dict:
    """The Synthèse's parts, each drawn (its queries made) only when its own key missed."""
    convention, today = dashboard.convention, dashboard.today

    def part(name, version, template, context=lambda: {"dashboard": dashboard}, **options):
        return cached_fragment(
            f"synthese-{name}", version, lambda: render_to_string(template, context()), **options
        )

    data, activity = figures_version(convention, today), activity_version(convention)
    return {
        "figures": part("figures", data, "evaluation/_dashboard_figures.html"),
        "meeting": part(
            "meeting",
            activity,
            "portal/_synthese_meeting.html",
            expires_at=lambda: _next_meeting_start(dashboard),
        ),
        "pending": part("pending", data, "portal/_synthese_pending.html"),
        "reports": part("reports", activity, "portal/_synthese_reports.html"),
        # The broken-down indicators' latest value per commune: the data and the names of
        # the communes (a commune renamed or moved bumps the activity version).
        "commune_tables": part(
            "communes",
            (*data, *activity),
            "evaluation/_synthese_breakdown.html",
            lambda: {
                "convention": convention,
                "tables": breakdown.convention_tables(convention=convention),
            },
        ),
        "details": part(
            "details",
            details_version(convention),
            "portal/_synthese_convention.html",
            lambda: {
                "convention": convention,
                "signatories": convention_selectors.signatories_of(convention=convention),
                "thematics": convention.thematics.all(),
                "territories": convention.territories.all(),
            },
        ),
    }


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
