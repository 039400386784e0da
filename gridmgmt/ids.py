"""Row ids read from paths, query strings and bodies: ASCII digits within a database column's range, or
nothing (a 404 or a clear 400 for the caller, never an overflowing lookup and a 500)."""

from django.http import Http404

MAX_ID_DIGITS = 18  # below 2**63: the largest id a bigint column holds


def id_from(raw) -> int | None:
    """A positive id from text (surrounding blanks ignored) or an int; None for anything else."""
    if isinstance(raw, bool):
        return None
    if isinstance(raw, int):
        return raw if 0 < raw < 10**MAX_ID_DIGITS else None
    text = raw.strip() if isinstance(raw, str) else ""
    if text.isascii() and text.isdigit() and len(text) <= MAX_ID_DIGITS and int(text) > 0:
        return int(text)
    return None


def id_or_404(raw) -> int:
    """An id from a URL path, or 404: an odd id is a record that does not exist, like any unknown one."""
    pk = id_from(raw)
    if pk is None:
        raise Http404("No such record, or not yours to see")
    return pk
