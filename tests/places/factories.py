"""Builders for base-data test rows, on the four-grid test district of tests/factories.py."""

import itertools

from places import services
from places.models import FacilityClass
from places.taxonomy import facility_classes_ensure
from tests.factories import centre

_serial = itertools.count(1)


def building(
    grid, *, road: str = "八一大道", number: str | None = None, name: str = "1", actor=None, **extra
):
    """A building in the middle of `grid` (a fresh door number unless one is given)."""
    lat, lng = centre(grid)
    return services.building_save(
        actor=actor,
        road=road,
        number=number or str(100 + next(_serial)),
        name=name,
        floors=extra.pop("floors", 18),
        units=extra.pop("units", 3),
        lat=extra.pop("lat", lat),
        lng=extra.pop("lng", lng),
        **extra,
    )


def house(building, *, unit=1, room: str | None = None, actor=None, **extra):
    return services.house_save(
        actor=actor,
        building=building,
        unit=unit,
        room=room or f"{1 + next(_serial) % 9}0{next(_serial) % 4 + 1}",
        **extra,
    )


def facility_class(code: str = "0101") -> FacilityClass:
    if not FacilityClass.objects.exists():  # a live-server test before this one emptied every table
        facility_classes_ensure()
    return services.facility_class_get(code)


def facility(grid, *, code: str = "0101", actor=None, **extra):
    lat, lng = centre(grid)
    return services.facility_save(
        actor=actor,
        facility_class=facility_class(code),
        lat=extra.pop("lat", lat),
        lng=extra.pop("lng", lng),
        **extra,
    )
