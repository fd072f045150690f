"""The Caf's publication settings, and the public page and open-data files of a published
convention (no login).

Who gets what at a public address (``/public/<address>/…``):

- the convention is published: everyone, logged in or not;
- it is not (or the address is not the one of the chosen mode, or unknown): 404 for
  everyone, except the people who see the convention in the application (its Caf's staff,
  its coordinators, elected officials, committee members), who get a preview — marked as
  such, never indexed — so that the Caf can check what it is about to publish.

Nothing at these addresses takes a database id: the address is a random token or the slug
the Caf chose, and every other object is reached through it.
"""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_safe

from actions import workflow
from conventions.permissions import get_convention_or_404
from ctg.forms import add_service_errors
from portal.selectors import convention_dashboard
from reports.views import _download as report_file_response

from . import selectors, services
from .forms import PublicationForm
from .models import Publication
from .opendata import TABLES, schema_json

ROBOTS = "noindex, nofollow"
TABLE_LABELS = {
    "fiches": "Fiches action",
    "indicateurs": "Indicateurs",
    "mesures": "Mesures des indicateurs",
    "subventions": "Financements (format SCDL « Subventions »)",
}


# --------------------------------------------------------------------------- the Caf's page


def _links(request, publication: Publication | None) -> dict:
    """The public addresses of a saved publication (absolute, to copy)."""
    if publication is None or publication.pk is None:
        return {}
    address = publication.address

    def absolute(name: str, **kwargs) -> str:
        return request.build_absolute_uri(
            reverse(f"publication:{name}", kwargs={"address": address, **kwargs})
        )

    return {
        "page": absolute("page"),
        "tables": [
            {
                "name": name,
                "label": TABLE_LABELS[name],
                "csv": absolute("data_csv", table=name),
                "json": absolute("data_json", table=name),
                "schema": request.build_absolute_uri(
                    reverse("publication:schema", kwargs={"table": name})
                ),
            }
            for name in TABLES
        ],
    }


def _settings_context(request, convention, access, publication, **extra) -> dict:
    return {
        "convention": convention,
        "access": access,
        "active_tab": "publication",
        "crumb": "Publication",
        "publication": publication,
        "links": _links(request, publication),
        **extra,
    }


@login_required
def settings_page(request, pk: int):
    convention, access = get_convention_or_404(request.user, pk)
    access.require(access.can_edit_convention)
    publication = selectors.publication_of(convention=convention)
    initial = {
        "mode": publication.mode if publication else Publication.Mode.TOKEN,
        "slug": publication.slug if publication else "",
        "noindex": publication.noindex if publication else True,
        "share_report_pdf": publication.share_report_pdf if publication else False,
    }
    form = PublicationForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            services.publication_update(convention=convention, by=request.user, **form.cleaned_data)
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, "Les réglages de publication sont enregistrés.")
            return redirect("publication:settings", pk=convention.pk)
    return render(
        request,
        "publication/settings.html",
        _settings_context(request, convention, access, publication, form=form),
    )


def _confirm(request, pk: int, *, publish: bool):
    convention, access = get_convention_or_404(request.user, pk)
    access.require(access.can_edit_convention)
    if request.method == "POST":
        try:
            if publish:
                _, changed = services.publication_publish(convention=convention, by=request.user)
                text = "La page publique et les données ouvertes sont en ligne."
                same = "La convention était déjà publiée."
            else:
                _, changed = services.publication_unpublish(convention=convention, by=request.user)
                text = (
                    "La publication est retirée : les adresses publiques répondent « introuvable »."
                )
                same = "La convention n'était pas publiée."
        except ValidationError as exc:
            for message in exc.messages:
                messages.error(request, message)
        else:
            if changed:
                messages.success(request, text)
            else:
                messages.info(request, same)
        return redirect("publication:settings", pk=convention.pk)
    publication = selectors.publication_of(convention=convention)
    return render(
        request,
        "publication/confirm.html",
        _settings_context(request, convention, access, publication, publish=publish),
    )


@login_required
def publish(request, pk: int):
    return _confirm(request, pk, publish=True)


@login_required
def unpublish(request, pk: int):
    return _confirm(request, pk, publish=False)


# --------------------------------------------------------------------------- public addresses


def _public(request, address: str) -> tuple[Publication, bool]:
    """The publication at this address and whether this is a preview; 404 otherwise."""
    publication = selectors.publication_at(address)
    if publication is not None:
        if publication.published:
            return publication, False
        if selectors.may_preview(request.user, publication):
            return publication, True
    raise Http404("Page introuvable.")


def _headers(response: HttpResponse, publication: Publication, preview: bool) -> HttpResponse:
    if preview or publication.noindex:
        response["X-Robots-Tag"] = ROBOTS
    if preview:
        response["Cache-Control"] = "private, no-store"
    else:
        # Public data: any website may read the files (the convention's own site…).
        response["Access-Control-Allow-Origin"] = "*"
    return response


@require_safe
def public_page(request, address: str):
    publication, preview = _public(request, address)
    convention = publication.convention
    today = timezone.localdate()
    plan = selectors.public_plan(convention=convention, today=today)
    dashboard = convention_dashboard(convention=convention, today=today)
    report = selectors.last_public_report(convention)
    territories = selectors.territories_of(convention)
    response = render(
        request,
        "publication/public_page.html",
        {
            "publication": publication,
            "preview": preview,
            "noindex": preview or publication.noindex,
            "convention": convention,
            "dashboard": dashboard,
            "plan": plan,
            "status_counts": [
                row
                for row in workflow.status_counts(s.status for s in plan.sheets)
                if row["status"] in workflow.VALIDATED
            ],
            "groups": [t for t in territories if t.kind != "commune"],
            "communes": [t for t in territories if t.kind == "commune"],
            "organisations": selectors.public_organisations(convention),
            "thematics": selectors.thematics_of(convention),
            "report": report,
            "report_pdf": bool(report is not None and report.pdf and publication.share_report_pdf),
            "tables": [
                {"name": name, "label": label, "scdl": name == "subventions"}
                for name, label in TABLE_LABELS.items()
            ],
        },
    )
    return _headers(response, publication, preview)


def _file_name(publication: Publication, table: str, extension: str) -> str:
    base = publication.slug if publication.mode == Publication.Mode.SLUG else "convention"
    return f"{base}-{table}.{extension}"


@require_safe
def data_csv(request, address: str, table: str):
    publication, preview = _public(request, address)
    plan = selectors.public_plan(convention=publication.convention)
    response = HttpResponse(
        TABLES[table].csv(plan).encode("utf-8"),
        content_type="text/csv; charset=utf-8; header=present",
    )
    response["Content-Disposition"] = (
        f'attachment; filename="{_file_name(publication, table, "csv")}"'
    )
    return _headers(response, publication, preview)


@require_safe
def data_json(request, address: str, table: str):
    publication, preview = _public(request, address)
    plan = selectors.public_plan(convention=publication.convention)
    schema_url = request.build_absolute_uri(reverse("publication:schema", kwargs={"table": table}))
    title = f"{TABLE_LABELS[table]} — {publication.convention.name}"
    response = HttpResponse(
        TABLES[table].json(plan, schema_url=schema_url, title=title).encode("utf-8"),
        content_type="application/json; charset=utf-8",
    )
    response["Content-Disposition"] = f'inline; filename="{_file_name(publication, table, "json")}"'
    return _headers(response, publication, preview)


@require_safe
def report_pdf(request, address: str):
    """The last progress report's PDF, when the Caf chose to publish it."""
    publication, preview = _public(request, address)
    report = selectors.last_public_report(publication.convention)
    if report is None or not (publication.share_report_pdf or preview):
        raise Http404("Aucun rapport publié.")
    return _headers(report_file_response(report, "pdf", "application/pdf"), publication, preview)


@require_safe
def schema_file(request, table: str):
    """The table schema shipped in the repository (publication/schemas/<table>.json)."""
    response = HttpResponse(schema_json(TABLES[table]), content_type="application/json")
    response["Access-Control-Allow-Origin"] = "*"
    return response
