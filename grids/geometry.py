"""Plain geometry helpers over GeoJSON (WGS84): bounding boxes, local-metric area, great-circle distance."""

import math

from shapely.geometry import shape
from shapely.geometry.base import BaseGeometry

EARTH_RADIUS_M = 6_371_008.8
M_PER_DEG_LAT = 110_540.0
M_PER_DEG_LON_EQUATOR = 111_320.0


def to_shape(geojson: dict) -> BaseGeometry:
    return shape(geojson)


def bbox(geometry: BaseGeometry) -> tuple[float, float, float, float]:
    """(min_lng, min_lat, max_lng, max_lat)."""
    return tuple(float(v) for v in geometry.bounds)


def area_m2(geometry: BaseGeometry | dict) -> float:
    """Area in square metres through an equirectangular projection at the geometry's latitude.

    Good to well under 1% for grid-sized shapes (a few km across), which is all area is used for.
    """
    geom = shape(geometry) if isinstance(geometry, dict) else geometry
    if geom.is_empty:
        return 0.0
    # The projection is linear, so the metric area is the degree² area times its constant Jacobian.
    lat0 = math.radians(geom.centroid.y)
    return float(geom.area * M_PER_DEG_LON_EQUATOR * math.cos(lat0) * M_PER_DEG_LAT)


def distance_m(lat1: float, lng1: float, lat2: float, lng2: float) -> float:
    """Great-circle (haversine) distance in metres."""
    p1, p2 = math.radians(lat1), math.radians(lat2)
    dp, dl = p2 - p1, math.radians(lng2 - lng1)
    a = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 2 * EARTH_RADIUS_M * math.asin(math.sqrt(a))


def degree_box(lat: float, lng: float, radius_m: float) -> tuple[float, float, float, float]:
    """A lat/lng box that surely contains the circle: a cheap index filter before the exact distance."""
    dlat = radius_m / M_PER_DEG_LAT
    dlng = radius_m / (M_PER_DEG_LON_EQUATOR * max(math.cos(math.radians(lat)), 1e-6))
    return lat - dlat, lng - dlng, lat + dlat, lng + dlng
