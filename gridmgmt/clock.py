"""The one source of "now" for services and tasks: tests and the demo seed move time without sleeping."""

import contextlib
import datetime as dt
import threading

from django.utils import timezone

_state = threading.local()


def now() -> dt.datetime:
    frozen = getattr(_state, "frozen", None)
    return frozen if frozen is not None else timezone.now()


@contextlib.contextmanager
def frozen_at(moment: dt.datetime):
    """Within the block, `now()` returns `moment` (aware); nests and restores the previous value."""
    if timezone.is_naive(moment):
        raise ValueError("frozen_at needs an aware datetime")
    previous = getattr(_state, "frozen", None)
    _state.frozen = moment
    try:
        yield
    finally:
        _state.frozen = previous
