"""French display of figures: "1 234,5", "+12 %", "−3 points"."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

from django.utils.formats import number_format

MINUS = "\u2212"
NBSP = "\u00a0"


def format_number(value: Decimal | int | float | None, max_decimals: int = 2) -> str:
    """A number with French separators and no useless zeros: 1234.50 → "1 234,5"."""
    if value is None:
        return ""
    value = Decimal(str(value)).quantize(Decimal(1).scaleb(-max_decimals), ROUND_HALF_UP)
    normalized = value.normalize()
    decimals = max(0, -normalized.as_tuple().exponent)
    text = number_format(value, decimal_pos=decimals, use_l10n=True, force_grouping=True)
    return text.replace("-", MINUS)


def _signed(value: Decimal, max_decimals: int = 1) -> str:
    text = format_number(abs(value), max_decimals=max_decimals)
    if text in ("0", ""):
        return "0"
    return ("+" if value > 0 else MINUS) + text


def is_rate(*, unit: str, code: str = "") -> bool:
    """Rates and shares change by points, counts by percent."""
    unit = (unit or "").lower()
    return unit.strip() == "%" or "pour 100" in unit or code.startswith(("taux", "part-"))


@dataclass(frozen=True)
class Evolution:
    label: str
    direction: int  # 1 up, -1 down, 0 stable

    def __str__(self) -> str:
        return self.label


def evolution(*, first: Decimal, last: Decimal, rate: bool) -> Evolution | None:
    """The change from the first to the last value: points for a rate, percent otherwise.

    None when it cannot be said (a relative change from zero).
    """
    difference = Decimal(last) - Decimal(first)
    direction = (difference > 0) - (difference < 0)
    if rate:
        text = _signed(difference)
        unit = "point" if abs(difference) < 2 else "points"
        return Evolution(label=f"{text}{NBSP}{unit}", direction=direction)
    if first == 0:
        return None
    percent = difference / abs(Decimal(first)) * 100
    return Evolution(label=f"{_signed(percent)}{NBSP}%", direction=direction)
