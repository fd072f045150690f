"""The plan import: upload (with the template), preview, confirmation."""

from __future__ import annotations

import base64

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.text import slugify
from django.views.decorators.http import require_POST

from actions import exports
from actions.services import WorkflowError
from conventions.permissions import get_convention_or_404
from ctg import pending

from . import services
from .forms import PlanUploadForm
from .models import PlanImport

SESSION_KEY = "plans_pending_imports"
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _context(convention, access, **extra):
    return {
        "convention": convention,
        "access": access,
        "active_tab": "plan",
        "crumb": "Importer un plan",
        "refusal": services.import_refusal(convention),
        "historical": services.is_historical(convention),
        "last_imports": PlanImport.objects.filter(convention=convention).select_related(
            "imported_by"
        )[:5],
        **extra,
    }


@login_required
def plan_template(request, pk: int):
    """The empty workbook: one sheet per kind, drop-down lists, instructions."""
    convention, access = get_convention_or_404(request.user, pk)
    access.require(access.can_edit_convention)
    response = HttpResponse(exports.plan_template(convention=convention), content_type=XLSX)
    filename = f"modele-plan-{slugify(convention.name)}-{timezone.localdate():%Y-%m-%d}.xlsx"
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


@login_required
def plan_import(request, pk: int):
    """Upload the workbook: read, compare, validate everything and show the preview."""
    convention, access = get_convention_or_404(request.user, pk)
    access.require(access.can_edit_convention)
    form = PlanUploadForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        upload = form.cleaned_data["file"]
        data = upload.read()
        filename = (upload.name or "plan.xlsx")[:200]
        preview = services.plan_import_preview(convention=convention, data=data)
        token = None
        if preview.ok and preview.has_changes:
            token = pending.stash(
                request.session,
                SESSION_KEY,
                {
                    "convention": convention.pk,
                    "filename": filename,
                    "data": base64.b64encode(data).decode("ascii"),
                },
            )
        return render(
            request,
            "plans/preview.html",
            _context(
                convention,
                access,
                crumb="Aperçu de l'import",
                preview=preview,
                token=token,
                filename=filename,
                sheets=[
                    (sheet, preview.counts.get(sheet, {})) for sheet in exports.IMPORTED_SHEETS
                ],
            ),
        )
    return render(request, "plans/upload.html", _context(convention, access, form=form))


@login_required
@require_POST
def plan_import_confirm(request, pk: int):
    """Import the previewed workbook in one transaction; a second confirmation of the same
    preview (double click, two tabs) shows the first one's result."""
    convention, access = get_convention_or_404(request.user, pk)
    access.require(access.can_edit_convention)
    token = request.POST.get("token", "")[:64]
    kept = pending.pending(request.session, SESSION_KEY, token, convention=convention.pk)
    if kept is None:
        done = PlanImport.objects.filter(
            token=token, convention=convention, imported_by=request.user
        ).first()
        if done is None or not token:
            messages.error(
                request, "Cet aperçu a expiré ou a déjà été importé. Déposez à nouveau le classeur."
            )
            return redirect("plans:import", pk=convention.pk)
    else:
        try:
            done = services.plan_import_confirm(
                convention=convention,
                data=base64.b64decode(kept["data"]),
                filename=kept["filename"],
                token=token,
                by=request.user,
            )
        except ValidationError as exc:
            for message in exc.messages[:20]:
                messages.error(request, message)
            return redirect("plans:import", pk=convention.pk)
        except WorkflowError as exc:  # a fiche changed meanwhile (its status, its revision)
            messages.error(request, f"{exc.message} Rien n'a été importé.")
            return redirect("plans:import", pk=convention.pk)
        pending.discard(request.session, SESSION_KEY, token)
    messages.success(
        request,
        f"Import de « {done.filename} » terminé : {services.import_summary(done)}.",
    )
    return redirect("actions:plan", pk=convention.pk)
