"""REST API test fixtures shared by tests/api and the places API tests: a fresh in-memory cache per test (the
throttle counters live there) and token-authenticated clients. A test package takes them by importing them
into its conftest (or test module), where pytest finds fixtures."""

import pytest
from django.core.cache import cache
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient


@pytest.fixture(autouse=True)
def _api_cache(settings):
    """Throttle counters live in the cache: give every test a fresh in-memory one, never var/cache."""
    settings.CACHES = {
        "default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache", "LOCATION": "api"}
    }
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def api():
    """`api(user)` → an APIClient sending the user's token; `api()` → anonymous."""

    def client_for(user=None) -> APIClient:
        client = APIClient()
        if user is not None:
            token, _ = Token.objects.get_or_create(user=user)
            client.credentials(HTTP_AUTHORIZATION=f"Token {token.key}")
        return client

    return client_for
