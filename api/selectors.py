"""Reads of personal API tokens (the profile page)."""

from __future__ import annotations

from django.db.models import QuerySet
from django.http import Http404

from conventions.models import User

from .models import ApiToken


def tokens_of(*, user: User) -> QuerySet[ApiToken]:
    return ApiToken.objects.filter(user=user).order_by("-created_at", "-id")


def token_of(*, user: User, pk: int) -> ApiToken:
    """One of the user's own tokens; 404 for anybody else's (their existence is not told)."""
    token = tokens_of(user=user).filter(pk=pk).first()
    if token is None:
        raise Http404("Jeton introuvable.")
    return token
