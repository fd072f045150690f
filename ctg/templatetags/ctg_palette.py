"""``{% load ctg_palette %}``: the colours of ``ctg.palette`` in templates.

<span class="badge {{ sheet.status|badge_class }}">…</span>
<span class="badge {{ convention.phase|phase_badge_class }}">…</span>
<style>{% status_css %}</style>      (PDF stylesheets: .status-<value> rules)
"""

from django import template
from django.utils.safestring import mark_safe

from ctg import palette

register = template.Library()


@register.filter
def badge_class(status):
    return palette.badge_class(status)


@register.filter
def phase_badge_class(phase):
    """``{{ convention.phase|phase_badge_class }}``: the phase's tone, as in the charts."""
    return palette.phase_badge_class(phase)


@register.filter
def status_color(status):
    return palette.color(status)


@register.simple_tag
def status_css(prefix: str = "status-"):
    # Built from the palette's own constants (status values and hex codes): no user text.
    return mark_safe(palette.css_rules(prefix))
