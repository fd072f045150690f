"""Request middleware of the project."""

from __future__ import annotations

import logging
import re

from django.conf import settings
from django.core.exceptions import (
    BadRequest,
    MiddlewareNotUsed,
    PermissionDenied,
    SuspiciousOperation,
)
from django.http import Http404, QueryDict
from django.views.defaults import bad_request, page_not_found

from .errors import server_error

logger = logging.getLogger("django.request")

#: Control characters that no form field nor search means: C0 controls but tab, line feed and
#: carriage return, DEL, and the C1 controls. PostgreSQL refuses NUL in a string outright
#: ("A string literal cannot contain NUL"), the others end up in the data unseen.
CONTROL_CHARACTERS = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")

FORM_CONTENT_TYPES = ("application/x-www-form-urlencoded", "multipart/form-data")


def without_control_characters(text: str) -> str:
    return CONTROL_CHARACTERS.sub("", text)


def _cleaned(params: QueryDict) -> QueryDict:
    """A copy of ``params`` without control characters in keys and values (immutable, like
    the original), or ``params`` itself when there is nothing to remove."""
    if not any(
        CONTROL_CHARACTERS.search(key) or any(CONTROL_CHARACTERS.search(v) for v in values)
        for key, values in params.lists()
    ):
        return params
    cleaned = QueryDict(mutable=True, encoding=params.encoding)
    for key, values in params.lists():
        cleaned.setlistdefault(without_control_characters(key), []).extend(
            without_control_characters(v) for v in values
        )
    cleaned._mutable = False
    return cleaned


class ControlCharactersMiddleware:
    """Remove control characters from every GET and POST parameter, for every view.

    A NUL in a search (``/conventions/?q=%00``) was a 500 on PostgreSQL; other control
    characters would be stored as they came. Uploaded files are left as they are: their
    parsers check their content.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        request.GET = _cleaned(request.GET)
        if request.method == "POST" and request.content_type in FORM_CONTENT_TYPES:
            request.POST = _cleaned(request.POST)
        return self.get_response(request)


class FrenchErrorPagesMiddleware:
    """With DEBUG on (``make run``), the French 404 and 500 pages that users get in
    production instead of Django's English technical pages. A developer who wants those
    sets ``DEBUG_TECHNICAL_ERRORS=1``. Does nothing with DEBUG off, where Django already
    serves the French pages (``templates/404.html``, ``ctg.errors.server_error``)."""

    def __init__(self, get_response):
        if not settings.DEBUG or settings.DEBUG_TECHNICAL_ERRORS:
            raise MiddlewareNotUsed
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        # Under DEBUG every Http404, a URL that matches nothing included, becomes the
        # technical page: the only 404 that says so.
        if response.status_code == 404 and b"DEBUG = True" in response.content:
            return page_not_found(request, Http404())
        return response

    def process_exception(self, request, exception):
        if isinstance(exception, Http404 | PermissionDenied):
            return None  # Django answers these (the 404 above, the French 403 page)
        if isinstance(exception, BadRequest | SuspiciousOperation):
            return bad_request(request, exception)
        # Logged with its traceback, as Django does, then the French page.
        logger.error(
            "Internal Server Error: %s",
            request.path,
            exc_info=exception,
            extra={"request": request},
        )
        return server_error(request)
