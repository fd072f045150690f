"""The OpenAPI description's additions: the token authentication, and the error answers
(400, 401, 404, 429) every operation may give, with their one shape (``api.errors``)."""

from __future__ import annotations

from drf_spectacular.extensions import OpenApiAuthenticationExtension

ERROR_SCHEMA = {
    "type": "object",
    "properties": {
        "detail": {"type": "string", "description": "Le message d'erreur, en français."},
        "errors": {
            "type": "object",
            "description": "Pour un paramètre refusé : ses messages, par paramètre.",
            "additionalProperties": {"type": "array", "items": {"type": "string"}},
        },
    },
    "required": ["detail"],
}

ERRORS = {
    "400": "Paramètre invalide (le message dit lequel et pourquoi).",
    "401": "Non authentifié : jeton absent, invalide, expiré ou révoqué.",
    "404": "Introuvable, ou hors du périmètre de l'utilisateur.",
    "429": "Trop de requêtes pour ce jeton : réessayez après le délai indiqué (Retry-After).",
}


class ApiTokenScheme(OpenApiAuthenticationExtension):
    target_class = "api.authentication.ApiTokenAuthentication"
    name = "jeton"

    def get_security_definition(self, auto_schema):
        return {
            "type": "http",
            "scheme": "bearer",
            "description": "Jeton personnel créé sur la page « Jetons d'API » du profil : "
            "« Authorization: Bearer ctg_… ».",
        }


def add_error_responses(result, generator, request, public):
    """Every operation documents the errors it may answer, in the one error shape."""
    schemas = result.setdefault("components", {}).setdefault("schemas", {})
    schemas["Error"] = ERROR_SCHEMA
    ref = {"$ref": "#/components/schemas/Error"}
    for path_item in result.get("paths", {}).values():
        for operation in path_item.values():
            responses = operation.setdefault("responses", {})
            for status, description in ERRORS.items():
                entry = responses.setdefault(
                    status,
                    {"description": description, "content": {"application/json": {"schema": ref}}},
                )
                if status == "429":
                    entry.setdefault("headers", {})["Retry-After"] = {
                        "schema": {"type": "integer"},
                        "description": "Secondes à attendre.",
                    }
                if status == "401":
                    entry.setdefault("headers", {})["WWW-Authenticate"] = {
                        "schema": {"type": "string"},
                        "description": 'Bearer realm="api"',
                    }
    return result
