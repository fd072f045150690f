"""Evidence pages: add a file or a link to a measurement, an observation or a fiche; download
a file (only through here, after the scope check: never a public media address); remove a
piece after confirmation.

Every view resolves the convention with ``get_convention_or_404`` (out of scope: 404), then
the object within that convention (another convention's: 404), then checks the role
(in scope but not allowed: 403). Adding is for those who enter measurements and edit fiches
(``access.can_edit_actions``); removing is :func:`evidence.models.may_delete`.
"""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Q
from django.http import FileResponse, Http404
from django.shortcuts import redirect, render
from django.urls import reverse

from actions.models import ActionSheet
from conventions.permissions import get_convention_or_404
from ctg import formatting
from ctg.forms import add_service_errors
from evaluation.models import Measurement, Observation

from . import selectors, services
from .forms import EvidenceForm
from .models import Evidence, may_delete

DELETE_REFUSED = "Seuls les agents de la Caf et la personne qui l'a ajoutée retirent une pièce."


def _measurement_or_404(convention, pk: int) -> Measurement:
    measurement = (
        Measurement.objects.filter(
            Q(indicator__action_sheet__convention=convention)
            | Q(indicator__objective__convention=convention),
            pk=pk,
        )
        .select_related("indicator")
        .first()
    )
    if measurement is None:
        raise Http404("Mesure introuvable.")
    return measurement


def _observation_or_404(convention, pk: int) -> Observation:
    observation = (
        Observation.objects.filter(marker__change__convention=convention, pk=pk)
        .select_related("marker__change")
        .first()
    )
    if observation is None:
        raise Http404("Observation introuvable.")
    return observation


def _sheet_or_404(convention, pk: int) -> ActionSheet:
    sheet = ActionSheet.objects.filter(convention=convention, pk=pk).first()
    if sheet is None:
        raise Http404("Fiche action introuvable.")
    return sheet


def back_url(convention, *, measurement=None, observation=None, action_sheet=None) -> str:
    """The page where the value is shown, with its pieces."""
    if measurement is not None:
        return reverse(
            "evaluation:indicator",
            kwargs={"pk": convention.pk, "indicator_pk": measurement.indicator_id},
        )
    if observation is not None:
        return reverse("evaluation:changes", kwargs={"pk": convention.pk})
    return reverse("actions:sheet", kwargs={"pk": convention.pk, "sheet_id": action_sheet.pk})


def _context(convention, access, crumb: str, **extra) -> dict:
    return {"convention": convention, "access": access, "crumb": crumb, **extra}


def _add(request, convention, access, *, about: str, active_tab: str, **target):
    access.require(access.can_edit_actions)
    form = EvidenceForm(request.POST or None, request.FILES or None)
    back = back_url(convention, **target)
    if request.method == "POST" and form.is_valid():
        try:
            evidence = services.evidence_add(
                title=form.cleaned_data["title"],
                upload=form.cleaned_data["file"] or None,
                url=form.cleaned_data["url"],
                user=request.user,
                **target,
            )
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, f"La pièce « {evidence.title} » est ajoutée.")
            return redirect(back)
    return render(
        request,
        "evidence/form.html",
        _context(
            convention,
            access,
            "Nouvelle pièce justificative",
            active_tab=active_tab,
            form=form,
            about=about,
            back=back,
        ),
    )


@login_required
def add_to_measurement(request, pk: int, measurement_pk: int):
    convention, access = get_convention_or_404(request.user, pk)
    measurement = _measurement_or_404(convention, measurement_pk)
    about = (
        f"Mesure du {formatting.date(measurement.date)} de l'indicateur "
        f"« {measurement.indicator.name} » : {formatting.number(measurement.value)}"
        f"{' ' + measurement.indicator.unit if measurement.indicator.unit else ''}"
    )
    return _add(
        request, convention, access, about=about, active_tab="evaluation", measurement=measurement
    )


@login_required
def add_to_observation(request, pk: int, observation_pk: int):
    convention, access = get_convention_or_404(request.user, pk)
    observation = _observation_or_404(convention, observation_pk)
    about = (
        f"Observation du {formatting.date(observation.date)} sur « "
        f"{observation.marker.change.title} » : {observation.get_degree_display().lower()}"
    )
    return _add(
        request, convention, access, about=about, active_tab="evaluation", observation=observation
    )


@login_required
def add_to_sheet(request, pk: int, sheet_id: int):
    convention, access = get_convention_or_404(request.user, pk)
    sheet = _sheet_or_404(convention, sheet_id)
    about = f"Fiche action {sheet.number} — {sheet.title}"
    return _add(request, convention, access, about=about, active_tab="plan", action_sheet=sheet)


def _evidence_or_404(convention, pk: int) -> Evidence:
    evidence = selectors.evidence_of(convention=convention, pk=pk)
    if evidence is None:
        raise Http404("Pièce justificative introuvable.")
    return evidence


@login_required
def download(request, pk: int, evidence_pk: int):
    """The file, as an attachment with the type read from its content (never rendered by
    the browser in the application's origin)."""
    convention, _access = get_convention_or_404(request.user, pk)
    evidence = _evidence_or_404(convention, evidence_pk)
    if evidence.is_link:
        raise Http404("Cette pièce est un lien, pas un fichier.")
    try:
        handle = evidence.file.open("rb")
    except (FileNotFoundError, OSError) as exc:
        raise Http404("Le fichier de cette pièce est introuvable dans le stockage.") from exc
    response = FileResponse(
        handle,
        as_attachment=True,
        filename=evidence.original_name or "piece",
        content_type=evidence.content_type or "application/octet-stream",
    )
    response["X-Content-Type-Options"] = "nosniff"
    response["Content-Security-Policy"] = "default-src 'none'; sandbox"
    response["Cache-Control"] = "private, no-store"
    return response


@login_required
def delete(request, pk: int, evidence_pk: int):
    convention, access = get_convention_or_404(request.user, pk)
    evidence = _evidence_or_404(convention, evidence_pk)
    if not may_delete(evidence, access):
        raise PermissionDenied(DELETE_REFUSED)
    back = back_url(
        convention,
        measurement=evidence.measurement,
        observation=evidence.observation,
        action_sheet=evidence.action_sheet,
    )
    if request.method == "POST":
        title = evidence.title
        services.evidence_delete(evidence=evidence, by=request.user)
        messages.success(request, f"La pièce « {title} » est retirée.")
        return redirect(back)
    return render(
        request,
        "evidence/delete.html",
        _context(
            convention,
            access,
            "Retirer une pièce justificative",
            active_tab="plan" if evidence.action_sheet_id else "evaluation",
            evidence=evidence,
            back=back,
        ),
    )


def no_public_address(request, name: str):
    raise Http404("Les pièces justificatives se téléchargent depuis la page de la convention.")
