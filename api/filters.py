"""The query parameters of the lists, checked before any query: a malformed value is a
400 with a French message (never a 500), an unknown id or code is simply an empty list.

- ``convention``, ``caf``, ``collectivity`` (signatory or covered territory), ``phase``: the
  conventions the objects belong to;
- ``thematic`` (a thematic's code): the object's own thematic (the conventions covering
  it; the fiche's main or other thematics; the indicator's fiche or objective);
- ``updated_since`` (ISO 8601 date or date-time): objects changed since then;
- ``page``, ``page_size``: the pagination.
"""

from __future__ import annotations

import datetime
import re

from django.conf import settings
from django.utils import timezone
from django.utils.dateparse import parse_date, parse_datetime
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter
from rest_framework import serializers

from conventions.models import Convention
from ctg.forms import ID_MAX

MAX_ID = ID_MAX  # a database id (bigint): beyond, nothing can match
MAX_PAGE = 10**6
YEARS = (1900, 2100)
SLUG_RE = re.compile(r"^[-a-zA-Z0-9_]+$")
SLUG_PATTERN = r"^[-a-zA-Z0-9_]+$"


class Id(serializers.IntegerField):
    def __init__(self, **kwargs):
        super().__init__(min_value=1, max_value=MAX_ID, required=False, **kwargs)


class UpdatedSince(serializers.Field):
    """An ISO 8601 date-time (with or without offset: local time without) or a date (from
    midnight, local time), between 1900 and 2100."""

    default_error_messages = {
        "invalid": "Date invalide : attendu une date ISO 8601 (2025-01-31 ou "
        "2025-01-31T08:00:00+01:00).",
        "bounds": "La date doit être comprise entre 1900 et 2100.",
    }

    def to_internal_value(self, data):
        text = str(data).strip()
        try:
            moment = parse_datetime(text)
            if moment is None:
                day = parse_date(text)
                if day is None:
                    raise ValueError(text)
                moment = datetime.datetime.combine(day, datetime.time.min)
        except (ValueError, OverflowError):
            self.fail("invalid")
        if not YEARS[0] <= moment.year <= YEARS[1]:
            self.fail("bounds")
        if timezone.is_naive(moment):
            moment = timezone.make_aware(moment)
        try:
            return moment.astimezone(datetime.UTC)
        except (ValueError, OverflowError):
            self.fail("bounds")

    def to_representation(self, value):
        return value.isoformat()


class ThematicCode(serializers.CharField):
    default_error_messages = {
        "slug": "Code de thématique invalide : lettres, chiffres, tirets (ex. petite-enfance)."
    }

    def __init__(self, **kwargs):
        super().__init__(required=False, max_length=50, **kwargs)

    def to_internal_value(self, data):
        value = super().to_internal_value(data)
        if not SLUG_RE.match(value):
            self.fail("slug")
        return value


class ListParams(serializers.Serializer):
    """The parameters every list takes."""

    convention = Id()
    caf = Id()
    collectivity = Id()
    phase = serializers.ChoiceField(choices=Convention.Phase.choices, required=False)
    thematic = ThematicCode()
    updated_since = UpdatedSince(required=False)
    page = serializers.IntegerField(min_value=1, max_value=MAX_PAGE, required=False)
    page_size = serializers.IntegerField(
        min_value=1, max_value=settings.API_MAX_PAGE_SIZE, required=False
    )


def validated(params_class: type[serializers.Serializer], query_params) -> dict:
    """The checked parameters; raises DRF's ValidationError (a 400) otherwise."""
    checked = params_class(data={k: query_params.get(k) for k in query_params})
    checked.is_valid(raise_exception=True)
    return checked.validated_data


# --------------------------------------------------------------------------- the schema


def _int(name: str, description: str) -> OpenApiParameter:
    return OpenApiParameter(
        name,
        {"type": "integer", "minimum": 1, "maximum": MAX_ID},
        OpenApiParameter.QUERY,
        description=description,
    )


COMMON_PARAMETERS = [
    _int("convention", "Identifiant d'une convention."),
    _int("caf", "Identifiant d'une Caf : ses conventions."),
    _int(
        "collectivity",
        "Identifiant d'une collectivité : les conventions qu'elle signe ou qui la couvrent.",
    ),
    OpenApiParameter(
        "phase",
        OpenApiTypes.STR,
        OpenApiParameter.QUERY,
        enum=Convention.Phase.values,
        description="Phase de la convention.",
    ),
    OpenApiParameter(
        "thematic",
        {"type": "string", "pattern": SLUG_PATTERN, "maxLength": 50},
        OpenApiParameter.QUERY,
        description="Code d'une thématique (ex. petite-enfance).",
    ),
    OpenApiParameter(
        "updated_since",
        {"type": "string", "format": "date-time"},
        OpenApiParameter.QUERY,
        description="Modifiés depuis cette date (ISO 8601, date ou date et heure, "
        "entre 1900 et 2100).",
    ),
]
