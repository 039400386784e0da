"""Security test fixtures: a private cache per test, so throttle counters never come from var/cache."""

import pytest
from django.core.cache import cache


@pytest.fixture(autouse=True)
def _private_cache(settings):
    """Throttle counters (and anything else cached) start empty in every test, whatever other runs did."""
    settings.CACHES = {
        "default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache", "LOCATION": "security"}
    }
    cache.clear()
    yield
    cache.clear()
