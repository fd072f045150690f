"""The Cafdata import pages (Caf staff): upload a file, see what it would do to the territory
statistics and to the indicators bound to its series in every convention of the Caf, confirm.

The pages sit in the convention's Diagnostic tab and keep their ``diagnostics:`` names
(``cafdata_upload``, ``cafdata_confirm``, routed by :mod:`evaluation.urls_opendata` through
the project's URL conf); they live here because the import feeds the indicators
(:mod:`evaluation.opendata`), which the diagnostic does not know.
"""

from __future__ import annotations

from decimal import Decimal

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods, require_POST

from conventions.permissions import get_convention_or_404
from ctg import pending
from diagnostics import cafdata
from diagnostics import selectors as diagnostics_selectors
from diagnostics.forms import CafdataImportForm

from . import opendata
from .models import Measurement

SESSION_KEY = "cafdata_previews"
#: Lines listed on the preview for each kind of notice (the counts say how many in all).
NOTICES_SHOWN = 50
UPLOAD = "diagnostics:cafdata_upload"


def _editable(request, pk: int):
    convention, access = get_convention_or_404(request.user, pk)
    access.require(access.can_edit_convention)
    return convention, access


def _context(convention, access, **extra) -> dict:
    return {
        "convention": convention,
        "access": access,
        "active_tab": "diagnostic",
        "crumb": "Importer un fichier Cafdata",
        "datasets": cafdata.DATASETS,
        "definitions": cafdata.DEFINITIONS,
        "recent": diagnostics_selectors.cafdata_imports(caf=convention.caf),
        "notices_shown": NOTICES_SHOWN,
        **extra,
    }


def _more(items) -> int:
    return max(len(items) - NOTICES_SHOWN, 0)


@login_required
@require_http_methods(["GET", "POST"])
def opendata_upload(request, pk: int):
    """Upload a Cafdata CSV: recognise it, read it, show what it would do (nothing saved)."""
    convention, access = _editable(request, pk)
    posted = request.method == "POST"
    form = CafdataImportForm(request.POST if posted else None, request.FILES if posted else None)
    if posted and form.is_valid():
        upload = form.cleaned_data["file"]
        caf = convention.caf
        try:
            parsed = cafdata.parse(
                upload.read(),
                collectivities=diagnostics_selectors.cafdata_lookups(caf=caf),
                department=caf.department_code,
            )
        except cafdata.CafdataFileError as exc:
            form.add_error("file", str(exc))
        else:
            preview = opendata.opendata_preview(
                caf=caf, dataset=parsed.dataset, values=parsed.values
            )
            token = ""
            if not parsed.errors and not preview.errors and preview.changes:
                token = pending.stash(
                    request.session,
                    SESSION_KEY,
                    {
                        "convention": convention.pk,
                        "caf": caf.pk,
                        "dataset": parsed.dataset.key,
                        "filename": upload.name[:255],
                        "values": [
                            [v.line, v.collectivity_id, v.statistic, v.year, str(v.value)]
                            for v in parsed.values
                        ],
                    },
                )
            return render(
                request,
                "diagnostics/cafdata_preview.html",
                _context(
                    convention,
                    access,
                    parsed=parsed,
                    preview=preview,
                    token=token,
                    filename=upload.name,
                    more={
                        "changed": _more(preview.changed),
                        "measurements_changed": _more(preview.measurements_changed),
                        "skipped": _more(preview.skipped),
                        "measurement_errors": _more(preview.errors),
                        **{
                            kind: _more(getattr(parsed, kind))
                            for kind in ("errors", "unknown", "placeholders")
                        },
                    },
                ),
            )
    return render(
        request, "diagnostics/cafdata_upload.html", _context(convention, access, form=form)
    )


@login_required
@require_POST
def opendata_confirm(request, pk: int):
    """Import the previewed values, once: a second confirmation finds the first import."""
    convention, _access = _editable(request, pk)
    token = request.POST.get("token", "")[:64]
    kept = pending.pending(request.session, SESSION_KEY, token, convention=convention.pk)
    if kept is not None and kept.get("caf") == convention.caf_id:
        values = [
            cafdata.Value(
                line=int(line),
                collectivity_id=int(collectivity_id),
                statistic=str(statistic),
                year=int(year),
                value=Decimal(value),
            )
            for line, collectivity_id, statistic, year, value in kept["values"]
        ]
        try:
            record = opendata.opendata_import(
                caf=convention.caf,
                dataset=kept["dataset"],
                filename=kept["filename"],
                values=values,
                user=request.user,
                token=token,
            )
        except ValidationError as exc:
            for message in exc.messages:
                messages.error(request, message)
            return redirect(UPLOAD, pk=convention.pk)
        pending.discard(request.session, SESSION_KEY, token)
    else:
        record = diagnostics_selectors.cafdata_import_of(caf=convention.caf, token=token)
        if record is None:
            messages.error(
                request,
                "Cet aperçu a expiré ou a déjà été importé. Déposez à nouveau le fichier Cafdata.",
            )
            return redirect(UPLOAD, pk=convention.pk)
    totals = {
        cafdata.NEW: record.created_count,
        cafdata.CHANGED: record.updated_count,
        cafdata.UNCHANGED: record.unchanged_count,
        cafdata.KEPT: record.kept_count,
    }
    fed = Measurement.objects.filter(source_import=record).count()
    indicators = (
        f" (dont {fed} mesure{'s' if fed > 1 else ''} d'indicateurs nouvelle{'s' if fed > 1 else ''}"
        " ou modifiée" + ("s" if fed > 1 else "") + ")"
        if fed
        else ""
    )
    messages.success(
        request,
        f"Import Cafdata terminé — {record.dataset_label} : "
        f"{cafdata.summary(record.conventions_count, totals)}{indicators}.",
    )
    return redirect(UPLOAD, pk=convention.pk)
