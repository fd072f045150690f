from django import template

from diagnostics.formatting import format_number

register = template.Library()


@register.filter
def fr_number(value):
    """1234.50 → "1 234,5" (French separators, no useless zeros)."""
    return format_number(value)
