"""Reading GeoReport parameters: W3C datetimes, numbers and comma lists. Every failure names its parameter.

The spec's "optional" rule holds throughout: a parameter sent empty is the same as one not sent.
"""

import datetime as dt
import math
import re
from dataclasses import dataclass

from django.http import QueryDict

from gridmgmt.text import text_problem

from .errors import Open311Error, bad_request

SEARCH_SPAN = dt.timedelta(days=90)  # the spec's longest start_date..end_date range and default window
PAGE_SIZE_MAX = 1000  # the spec's default limit is the first 1000 requests; the extension may only lower it
DEFAULT_RADIUS_M = 1000.0
MAX_RADIUS_M = 50_000.0
MAX_IDS = PAGE_SIZE_MAX

# W3C-DTF (www.w3.org/TR/NOTE-datetime) at minute precision or finer, with the zone the spec demands.
_W3C_DATETIME = re.compile(
    r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d{1,9})?)?(Z|[+-]\d{2}:\d{2})$", re.ASCII
)
_INTEGER = re.compile(r"^[0-9]{1,9}$", re.ASCII)
_EARLIEST = dt.datetime(1900, 1, 1, tzinfo=dt.UTC)
_LATEST = dt.datetime(2999, 12, 31, tzinfo=dt.UTC)


def reject_unprintable(data: QueryDict) -> None:
    """The project's text policy (gridmgmt.text) for every parameter name and value: NUL, for one, cannot
    be stored or compared in PostgreSQL text; say so instead of letting the database fail."""
    for name, values in data.lists():
        for text in (name, *values):
            if problem := text_problem(text):
                shown = "".join(c for c in name if not text_problem(c))
                raise bad_request(f"parameter {shown!r} {problem}")


def optional(data: QueryDict, name: str) -> str | None:
    value = data.get(name)
    if value is None:
        return None
    value = value.strip()
    return value or None


def w3c_datetime(value: str, name: str) -> dt.datetime:
    if not _W3C_DATETIME.match(value):
        hint = ""
        if _W3C_DATETIME.match(re.sub(r" (\d{2}:\d{2})$", r"+\1", value)):
            hint = " (a '+' in a query string must be sent as %2B)"
        raise bad_request(
            f"{name} must be a W3C datetime with a time zone, e.g. 2026-01-01T00:00:00+08:00 or "
            f"2026-01-01T00:00:00Z; got {value[:40]!r}{hint}"
        )
    try:
        moment = dt.datetime.fromisoformat(value)
    except ValueError as exc:
        raise bad_request(f"{name} is not a valid date and time: {value[:40]!r}") from exc
    if not _EARLIEST <= moment <= _LATEST:
        raise bad_request(f"{name} must lie between the years 1900 and 2999")
    return moment


def number(value: str, name: str, *, low: float, high: float) -> float:
    try:
        result = float(value)
    except ValueError as exc:
        raise bad_request(f"{name} must be a number; got {value[:40]!r}") from exc
    if not math.isfinite(result) or not low <= result <= high:
        raise bad_request(f"{name} must be a number between {low:g} and {high:g}; got {value[:40]!r}")
    return result


def integer(value: str, name: str, *, low: int, high: int) -> int:
    if not _INTEGER.match(value) or not low <= int(value) <= high:
        raise bad_request(f"{name} must be a whole number from {low} to {high}; got {value[:40]!r}")
    return int(value)


def comma_list(data: QueryDict, name: str) -> list[str]:
    """`name=a,b` and `name=a&name=b` both give [a, b]; order kept, duplicates and blanks dropped."""
    items: list[str] = []
    for value in data.getlist(name):
        for part in value.split(","):
            part = part.strip()
            if part and part not in items:
                items.append(part)
    return items


@dataclass(frozen=True)
class RequestSearch:
    """A validated GET requests query: the spec's filters, plus the page, radius and updated_after ones."""

    ids: tuple[str, ...] = ()
    service_codes: tuple[str, ...] = ()
    start: dt.datetime | None = None
    end: dt.datetime | None = None
    statuses: tuple[str, ...] = ()
    updated_after: dt.datetime | None = None
    lat: float | None = None
    lng: float | None = None
    radius_m: float = DEFAULT_RADIUS_M
    page: int = 1
    page_size: int = PAGE_SIZE_MAX


def request_search(data: QueryDict, *, now: dt.datetime) -> RequestSearch:
    """Parse every parameter and report all that are wrong at once (the spec's error body is a list)."""
    errors: list[str] = []

    def attempt(parse, *args, **kwargs):
        try:
            return parse(*args, **kwargs)
        except Open311Error as exc:
            errors.extend(exc.descriptions)
            return None

    page = attempt(integer, optional(data, "page") or "1", "page", low=1, high=1_000_000)
    page_size = attempt(
        integer, optional(data, "page_size") or str(PAGE_SIZE_MAX), "page_size", low=1, high=PAGE_SIZE_MAX
    )
    ids = comma_list(data, "service_request_id")
    if len(ids) > MAX_IDS:
        errors.append(f"service_request_id lists at most {MAX_IDS} ids")
    if ids:
        # The spec: service_request_id overrides all other arguments.
        if errors:
            raise bad_request(*errors)
        return RequestSearch(ids=tuple(ids), page=page, page_size=page_size)

    statuses = comma_list(data, "status")
    for status in statuses:
        if status not in ("open", "closed"):
            errors.append(f"status must be open or closed (comma-separated); got {status[:40]!r}")
    start_raw, end_raw = optional(data, "start_date"), optional(data, "end_date")
    start = attempt(w3c_datetime, start_raw, "start_date") if start_raw else None
    end = attempt(w3c_datetime, end_raw, "end_date") if end_raw else None
    updated_raw = optional(data, "updated_after")
    updated_after = attempt(w3c_datetime, updated_raw, "updated_after") if updated_raw else None

    lat_raw, lng_raw, radius_raw = optional(data, "lat"), optional(data, "long"), optional(data, "radius")
    lat = attempt(number, lat_raw, "lat", low=-90, high=90) if lat_raw else None
    lng = attempt(number, lng_raw, "long", low=-180, high=180) if lng_raw else None
    radius = attempt(number, radius_raw, "radius", low=0, high=MAX_RADIUS_M) if radius_raw else None
    if (lat_raw is None) != (lng_raw is None):
        errors.append("lat and long must be sent together")
    if radius_raw is not None and lat_raw is None and lng_raw is None:
        errors.append("radius needs lat and long for its centre")
    if radius is not None and radius <= 0:
        errors.append("radius must be more than 0 metres")

    if start_raw and end_raw and start and end:
        if end < start:
            errors.append("end_date must not be before start_date")
        elif end - start > SEARCH_SPAN:
            errors.append("start_date and end_date may not span more than 90 days")
    if errors:
        raise bad_request(*errors)

    if start is None and end is None and updated_after is None:
        start = now - SEARCH_SPAN  # the spec's default: the most recent 90 days
    elif start is not None and end is None:
        end = start + SEARCH_SPAN
    elif end is not None and start is None:
        start = end - SEARCH_SPAN
    return RequestSearch(
        service_codes=tuple(comma_list(data, "service_code")),
        start=start,
        end=end,
        statuses=tuple(statuses),
        updated_after=updated_after,
        lat=lat,
        lng=lng,
        radius_m=radius or DEFAULT_RADIUS_M,
        page=page,
        page_size=page_size,
    )
