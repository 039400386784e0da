"""Partition analysis of a grid layer: overlaps, gaps, coverage of a boundary, and size balance."""

from __future__ import annotations

import statistics
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np
import shapely
from django.core.exceptions import FieldDoesNotExist
from django.db.models import Count, Q
from django.utils import timezone
from shapely.geometry import Polygon
from shapely.geometry.base import BaseGeometry

from .geometry import area_m2, to_shape
from .models import Grid, Jurisdiction, grid_label

# Overlaps and gaps smaller than this are slivers (snapping noise along shared edges): warnings, not errors.
DEFAULT_SLIVER_M2 = 1.0
# Grids whose area or resident count lies outside median × (1 ± BALANCE_BAND) are flagged.
BALANCE_BAND = 0.5
# At most this many bordering grid codes are printed for one gap; a hole amid a few grids names them all.
MAX_CODES_PER_GAP = 8


@dataclass(frozen=True)
class Overlap:
    codes: tuple[str, str]
    area_m2: float
    lat: float
    lng: float


@dataclass(frozen=True)
class Gap:
    """A hole in the union of the grids (or a piece of a boundary no grid covers)."""

    area_m2: float
    lat: float
    lng: float
    bordering: tuple[str, ...]  # codes of the grids around it, sorted

    @property
    def bordering_text(self) -> str:
        """The first few codes (a hole amid a broken layer can touch hundreds of grids)."""
        shown = ", ".join(self.bordering[:MAX_CODES_PER_GAP])
        hidden = len(self.bordering) - MAX_CODES_PER_GAP
        return f"{shown} and {hidden} more" if hidden > 0 else shown


@dataclass(frozen=True)
class Coverage:
    boundary_m2: float
    covered_m2: float
    uncovered_m2: float
    outside_m2: float  # grid area that spills beyond the boundary
    uncovered_parts: list[Gap]  # the uncovered pieces at or above the sliver tolerance, largest first

    @property
    def share(self) -> float:
        return self.covered_m2 / self.boundary_m2 if self.boundary_m2 else 0.0

    @property
    def percent(self) -> float:
        return self.share * 100

    @property
    def boundary_km2(self) -> float:
        return self.boundary_m2 / 1e6

    @property
    def covered_km2(self) -> float:
        return self.covered_m2 / 1e6


@dataclass(frozen=True)
class Balance:
    """min / median / max of one figure per grid, and the grids outside median × (1 ± BALANCE_BAND)."""

    minimum: float
    median: float
    maximum: float
    below: list[tuple[str, float]]
    above: list[tuple[str, float]]

    @property
    def low_limit(self) -> float:
        return self.median * (1 - BALANCE_BAND)

    @property
    def high_limit(self) -> float:
        return self.median * (1 + BALANCE_BAND)


@dataclass(frozen=True)
class PartitionReport:
    code: str
    name: str
    level: str
    grid_count: int
    grid_area_m2: float
    sliver_tolerance_m2: float
    coverage: Coverage | None  # None: the jurisdiction has no stored boundary
    gaps: list[Gap]
    overlaps: list[Overlap]
    sliver_gaps: int
    sliver_overlaps: int
    area: Balance | None  # None: no grids
    residents: Balance | None
    residents_counted: bool  # False while the project has no resident registry
    invalid_codes: list[str] = field(default_factory=list)  # stored grids whose geometry is invalid
    # code → grid label (grids.models.grid_label), so a page can name each grid beside its code.
    names: dict[str, str] = field(default_factory=dict)

    @property
    def grid_area_km2(self) -> float:
        return self.grid_area_m2 / 1e6

    @property
    def seamless(self) -> bool:
        covered = self.coverage is None or not self.coverage.uncovered_parts
        return covered and not self.gaps and not self.overlaps and not self.invalid_codes


def _point(geom: BaseGeometry) -> tuple[float, float]:
    """(lat, lng) of a point surely inside the geometry."""
    p = geom.representative_point()
    return round(p.y, 6), round(p.x, 6)


def find_overlaps(geometries: Sequence[BaseGeometry], codes: Sequence[str]) -> list[Overlap]:
    """Every pair of grids whose interiors intersect, with the shared area; largest first.

    The STRtree keeps this near-linear: only bounding-box neighbours are tested, and grids that merely
    share an edge (interiors disjoint) are dropped before any intersection is computed.
    """
    geoms = np.asarray(geometries, dtype=object)
    if len(geoms) < 2:
        return []
    left, right = shapely.STRtree(geoms).query(geoms, predicate="intersects")
    keep = left < right
    left, right = left[keep], right[keep]
    interiors_meet = shapely.relate_pattern(geoms[left], geoms[right], "2********")
    left, right = left[interiors_meet], right[interiors_meet]
    overlaps = []
    for i, j, piece in zip(left, right, shapely.intersection(geoms[left], geoms[right]), strict=True):
        area = area_m2(piece)
        if area > 0:
            lat, lng = _point(piece)
            pair = tuple(sorted((codes[i], codes[j])))
            overlaps.append(Overlap(codes=pair, area_m2=area, lat=lat, lng=lng))
    overlaps.sort(key=lambda o: (-o.area_m2, o.codes))
    return overlaps


def find_gaps(
    geometries: Sequence[BaseGeometry], codes: Sequence[str], *, union: BaseGeometry | None = None
) -> list[Gap]:
    """Holes in the union of the grids (interior rings), minus any grid lying inside one; largest first."""
    geoms = np.asarray(geometries, dtype=object)
    if len(geoms) == 0:
        return []
    if union is None:
        union = shapely.union_all(geoms)
    tree = shapely.STRtree(geoms)
    gaps = []
    for part in shapely.get_parts(union):
        for ring in part.interiors:
            hole = Polygon(ring)
            islands = tree.query(hole, predicate="contains")
            gap = hole.difference(shapely.union_all(geoms[islands])) if len(islands) else hole
            area = area_m2(gap)
            if area <= 0:
                continue
            around = set(tree.query(hole, predicate="intersects").tolist()) - set(islands.tolist())
            bordering = tuple(sorted(codes[i] for i in around))
            lat, lng = _point(gap)
            gaps.append(Gap(area_m2=area, lat=lat, lng=lng, bordering=bordering))
    gaps.sort(key=lambda g: (-g.area_m2, g.lat, g.lng))
    return gaps


def boundary_coverage(
    boundary: BaseGeometry,
    union: BaseGeometry,
    geometries: Sequence[BaseGeometry],
    codes: Sequence[str],
    *,
    tolerance_m2: float,
) -> Coverage:
    if not boundary.is_valid:
        boundary = shapely.make_valid(boundary)
    uncovered = boundary.difference(union)
    parts = []
    if not uncovered.is_empty:
        tree = shapely.STRtree(np.asarray(geometries, dtype=object)) if len(geometries) else None
        for piece in shapely.get_parts(uncovered):
            area = area_m2(piece)
            if area < tolerance_m2 or piece.area == 0:
                continue
            around = tree.query(piece, predicate="intersects").tolist() if tree is not None else []
            lat, lng = _point(piece)
            bordering = tuple(sorted(codes[i] for i in around))
            parts.append(Gap(area_m2=area, lat=lat, lng=lng, bordering=bordering))
    parts.sort(key=lambda g: (-g.area_m2, g.lat, g.lng))
    return Coverage(
        boundary_m2=area_m2(boundary),
        covered_m2=area_m2(boundary.intersection(union)),
        uncovered_m2=area_m2(uncovered),
        outside_m2=area_m2(union.difference(boundary)),
        uncovered_parts=parts,
    )


def balance(values: dict[str, float]) -> Balance | None:
    """Spread of one figure over the grids; None when there are no grids."""
    if not values:
        return None
    median = statistics.median(values.values())
    low, high = median * (1 - BALANCE_BAND), median * (1 + BALANCE_BAND)
    ordered = sorted(values.items())
    return Balance(
        minimum=min(values.values()),
        median=median,
        maximum=max(values.values()),
        below=[(code, v) for code, v in ordered if v < low],
        above=[(code, v) for code, v in ordered if v > high],
    )


def _current_residents_filter() -> Q | None | bool:
    """How to count a grid's current residents: False when there is no registry, None for no filter.

    The registry (grids.Resident, related name "residents") may record a move-out date: someone who has
    moved out no longer counts toward the grid's load.
    """
    try:
        relation = Grid._meta.get_field("residents")
    except FieldDoesNotExist:
        return False
    fields = {f.name for f in relation.related_model._meta.get_fields()}
    if "moved_out_on" in fields:
        today = timezone.localdate()
        return Q(residents__moved_out_on__isnull=True) | Q(residents__moved_out_on__gt=today)
    return None


def partition_report(
    *, jurisdiction: Jurisdiction, tolerance_m2: float = DEFAULT_SLIVER_M2
) -> PartitionReport:
    """Coverage, gaps, overlaps and size balance of the grids under a district, street or community."""
    # Grid codes nest under their jurisdiction's code (6 + 3 + 3 + 2 digits), so a prefix finds them all.
    grids = Grid.objects.filter(code__startswith=jurisdiction.code).order_by("code")
    resident_filter = _current_residents_filter()
    if resident_filter is False:
        rows = [
            (code, boundary, area, 0, name, community)
            for code, boundary, area, name, community in grids.values_list(
                "code", "boundary", "area_m2", "name", "community__name"
            )
        ]
    else:
        rows = list(
            grids.annotate(resident_count=Count("residents", filter=resident_filter)).values_list(
                "code", "boundary", "area_m2", "resident_count", "name", "community__name"
            )
        )
    codes = [r[0] for r in rows]
    shapes = [to_shape(r[1]) for r in rows]
    invalid = [code for code, geom in zip(codes, shapes, strict=True) if not geom.is_valid]
    # Geometry analysis runs on the valid grids only: an invalid one would make GEOS raise midway.
    valid = [(code, geom) for code, geom in zip(codes, shapes, strict=True) if geom.is_valid]
    valid_codes = [c for c, _ in valid]
    valid_geoms = [g for _, g in valid]
    union = shapely.union_all(np.asarray(valid_geoms, dtype=object)) if valid_geoms else Polygon()

    overlaps = find_overlaps(valid_geoms, valid_codes)
    gaps = find_gaps(valid_geoms, valid_codes, union=union)
    coverage = None
    if jurisdiction.boundary:
        coverage = boundary_coverage(
            to_shape(jurisdiction.boundary), union, valid_geoms, valid_codes, tolerance_m2=tolerance_m2
        )
    return PartitionReport(
        code=jurisdiction.code,
        name=jurisdiction.name,
        level=jurisdiction.level,
        grid_count=len(rows),
        grid_area_m2=sum(r[2] for r in rows),
        sliver_tolerance_m2=tolerance_m2,
        coverage=coverage,
        gaps=[g for g in gaps if g.area_m2 >= tolerance_m2],
        overlaps=[o for o in overlaps if o.area_m2 >= tolerance_m2],
        sliver_gaps=sum(1 for g in gaps if g.area_m2 < tolerance_m2),
        sliver_overlaps=sum(1 for o in overlaps if o.area_m2 < tolerance_m2),
        area=balance({r[0]: r[2] for r in rows}),
        residents=balance({r[0]: r[3] for r in rows}),
        residents_counted=resident_filter is not False,
        invalid_codes=invalid,
        names={r[0]: grid_label(r[4], r[5] or "") for r in rows},
    )


def partition_report_lines(report: PartitionReport) -> list[str]:
    """The report as plain text lines (the management command prints these)."""
    lines = [
        f"{report.level} {report.code} {report.name}: {report.grid_count} grids, "
        f"{report.grid_area_m2 / 1e6:.3f} km²",
    ]
    if report.coverage is None:
        lines.append("coverage: no stored boundary for this jurisdiction, so coverage cannot be measured")
    else:
        c = report.coverage
        lines.append(
            f"coverage: {c.share:.2%} of {c.boundary_m2 / 1e6:.3f} km² covered; "
            f"uncovered {c.uncovered_m2:.1f} m²; grid area outside the boundary {c.outside_m2:.1f} m²"
        )
        for part in c.uncovered_parts:
            lines.append(f"  uncovered {_gap_text(part)}")
    if report.invalid_codes:
        lines.append(f"invalid geometry (left out of the checks): {', '.join(report.invalid_codes)}")
    lines.append(
        f"gaps: {len(report.gaps)} (slivers below {report.sliver_tolerance_m2:g} m²: {report.sliver_gaps})"
    )
    lines.extend(f"  gap {_gap_text(g)}" for g in report.gaps)
    lines.append(
        f"overlaps: {len(report.overlaps)} (slivers below {report.sliver_tolerance_m2:g} m²: "
        f"{report.sliver_overlaps})"
    )
    lines.extend(
        f"  {o.codes[0]} × {o.codes[1]}: {o.area_m2:.1f} m² at lat {o.lat}, lng {o.lng}"
        for o in report.overlaps
    )
    lines.extend(_balance_lines("grid area (m²)", report.area, "{:.0f}"))
    if report.residents_counted:
        lines.extend(_balance_lines("residents per grid", report.residents, "{:.0f}"))
    else:
        lines.append("residents per grid: no resident registry yet, counted as 0")
    return lines


def _gap_text(gap: Gap) -> str:
    around = f" between {gap.bordering_text}" if gap.bordering else ""
    return f"{gap.area_m2:.1f} m² at lat {gap.lat}, lng {gap.lng}{around}"


def _balance_lines(title: str, b: Balance | None, fmt: str) -> list[str]:
    if b is None:
        return [f"{title}: no grids"]
    lines = [
        f"{title}: min {fmt.format(b.minimum)}, median {fmt.format(b.median)}, max {fmt.format(b.maximum)}; "
        f"outside ±{BALANCE_BAND:.0%} of the median: {len(b.below) + len(b.above)}"
    ]
    lines.extend(f"  below {fmt.format(b.low_limit)}: {code} {fmt.format(v)}" for code, v in b.below)
    lines.extend(f"  above {fmt.format(b.high_limit)}: {code} {fmt.format(v)}" for code, v in b.above)
    return lines
