"""The one French formatter (ctg.formatting) and its template filters (ctg_format)."""

import datetime
from decimal import Decimal

import pytest
from django.template import Context, Template
from django.utils import timezone

from ctg import formatting

NNBSP, NBSP, MINUS = "\u202f", "\u00a0", "\u2212"


@pytest.mark.parametrize(
    "value, decimals, text",
    [
        (2.45, 1, "2,5"),  # half up on the decimal value (the charts printed "2,4")
        (Decimal("2.45"), 1, "2,5"),
        (0.125, 2, "0,13"),
        (2.5, 0, "3"),
        (3.5, 0, "4"),
        (-3.5, 1, f"{MINUS}3,5"),  # the PDF printed "-3,50"
        (Decimal("-3.10"), 2, f"{MINUS}3,1"),
        (-0.04, 1, "0"),  # no negative zero
        (1234.5, 2, f"1{NNBSP}234,5"),
        (Decimal("1234567"), 2, f"1{NNBSP}234{NNBSP}567"),
        (Decimal("12.25"), 2, "12,25"),
        (0, 2, "0"),
        (12, 1, "12"),
        ("4.50", 2, "4,5"),
    ],
)
def test_numbers_are_written_the_french_way(value, decimals, text):
    assert formatting.number(value, decimals) == text


def test_a_missing_or_foreign_value():
    assert formatting.number(None) == "—"
    assert formatting.number(None, default="") == ""
    assert formatting.number("n/a") == "n/a"
    assert formatting.number(float("nan")) == "—"
    assert formatting.percent(None) == "—"


def test_zeros_kept_and_signs():
    assert formatting.number(Decimal("1234.5"), 2, trim=False) == f"1{NNBSP}234,50"
    assert formatting.number(12, sign=True) == "+12"
    assert formatting.number(-12, sign=True) == f"{MINUS}12"
    assert formatting.number(0, sign=True) == "0"


def test_percentages_shares_amounts_and_points():
    assert formatting.percent(66.666) == f"67{NBSP}%"
    assert formatting.percent(116.7) == f"117{NBSP}%"
    assert formatting.percent(16.5) == f"17{NBSP}%"
    assert formatting.percent(12.25, 1) == f"12,3{NBSP}%"
    assert formatting.percent(-2.5, 1, sign=True) == f"{MINUS}2,5{NBSP}%"
    assert formatting.share(0.611) == f"61{NBSP}%"
    assert formatting.share(0.285) == f"29{NBSP}%"  # not 28: 0.285 is 28.5 %
    assert formatting.amount(1234.5) == f"1{NNBSP}234,50{NBSP}€"
    assert formatting.amount(Decimal("49500"), 0) == f"49{NNBSP}500{NBSP}€"
    assert formatting.amount(0) == f"0,00{NBSP}€"
    assert formatting.points(Decimal(-3)) == f"{MINUS}3{NBSP}points"
    assert formatting.points(Decimal("1.5")) == f"+1,5{NBSP}point"


def test_years_are_never_grouped():
    assert formatting.year(2019) == "2019"
    assert formatting.year("2019") == "2019"
    assert formatting.year(datetime.date(2025, 3, 1)) == "2025"


def test_dates_in_full_with_the_first_as_an_ordinal():
    assert formatting.date(datetime.date(2025, 1, 1)) == "1er janvier 2025"
    assert formatting.date(datetime.date(2021, 12, 15)) == "15 décembre 2021"
    assert formatting.date("2023-08-02") == "2 août 2023"
    assert formatting.date(None) == "—"
    noon = timezone.make_aware(datetime.datetime(2025, 3, 1, 14, 30))
    assert formatting.date_time(noon) == "1er mars 2025 à 14:30"
    assert formatting.month(datetime.date(2022, 3, 15)) == "03/2022"


def render(source: str, **context) -> str:
    return Template("{% load ctg_format %}" + source).render(Context(context))


def test_the_template_filters_delegate_to_the_formatter():
    assert render("{{ v|number }}", v=2.45) == "2,45"
    assert render("{{ v|number:1 }}", v=2.45) == "2,5"
    assert render("{{ v|percent }}", v=116.7) == f"117{NBSP}%"
    assert render("{{ v|share }}", v=0.61) == f"61{NBSP}%"
    assert render("{{ v|euros }}", v=1234.5) == f"1{NNBSP}234,50{NBSP}€"
    assert render("{{ v|euros:0 }}", v=1234.5) == f"1{NNBSP}235{NBSP}€"
    assert render("{{ d|date_long }}", d=datetime.date(2025, 1, 1)) == "1er janvier 2025"
    assert render("{{ v|number:'2,' }}", v=None) == ""


def test_a_year_in_a_template_is_not_a_grouped_number(settings):
    settings.USE_THOUSAND_SEPARATOR = True
    assert render("{{ y }}", y=2019) != "2019"  # Django's localisation: "2 019"
    assert render("{{ y|year }}", y=2019) == "2019"


@pytest.mark.parametrize(
    "count, suffix, expected",
    [(0, "s", ""), (1, "s", ""), (Decimal("1.5"), "s", ""), (2, "s", "s"), (-3, "s", "s"),
     (1, "al,aux", "al"), (2, "al,aux", "aux"), (0, "reçoit,reçoivent", "reçoit"),
     (None, "s", "")],
)  # fmt: skip
def test_french_plurals_keep_zero_and_one_singular(count, suffix, expected):
    assert formatting.plural(count, suffix) == expected


def test_the_pluriel_filter_says_0_excuse_not_0_excuses():
    html = Template("{% load ctg_format %}{{ n }} excusé{{ n|pluriel }}").render(Context({"n": 0}))
    assert html == "0 excusé"


@pytest.mark.parametrize(
    "size, text",
    [(0, "0 Ko"), (1, "1 Ko"), (850 * 1024, "850 Ko"), (5 * 1024 * 1024, "5 Mo"),
     (int(2.5 * 1024 * 1024), "2,5 Mo"), (10 * 1024 * 1024 + 1, "10 Mo")],
)  # fmt: skip
def test_file_sizes_read_in_ko_below_one_mo_and_in_mo_above(size, text):
    assert formatting.file_size(size) == text
