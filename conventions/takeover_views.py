"""« Reprendre une convention existante »: a Caf's running CTG brought into the tool."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.shortcuts import redirect, render

from ctg.forms import add_service_errors

from .permissions import is_caf_staff
from .services import takeover
from .takeover_forms import TakeoverForm


@login_required
def convention_takeover(request):
    if not is_caf_staff(request.user):
        raise PermissionDenied("Seuls les agents de la Caf reprennent une convention.")
    form = TakeoverForm(request.POST or None, user=request.user)
    if request.method == "POST" and form.is_valid():
        try:
            convention = takeover.convention_takeover(
                data=form.service_data(),
                phase=form.cleaned_data["phase"],
                signed_on=form.cleaned_data["signed_on"],
                signatories=list(form.cleaned_data["signatories"]),
                caf_signs=form.cleaned_data["caf_signs"],
                by=request.user,
            )
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(
                request,
                f"La convention « {convention.name} » est reprise. Importez maintenant son plan "
                "d'actions depuis l'onglet « Plan d'actions ».",
            )
            return redirect("actions:plan", pk=convention.pk)
    return render(request, "conventions/takeover_form.html", {"form": form})
