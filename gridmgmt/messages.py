"""Showing domain error messages in the active language.

Services raise English messages (they also reach the API and the logs); pages translate them by their
wording: exact messages through the catalogue, parameterised ones through a table of (pattern, translated
template, converters), whose named groups are converted (a callable, or a dict of known values) before the
template is filled. Each app keeps its own table; this is the one place that applies them.
"""

import re
from collections.abc import Collection, Iterable

from django.utils.translation import gettext

MessagePattern = tuple[re.Pattern, object, dict]


def message_translate(
    message: str, *, exact: Collection[str] = (), patterns: Iterable[MessagePattern] = ()
) -> str:
    """`message` in the active language, or as it is when its wording is unknown."""
    if message in exact:
        return gettext(message)
    for pattern, template, converters in patterns:
        match = pattern.match(message)
        if match is None:
            continue
        values = {}
        for key, value in match.groupdict().items():
            convert = converters.get(key)
            if callable(convert):
                value = convert(value)
            elif isinstance(convert, dict):
                value = str(convert.get(value, value))
            values[key] = value
        return str(template) % values if values else str(template)
    return message
