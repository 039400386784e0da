"""Enqueueing Celery tasks after commit without ever failing the request that caused them.

Within an app, tasks.py stands on top: it imports the services it runs, and a service that wants work done
later publishes a task by its registered name (as beat does), so services never import their tasks module.
Each app's AppConfig.ready imports its tasks module, which registers the names; an unknown name is a
programming error and raises at once, before anything is published.
"""

import contextlib
import logging
import threading
import time

from django.conf import settings
from django.db import transaction

logger = logging.getLogger(__name__)
_state = threading.local()
# After a failed publish, skip publishing for a short while: with the broker down each attempt blocks
# for seconds, and every skipped task is picked up by reconcile (routing) or the pending-notices sweep.
_broker_down_until = 0.0


def task_named(name: str):
    """The registered Celery task called `name` (e.g. "cases.tasks.photo_derivatives_task")."""
    from celery import current_app

    try:
        return current_app.tasks[name]
    except KeyError:
        raise LookupError(
            f"no Celery task is registered as {name!r}: does its app's ready() import it?"
        ) from None


def enqueue(task, *args) -> bool:
    """Publish `task(*args)` now (a task, or its registered name); on a broker failure log and return False.

    The caller's data is already committed, and the periodic reconcile task re-enqueues whatever was
    not picked up, so a broker outage delays work instead of losing it or breaking the request.
    """
    global _broker_down_until
    if isinstance(task, str):
        task = task_named(task)
    if getattr(_state, "suppressed", False):
        return False
    if time.monotonic() < _broker_down_until:
        logger.info("broker marked down; not publishing %s%r (reconcile will)", task.name, args)
        return False
    try:
        task.apply_async(args=args, retry=False)
    except Exception:  # noqa: BLE001 - any broker/transport error means "not published"
        logger.warning("could not publish %s%r; reconcile will retry", task.name, args, exc_info=True)
        _broker_down_until = time.monotonic() + settings.BROKER_DOWN_COOLDOWN_SECONDS
        return False
    return True


def broker_cooldown_reset() -> None:
    global _broker_down_until
    _broker_down_until = 0.0


def enqueue_on_commit(task, *args) -> None:
    if isinstance(task, str):
        task = task_named(task)  # a wrong name fails the caller now, not silently after commit
    transaction.on_commit(lambda: enqueue(task, *args))


@contextlib.contextmanager
def suppressed():
    """Bulk jobs (the demo seed) do their follow-up work synchronously and publish nothing."""
    previous = getattr(_state, "suppressed", False)
    _state.suppressed = True
    try:
        yield
    finally:
        _state.suppressed = previous
