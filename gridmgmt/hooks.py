"""Typed hooks: how a lower app triggers work of a higher one without importing it.

The lower app declares a hook and fires it; the higher app subscribes in its AppConfig.ready. Subscribers
run after the firing transaction commits (never for a rolled-back write), each on its own: one that fails
is logged and does not keep the others from running, nor fail the request whose data is already saved.
"""

import logging
from collections.abc import Callable
from typing import Generic, TypeVar

from django.db import transaction

logger = logging.getLogger(__name__)

Payload = TypeVar("Payload")


class Hook(Generic[Payload]):
    def __init__(self, name: str) -> None:
        self.name = name
        self._subscribers: list[Callable[[Payload], object]] = []

    def subscribe(self, subscriber: Callable[[Payload], object]) -> Callable[[Payload], object]:
        """Run `subscriber(payload)` whenever the hook fires (once, however often it is subscribed)."""
        if subscriber not in self._subscribers:
            self._subscribers.append(subscriber)
        return subscriber

    def fire_on_commit(self, payload: Payload) -> None:
        if self._subscribers:  # nothing to wait for: a hot path pays nothing for a hook nobody hears
            transaction.on_commit(lambda: self.fire(payload))

    def fire(self, payload: Payload) -> None:
        for subscriber in self._subscribers:
            try:
                subscriber(payload)
            except Exception:  # noqa: BLE001 - the firing write is committed; a subscriber's failure is its own
                logger.exception("hook %s: subscriber %s failed for %r", self.name, subscriber, payload)

    def __repr__(self) -> str:
        return f"Hook({self.name!r}, {len(self._subscribers)} subscribers)"
