"""Cut the real Donghu District outline into a seamless demo hierarchy: streets → communities → grids."""

from __future__ import annotations

import json
import math
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import shapely
from shapely.geometry import mapping, shape
from shapely.geometry.base import BaseGeometry

from grids.geometry import M_PER_DEG_LAT, M_PER_DEG_LON_EQUATOR, area_m2

DISTRICT_GEOJSON_PATH = Path(__file__).resolve().parent / "data" / "nanchang-donghu-district.geojson"
DISTRICT_CODE = "360102"
DISTRICT_NAME = "东湖区"

# Donghu's real sub-district units, in the order the demo hands them out.
STREET_NAMES = (
    "公园街道",
    "滕王阁街道",
    "八一桥街道",
    "百花洲街道",
    "墩子塘街道",
    "大院街道",
    "豫章街道",
    "董家窑街道",
    "彭家桥街道",
    "扬子洲镇",
)

# 1e-7 degree is ~1 cm: every stored coordinate is rounded to 7 decimals, so all geometry is snapped to
# this grid *during* the overlays, not after, which is what keeps neighbouring cells from overlapping.
GRID_SIZE = 1e-7
COORD_DECIMALS = 7
SLIVER_M2 = 1.0
MAX_OVERLAP_M2 = 0.01
MAX_DRIFT_DEG = 1e-6  # ~10 cm: ten times the worst snapping move
LLOYD_ITERATIONS = 10
GRIDS_PER_COMMUNITY = 3
COMMUNITIES_PER_STREET = 3
# Cut directions tried when grouping, as turns away from the principal axis: 0, +5°, -5°, +10°, … ±90°.
_CUT_TURNS = tuple(
    math.radians(sign * step) for step in range(0, 91, 5) for sign in ((1,) if step in (0, 90) else (1, -1))
)


@dataclass(frozen=True)
class Area:
    code: str
    name: str
    geometry: dict[str, Any]
    parent_code: str | None
    area_m2: float


@dataclass(frozen=True)
class DemoLayout:
    district: Area
    streets: list[Area]
    communities: list[Area]
    grids: list[Area]


def load_district() -> BaseGeometry:
    """The district outline as published, snapped to the 1e-7 grid like everything cut from it."""
    collection = json.loads(DISTRICT_GEOJSON_PATH.read_text(encoding="utf-8"))
    geom = shape(collection["features"][0]["geometry"])
    return shapely.set_precision(geom, GRID_SIZE)


def build_layout(*, grid_count: int = 60, seed: int = 7) -> DemoLayout:
    """Deterministic for a given (grid_count, seed): the same inputs give equal layouts."""
    if grid_count < 1:
        raise ValueError("grid_count must be at least 1")
    outline = load_district()
    projection = _LocalProjection(outline.centroid)
    outline_m = projection.to_metric(outline)

    seeds = _sample_points(outline_m, grid_count, np.random.RandomState(seed))
    seeds = _lloyd_relax(seeds, outline_m, LLOYD_ITERATIONS)
    cells = _merge_slivers(_clip_cells(seeds, outline_m, projection, outline))
    district = _seal(cells, outline)

    centroids = shapely.get_coordinates(projection.to_metric(shapely.centroid(cells)))
    community_sizes = _spread(len(cells), max(1, round(len(cells) / GRIDS_PER_COMMUNITY)))
    street_community_counts = _spread(
        len(community_sizes),
        min(len(STREET_NAMES), max(1, round(len(community_sizes) / COMMUNITIES_PER_STREET))),
    )
    return _assemble(district, cells, centroids, community_sizes, street_community_counts)


def point_in_layout(layout: DemoLayout, lat: float, lng: float) -> Area | None:
    """The grid holding the point (linear scan: the demo layer is small), or None outside the district."""
    point = shapely.Point(lng, lat)
    for grid in layout.grids:
        if shape(grid.geometry).covers(point):
            return grid
    return None


class _LocalProjection:
    """Equirectangular metres around the district centroid: good enough to make cells equal in area."""

    def __init__(self, origin: shapely.Point) -> None:
        self.origin = np.array([origin.x, origin.y])
        self.scale = np.array([M_PER_DEG_LON_EQUATOR * math.cos(math.radians(origin.y)), M_PER_DEG_LAT])

    # Both take one geometry or a numpy array of them (shapely.transform is vectorised).
    def to_metric(self, geom: Any) -> Any:
        return shapely.transform(geom, lambda xy: (xy - self.origin) * self.scale)

    def to_lonlat(self, geom: Any) -> Any:
        return shapely.transform(geom, lambda xy: xy / self.scale + self.origin)


def _sample_points(region: BaseGeometry, count: int, rng: np.random.RandomState) -> np.ndarray:
    """Rejection-sample `count` points uniformly inside the region."""
    min_x, min_y, max_x, max_y = region.bounds
    shapely.prepare(region)
    accepted: list[np.ndarray] = []
    found = 0
    while found < count:
        xy = rng.uniform((min_x, min_y), (max_x, max_y), size=(count * 4, 2))
        inside = xy[shapely.contains_xy(region, xy[:, 0], xy[:, 1])]
        accepted.append(inside)
        found += len(inside)
    return np.concatenate(accepted)[:count]


def _voronoi_cells(seeds: np.ndarray, region: BaseGeometry) -> np.ndarray:
    """Voronoi cells in seed order, extended well past the region so every cell reaches the clip edge."""
    envelope = shapely.buffer(shapely.envelope(region), 0.5 * math.sqrt(region.area))
    diagram = shapely.voronoi_polygons(shapely.multipoints(seeds), extend_to=envelope, ordered=True)
    return shapely.get_parts(diagram)


def _lloyd_relax(seeds: np.ndarray, region: BaseGeometry, iterations: int) -> np.ndarray:
    """Move each seed to its clipped cell's centroid: random points give wildly unequal cells otherwise."""
    shapely.prepare(region)
    for _ in range(iterations):
        centroids = shapely.centroid(shapely.intersection(_voronoi_cells(seeds, region), region))
        moved = np.column_stack([shapely.get_x(centroids), shapely.get_y(centroids)])
        # An empty cell (its seed left the region) has a NaN centroid: leave that seed where it was.
        seeds = np.where(np.isnan(moved), seeds, moved)
    return seeds


def _clip_cells(
    seeds: np.ndarray, region_m: BaseGeometry, projection: _LocalProjection, district: BaseGeometry
) -> list[BaseGeometry]:
    """Cells in lon/lat, clipped to the district with snap-rounding on the shared 1e-7 grid.

    The Voronoi is built in metres (where Lloyd balanced it) and mapped back vertex by vertex: neighbours
    share bit-identical edges, and clipping with grid_size snaps them identically, so the cells tile.
    """
    cells_ll = projection.to_lonlat(_voronoi_cells(seeds, region_m))
    clipped = shapely.intersection(cells_ll, district, grid_size=GRID_SIZE)
    return [cell for cell in clipped if not cell.is_empty]


def _merge_slivers(cells: list[BaseGeometry]) -> list[BaseGeometry]:
    """Hand each sub-1 m² piece to the neighbour it shares the longest border with.

    Clipping against a concave or multipart outline can leave a cell with a crumb on the far side of a
    notch; such a crumb is no place to patrol. A whole cell below the threshold disappears this way.
    """
    parts: list[list[BaseGeometry]] = []
    crumbs: list[tuple[int, BaseGeometry]] = []
    for owner, cell in enumerate(cells):
        pieces = sorted(shapely.get_parts(cell), key=area_m2, reverse=True)
        # The main piece stays unless the whole cell is a crumb; any other piece stays if big enough.
        kept = [
            p
            for rank, p in enumerate(pieces)
            if area_m2(p) >= SLIVER_M2 or (rank == 0 and area_m2(cell) >= SLIVER_M2)
        ]
        parts.append(kept)
        crumbs.extend((owner, p) for p in pieces[len(kept) :])

    for owner, crumb in crumbs:
        target = _longest_border_neighbour(crumb, parts, exclude=owner)
        if target is None:
            target = owner  # an isolated crumb (a tiny island): nobody else borders it
        parts[target].append(crumb)

    merged = []
    for cell_parts in parts:
        if cell_parts:
            merged.append(shapely.union_all(cell_parts, grid_size=GRID_SIZE))
    return merged


def _longest_border_neighbour(
    crumb: BaseGeometry, parts: list[list[BaseGeometry]], exclude: int
) -> int | None:
    best, best_length = None, 0.0
    for index, cell_parts in enumerate(parts):
        if index == exclude or not cell_parts:
            continue
        shared = sum(shapely.intersection(crumb.boundary, p.boundary).length for p in cell_parts)
        if shared > best_length:
            best, best_length = index, shared
    return best


def _seal(cells: list[BaseGeometry], outline: BaseGeometry) -> BaseGeometry:
    """The district as the exact union of its grids, after checking that they tile the published outline.

    Where a cell edge crosses the outline, the crossing is snapped to the 1e-7 grid, a centimetre or so off
    the outline's straight edge. Storing the outline as published would leave hairline gaps along it (tens
    of m² in all), so the district is redrawn through those crossings: it moves by centimetres and then
    equals the union of its grids. Fail loudly rather than seed a demo that leaves gaps or double-counts.
    """
    for cell in cells:
        if not cell.is_valid:
            raise ValueError(f"invalid grid geometry: {shapely.is_valid_reason(cell)}")
    tree = shapely.STRtree(cells)
    for i, j in tree.query(cells, predicate="intersects").T:
        if i < j:
            overlap = area_m2(shapely.intersection(cells[i], cells[j]))
            if overlap >= MAX_OVERLAP_M2:
                raise ValueError(f"grids {i} and {j} overlap by {overlap:.4f} m²")
    district = shapely.union_all(cells, grid_size=GRID_SIZE)
    # Comparing boundaries also catches a hole in the union, which an outline-to-district distance would not.
    drift = shapely.hausdorff_distance(district.boundary, outline.boundary)
    if drift > MAX_DRIFT_DEG:
        raise ValueError(f"grids do not cover the district: the outline moved by {drift:.2e}°")
    return district


def _spread(total: int, groups: int) -> list[int]:
    """Split `total` items into `groups` near-equal counts, larger ones first."""
    base, extra = divmod(total, groups)
    return [base + 1 if i < extra else base for i in range(groups)]


def _adjacency(cells: list[BaseGeometry]) -> list[set[int]]:
    """Which cells share a border of positive length (meeting at a single corner does not count)."""
    neighbours: list[set[int]] = [set() for _ in cells]
    tree = shapely.STRtree(cells)
    for i, j in tree.query(cells, predicate="intersects").T:
        if i < j and shapely.relate_pattern(cells[i], cells[j], "****1****"):
            neighbours[i].add(int(j))
            neighbours[j].add(int(i))
    return neighbours


def _is_connected(indices: np.ndarray, neighbours: list[set[int]]) -> bool:
    members = {int(i) for i in indices}
    seen, stack = set(), [next(iter(members))]
    while stack:
        current = stack.pop()
        if current not in seen:
            seen.add(current)
            stack.extend((neighbours[current] & members) - seen)
    return seen == members


def _partition(
    points: np.ndarray, neighbours: list[set[int]], indices: np.ndarray, sizes: Sequence[int]
) -> list[np.ndarray]:
    """Recursive bisection into groups of exactly `sizes` items, each edge-connected when possible.

    Each cut is a straight line across the centroid cloud: first across its long side (compact groups),
    then at ever larger angles from it until both halves are connected. k-means would neither fix the
    group sizes nor guarantee a community in one piece.
    """
    if len(sizes) == 1:
        return [indices]
    half = len(sizes) // 2
    first_count = sum(sizes[:half])
    xy = points[indices]
    centred = xy - xy.mean(axis=0)
    _, vectors = np.linalg.eigh(centred.T @ centred)
    principal = math.atan2(vectors[1, -1], vectors[0, -1])

    def cut(turn: float) -> tuple[np.ndarray, np.ndarray]:
        axis = np.array([math.cos(principal + turn), math.sin(principal + turn)])
        # An axis's sign is arbitrary (eigh's too): fix it so the order runs roughly south-west → north-east.
        if axis.sum() < 0:
            axis = -axis
        order = indices[np.argsort(centred @ axis, kind="stable")]
        return order[:first_count], order[first_count:]

    connected_cuts = (
        (first, rest)
        for first, rest in map(cut, _CUT_TURNS)
        if _is_connected(first, neighbours) and _is_connected(rest, neighbours)
    )
    first, rest = next(connected_cuts, cut(0.0))
    return _partition(points, neighbours, first, sizes[:half]) + _partition(
        points, neighbours, rest, sizes[half:]
    )


def _assemble(
    district: BaseGeometry,
    cells: list[BaseGeometry],
    centroids: np.ndarray,
    community_sizes: list[int],
    street_community_counts: list[int],
) -> DemoLayout:
    """Group grids top-down (district → streets → communities) and give every unit its code and name."""
    street_sizes, start = [], 0
    for count in street_community_counts:
        street_sizes.append(community_sizes[start : start + count])
        start += count

    all_indices = np.arange(len(cells))
    neighbours = _adjacency(cells)
    street_groups = _partition(centroids, neighbours, all_indices, [sum(sizes) for sizes in street_sizes])
    streets: list[Area] = []
    communities: list[Area] = []
    grids: list[Area] = []
    for street_no, (street_indices, sizes) in enumerate(zip(street_groups, street_sizes, strict=True), 1):
        street_code = f"{DISTRICT_CODE}{street_no:03d}"
        street_name = STREET_NAMES[street_no - 1]
        stem = street_name.removesuffix("街道").removesuffix("镇")
        community_geoms = []
        for community_no, community_indices in enumerate(
            _partition(centroids, neighbours, street_indices, sizes), 1
        ):
            community_code = f"{street_code}{community_no:03d}"
            community_name = f"{stem}第{_chinese_numeral(community_no)}社区"
            grid_geoms = []
            # Grids are numbered in the order of the last cut, so 第1网格 sits at one end of its community.
            for grid_no, index in enumerate(community_indices, 1):
                grid_geoms.append(cells[index])
                grids.append(
                    _area(
                        f"{community_code}{grid_no:02d}",
                        f"{community_name}第{grid_no}网格",
                        cells[index],
                        community_code,
                    )
                )
            community_geom = shapely.union_all(grid_geoms, grid_size=GRID_SIZE)
            community_geoms.append(community_geom)
            communities.append(_area(community_code, community_name, community_geom, street_code))
        street_geom = shapely.union_all(community_geoms, grid_size=GRID_SIZE)
        streets.append(_area(street_code, street_name, street_geom, DISTRICT_CODE))

    return DemoLayout(
        district=_area(DISTRICT_CODE, DISTRICT_NAME, district, None),
        streets=streets,
        communities=communities,
        grids=grids,
    )


def _area(code: str, name: str, geom: BaseGeometry, parent_code: str | None) -> Area:
    geometry = _rounded(mapping(geom))
    return Area(code=code, name=name, geometry=geometry, parent_code=parent_code, area_m2=area_m2(geom))


def _rounded(geometry: dict[str, Any]) -> dict[str, Any]:
    """GeoJSON mapping with plain lists and 7-decimal floats (the values are already on that grid)."""

    def walk(value: Any) -> Any:
        if isinstance(value, (list, tuple)):
            return [walk(v) for v in value]
        return round(float(value), COORD_DECIMALS)

    return {"type": geometry["type"], "coordinates": walk(geometry["coordinates"])}


def _chinese_numeral(n: int) -> str:
    """1 → 一, 10 → 十, 23 → 二十三 (community counts never reach 100)."""
    digits = "零一二三四五六七八九"
    if n < 10:
        return digits[n]
    tens, ones = divmod(n, 10)
    return ("" if tens == 1 else digits[tens]) + "十" + (digits[ones] if ones else "")
