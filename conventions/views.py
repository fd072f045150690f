from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.shortcuts import redirect, render

from ctg.forms import REASON_MAX_LENGTH

from . import forms, lifecycle, selectors
from .imports import parse_collectivities_csv
from .models import Collectivity, Convention, Signatory
from .permissions import get_convention_or_404, is_caf_staff
from .services import collectivity as collectivity_services
from .services import convention as convention_services
from .services import signatory as signatory_services


@login_required
def convention_list(request):
    search = request.GET.get("q", "").strip()
    phase = request.GET.get("phase", "")
    if phase not in Convention.Phase.values:
        phase = ""
    conventions = selectors.convention_list(user=request.user, search=search, phase=phase)
    page = Paginator(conventions, 25).get_page(request.GET.get("page"))
    return render(
        request,
        "conventions/convention_list.html",
        {
            "page": page,
            "search": search,
            "phase": phase,
            "phases": Convention.Phase.choices,
        },
    )


@login_required
def governance(request, pk: int):
    convention, access = get_convention_or_404(request.user, pk)
    return render(
        request,
        "conventions/governance.html",
        {
            "convention": convention,
            "access": access,
            "active_tab": "gouvernance",
            "crumb": "Gouvernance",
            "signatories": selectors.signatories_of(convention=convention),
            "committees": selectors.governance_committees(convention=convention),
        },
    )


# --- Convention editor, signatories, lifecycle, collectivities ------------------------------


def _require_caf_staff(user) -> None:
    if not is_caf_staff(user):
        raise PermissionDenied("Cette page est réservée aux agents de la Caf.")


def _convention_context(convention, access, **extra) -> dict:
    # Pages outside the tabs highlight no tab (the default would be Synthèse).
    return {"convention": convention, "access": access, "active_tab": "aucun", **extra}


@login_required
def convention_create(request):
    _require_caf_staff(request.user)
    form = forms.ConventionForm(request.POST or None, user=request.user)
    if request.method == "POST" and form.is_valid():
        try:
            convention = convention_services.convention_create(
                data=form.service_data(), by=request.user
            )
        except ValidationError as exc:
            forms.add_service_errors(form, exc)
        else:
            messages.success(request, f"La convention « {convention.name} » est créée.")
            return redirect("portal:detail", pk=convention.pk)
    return render(request, "conventions/convention_form.html", {"form": form, "creating": True})


@login_required
def convention_edit(request, pk: int):
    convention, access = get_convention_or_404(request.user, pk)
    access.require(access.can_edit_convention)
    form = forms.ConventionForm(request.POST or None, instance=convention, user=request.user)
    if request.method == "POST" and form.is_valid():
        try:
            convention_services.convention_update(
                convention=convention,
                data=form.service_data(),
                expected_version=form.cleaned_data["version"],
                by=request.user,
            )
        except ValidationError as exc:
            forms.add_service_errors(form, exc)
        else:
            messages.success(request, "Les modifications de la convention sont enregistrées.")
            return redirect("portal:detail", pk=convention.pk)
        # Show the convention as it is in the database, not as the rejected form left it.
        convention.refresh_from_db()
    return render(
        request,
        "conventions/convention_form.html",
        _convention_context(convention, access, form=form, crumb="Modifier", creating=False),
    )


@login_required
def signatory_create(request, pk: int):
    convention, access = get_convention_or_404(request.user, pk)
    access.require(access.can_edit_convention)
    form = forms.SignatoryForm(
        request.POST or None, instance=Signatory(convention=convention), convention=convention
    )
    if request.method == "POST" and form.is_valid():
        try:
            signatory = signatory_services.signatory_create(
                convention=convention, data=form.service_data(), by=request.user
            )
        except ValidationError as exc:
            forms.add_service_errors(form, exc)
        else:
            messages.success(
                request, f"{signatory.organisation_name} est ajouté·e aux signataires."
            )
            return redirect("conventions:governance", pk=convention.pk)
    return render(
        request,
        "conventions/signatory_form.html",
        _convention_context(
            convention, access, form=form, crumb="Ajouter un signataire", active_tab="gouvernance"
        ),
    )


@login_required
def signatory_edit(request, pk: int, signatory_pk: int):
    convention, access = get_convention_or_404(request.user, pk)
    access.require(access.can_edit_convention)
    signatory = selectors.signatory_of(convention=convention, signatory_pk=signatory_pk)
    form = forms.SignatoryForm(request.POST or None, instance=signatory, convention=convention)
    if request.method == "POST" and form.is_valid():
        try:
            signatory_services.signatory_update(
                signatory=signatory, data=form.service_data(), by=request.user
            )
        except ValidationError as exc:
            forms.add_service_errors(form, exc)
        else:
            messages.success(request, "Le signataire est modifié.")
            return redirect("conventions:governance", pk=convention.pk)
    return render(
        request,
        "conventions/signatory_form.html",
        _convention_context(
            convention,
            access,
            form=form,
            signatory=signatory,
            crumb="Modifier un signataire",
            active_tab="gouvernance",
        ),
    )


@login_required
def signatory_delete(request, pk: int, signatory_pk: int):
    convention, access = get_convention_or_404(request.user, pk)
    access.require(access.can_edit_convention)
    signatory = selectors.signatory_of(convention=convention, signatory_pk=signatory_pk)
    if request.method == "POST":
        name = signatory.organisation_name
        signatory_services.signatory_delete(signatory=signatory, by=request.user)
        messages.success(request, f"{name} est retiré·e des signataires.")
        return redirect("conventions:governance", pk=convention.pk)
    return render(
        request,
        "conventions/signatory_confirm_delete.html",
        _convention_context(
            convention,
            access,
            signatory=signatory,
            crumb="Retirer un signataire",
            active_tab="gouvernance",
        ),
    )


@login_required
def lifecycle_view(request, pk: int):
    convention, access = get_convention_or_404(request.user, pk)
    access.require(access.can_edit_convention)
    form = forms.TransitionForm(request.POST or None)
    if request.method == "POST":
        if form.is_valid():
            to_phase = form.cleaned_data["to_phase"]
            try:
                convention_services.convention_advance(
                    convention=convention,
                    to_phase=to_phase,
                    reason=form.cleaned_data["reason"],
                    by=request.user,
                )
            except ValidationError as exc:
                for message in exc.messages:
                    messages.error(request, message)
            else:
                label = Convention.Phase(to_phase).label
                messages.success(request, f"La convention passe en phase « {label} ».")
                return redirect("portal:detail", pk=convention.pk)
        elif "reason" in form.errors:
            for message in form.errors["reason"]:
                messages.error(request, message)
        else:
            messages.error(request, "Transition inconnue.")
        return redirect("conventions:lifecycle", pk=convention.pk)
    return render(
        request,
        "conventions/lifecycle.html",
        _convention_context(
            convention,
            access,
            crumb="Cycle de vie",
            options=lifecycle.transition_options(convention=convention),
            renewal=lifecycle.renewal_status(convention),
            reason_max_length=REASON_MAX_LENGTH,
        ),
    )


@login_required
def convention_sign(request, pk: int):
    convention, access = get_convention_or_404(request.user, pk)
    access.require(access.can_edit_convention)
    form = forms.SignForm(request.POST or None)
    blockers = []
    if convention.phase == Convention.Phase.SIGNATURE:
        blockers = lifecycle.transition_blockers(
            convention=convention, to_phase=Convention.Phase.IMPLEMENTATION
        )
    if request.method == "POST" and form.is_valid():
        try:
            convention_services.convention_sign(
                convention=convention,
                signed_on=form.cleaned_data["signed_on"],
                reason=form.cleaned_data["reason"],
                by=request.user,
            )
        except ValidationError as exc:
            forms.add_service_errors(form, exc)
        else:
            messages.success(
                request, "La signature est enregistrée : la convention passe en mise en œuvre."
            )
            return redirect("portal:detail", pk=convention.pk)
    return render(
        request,
        "conventions/sign_form.html",
        _convention_context(
            convention, access, form=form, blockers=blockers, crumb="Enregistrer la signature"
        ),
    )


@login_required
def convention_renew(request, pk: int):
    convention, access = get_convention_or_404(request.user, pk)
    access.require(access.can_edit_convention)
    if request.method == "POST":
        try:
            renewal = convention_services.convention_prepare_renewal(
                convention=convention, by=request.user
            )
        except ValidationError as exc:
            for message in exc.messages:
                messages.error(request, message)
            return redirect("conventions:renew", pk=convention.pk)
        messages.success(
            request,
            f"La convention « {renewal.name} » est créée : complétez-la avant le diagnostic.",
        )
        return redirect("conventions:edit", pk=renewal.pk)
    return render(
        request,
        "conventions/renewal_confirm.html",
        _convention_context(
            convention,
            access,
            crumb="Préparer le renouvellement",
            renewal=lifecycle.renewal_status(convention),
        ),
    )


def _staff_caf(user):
    """The Caf whose referential the user manages (None: every Caf, for a superuser)."""
    return None if user.is_superuser else user.caf


@login_required
def collectivity_list(request):
    _require_caf_staff(request.user)
    search = request.GET.get("q", "").strip()
    kind = request.GET.get("kind", "")
    if kind not in Collectivity.Kind.values:
        kind = ""
    qs = selectors.collectivity_list(caf=_staff_caf(request.user), search=search, kind=kind)
    page = Paginator(qs, 50).get_page(request.GET.get("page"))
    return render(
        request,
        "conventions/collectivity_list.html",
        {"page": page, "search": search, "kind": kind, "kinds": Collectivity.Kind.choices},
    )


@login_required
def collectivity_create(request):
    _require_caf_staff(request.user)
    caf = _staff_caf(request.user)
    form = forms.CollectivityForm(request.POST or None, caf=caf)
    if request.method == "POST" and form.is_valid():
        try:
            collectivity = collectivity_services.collectivity_create(
                caf=caf or form.cleaned_data["caf"], data=form.service_data(), by=request.user
            )
        except ValidationError as exc:
            forms.add_service_errors(form, exc)
        else:
            messages.success(request, f"{collectivity.name} est ajoutée au référentiel.")
            return redirect("conventions:collectivities")
    return render(request, "conventions/collectivity_form.html", {"form": form})


@login_required
def collectivity_edit(request, collectivity_pk: int):
    _require_caf_staff(request.user)
    collectivity = selectors.collectivity_for(user=request.user, pk=collectivity_pk)
    form = forms.CollectivityForm(request.POST or None, instance=collectivity, caf=collectivity.caf)
    if request.method == "POST" and form.is_valid():
        try:
            collectivity_services.collectivity_update(
                collectivity=collectivity, data=form.service_data(), by=request.user
            )
        except ValidationError as exc:
            forms.add_service_errors(form, exc)
        else:
            messages.success(request, f"{collectivity.name} est modifiée.")
            return redirect("conventions:collectivities")
    return render(
        request,
        "conventions/collectivity_form.html",
        {"form": form, "collectivity": collectivity},
    )


@login_required
def collectivity_import(request):
    _require_caf_staff(request.user)
    caf = _staff_caf(request.user)
    form = forms.CollectivityImportForm(
        request.POST or None, request.FILES or None, choose_caf=caf is None
    )
    errors = []
    if request.method == "POST" and form.is_valid():
        target = caf or form.cleaned_data["caf"]
        parsed = parse_collectivities_csv(form.cleaned_data["file"].read())
        errors = parsed.errors
        if not errors:
            try:
                outcome = collectivity_services.collectivities_import(
                    caf=target, rows=parsed.rows, by=request.user
                )
            except collectivity_services.ImportRejected as exc:
                errors = exc.errors
            else:
                messages.success(
                    request,
                    f"Import terminé : {outcome.created} créée(s), {outcome.updated} mise(s) à "
                    f"jour, {outcome.unchanged} inchangée(s).",
                )
                return redirect("conventions:collectivities")
    return render(
        request,
        "conventions/collectivity_import.html",
        {"form": form, "errors": errors},
    )
