"""The error pages: French, and a 503 rather than a 500 when the database is down.

400/500/503 are rendered without the request's context processors (no menu, no
query): what failed may be the database itself.
"""

import logging
import sys

from django.core.exceptions import PermissionDenied
from django.db import InterfaceError, OperationalError
from django.http import HttpResponse, HttpResponseServerError
from django.shortcuts import render
from django.template import loader

logger = logging.getLogger(__name__)

# Seconds after which a browser or a monitoring probe may try again.
RETRY_AFTER_SECONDS = 30


def database_unavailable(exc: BaseException | None) -> bool:
    """The database cannot be reached: connection refused or lost, server starting up or
    shutting down. Other operational errors (deadlock, timeout, disk full) stay 500s."""
    if isinstance(exc, InterfaceError):
        return True
    if not isinstance(exc, OperationalError):
        return False
    # PostgreSQL's SQLSTATE: none when the connection itself failed, class 08
    # (connection exception) or 57P (operator intervention: shutdown, restart).
    code = getattr(exc.__cause__, "pgcode", None)
    return code is None or code.startswith(("08", "57P"))


def server_error(request):
    """handler500: « Service momentanément indisponible » (503, Retry-After) when the
    database does not answer; the French 500 page otherwise. Django logs both."""
    if database_unavailable(sys.exc_info()[1]):
        body = _page("503.html", {"retry_after": RETRY_AFTER_SECONDS}, FALLBACK_503)
        response = HttpResponse(body, status=503)
        response["Retry-After"] = str(RETRY_AFTER_SECONDS)
        return response
    return HttpResponseServerError(_page("500.html", {}, FALLBACK_500))


FALLBACK_500 = "<!doctype html><title>Erreur</title><h1>Une erreur est survenue</h1>"
FALLBACK_503 = (
    "<!doctype html><title>Service indisponible</title>"
    "<h1>Service momentanément indisponible</h1><p>Réessayez dans un instant.</p>"
)


def _page(template_name: str, context: dict, fallback: str) -> str:
    # An error page must not fail in turn (a missing static manifest, say).
    try:
        return loader.get_template(template_name).render(context)
    except Exception:  # noqa: BLE001
        logger.exception("Error page %s could not be rendered", template_name)
        return fallback


class RefusalWithoutTraceback(logging.Filter):
    """On ``django.request``: a 403 (PermissionDenied) is one warning line, the path and the
    refusal's reason, without the stack trace Django attaches to it. A refusal is the
    application working as meant; thousands of tracebacks drowned the real errors, which keep
    theirs."""

    def filter(self, record: logging.LogRecord) -> bool:
        exc = record.exc_info[1] if record.exc_info else None
        if isinstance(exc, PermissionDenied):
            reason = " ".join(str(exc).split())
            if reason:
                record.msg = f"{record.msg} — %s"
                record.args = (*(record.args or ()), reason)
            record.exc_info = None
            record.exc_text = None
        return True


def csrf_failure(request, reason=""):
    """CSRF_FAILURE_VIEW: a stale or cookie-less form, explained in French."""
    return render(request, "403_csrf.html", status=403)
