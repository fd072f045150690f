"""The lifecycle stepper and the renewal badge of the convention header."""

from django import template

from conventions import lifecycle

register = template.Library()


@register.inclusion_tag("conventions/_stepper.html", takes_context=True)
def convention_stepper(context, convention):
    access = context.get("access")
    return {
        "convention": convention,
        "steps": lifecycle.convention_steps(convention),
        "renewal": lifecycle.renewal_status(convention),
        "can_edit": bool(access and access.can_edit_convention),
    }


@register.inclusion_tag("conventions/_renewal_badge.html")
def renewal_badge(convention):
    """For list rows annotated by ``lifecycle.with_renewal_flag`` (no query)."""
    return {"due": getattr(convention, "renewal_due", False), "convention": convention}
