"""Per-process caches of configuration rows that every request or task reads (routing rules, categories).

Each holds one loaded value for `seconds` (a setting), so a change saved in another process is seen within
that time; the saving process forgets at once and again on commit (its app calls `forget_when_saved`).
Tests forget every cache between tests (a rolled-back transaction reuses ids).
"""

import threading
import time
from collections.abc import Callable
from typing import Generic, TypeVar

from django.conf import settings
from django.core.cache.backends.redis import RedisCache as DjangoRedisCache
from django.core.cache.backends.redis import RedisCacheClient as DjangoRedisCacheClient
from django.db import transaction
from django.db.models import Model
from django.db.models.signals import post_delete, post_save

T = TypeVar("T")
_all: list["ProcessCache"] = []


class ProcessCache(Generic[T]):
    def __init__(self, load: Callable[[], T], *, seconds_setting: str, default_seconds: float = 5.0):
        self._load = load
        self._setting = seconds_setting
        self._default = default_seconds
        self._held: tuple[float, T] | None = None
        self._lock = threading.Lock()
        self.clock = time.monotonic  # tests may move time forward
        _all.append(self)

    def get(self) -> T:
        held = self._held  # one read: another thread may swap it at any moment
        if held is not None and self.clock() < held[0]:
            return held[1]
        with self._lock:
            held = self._held
            if held is not None and self.clock() < held[0]:  # loaded by another thread meanwhile
                return held[1]
            expires = self.clock() + float(getattr(settings, self._setting, self._default))
            value = self._load()
            self._held = (expires, value)
            return value

    def forget(self) -> None:
        self._held = None

    def saved(self, **_signal) -> None:
        """Receiver of the save and delete signals: forget now, and again once the saving transaction has
        committed, since another thread of this process may have loaded the old rows in between."""
        self.forget()
        transaction.on_commit(self.forget)

    def forget_when_saved(self, *models: type[Model]) -> None:
        """Connect `saved` to the save and delete signals of `models` (from an AppConfig.ready)."""
        for model in models:
            for signal in (post_save, post_delete):
                signal.connect(
                    self.saved, sender=model, dispatch_uid=f"process-cache-{id(self)}-{model.__name__}"
                )


def process_caches_forget() -> None:
    for cache in _all:
        cache.forget()


class RedisCacheClient(DjangoRedisCacheClient):
    """Django's Redis cache client, keeping one redis-py client per connection pool.

    Django makes a new redis-py client for every cache call, and building one (its table of response
    callbacks) cost more than the round trip: ~0.2 ms on each of the two throttle calls per API request.
    A redis-py client is safe to share between threads (each command takes a connection from the pool).
    """

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._clients: dict[int, object] = {}

    def get_client(self, key=None, *, write=False):
        pool = self._get_connection_pool(write)
        client = self._clients.get(id(pool))
        if client is None:
            client = self._clients[id(pool)] = self._client(connection_pool=pool)
        return client


class RedisCache(DjangoRedisCache):
    """The project's Redis cache backend (settings.CACHES): Django's, with `RedisCacheClient` above."""

    def __init__(self, server, params):
        super().__init__(server, params)
        self._class = RedisCacheClient
