"""Template helpers for the evaluation pages: progress bars and status badges."""

from django import template
from django.utils.html import format_html

from evaluation import charts, selectors

register = template.Library()


@register.simple_tag
def progress_svg(indicator, width: int = 160):
    """The progress bar of an annotated indicator (real value in the accessible name)."""
    return charts.progress_bar(
        getattr(indicator, "progress_bar_pct", None),
        expected=getattr(indicator, "expected_pct", None)
        if getattr(indicator, "progress_pct", None) is not None
        else None,
        title=f"Progression : {charts.fmt_percent(getattr(indicator, 'progress_pct', None))}",
        width=width,
    )


@register.simple_tag
def percent_bar(value, title: str = "", width: int = 140):
    return charts.progress_bar(value, title=title or charts.fmt_percent(value), width=width)


@register.filter
def status_badge(status: str):
    return format_html(
        '<span class="badge {}">{}</span>',
        selectors.STATUS_BADGES.get(status, "text-bg-light"),
        selectors.STATUS_LABELS.get(status, status),
    )


@register.filter
def pct(value, decimals: int = 0):
    return charts.fmt_percent(value, decimals)


@register.filter
def num(value, decimals: int = 2):
    return charts.fmt_number(value, decimals)
