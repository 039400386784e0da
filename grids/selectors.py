"""Reads of the grid layer: point → grid through an in-process STRtree, and grids in a user's scope.

All spatial reads live here so a PostGIS backend could replace the STRtree without touching callers.
"""

import threading
from dataclasses import dataclass

import shapely
from django.db.models import QuerySet
from shapely import STRtree

from gridmgmt.roles import Role, has_role

from .geometry import to_shape
from .models import Grid, GridLayerVersion, Jurisdiction


@dataclass(frozen=True)
class _LayerIndex:
    version: int
    tree: STRtree | None
    grid_ids: list[int]
    codes: list[str]
    geometries: list


_index_lock = threading.Lock()
_index: _LayerIndex | None = None


def grid_layer_version() -> int:
    """Goes up whenever a grid is added, edited or removed (grids.services bumps it), in any process."""
    return GridLayerVersion.objects.filter(pk=1).values_list("version", flat=True).first() or 0


def _layer_index() -> _LayerIndex:
    global _index
    version = grid_layer_version()
    current = _index
    if current is not None and current.version == version:
        return current
    with _index_lock:
        if _index is not None and _index.version == version:
            return _index
        rows = list(Grid.objects.order_by("code").values_list("id", "code", "boundary"))
        geometries = [to_shape(boundary) for _, _, boundary in rows]
        for geom in geometries:
            shapely.prepare(geom)
        _index = _LayerIndex(
            version=version,
            tree=STRtree(geometries) if geometries else None,
            grid_ids=[r[0] for r in rows],
            codes=[r[1] for r in rows],
            geometries=geometries,
        )
        return _index


def grid_locate_id(*, lat: float, lng: float) -> int | None:
    """The id of the grid containing the point, or None when it lies outside every grid.

    A point on an edge shared by two grids is covered by both; the lowest grid code wins, so the answer
    is the same in every process and on every run.
    """
    index = _layer_index()
    if index.tree is None:
        return None
    point = shapely.Point(lng, lat)
    hits = index.tree.query(point, predicate="intersects")
    if len(hits) == 0:
        return None
    best = min(int(i) for i in hits)  # rows are ordered by code, so the lowest position is the lowest code
    return index.grid_ids[best]


def grid_locate(*, lat: float, lng: float) -> Grid | None:
    grid_id = grid_locate_id(lat=lat, lng=lng)
    if grid_id is None:
        return None
    return Grid.objects.select_related("community__parent__parent").get(pk=grid_id)


def grids_for_user(user) -> QuerySet[Grid]:
    """Grids a user may see: administrators their own; dispatchers, supervisors and staff all of them."""
    qs = Grid.objects.select_related("community__parent")
    if has_role(user, Role.DISPATCHER, Role.SUPERVISOR, Role.DEPARTMENT_STAFF) or user.is_superuser:
        return qs
    if has_role(user, Role.GRID_ADMIN):
        return qs.filter(assignments__user=user)
    return qs.none()


def grid_ids_of_administrator(user) -> set[int]:
    return set(user.grid_assignments.values_list("grid_id", flat=True))


def jurisdiction_ancestor_ids(grid: Grid) -> list[int]:
    """The community, street and district ids above a grid, nearest first."""
    ids: list[int] = []
    node: Jurisdiction | None = grid.community
    while node is not None:
        ids.append(node.id)
        node = node.parent
    return ids
