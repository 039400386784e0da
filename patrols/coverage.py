"""Where a track went, in metres: the grids it touched, the share of each grid's area it covered, the time
spent in each, the share of it outside given grids, and its fingerprints.

Coverage is the track's walked segments buffered by a width (each side; `PATROL_BUFFER_M`, default 25 m)
and intersected with the grid's polygon, in a local equirectangular projection at the track's latitude —
good to well under 1 % over a few kilometres, which is all a patrol spans (see grids.geometry.area_m2).
Weekly coverage unions the buffered tracks of the week before intersecting, so walking one street twice
counts once.
"""

from __future__ import annotations

import hashlib
import math
from collections.abc import Iterable, Sequence

import numpy as np
import shapely
from shapely.geometry import MultiLineString
from shapely.geometry.base import BaseGeometry

from grids.geometry import M_PER_DEG_LAT, M_PER_DEG_LON_EQUATOR

from .plausibility import Point

# Fingerprints: positions rounded to 1e-5° (about a metre). A device's fixes are never exactly repeated
# by a second walk along the same street; a copied track repeats them all.
PRINT_DECIMALS = 5


class Projection:
    """Degrees ↔ metres around a latitude (equirectangular)."""

    def __init__(self, lat0: float):
        self.kx = M_PER_DEG_LON_EQUATOR * math.cos(math.radians(lat0))
        self.ky = M_PER_DEG_LAT

    def to_metres(self, geometry: BaseGeometry) -> BaseGeometry:
        return shapely.transform(geometry, lambda xy: xy * np.array([self.kx, self.ky]))

    def to_degrees(self, geometry: BaseGeometry) -> BaseGeometry:
        return shapely.transform(geometry, lambda xy: xy / np.array([self.kx, self.ky]))


def _runs(segments: Sequence[tuple[Point, Point]]) -> list[list[tuple[float, float]]]:
    """The walked segments joined into continuous runs of (lng, lat): a jump (left out) starts a new run."""
    runs: list[list[tuple[float, float]]] = []
    last = None
    for a, b in segments:
        if a is not last:
            runs.append([(a.lng, a.lat)])
        runs[-1].append((b.lng, b.lat))
        last = b
    return runs


def segments_line(segments: Sequence[tuple[Point, Point]]) -> MultiLineString | None:
    """The walked segments as one geometry in degrees, in continuous runs: buffering a run of 720 fixes
    costs about a millisecond, buffering them as 719 separate two-point lines some 65 (bench/patrols.py)."""
    runs = _runs(segments)
    return MultiLineString(runs) if runs else None


def track_geojson(segments: Sequence[tuple[Point, Point]]) -> dict | None:
    """The walked segments as a GeoJSON MultiLineString of continuous runs (a jump starts a new run): what
    maps draw, and what weekly coverage buffers."""
    runs = [[[round(lng, 6), round(lat, 6)] for lng, lat in run] for run in _runs(segments)]
    return {"type": "MultiLineString", "coordinates": runs} if runs else None


def buffered(line: BaseGeometry, *, width_m: float, projection: Projection) -> BaseGeometry:
    """The area within `width_m` of the line, in metres."""
    return projection.to_metres(line).buffer(width_m, quad_segs=4)


def coverage_shares(
    area_m: BaseGeometry | None, grids: dict[int, BaseGeometry], *, projection: Projection
) -> dict[int, float]:
    """For each grid (id → polygon in degrees) the share of its area inside `area_m` (metres), 0–1."""
    shares: dict[int, float] = {}
    for grid_id, polygon in grids.items():
        grid_m = projection.to_metres(polygon)
        if area_m is None or grid_m.area <= 0:
            shares[grid_id] = 0.0
            continue
        shares[grid_id] = min(1.0, float(area_m.intersection(grid_m).area / grid_m.area))
    return shares


def minutes_in(segments: Sequence[tuple[Point, Point]], locate: callable) -> dict[int, float]:
    """Minutes spent per grid: each segment's time goes to the grid of its midpoint (`locate(lats, lngs)`
    answers grid ids or None for many points at once)."""
    if not segments:
        return {}
    lats = [(a.lat + b.lat) / 2 for a, b in segments]
    lngs = [(a.lng + b.lng) / 2 for a, b in segments]
    minutes: dict[int, float] = {}
    for (a, b), grid_id in zip(segments, locate(lats, lngs), strict=True):
        if grid_id is not None:
            minutes[grid_id] = (
                minutes.get(grid_id, 0.0) + (b.recorded_at - a.recorded_at).total_seconds() / 60
            )
    return minutes


def outside_share(segments: Sequence[tuple[Point, Point]], grid_ids_at_mid: Iterable, own: set[int]) -> float:
    """Share of the walked length whose midpoints lie outside the `own` grids."""
    total = outside = 0.0
    for (a, b), grid_id in zip(segments, grid_ids_at_mid, strict=True):
        length = math.hypot(a.lat - b.lat, (a.lng - b.lng) * math.cos(math.radians(a.lat)))
        total += length
        if grid_id not in own:
            outside += length
    return outside / total if total else 0.0


def _signed64(digest: bytes) -> int:
    return int.from_bytes(digest[:8], "big", signed=True)


def track_prints(track: Sequence[Point]) -> list[int]:
    """Fingerprints of a track: a hash of each run of three consecutive distinct rounded positions."""
    cells = [(round(p.lat, PRINT_DECIMALS), round(p.lng, PRINT_DECIMALS)) for p in track]
    prints = set()
    for a, b, c in zip(cells, cells[1:], cells[2:], strict=False):
        if a == b or b == c:  # standing still repeats a fix; only movement identifies a walk
            continue
        prints.add(_signed64(hashlib.blake2b(repr((a, b, c)).encode(), digest_size=8).digest()))
    return sorted(prints)


def line_of(track_geometries: Iterable[dict]) -> MultiLineString | None:
    """Several stored tracks (GeoJSON MultiLineStrings) as one geometry in degrees, for weekly coverage."""
    runs = [run for g in track_geometries if g for run in g["coordinates"] if len(run) >= 2]
    return MultiLineString(runs) if runs else None
