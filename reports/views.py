"""The reports archive of a convention: list, open, download, generate now."""

import logging

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import FileResponse, Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_POST

from conventions.permissions import get_convention_or_404
from ctg import formatting
from ctg.dates import validate_plausible_date
from ctg.forms import DateInput

from . import selectors
from . import services as reporting
from .models import ProgressReport
from .render import report_context

logger = logging.getLogger(__name__)


class ReportRequestForm(forms.Form):
    period_start = forms.DateField(
        label="Début de période", widget=DateInput(), validators=[validate_plausible_date]
    )
    period_end = forms.DateField(
        label="Fin de période", widget=DateInput(), validators=[validate_plausible_date]
    )

    def __init__(self, *args, convention, **kwargs):
        super().__init__(*args, **kwargs)
        self.convention = convention

    def clean(self):
        data = super().clean()
        start, end = data.get("period_start"), data.get("period_end")
        if start and end:
            if end < start:
                raise forms.ValidationError("La fin de période ne peut pas précéder son début.")
            if start < self.convention.start_date or end > self.convention.end_date:
                raise forms.ValidationError(
                    "La période doit être comprise dans celle de la convention, du "
                    f"{formatting.date(self.convention.start_date)} au "
                    f"{formatting.date(self.convention.end_date)}."
                )
        return data


def _context(convention, access, **extra):
    return {
        "convention": convention,
        "access": access,
        "active_tab": "rapports",
        "crumb": "Rapports",
        **extra,
    }


@login_required
def report_list(request, pk: int):
    convention, access = get_convention_or_404(request.user, pk)
    page = Paginator(selectors.reports_of(convention=convention), 25).get_page(
        request.GET.get("page")
    )
    form = ReportRequestForm(convention=convention) if access.can_edit_convention else None
    return render(
        request, "reports/reports.html", _context(convention, access, page=page, form=form)
    )


@login_required
@require_POST
def report_request(request, pk: int):
    convention, access = get_convention_or_404(request.user, pk)
    access.require(access.can_edit_convention)
    form = ReportRequestForm(request.POST, convention=convention)
    if not form.is_valid():
        page = Paginator(selectors.reports_of(convention=convention), 25).get_page(1)
        return render(
            request,
            "reports/reports.html",
            _context(convention, access, page=page, form=form),
            status=400,
        )
    report, queued = reporting.report_request(
        convention=convention,
        period_start=form.cleaned_data["period_start"],
        period_end=form.cleaned_data["period_end"],
        by=request.user,
    )
    report.refresh_from_db(fields=["status", "enqueued_at"])
    if queued and report.status == ProgressReport.Status.PENDING and report.enqueued_at is None:
        # The broker did not answer: the request is kept and dispatched later.
        messages.warning(
            request,
            "Le service de génération est momentanément indisponible : le rapport est "
            "enregistré et sera produit dès son rétablissement.",
        )
    elif report.status == ProgressReport.Status.READY and queued:
        # Without a broker the build ran in-process: the report is already there.
        messages.success(request, "Le rapport est prêt et a été envoyé aux membres des instances.")
    elif queued:
        messages.success(
            request,
            "Le rapport est demandé : il sera produit en arrière-plan et envoyé aux membres "
            "des instances. Rechargez la page dans quelques instants.",
        )
    else:
        messages.info(request, "Un rapport existe déjà pour cette période : le voici.")
    return redirect("reports:reports", pk=convention.pk)


def _report(request, pk: int, report_pk: int):
    convention, access = get_convention_or_404(request.user, pk)
    report = get_object_or_404(ProgressReport, pk=report_pk, convention=convention)
    return convention, access, report


@login_required
def report_detail(request, pk: int, report_pk: int):
    convention, access, report = _report(request, pk, report_pk)
    context = _context(convention, access, report=report, crumb="Rapport")
    if report.status == ProgressReport.Status.READY:
        context.update(report_context(report, report.snapshot))
    return render(request, "reports/report_detail.html", context)


def _download(report: ProgressReport, field: str, content_type: str):
    file = getattr(report, field)
    if report.status != ProgressReport.Status.READY or not file:
        raise Http404("Ce rapport n'est pas encore disponible.")
    extension = "pdf" if field == "pdf" else "xlsx"
    name = f"{report.get_kind_display()} {report.period_start:%Y-%m-%d} {report.period_end:%Y-%m-%d}.{extension}"
    try:
        handle = file.open("rb")
    except FileNotFoundError:
        # The row says ready but the file is gone (media lost or not restored).
        logger.error("Report %s: file %s missing from storage", report.pk, file.name)
        raise Http404(
            "Le fichier de ce rapport est introuvable : demandez à la Caf de le produire à nouveau."
        ) from None
    return FileResponse(handle, as_attachment=True, filename=name, content_type=content_type)


@login_required
def report_pdf(request, pk: int, report_pk: int):
    _, _, report = _report(request, pk, report_pk)
    return _download(report, "pdf", "application/pdf")


@login_required
def report_xlsx(request, pk: int, report_pk: int):
    _, _, report = _report(request, pk, report_pk)
    return _download(
        report, "xlsx", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    )
