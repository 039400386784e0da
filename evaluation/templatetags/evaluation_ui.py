"""Template filters of the evaluation dashboard: rates as percentages, hours, and "—" for no value.

Rates go through the product's one rule for percentages (gridmgmt.figures): 2/3 → "66.7%".
"""

from django import template

from gridmgmt import figures

register = template.Library()

NONE = figures.NO_VALUE


@register.filter
def rate(value) -> str:
    """0.8333 → "83.3%", 2/3 → "66.7%"; None (nothing to divide by) → "—"."""
    return figures.percent_text(value)


@register.filter
def hours(value) -> str:
    """Working hours with one decimal, rounded half-up like every figure: 2.25 → "2.3"."""
    return figures.decimal_text(value, 1)


@register.filter
def figure(value) -> str:
    """A count, or "—" where it does not apply."""
    return NONE if value is None else str(value)
