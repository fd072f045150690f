"""The profile page « Jetons d'API »: create (the secret shown once), list, revoke."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.shortcuts import redirect, render
from django.views.decorators.cache import never_cache

from ctg import formatting
from ctg.forms import add_service_errors

from . import selectors, services
from .forms import ApiTokenForm


def _page(request, form, *, new_token=None, secret=None, status=200):
    response = render(
        request,
        "api/tokens.html",
        {
            "form": form,
            "tokens": list(selectors.tokens_of(user=request.user)),
            "new_token": new_token,
            "secret": secret,
            "max_active": services.MAX_ACTIVE_TOKENS,
        },
        status=status,
    )
    return response


@never_cache
@login_required
def tokens(request):
    if request.method != "POST":
        return _page(request, ApiTokenForm())
    form = ApiTokenForm(request.POST)
    if not form.is_valid():
        return _page(request, form, status=400)
    try:
        token, secret = services.api_token_create(
            user=request.user, name=form.cleaned_data["name"], expires_at=form.expires_at
        )
    except ValidationError as exc:
        add_service_errors(form, exc)
        return _page(request, form, status=400)
    # The secret is in this one answer (never stored, never put in a message or a redirect).
    return _page(request, ApiTokenForm(), new_token=token, secret=secret)


@never_cache
@login_required
def token_revoke(request, token_id: int):
    token = selectors.token_of(user=request.user, pk=token_id)
    if request.method == "POST":
        if token.is_revoked:
            messages.info(request, f"Le jeton « {token.name} » était déjà révoqué.")
        else:
            services.api_token_revoke(token=token, user=request.user)
            messages.success(
                request,
                f"Le jeton « {token.name} » est révoqué : il ne donne plus accès à l'API.",
            )
        return redirect("api:tokens")
    return render(
        request,
        "api/token_revoke.html",
        {"token": token, "created": formatting.date(token.created_at)},
    )
