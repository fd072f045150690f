"""Authentication of API requests by personal token (``Authorization: Bearer <jeton>``,
or ``Token <jeton>``). The session of a logged-in browser is DRF's SessionAuthentication,
listed after this class in ``REST_FRAMEWORK``."""

from __future__ import annotations

from rest_framework import authentication, exceptions

from . import tokens

KEYWORDS = (b"bearer", b"token")
REALM = 'Bearer realm="api"'


class ApiTokenAuthentication(authentication.BaseAuthentication):
    def authenticate(self, request):
        parts = authentication.get_authorization_header(request).split()
        if not parts or parts[0].lower() not in KEYWORDS:
            return None  # another scheme, or none: the session may still authenticate
        if len(parts) != 2:
            raise exceptions.AuthenticationFailed(
                "En-tête d'authentification invalide : attendu « Authorization: Bearer <jeton> »."
            )
        try:
            raw = parts[1].decode("ascii")
        except UnicodeDecodeError:
            raise exceptions.AuthenticationFailed(tokens.INVALID) from None
        try:
            token = tokens.check(raw)
        except tokens.TokenRefused as refusal:
            raise exceptions.AuthenticationFailed(str(refusal)) from None
        return token.user, token

    def authenticate_header(self, request) -> str:
        # A WWW-Authenticate header: DRF answers 401 (not 403) to a missing or bad login.
        return REALM
