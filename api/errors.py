"""One shape for every error of the API: ``{"detail": "<French message>"}``, plus
``"errors": {"<parameter>": ["<message>", …]}`` for a refused parameter (400)."""

from __future__ import annotations

from rest_framework import exceptions
from rest_framework.views import exception_handler as drf_exception_handler

INVALID_PARAMETERS = "Paramètres invalides."


def exception_handler(exc, context):
    response = drf_exception_handler(exc, context)
    if response is None:
        return None
    if isinstance(exc, exceptions.ValidationError):
        errors = exc.detail if isinstance(exc.detail, dict) else {"non_field_errors": exc.detail}
        response.data = {
            "detail": INVALID_PARAMETERS,
            "errors": {
                str(k): [str(m) for m in (v if isinstance(v, list) else [v])]
                for k, v in errors.items()
            },
        }
    elif isinstance(response.data, dict) and "detail" in response.data:
        response.data = {"detail": str(response.data["detail"])}
    return response
