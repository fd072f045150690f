"""The one French formatter of figures: every page, chart, PDF and workbook text uses it.

French typography (Imprimerie nationale), the same everywhere:

- decimal comma, digits grouped by three with a narrow no-break space (U+202F):
  ``1 234 567,5``;
- the minus sign U+2212, not the hyphen: ``−3,5``; no sign on a value that
  rounds to zero (``−0,04`` with one decimal is ``0``);
- one rounding rule, half up on the decimal value (``2.45`` → ``2,5``, as taught at
  school, where Python's ``round`` and Django's ``floatformat`` work on the binary
  float or round half to even);
- a no-break space (U+00A0) between a number and its unit: ``12 %``, ``1 234,50 €``;
- amounts in euros with cents (``1 234,50 €``), or whole euros where a chart or a
  summary rounds them (``decimals=0``: ``49 500 €``);
- dates in full, the first of the month as an ordinal: ``1er janvier 2025``,
  ``15 décembre 2021``;
- years as they are written, never grouped: ``2019`` (Django's localisation would
  print ``2 019`` with ``USE_THOUSAND_SEPARATOR``).

A missing value (``None``) is written ``—`` unless the caller asks otherwise.
The template filters of ``{% load ctg_format %}`` delegate here.
"""

from __future__ import annotations

import datetime
import math
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

from django.utils import timezone

MINUS = "\u2212"
GROUP = "\u202f"  # narrow no-break space, between groups of three digits
NBSP = "\u00a0"  # no-break space, between a number and its unit
DASH = "—"  # a missing value

MONTHS = [
    "janvier",
    "février",
    "mars",
    "avril",
    "mai",
    "juin",
    "juillet",
    "août",
    "septembre",
    "octobre",
    "novembre",
    "décembre",
]


def to_decimal(value) -> Decimal | None:
    """The exact decimal of a number (a float through its shortest text: 2.45 is
    2.45, not 2.4500000000000001776…); None when it is not a finite number."""
    if value is None or isinstance(value, bool):
        return None
    try:
        number = value if isinstance(value, Decimal) else Decimal(str(value).strip())
    except (InvalidOperation, ValueError):
        return None
    return number if number.is_finite() else None


def rounded(value, decimals: int = 0) -> Decimal | None:
    """The value rounded half up to ``decimals`` places (the one rounding rule)."""
    number = to_decimal(value)
    if number is None:
        return None
    result = number.quantize(Decimal(1).scaleb(-decimals), rounding=ROUND_HALF_UP)
    return result if result else abs(result)  # no negative zero


def _group(digits: str) -> str:
    head = len(digits) % 3 or 3
    parts = [digits[:head]] + [digits[i : i + 3] for i in range(head, len(digits), 3)]
    return GROUP.join(parts)


def number(
    value,
    decimals: int = 2,
    *,
    trim: bool = True,
    sign: bool = False,
    default: str = DASH,
) -> str:
    """``1234.5`` → ``1 234,5``; at most ``decimals`` places, trailing zeros dropped
    unless ``trim`` is false (``decimals=2, trim=False``: ``1 234,50``); ``sign``
    writes ``+`` before a positive value."""
    result = rounded(value, decimals)
    if result is None:
        # Nothing, or not a finite number (NaN): the missing value; a text: as it is.
        if value is None or value == "" or isinstance(value, float | Decimal):
            return default
        return str(value)
    text = f"{abs(result):f}"
    whole, _, fraction = text.partition(".")
    if trim:
        fraction = fraction.rstrip("0")
    text = _group(whole) + ("," + fraction if fraction else "")
    if result < 0:
        return MINUS + text
    if sign and result > 0:
        return "+" + text
    return text


def percent(value, decimals: int = 0, *, sign: bool = False, default: str = DASH) -> str:
    """A value already in % (``66.666`` → ``67 %``, ``116.7`` → ``117 %``)."""
    if to_decimal(value) is None:
        return default
    return f"{number(value, decimals, sign=sign)}{NBSP}%"


def share(value, decimals: int = 0, *, default: str = DASH) -> str:
    """A fraction written in % (``0.61`` → ``61 %``)."""
    number_ = to_decimal(value)
    return default if number_ is None else percent(number_ * 100, decimals)


def amount(value, decimals: int = 2, *, default: str = DASH) -> str:
    """An amount in euros: ``1 234,50 €`` (cents kept), or ``1 235 €`` with
    ``decimals=0`` (charts and summaries)."""
    if to_decimal(value) is None:
        return default
    return f"{number(value, decimals, trim=False)}{NBSP}€"


def points(value, decimals: int = 1, *, default: str = DASH) -> str:
    """A signed difference of rates: ``+1,5 point``, ``−3 points``."""
    result = rounded(value, decimals)
    if result is None:
        return default
    unit = "point" if abs(result) < 2 else "points"
    text = number(result, decimals, sign=True)
    return f"{text}{NBSP}{unit}"


def file_size(size: int) -> str:
    """A file's size: « 850 Ko », « 5 Mo », « 2,5 Mo » (binary units, as file managers show)."""
    if size < 1024 * 1024:
        return f"{number(math.ceil(size / 1024), 0)} Ko"
    return f"{number(size / (1024 * 1024), 1)} Mo"


def year(value, *, default: str = DASH) -> str:
    """``2019`` → ``2019`` (never grouped); a date gives its year."""
    if value is None or value == "":
        return default
    if isinstance(value, datetime.date):
        return str(value.year)
    try:
        return str(int(value))
    except (TypeError, ValueError):
        return str(value)


def _as_date(value) -> datetime.date | None:
    if isinstance(value, datetime.datetime):
        if timezone.is_aware(value):
            value = timezone.localtime(value)
        return value.date()
    if isinstance(value, datetime.date):
        return value
    if isinstance(value, str) and value:
        try:
            return datetime.date.fromisoformat(value[:10])
        except ValueError:
            return None
    return None


def date(value, *, default: str = DASH) -> str:
    """``1er janvier 2025``, ``15 décembre 2021`` (a datetime in local time; an ISO
    string is read as a date)."""
    day = _as_date(value)
    if day is None:
        return default if not value else str(value)
    ordinal = "1er" if day.day == 1 else str(day.day)
    return f"{ordinal} {MONTHS[day.month - 1]} {day.year}"


def date_short(value, *, default: str = DASH) -> str:
    """``31/12/2024``: a date where a title must stay short (a spreadsheet's column title,
    read back by the measurement workbook's import)."""
    day = _as_date(value)
    return default if day is None else f"{day.day:02d}/{day.month:02d}/{day.year:04d}"


def date_time(value, *, default: str = DASH) -> str:
    """``1er janvier 2025 à 14:30`` (local time)."""
    if not isinstance(value, datetime.datetime):
        return date(value, default=default)
    if timezone.is_aware(value):
        value = timezone.localtime(value)
    return f"{date(value.date())} à {value:%H:%M}"


def month(value, *, default: str = DASH) -> str:
    """``03/2022``: the month of a date (a baseline or a target)."""
    day = _as_date(value)
    return default if day is None else f"{day.month:02d}/{day.year}"


def plural(count, suffix: str = "s") -> str:
    """The French plural mark: ``""`` for 0 and 1 (« 0 excusé », « 1,5 jour »), ``suffix``
    from 2 on; ``"al,aux"`` gives the singular and plural endings. Django's ``pluralize``
    follows English (« 0 excusés »): templates use ``|pluriel``."""
    singular, _, plural_ = suffix.rpartition(",") if "," in suffix else ("", "", suffix)
    try:
        many = abs(Decimal(str(count))) >= 2
    except (ArithmeticError, ValueError, TypeError):
        many = False
    return plural_ if many else singular


YES, NO = "oui", "non"


def yes_no(value: bool) -> str:
    """A yes/no value as written in the history, the diff and the workbooks."""
    return YES if value else NO


def field_value(field, value) -> str:
    """A model field's (non-empty, non-relation) value as a person reads it, for the
    history and the "changes since the approved version" diff: choices by their label,
    yes/no, dates, years never grouped, decimals with their places, numbers, text."""
    if field.choices:
        return str(dict(field.flatchoices).get(value, value))
    if isinstance(value, bool):
        return yes_no(value)
    if isinstance(value, datetime.datetime):
        return date_time(value)
    if isinstance(value, datetime.date):
        return date(value)
    if field.name == "year" or field.name.endswith("_year"):
        return year(value)
    if isinstance(value, Decimal):
        return number(value, field.decimal_places or 2, trim=False)
    if isinstance(value, int | float):
        return number(value)
    return str(value)
