"""Filters of the convention document: French dates ("1er janvier 2022") and amounts."""

from decimal import Decimal

from django import template
from django.utils.formats import date_format, number_format

register = template.Library()


@register.filter
def date_long(value) -> str:
    """15 décembre 2021, 1er janvier 2022 (the ordinal of the first day, as in French)."""
    if not value:
        return ""
    text = date_format(value, "j F Y")
    if value.day == 1:
        text = "1er" + text[1:]
    return text


@register.filter
def euros(value) -> str:
    """12 500,00 € (French grouping and decimal comma)."""
    if value in (None, ""):
        return ""
    return f"{number_format(Decimal(value), 2, use_l10n=True, force_grouping=True)} €"


@register.filter
def amount(value) -> str:
    """A measured or target value: 12,5 or 1 200 (no useless decimals)."""
    if value in (None, ""):
        return ""
    value = Decimal(value)
    places = 0 if value == value.to_integral_value() else 2
    return number_format(value, places, use_l10n=True, force_grouping=True)
