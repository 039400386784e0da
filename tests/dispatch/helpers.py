"""Dispatch test helpers: reporting cases at a chosen place and time without publishing to any broker."""

import datetime as dt
import math

from django.utils import timezone

from cases import services as case_services
from gridmgmt import clock, tasking
from grids.geometry import EARTH_RADIUS_M

from ..factories import centre

# A fixed, aware starting point so deadline arithmetic reads plainly.
T0 = dt.datetime(2026, 3, 2, 1, 0, tzinfo=dt.UTC)  # 09:00 in Nanchang


def metres_north(lat: float, metres: float) -> float:
    """The latitude `metres` north of `lat` along a meridian (the haversine of distance_m)."""
    return lat + math.degrees(metres / EARTH_RADIUS_M)


def report(
    world,
    *,
    grid=None,
    category=None,
    at: dt.datetime | None = None,
    lat: float | None = None,
    lng: float | None = None,
    actor=None,
    description: str = "垃圾堆放",
):
    """Report a case through the real service. Nothing is published: routing is the test's to run."""
    grid = grid or world.g1
    c_lat, c_lng = centre(grid)
    with clock.frozen_at(at or timezone.now()), tasking.suppressed():
        return case_services.case_report(
            actor=actor or world.dispatcher,
            source="patrol",
            lat=c_lat if lat is None else lat,
            lng=c_lng if lng is None else lng,
            category=category or world.cats.waste,
            description=description,
        )
