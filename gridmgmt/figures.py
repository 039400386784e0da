"""One rule for every percentage the product shows or exports.

A rate (a fraction such as 2/3) is shown as a percentage rounded half-up to one decimal, always with that
one decimal: 2/3 → 66.7 %, 1/8 → 12.5 %, 1/16 → 6.3 %, 1 → 100.0 %, 0 → 0.0 %. Every page (through the
`percent` template filter of gridmgmt_ui), every export (as the number 66.7) and every JSON figure meant for
display (as the text "66.7%") goes through `percent_value`, so a figure reads the same wherever it appears.
A rate without a denominator has no value: shown "—", exported empty.

Rounding is done in decimal, not binary: 0.145 is 14.5 %, never 14.499999 % truncated to 14.4 %.
"""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal

from django.utils.formats import number_format

NO_VALUE = "—"
_TENTH = Decimal("0.1")


def percent_value(fraction) -> Decimal | None:
    """A fraction as a percentage with one decimal, rounded half-up: 2/3 → Decimal("66.7"); None → None.

    A float is read through its shortest repr (0.145 → "0.145"), which is the decimal the division meant.
    """
    exact = _decimal(fraction)
    return None if exact is None else (exact * 100).quantize(_TENTH, rounding=ROUND_HALF_UP)


def _decimal(value) -> Decimal | None:
    """A number as the decimal it means; None for no value (None, "", or anything that is not a number, as
    a template passes for a missing variable)."""
    if value is None or value == "" or isinstance(value, bool):
        return None
    if isinstance(value, Decimal):
        return value if value.is_finite() else None
    try:
        number = float(value)
    except (TypeError, ValueError):
        return None
    return Decimal(repr(number)) if number == number and abs(number) != float("inf") else None


def percent_of(numerator: int | None, denominator: int | None) -> Decimal | None:
    """numerator / denominator as a percentage (`percent_value`), exact; None with nothing to divide by."""
    if not denominator or numerator is None:
        return None
    return (Decimal(numerator) * 100 / Decimal(denominator)).quantize(_TENTH, rounding=ROUND_HALF_UP)


def percent_text(fraction, *, use_l10n: bool | None = None) -> str:
    """The percentage as the page shows it: "66.7%" (the active language's decimal mark), "—" for none."""
    value = percent_value(fraction)
    if value is None:
        return NO_VALUE
    return f"{number_format(value, 1, use_l10n=use_l10n)}%"


def decimal_value(value, places: int = 1) -> Decimal | None:
    """Any other figure (hours, km²) rounded half-up to `places` decimals, by the same decimal rule."""
    exact = _decimal(value)
    return None if exact is None else exact.quantize(Decimal(1).scaleb(-places), rounding=ROUND_HALF_UP)


def decimal_text(value, places: int = 1, *, use_l10n: bool | None = None) -> str:
    """`decimal_value` as the page shows it; "—" for none."""
    rounded = decimal_value(value, places)
    if rounded is None:
        return NO_VALUE
    return number_format(rounded, places, use_l10n=use_l10n)
