"""The lifecycle stepper, the renewal badge and the calendar of the convention header."""

from django import template

from conventions import calendar, lifecycle

register = template.Library()


@register.inclusion_tag("conventions/_stepper.html", takes_context=True)
def convention_stepper(context, convention):
    access = context.get("access")
    return {
        "convention": convention,
        "steps": lifecycle.convention_steps(convention),
        "renewal": lifecycle.renewal_status(convention),
        "time": calendar.time_status(convention),
        "can_edit": bool(access and access.can_edit_convention),
    }


@register.inclusion_tag("conventions/_renewal_badge.html")
def renewal_badge(convention):
    """For list rows annotated by ``lifecycle.with_renewal_flag`` (no query)."""
    return {"due": getattr(convention, "renewal_due", False), "convention": convention}


@register.inclusion_tag("conventions/_time_badge.html")
def time_badge(convention):
    """Where a convention of a list stands in time (from its dates: no query)."""
    return {"time": calendar.time_status(convention), "convention": convention}


@register.simple_tag
def time_status(convention):
    """``{% time_status convention as time %}``: see ``conventions.calendar.TimeStatus``."""
    return calendar.time_status(convention)
