"""Template helpers for the evaluation pages: progress bars and status badges.

Numbers are written by ``{% load ctg_format %}`` (``|percent``, ``|number``…)."""

from django import template
from django.utils.html import format_html

from ctg import formatting, palette
from evaluation import charts
from evaluation.progress import STATUS_LABELS

register = template.Library()


@register.simple_tag
def progress_svg(indicator, width: int = 160):
    """The progress bar of an annotated indicator (real value in the accessible name)."""
    return charts.progress_bar(
        getattr(indicator, "progress_bar_pct", None),
        expected=getattr(indicator, "expected_pct", None)
        if getattr(indicator, "progress_pct", None) is not None
        else None,
        title=f"Progression : {formatting.percent(getattr(indicator, 'progress_pct', None))}",
        width=width,
    )


@register.simple_tag
def percent_bar(value, title: str = "", width: int = 140):
    return charts.progress_bar(value, title=title or formatting.percent(value), width=width)


@register.filter
def status_badge(status: str):
    return format_html(
        '<span class="badge {}">{}</span>',
        palette.badge_class(status),
        STATUS_LABELS.get(status, status),
    )
