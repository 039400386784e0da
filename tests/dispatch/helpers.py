"""Dispatch test helpers: reporting cases at a chosen place and time without publishing to any broker."""

import datetime as dt
import math

from grids.geometry import EARTH_RADIUS_M

from ..cases.helpers import report as case_report

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
    """Report a case through the real service as the dispatcher (who may report anywhere: the hotline).
    Nothing is published: routing is the test's to run."""
    where = {k: v for k, v in (("lat", lat), ("lng", lng)) if v is not None}
    return case_report(
        world,
        actor=actor or world.dispatcher,
        grid=grid,
        category=category,
        at=at,
        description=description,
        **where,
    )
