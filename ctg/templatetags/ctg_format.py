"""``{% load ctg_format %}``: the French figures of ``ctg.formatting`` in templates.

    {{ value|number }}        1 234,5       (at most 2 decimals; ``|number:1``)
    {{ value|percent }}       67 %          (a value in %; ``|percent:1``)
    {{ value|share }}         61 %          (a fraction 0–1 written in %)
    {{ value|euros }}         1 234,50 €    (``|euros:0``: 1 235 €)
    {{ value|year }}          2019          (never "2 019")
    {{ value|date_long }}     1er janvier 2025
    {{ value|date_time }}     1er janvier 2025 à 14:30
    {{ value|month_year }}    03/2022

A missing value is written "—"; ``|number:"2,"`` gives an empty text instead
(the decimals, a comma, the text for a missing value).
"""

from django import template

from ctg import formatting

register = template.Library()


def _args(arg, decimals: int) -> tuple[int, str]:
    """``2`` or ``"2,"`` / ``"2,—"``: the decimals and the text of a missing value."""
    if arg is None or arg == "":
        return decimals, formatting.DASH
    text = str(arg)
    if "," in text:
        places, _, default = text.partition(",")
        return int(places or decimals), default
    return int(text), formatting.DASH


@register.filter
def number(value, arg=None):
    decimals, default = _args(arg, 2)
    return formatting.number(value, decimals, default=default)


@register.filter
def percent(value, arg=None):
    decimals, default = _args(arg, 0)
    return formatting.percent(value, decimals, default=default)


@register.filter
def share(value, arg=None):
    decimals, default = _args(arg, 0)
    return formatting.share(value, decimals, default=default)


@register.filter
def euros(value, arg=None):
    decimals, default = _args(arg, 2)
    return formatting.amount(value, decimals, default=default)


@register.filter
def year(value):
    return formatting.year(value, default="")


@register.filter
def file_size(value):
    return formatting.file_size(int(value or 0))


@register.filter
def pluriel(value, arg="s"):
    """``{{ n }} excusé{{ n|pluriel }}``: the French plural (0 and 1 singular)."""
    return formatting.plural(value, arg)


@register.filter
def date_long(value):
    return formatting.date(value, default="")


@register.filter
def date_short(value):
    return formatting.date_short(value)


@register.filter
def date_time(value):
    return formatting.date_time(value, default="")


@register.filter
def month_year(value):
    return formatting.month(value, default="")
