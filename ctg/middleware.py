"""Request middleware of the project."""

from __future__ import annotations

import re

from django.http import QueryDict

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
