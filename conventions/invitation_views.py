"""Invitations (from the Gouvernance tab), the invitation link, and « Mot de passe oublié ? ».

The Caf's staff of the convention and the coordinator of a signatory collectivity invite
(``invitation.can_invite``: others get a 403, people out of scope a 404); the link and the
password reset pages are public. Rules live in ``conventions.services.invitation``.
"""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth import login
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.contrib.auth.forms import SetPasswordForm
from django.core.exceptions import ValidationError
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views.decorators.cache import never_cache
from django.views.decorators.debug import sensitive_post_parameters
from django.views.decorators.http import require_http_methods, require_POST

from ctg.forms import add_service_errors

from .invitation_forms import AccountPasswordResetForm, InvitationForm
from .models import Invitation
from .permissions import get_convention_or_404
from .services import invitation as invitations


def _inviter(request, pk: int):
    convention, access = get_convention_or_404(request.user, pk)
    access.require(invitations.can_invite(access))
    return convention, access


def _invitation_of(access, invitation_pk: int) -> Invitation:
    return get_object_or_404(invitations.invitations_visible(access=access), pk=invitation_pk)


def _governance(convention) -> str:
    return reverse("conventions:governance", args=[convention.pk]) + "#h-invitations"


def _context(convention, access, **extra) -> dict:
    return {
        "convention": convention,
        "access": access,
        "active_tab": "gouvernance",
        "crumb": "Gouvernance",
        "governance_url": reverse("conventions:governance", args=[convention.pk]),
        **extra,
    }


@login_required
@require_http_methods(["GET", "POST"])
def invitation_create(request, pk: int):
    """The invitation form (shown on the Gouvernance tab; here again with its errors)."""
    convention, access = _inviter(request, pk)
    form = InvitationForm(request.POST or None, access=access)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            invitation = invitations.invitation_send(
                convention=convention,
                by=request.user,
                email=data["email"],
                first_name=data["first_name"],
                last_name=data["last_name"],
                function=data["function"],
                kind=data["kind"],
                collectivity=data["collectivity"],
                committee=data["committee"],
                side=data["side"],
            )
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            who = invitation.user.get_full_name() or invitation.user.email
            if invitation.accepted_at:
                messages.success(
                    request,
                    f"{who} a déjà un compte : {invitation.target_label} lui est attribué, "
                    "un e-mail l'en informe.",
                )
            else:
                messages.success(
                    request,
                    f"Invitation envoyée à {invitation.user.email} ({invitation.target_label}). "
                    f"Le lien est valable {invitations.INVITATION_DAYS} jours.",
                )
            return redirect(_governance(convention))
    return render(
        request,
        "conventions/invitation_form.html",
        _context(convention, access, form=form, title="Inviter une personne"),
        status=400 if form.is_bound else 200,
    )


@login_required
@require_POST
def invitation_resend(request, pk: int, invitation_pk: int):
    convention, access = _inviter(request, pk)
    invitation = _invitation_of(access, invitation_pk)
    try:
        invitations.invitation_resend(invitation=invitation, by=request.user)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(
            request,
            f"Un nouveau lien a été envoyé à {invitation.user.email} ; le précédent ne "
            "fonctionne plus.",
        )
    return redirect(_governance(convention))


@login_required
@require_http_methods(["GET", "POST"])
def invitation_remove(request, pk: int, invitation_pk: int):
    convention, access = _inviter(request, pk)
    invitation = _invitation_of(access, invitation_pk)
    who = invitation.user.get_full_name() or invitation.user.email
    error = ""
    if request.method == "POST":
        try:
            invitations.invitation_remove(invitation=invitation, by=request.user)
        except ValidationError as exc:
            error = " ".join(exc.messages)
        else:
            messages.success(request, f"{who} a été retiré·e : {invitation.target_label}.")
            return redirect(_governance(convention))
    if invitation.kind == Invitation.Kind.MEMBER:
        consequence = "son siège sera retiré de l'instance (l'historique de l'instance le garde)"
    else:
        consequence = (
            "son rôle lui sera retiré : sans autre rattachement, elle ne verra plus les "
            "conventions de la collectivité"
        )
    return render(
        request,
        "conventions/committees/confirm_delete.html",
        _context(
            convention,
            access,
            title=f"Retirer {who} ?",
            question=(
                f"{who} ({invitation.target_label}) : {consequence}. "
                + (
                    "Son lien d'invitation ne fonctionnera plus. "
                    if not invitation.accepted_at
                    else ""
                )
                + "L'invitation reste dans la liste, marquée « Retiré·e »."
            ),
            error=error,
            cancel_url=_governance(convention),
            confirm_label="Retirer",
        ),
        status=400 if error else 200,
    )


STATE_TITLES = {
    "expired": "Ce lien d'invitation a expiré",
    "invalid": "Ce lien d'invitation n'est pas valable",
    "used": "Ce lien d'invitation a déjà été utilisé",
    "removed": "Cette invitation a été retirée",
}


@sensitive_post_parameters()
@never_cache
@require_http_methods(["GET", "POST"])
def invitation_accept(request, uidb64: str, token: str):
    """The link of the e-mail: set a password, then land logged in on the home page. An
    expired or replaced link offers a new one, sent to the invited address."""
    invitation, state = invitations.invitation_from_link(uidb64=uidb64, token=token)
    new_link = None
    form = None
    if request.method == "POST" and request.POST.get("action") == "nouveau-lien":
        if invitation is not None and state in ("expired", "invalid"):
            invitations.invitation_request_new_link(invitation=invitation)
            new_link = True
        else:
            new_link = False
    elif state == "valid":
        form = SetPasswordForm(invitation.user, request.POST or None)
        form.fields["new_password1"].label = "Mot de passe"
        form.fields["new_password2"].label = "Confirmation du mot de passe"
        if request.method == "POST" and form.is_valid():
            try:
                user = invitations.invitation_accept(
                    invitation=invitation, password=form.cleaned_data["new_password1"]
                )
            except ValidationError as exc:
                add_service_errors(form, exc)
            else:
                login(request, user, backend="django.contrib.auth.backends.ModelBackend")
                messages.success(
                    request,
                    "Bienvenue ! Votre mot de passe est enregistré et vous êtes connecté·e.",
                )
                return redirect("home")
    return render(
        request,
        "registration/invitation_accept.html",
        {
            "invitation": invitation if invitation is not None and state != "invalid" else None,
            "state": state,
            "state_title": STATE_TITLES.get(state, ""),
            "can_ask_new_link": invitation is not None and state in ("expired", "invalid"),
            "new_link": new_link,
            "form": form,
            "days": invitations.INVITATION_DAYS,
        },
        status=400 if form is not None and form.is_bound else 200,
    )


# --------------------------------------------------------------------------- password reset


class PasswordResetView(auth_views.PasswordResetView):
    form_class = AccountPasswordResetForm
    template_name = "registration/password_reset_form.html"
    title = "Mot de passe oublié"


class PasswordResetDoneView(auth_views.PasswordResetDoneView):
    template_name = "registration/password_reset_done.html"


class PasswordResetConfirmView(auth_views.PasswordResetConfirmView):
    template_name = "registration/password_reset_confirm.html"
    reset_url_token = "definir"

    def get_form(self, form_class=None):
        form = super().get_form(form_class)
        form.fields["new_password1"].label = "Nouveau mot de passe"
        form.fields["new_password2"].label = "Confirmation du nouveau mot de passe"
        return form


class PasswordResetCompleteView(auth_views.PasswordResetCompleteView):
    template_name = "registration/password_reset_complete.html"
