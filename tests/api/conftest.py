"""API test helpers: token-authenticated clients per persona, cases reported through the services."""

import io

import pytest
from django.core.cache import cache
from PIL import Image
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from cases import services
from cases.models import Case

from ..factories import centre


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


@pytest.fixture
def report(world):
    """`report(grid=…, category=…, actor=…)` → a new case in the grid's middle, reported via the service."""

    def make(*, grid=None, category=None, actor=None, description="垃圾堆放", **extra) -> Case:
        lat, lng = centre(grid or world.g1)
        return services.case_report(
            actor=actor or world.gridadmin,
            source=extra.pop("source", Case.Source.PATROL),
            lat=lat,
            lng=lng,
            category=category or world.cats.waste,
            description=description,
            **extra,
        )

    return make


def png_upload(name: str = "photo.png") -> io.BytesIO:
    buffer = io.BytesIO()
    Image.new("RGB", (4, 4), "red").save(buffer, format="PNG")
    buffer.name = name
    buffer.seek(0)
    return buffer
