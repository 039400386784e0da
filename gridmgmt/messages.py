"""Sentences kept as a template and its parameters, rendered in the language active where they are shown.

A service says what it refuses (or what a notice tells) once: an English template marked with gettext_noop,
so that it lands in the catalogue, and its parameters. Parameters that are words (field names, verbs,
states, roles) are lazy translations, so they follow the template into the reader's language; numbers,
codes and what people typed are shown as they are. The API, Open311 and the logs take the English text
(`english()`); a page or an e-mail renders the same template in its reader's language (`str()`).
"""

import datetime as dt
from collections.abc import Iterable

from django.utils import formats, timezone, translation
from django.utils.functional import lazy
from django.utils.translation import gettext


class Message:
    """`template % params`, translated when it is turned into text."""

    __slots__ = ("params", "template")

    def __init__(self, template: str, /, **params):
        self.template = template
        self.params = params

    def __str__(self) -> str:
        text = gettext(self.template)
        if not self.params:
            return text  # a template without parameters may hold a literal "%"
        return text % {key: _shown(value) for key, value in self.params.items()}

    def english(self) -> str:
        with translation.override("en"):
            return str(self)

    def __repr__(self) -> str:
        return f"Message({self.template!r}, **{self.params!r})"

    def __eq__(self, other) -> bool:
        return isinstance(other, Message) and (self.template, self.params) == (other.template, other.params)

    __hash__ = None


def _shown(value):
    return value if isinstance(value, int | float) else str(value)


def _either(words: tuple) -> str:
    return gettext(" or ").join(str(word) for word in words)


def _local_datetime(moment: dt.datetime) -> str:
    return formats.date_format(timezone.localtime(moment), "DATETIME_FORMAT")


_either_lazy = lazy(_either, str)
_local_datetime_lazy = lazy(_local_datetime, str)


def either(words: Iterable) -> str:
    """ "a or b or c", each word and the "or" in the language active when it is shown."""
    return _either_lazy(tuple(words))


def local_datetime(moment: dt.datetime) -> str:
    """A moment in the local time zone, in the date format of the language active when it is shown."""
    return _local_datetime_lazy(moment)


def message_portable(message: Message) -> dict:
    """The message as JSON keeps it (a job's stored result): its template and its parameters, words among
    them as their English text."""
    with translation.override("en"):
        params = {key: _shown(value) for key, value in message.params.items()}
    return {"template": message.template, "params": params}


def message_restored(data: dict, fallback: str = "") -> str:
    """A message kept by message_portable, in the active language; `fallback` (the English text stored beside
    it) for a record written before templates were kept."""
    template = (data or {}).get("template")
    if not template:
        return fallback
    try:
        return str(Message(template, **(data.get("params") or {})))
    except (KeyError, TypeError, ValueError):  # a template whose translation and parameters disagree
        return fallback
