"""Per-process configuration caches and the Redis cache backend that reuses its client."""

import pytest
from django.db import transaction

from gridmgmt.caching import ProcessCache, RedisCache, process_caches_forget

from ..conftest import redis_url, requires_redis


def _counting_cache():
    loads = []

    def load():
        loads.append(1)
        return len(loads)

    cache = ProcessCache(load, seconds_setting="TEST_ONLY_CACHE_SECONDS", default_seconds=5)
    now = [100.0]
    cache.clock = lambda: now[0]
    return cache, loads, now


def test_it_loads_once_within_its_interval_and_again_after_it():
    cache, loads, now = _counting_cache()
    assert (cache.get(), cache.get()) == (1, 1)
    now[0] += 4.9
    assert cache.get() == 1
    now[0] += 0.2
    assert cache.get() == 2 and len(loads) == 2


def test_forgetting_makes_the_next_read_load_again():
    cache, loads, _ = _counting_cache()
    cache.get()
    cache.forget()
    assert cache.get() == 2
    process_caches_forget()
    assert cache.get() == 3


def test_the_interval_comes_from_settings(settings):
    settings.TEST_ONLY_CACHE_SECONDS = 0
    cache, loads, _ = _counting_cache()
    cache.get()
    cache.get()
    assert len(loads) == 2


@pytest.mark.redis
@requires_redis
def test_the_redis_backend_keeps_one_client_and_works_as_djangos():
    backend = RedisCache(redis_url(), {"KEY_PREFIX": "gridmgmt-test-caching"})
    try:
        backend.set("throttle", [1.5, 2.5], 30)
        assert backend.get("throttle") == [1.5, 2.5]
        assert backend.add("counter", 1, 30)
        assert backend.incr("counter") == 2
        assert backend._cache.get_client(write=True) is backend._cache.get_client(write=True)
    finally:
        backend.delete_many(["throttle", "counter"])


@pytest.mark.django_db(transaction=True)
def test_a_save_forgets_now_and_again_when_its_transaction_commits():
    cache, loads, _ = _counting_cache()
    with transaction.atomic():
        cache.get()
        cache.saved()
        cache.get()  # another thread reading before the commit would load the old rows here
        assert cache.get() == 2
    assert cache.get() == 3  # forgotten again at commit
