"""One policy for text people send, on every channel (web forms, API, Open311, imports): printable text only.

NUL cannot be stored in PostgreSQL text, other control characters and lone UTF-16 surrogates are never
part of honest input (they break exports, logs and the pages that show them). Tabs and line breaks are
text. Each channel calls `text_problem` (or a field built on it) and refuses with the message it returns,
naming the field; nothing is stripped silently.
"""

import re

from django.core.exceptions import ValidationError
from django.utils.translation import gettext_noop

from .errors import InvalidInput

# C0 controls except tab, line feed and carriage return; DEL and the C1 controls; lone surrogates.
_UNPRINTABLE = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ud800-\udfff]")


def text_problem(value: str) -> str | None:
    """What is wrong with `value` as text, or None when it is fine."""
    found = _UNPRINTABLE.search(value)
    if found is None:
        return None
    char = found.group()
    if char == "\x00":
        return "contains a NUL character"
    if "\ud800" <= char <= "\udfff":
        return "contains an invalid character (a lone UTF-16 surrogate)"
    return f"contains a control character (U+{ord(char):04X})"


def validate_text(value) -> None:
    """A Django/DRF validator: refuses unprintable text with `text_problem`'s message."""
    if isinstance(value, str) and (problem := text_problem(value)):
        raise ValidationError(f"this text {problem}", code="unprintable")


def text_check(value: str, *, what, field: str) -> None:
    """Refuses unprintable text with InvalidInput: `what` (a lazy word, "description") and the problem
    `text_problem` names, in a sentence pages can show in their language."""
    found = _UNPRINTABLE.search(value)
    if found is None:
        return
    char = found.group()
    if char == "\x00":
        raise InvalidInput(gettext_noop("%(what)s contains a NUL character"), what=what, field=field)
    if "\ud800" <= char <= "\udfff":
        raise InvalidInput(
            gettext_noop("%(what)s contains an invalid character (a lone UTF-16 surrogate)"),
            what=what,
            field=field,
        )
    raise InvalidInput(
        gettext_noop("%(what)s contains a control character (U+%(code)s)"),
        what=what,
        code=f"{ord(char):04X}",
        field=field,
    )
