"""The per-process cache of loaded work calendars, and its invalidation (writes call worktime_invalidate).

A loaded Calendar is kept with the token it was built from: (id, version, updated_at) of its WorkCalendar
row. updated_at is in the token because a rolled-back transaction returns the version to a value a later,
different calendar may reach again. A lookup (worktime.selectors.calendar_resolve) re-reads the token at most
once every settings.WORK_CALENDAR_CHECK_SECONDS (default 1 s; 0 = every lookup), so a list of a hundred cases
costs one query, and a change committed by any process is seen everywhere within that interval. The writing
process sees it at once: calendar_touch calls worktime_invalidate (now and again on commit).
"""

import itertools
import threading
import time
from dataclasses import dataclass

from .hours import Calendar


@dataclass(frozen=True)
class Cached:
    token: tuple
    calendar: Calendar
    generation: int
    checked_at: float


lock = threading.Lock()
calendars: dict[object, Cached] = {}  # "default" or a WorkCalendar id → the loaded calendar
_generations = itertools.count(1)
_generation = 0
_clock = time.monotonic  # a module attribute so tests can move time forward


def worktime_invalidate() -> None:
    """Make the next lookup in this process re-read the calendar tokens (and reload what moved)."""
    global _generation
    _generation = next(_generations)  # atomic under the GIL


def worktime_cache_clear() -> None:
    """Forget every loaded calendar (tests: a rolled-back transaction may reuse ids and versions)."""
    with lock:
        calendars.clear()


def confirmed_recently(cached: Cached | None, interval: float) -> bool:
    return cached is not None and cached.generation == _generation and _clock() - cached.checked_at < interval


def check_started() -> tuple[int, float]:
    """The generation and time to tag a lookup with, read *before* the database: a later change re-checks."""
    return _generation, _clock()
