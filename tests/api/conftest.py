"""API test helpers: token-authenticated clients per persona, cases reported through the services."""

import io

import pytest
from PIL import Image

from cases import services
from cases.models import Case

from ..factories import centre
from ..support.api_clients import _api_cache, api  # noqa: F401 - fixtures


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
