"""Template filters of the evaluation dashboard: rates as percentages, hours, and "—" for no value."""

from django import template
from django.utils.formats import number_format

register = template.Library()

NONE = "—"


@register.filter
def rate(value) -> str:
    """0.8333 → "83.3%"; None (nothing to divide by) → "—"."""
    if value is None:
        return NONE
    return f"{number_format(value * 100, 1)}%"


@register.filter
def hours(value) -> str:
    if value is None:
        return NONE
    return number_format(value, 1)


@register.filter
def figure(value) -> str:
    """A count, or "—" where it does not apply."""
    return NONE if value is None else str(value)
