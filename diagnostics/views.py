"""Diagnostic pages: everybody who sees the convention reads; its Caf staff write."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_http_methods

from conventions.permissions import get_convention_or_404
from ctg.forms import add_service_errors, parse_id

from . import imports, selectors, services
from .forms import (
    DiagnosticForm,
    FindingForm,
    StatisticImportForm,
    TerritoryStatisticForm,
)
from .models import Diagnostic, StatisticDefinition


def _context(convention, access, crumb: str, **extra) -> dict:
    return {
        "convention": convention,
        "access": access,
        "active_tab": "diagnostic",
        "crumb": crumb,
        **extra,
    }


def _editable(request, pk: int):
    convention, access = get_convention_or_404(request.user, pk)
    access.require(access.can_edit_convention)
    return convention, access


def _posted(request):
    """The submitted data on POST (even empty, so that the form reports what is missing)."""
    return request.POST if request.method == "POST" else None


def _detail_url(convention, thematic_id=None) -> str:
    url = reverse("diagnostics:detail", args=[convention.pk])
    return f"{url}#theme-{thematic_id}" if thematic_id else url


@login_required
def diagnostic_detail(request, pk: int):
    convention, access = get_convention_or_404(request.user, pk)
    page = selectors.diagnostic_page(convention=convention)
    return render(
        request,
        "diagnostics/diagnostic_detail.html",
        _context(
            convention,
            access,
            "Diagnostic",
            page=page,
            diagnostic=page.diagnostic,
            themes=page.themes,
        ),
    )


@login_required
@require_http_methods(["GET", "POST"])
def diagnostic_edit(request, pk: int):
    convention, access = _editable(request, pk)
    diagnostic = selectors.diagnostic_of(convention=convention) or Diagnostic(convention=convention)
    form = DiagnosticForm(_posted(request), instance=diagnostic)
    if request.method == "POST" and form.is_valid():
        data = dict(form.cleaned_data)
        try:
            services.diagnostic_save(convention=convention, **data)
        except ValidationError as error:
            add_service_errors(form, error)
        else:
            messages.success(request, "Le diagnostic a été enregistré.")
            return redirect("diagnostics:detail", pk=convention.pk)
    return render(
        request,
        "diagnostics/diagnostic_form.html",
        _context(convention, access, "Diagnostic", form=form, diagnostic=diagnostic),
    )


@login_required
@require_http_methods(["GET", "POST"])
def finding_create(request, pk: int):
    convention, access = _editable(request, pk)
    initial = {}
    # The « Ajouter un constat » link of a thematic preselects it; anything but a plausible
    # id (a 5,000-digit number, « ² », beyond the database's integers) is ignored.
    preselected = parse_id(request.GET.get("thematique"))
    if preselected is not None:
        initial["thematic"] = preselected
    form = FindingForm(_posted(request), convention=convention, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            finding = services.finding_create(convention=convention, **form.cleaned_data)
        except ValidationError as error:
            add_service_errors(form, error)
        else:
            messages.success(
                request, f"Le constat a été ajouté à la thématique « {finding.thematic} »."
            )
            return redirect(_detail_url(convention, finding.thematic_id))
    return render(
        request,
        "diagnostics/finding_form.html",
        _context(convention, access, "Nouveau constat", form=form, finding=None),
    )


def _finding_or_404(convention, finding_pk: int):
    finding = selectors.finding_of(convention=convention, pk=finding_pk)
    if finding is None:
        raise Http404("Constat introuvable.")
    return finding


@login_required
@require_http_methods(["GET", "POST"])
def finding_edit(request, pk: int, finding_pk: int):
    convention, access = _editable(request, pk)
    finding = _finding_or_404(convention, finding_pk)
    initial = {
        "thematic": finding.thematic_id,
        "kind": finding.kind,
        "text": finding.text,
        "priority": finding.priority,
        "source": finding.source,
    }
    form = FindingForm(_posted(request), convention=convention, finding=finding, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            services.finding_update(finding=finding, **form.cleaned_data)
        except ValidationError as error:
            add_service_errors(form, error)
        else:
            messages.success(request, "Le constat a été modifié.")
            return redirect(_detail_url(convention, finding.thematic_id))
    return render(
        request,
        "diagnostics/finding_form.html",
        _context(convention, access, "Modifier un constat", form=form, finding=finding),
    )


@login_required
@require_http_methods(["GET", "POST"])
def finding_delete(request, pk: int, finding_pk: int):
    convention, access = _editable(request, pk)
    finding = _finding_or_404(convention, finding_pk)
    if request.method == "POST":
        thematic_id = finding.thematic_id
        services.finding_delete(finding=finding)
        messages.success(request, "Le constat a été supprimé.")
        return redirect(_detail_url(convention, thematic_id))
    return render(
        request,
        "diagnostics/confirm_delete.html",
        _context(
            convention,
            access,
            "Supprimer un constat",
            title="Supprimer ce constat ?",
            what=f"{finding.get_kind_display()} — {finding.thematic} : « {finding.text} »",
            cancel_url=_detail_url(convention, finding.thematic_id),
        ),
    )


@login_required
@require_http_methods(["GET", "POST"])
def statistics_manage(request, pk: int):
    """Enter a value by form and list the recorded values (with delete)."""
    convention, access = _editable(request, pk)
    form = TerritoryStatisticForm(_posted(request), convention=convention)
    if request.method == "POST" and form.is_valid():
        try:
            row, created = services.territory_statistic_save(
                convention=convention, user=request.user, **form.service_data()
            )
        except ValidationError as error:
            add_service_errors(form, error)
        else:
            verb = "enregistrée" if created else "mise à jour (elle existait déjà)"
            messages.success(
                request,
                f"Valeur {verb} : {row.statistic.label}, {row.collectivity.name}, {row.year}.",
            )
            return redirect("diagnostics:statistics", pk=convention.pk)
    page = Paginator(selectors.statistics_of(convention=convention), 100).get_page(
        request.GET.get("page")
    )
    return render(
        request,
        "diagnostics/statistics.html",
        _context(convention, access, "Statistiques du territoire", form=form, page=page),
    )


@login_required
@require_http_methods(["GET", "POST"])
def statistic_delete(request, pk: int, statistic_pk: int):
    convention, access = _editable(request, pk)
    statistic = selectors.statistic_of(convention=convention, pk=statistic_pk)
    if statistic is None:
        raise Http404("Valeur introuvable.")
    if request.method == "POST":
        services.territory_statistic_delete(statistic=statistic)
        messages.success(request, "La valeur a été supprimée.")
        return redirect("diagnostics:statistics", pk=convention.pk)
    return render(
        request,
        "diagnostics/confirm_delete.html",
        _context(
            convention,
            access,
            "Supprimer une valeur",
            title="Supprimer cette valeur ?",
            what=(
                f"{statistic.statistic.label} — {statistic.collectivity.name}, "
                f"{statistic.year} : {statistic.value}"
            ),
            cancel_url=reverse("diagnostics:statistics", args=[convention.pk]),
        ),
    )


@login_required
@require_http_methods(["GET", "POST"])
def statistics_import(request, pk: int):
    convention, access = _editable(request, pk)
    form = StatisticImportForm(
        _posted(request), request.FILES if request.method == "POST" else None
    )
    errors: list[imports.RowError] = []
    file_error = ""
    if request.method == "POST" and form.is_valid():
        upload = form.cleaned_data["file"]
        try:
            raw_rows = imports.read_table(filename=upload.name, content=upload.read())
        except imports.ImportFileError as exc:
            file_error = str(exc)
        else:
            collectivities, statistics = selectors.import_lookups(convention=convention)
            result = imports.parse_rows(
                raw_rows, collectivities=collectivities, statistics=statistics
            )
            if result.errors:
                errors = result.errors
            elif not result.rows:
                file_error = "Le fichier ne contient aucune ligne de données."
            else:
                summary = services.territory_statistics_import(rows=result.rows, user=request.user)
                kept = (
                    f", {summary.kept} valeur(s) des données ouvertes conservée(s) "
                    "(à remplacer une à une, avec une raison)"
                    if summary.kept
                    else ""
                )
                messages.success(
                    request,
                    f"Import terminé : {summary.created} valeur(s) créée(s), "
                    f"{summary.updated} mise(s) à jour, {summary.unchanged} inchangée(s){kept}.",
                )
                return redirect("diagnostics:statistics", pk=convention.pk)
        if file_error:
            form.add_error("file", file_error)
    return render(
        request,
        "diagnostics/statistics_import.html",
        _context(
            convention,
            access,
            "Importer des statistiques",
            form=form,
            errors=errors,
            columns=imports.COLUMNS,
            collectivities=selectors.collectivities_of(convention=convention),
            definitions=StatisticDefinition.objects.select_related("thematic").order_by("label"),
        ),
    )


@login_required
def statistics_template(request, pk: int):
    convention, access = _editable(request, pk)
    response = HttpResponse(imports.template_csv(), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = 'attachment; filename="modele-statistiques.csv"'
    return response
