"""JSON in and out: input nested beyond a limit is refused (never a RecursionError), and the API's output is
always encodable (a refused value echoed in an error may hold a lone surrogate).

No request needs deep nesting: a GeoJSON MultiPolygon, the deepest thing we read, is 8 levels down.
"""

import copy
import json

from rest_framework import parsers, renderers
from rest_framework.exceptions import ParseError

MAX_DEPTH = 32


class TooDeep(ValueError):
    def __init__(self) -> None:
        super().__init__(f"JSON nested more than {MAX_DEPTH} levels deep")


def _deeper_than(data, limit: int) -> bool:
    """Whether `data` (parsed JSON) nests containers more than `limit` levels; iterative, any depth."""
    stack = [(data, 1)]
    while stack:
        value, depth = stack.pop()
        if isinstance(value, dict):
            children = value.values()
        elif isinstance(value, list):
            children = value
        else:
            continue
        if depth > limit:
            return True
        stack.extend((child, depth + 1) for child in children)
    return False


def json_loads(text: str | bytes, **kwargs):
    """`json.loads` that refuses nesting deeper than MAX_DEPTH with TooDeep (a ValueError)."""
    try:
        data = json.loads(text, **kwargs)
    except RecursionError:  # deeper than the interpreter's stack: far beyond the limit
        raise TooDeep() from None
    if _deeper_than(data, MAX_DEPTH):
        raise TooDeep()
    return data


class JSONParser(parsers.JSONParser):
    """DRF's JSON parser with the nesting limit: too deep is a 400 saying so, like any malformed body."""

    def parse(self, stream, media_type=None, parser_context=None):
        try:
            data = super().parse(stream, media_type, parser_context)
        except RecursionError:
            raise ParseError(f"JSON parse error - {TooDeep()}") from None
        if _deeper_than(data, MAX_DEPTH):
            raise ParseError(f"JSON parse error - {TooDeep()}")
        return data


class JSONRenderer(renderers.JSONRenderer):
    """DRF's JSON renderer (UTF-8 text as it is) that escapes what UTF-8 cannot carry instead of failing."""

    def render(self, data, accepted_media_type=None, renderer_context=None):
        try:
            return super().render(data, accepted_media_type, renderer_context)
        except UnicodeEncodeError:  # a lone surrogate: sent as the JSON escape \ud800, which is valid JSON
            escaping = copy.copy(self)
            escaping.ensure_ascii = True
            return renderers.JSONRenderer.render(escaping, data, accepted_media_type, renderer_context)
