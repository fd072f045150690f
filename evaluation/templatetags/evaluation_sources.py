"""``{% load evaluation_sources %}``: where a measurement comes from
(:mod:`evaluation.sources`, the one home of its words)."""

from django import template

from evaluation import sources

register = template.Library()


@register.filter
def measurement_source(measurement) -> sources.Source:
    """``{% with src=m|measurement_source %}``: badge, tone, detail, method, reason."""
    return sources.source_of(measurement)
