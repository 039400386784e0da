"""A point → grid index over shapely geometries: pure Python + shapely, no Django, so bench/ can use it.

`GridIndex` is immutable once built; grids.selectors builds one from the database and swaps it in whole
when the layer changes, so readers never see a half-built index and need no lock.
"""

from __future__ import annotations

from collections.abc import Hashable, Iterable, Sequence
from typing import Generic, TypeVar

import numpy as np
import shapely
from shapely import STRtree
from shapely.geometry.base import BaseGeometry

K = TypeVar("K", bound=Hashable)

OUTSIDE = -1  # the position locate_positions gives a point that no grid covers


class GridIndex(Generic[K]):
    """The grids of one layer in an STRtree, answering "which grid covers this point?".

    A point on an edge (or corner) shared by several grids is covered by all of them; the grid with the
    lowest code wins, whatever order the grids were given in, so every process gives the same answer.
    A grid covers its boundary: a point exactly on the jurisdiction's outer edge is inside.
    """

    def __init__(self, entries: Iterable[tuple[str, K, BaseGeometry]]):
        """`entries`: (code, key, geometry) per grid; `key` is what lookups return (a database id, a code)."""
        ordered = sorted(entries, key=lambda entry: entry[0])
        codes = [code for code, _, _ in ordered]
        if len(set(codes)) != len(codes):
            raise ValueError("grid codes must be unique: the lowest code decides shared edges")
        self.codes: list[str] = codes
        self.keys: list[K] = [key for _, key, _ in ordered]
        self.geometries = np.array([geom for _, _, geom in ordered], dtype=object)
        # Prepared geometries answer point-in-polygon through a cached edge index instead of a scan of
        # every vertex; the STRtree narrows the candidates to the few grids whose boxes hold the point.
        shapely.prepare(self.geometries)
        self._tree = STRtree(self.geometries)

    def __len__(self) -> int:
        return len(self.keys)

    def locate_position(self, *, lat: float, lng: float) -> int:
        """The position (in code order) of the grid covering the point, or OUTSIDE."""
        point = shapely.Point(lng, lat)
        candidates = self._tree.query(point)  # bounding boxes only: cheap, usually one to four grids
        if len(candidates) == 0:
            return OUTSIDE
        candidates.sort()  # positions follow code order, so the first covering candidate is the answer
        hits = candidates[shapely.intersects(self.geometries[candidates], point)]
        return int(hits[0]) if len(hits) else OUTSIDE

    def locate(self, *, lat: float, lng: float) -> K | None:
        """The key of the grid covering the point, or None when the point lies outside every grid."""
        position = self.locate_position(lat=lat, lng=lng)
        return None if position == OUTSIDE else self.keys[position]

    def locate_positions(self, lats: Sequence[float] | np.ndarray, lngs: Sequence[float] | np.ndarray):
        """Positions for many points at once (a numpy int array, OUTSIDE where no grid covers the point).

        One bulk STRtree query with an exact predicate; the lowest position per point is the lowest code.
        """
        lats = np.asarray(lats, dtype=float)
        lngs = np.asarray(lngs, dtype=float)
        if lats.shape != lngs.shape or lats.ndim != 1:
            raise ValueError("lats and lngs must be one-dimensional and of the same length")
        result = np.full(len(lats), OUTSIDE, dtype=np.int64)
        if len(lats) == 0 or len(self.keys) == 0:
            return result
        points = shapely.points(lngs, lats)
        point_idx, grid_idx = self._tree.query(points, predicate="intersects")
        if len(point_idx):
            # Sort the (point, grid) pairs by point, then grid: the first pair of each point wins.
            order = np.lexsort((grid_idx, point_idx))
            point_idx, grid_idx = point_idx[order], grid_idx[order]
            first = np.ones(len(point_idx), dtype=bool)
            first[1:] = point_idx[1:] != point_idx[:-1]
            result[point_idx[first]] = grid_idx[first]
        return result

    def locate_many(self, points: Iterable[tuple[float, float]]) -> list[K | None]:
        """Keys for a batch of (lat, lng) points, None for each point outside every grid."""
        pairs = np.asarray(list(points), dtype=float).reshape(-1, 2)
        positions = self.locate_positions(pairs[:, 0], pairs[:, 1])
        keys = self.keys
        return [None if p == OUTSIDE else keys[p] for p in positions.tolist()]

    def intersecting(self, geometry: BaseGeometry) -> list[tuple[K, BaseGeometry]]:
        """(key, geometry) of each grid sharing a point with `geometry` (a track, an area), in code order."""
        positions = self._tree.query(geometry, predicate="intersects")
        return [(self.keys[p], self.geometries[p]) for p in sorted(int(p) for p in positions)]

    def geometry_of(self, key: K) -> BaseGeometry | None:
        """The geometry of the grid with this key (a dict built on first use)."""
        by_key = self.__dict__.get("_by_key")
        if by_key is None:
            by_key = self.__dict__["_by_key"] = dict(zip(self.keys, self.geometries, strict=True))
        return by_key.get(key)
