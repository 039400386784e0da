"""GeoJSON grid layers: validate a whole file, import it in one transaction, export the layer back."""

from __future__ import annotations

import json
import math
from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import shapely
from django.db import models, transaction
from django.db.models import Count, ProtectedError, QuerySet, RestrictedError
from django.utils import timezone
from django.utils.translation import gettext_noop
from shapely.geometry.base import BaseGeometry

from gridmgmt.errors import InvalidInput
from gridmgmt.json_io import json_loads
from gridmgmt.text import text_problem

from .geometry import area_m2, bbox, to_shape
from .models import Grid, GridLayerVersion, Jurisdiction
from .partition import DEFAULT_SLIVER_M2, find_gaps, find_overlaps
from .services import grid_layer_bump, is_grid_code, jurisdiction_ensure

# Written by the API's GeoJSON (computed from the code and the geometry), so dropped on import: feeding an
# API download back in must not grow every grid's properties.
DERIVED_PROPERTIES = frozenset({"community_code", "area_m2"})
# Optional properties that name a level the import has to create; they are kept on the grid as well.
LEVEL_NAME_PROPERTIES = {6: "district_name", 9: "street_name", 12: "community_name"}
_NEUTRAL_LEVEL_NAMES = {6: "区 {}", 9: "街道 {}", 12: "社区 {}"}
_NAME_MAX = Grid._meta.get_field("name").max_length
# Most overlap, gap and crossing lines name grids; cap the list so a broken 10k-grid file stays readable.
MAX_PROBLEM_LINES = 1000
_WRITE_BATCH = 500


@dataclass(frozen=True)
class GridFeature:
    """One valid-looking feature of the file: its geometry parsed, its properties split."""

    number: int  # 1-based position in the file, for messages
    code: str
    name: str
    geometry: dict[str, Any]
    shape: BaseGeometry | None  # None when the geometry is unusable (an error names it)
    properties: dict[str, Any]


@dataclass
class LayerCheck:
    """The outcome of validating a file: the features read, and every problem found (one line each)."""

    features: list[GridFeature] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    absent_codes: list[str] = field(default_factory=list)  # stored grids a --replace import would delete

    @property
    def ok(self) -> bool:
        return not self.errors


@dataclass(frozen=True)
class LayerImportResult:
    created: int
    updated: int
    unchanged: int
    deleted: int
    jurisdictions_created: list[str]
    warnings: list[str]
    version: int


class LayerInvalid(InvalidInput):
    """The file has problems; nothing was written."""

    def __init__(self, errors: list[str], warnings: list[str]):
        super().__init__(
            gettext_noop("grid layer not imported: %(n)s problem(s)"), n=len(errors), field="file"
        )
        self.errors = errors
        self.warnings = warnings


# ---------------------------------------------------------------------------------------------------------
# Reading and checking one feature at a time


def _label(code: str | None, number: int) -> str:
    return f"grid {code} (feature #{number})" if code else f"feature #{number}"


def _reject_constant(name: str) -> float:
    raise ValueError(f"{name} is not valid JSON")


def _ring_problems(ring: Any, where: str) -> list[str]:
    if not isinstance(ring, list) or not all(isinstance(p, list) for p in ring):
        return [f"{where} is not a list of positions"]
    for position in ring:
        if len(position) < 2 or not all(
            isinstance(v, (int, float)) and not isinstance(v, bool) and math.isfinite(v) for v in position
        ):
            return [f"{where} has a position that is not [longitude, latitude]: {position!r}"]
        lng, lat = position[0], position[1]
        if not (-180 <= lng <= 180 and -90 <= lat <= 90):
            return [f"{where} has a position outside WGS84 longitude/latitude: {position!r}"]
    if len(ring) < 4:
        return [f"{where} has {len(ring)} positions; a closed ring needs at least 4"]
    if ring[0][:2] != ring[-1][:2]:
        return [f"{where} is not closed: it starts at {ring[0]!r} and ends at {ring[-1]!r}"]
    return []


def _geometry_problems(geometry: Any) -> list[str]:
    """Structural problems GeoJSON readers would silently repair or choke on (shapely closes rings itself)."""
    if not isinstance(geometry, dict):
        return ["has no geometry"]
    kind = geometry.get("type")
    if kind not in ("Polygon", "MultiPolygon"):
        return [f"has a {kind or 'typeless'} geometry; a grid needs a Polygon or MultiPolygon"]
    coordinates = geometry.get("coordinates")
    polygons = [coordinates] if kind == "Polygon" else coordinates
    if not isinstance(polygons, list) or not polygons or not all(isinstance(p, list) and p for p in polygons):
        return ["has a geometry without coordinates"]
    problems = []
    for p, rings in enumerate(polygons, 1):
        for r, ring in enumerate(rings, 1):
            where = "outer ring" if r == 1 else f"hole {r - 1}"
            if kind == "MultiPolygon":
                where += f" of polygon {p}"
            problems.extend(_ring_problems(ring, where))
    return problems


def _read_geometry(geometry: Any, problems: list[str]) -> BaseGeometry | None:
    """The shapely geometry, or None with the reasons appended to `problems`."""
    structural = _geometry_problems(geometry)
    problems.extend(structural)
    if structural:
        return None
    try:
        shape = to_shape(geometry)
    except Exception as exc:  # whatever the reader raises is a problem of this feature
        problems.append(f"has an unreadable geometry: {exc}")
        return None
    if shape.is_empty:
        problems.append("has an empty geometry")
        return None
    if not shape.is_valid:
        problems.append(f"has invalid geometry: {shapely.is_valid_reason(shape)}")
        return None
    return shape


def _read_feature(raw: Any, number: int, check: LayerCheck) -> GridFeature | None:
    """The feature, or None when it has no usable code; every problem found goes to check.errors."""
    if not isinstance(raw, dict) or raw.get("type") != "Feature":
        check.errors.append(f"{_label(None, number)} is not a GeoJSON Feature")
        return None
    properties = raw.get("properties")
    properties = dict(properties) if isinstance(properties, dict) else {}
    code = properties.pop("code", None)
    if isinstance(code, int) and not isinstance(code, bool):
        code = str(code)  # a grid code written as a JSON number loses nothing: none starts with 0
    name = properties.pop("name", None)
    problems: list[str] = []
    if code is None or code == "":
        problems.append("has no `code` property")
        code = None
    elif not is_grid_code(code):
        problems.append(f"has a malformed code {code!r}; a grid code has 14 digits")
        code = None
    if not isinstance(name, str) or not name.strip():
        problems.append("has no `name` property")
    elif len(name) > _NAME_MAX:
        problems.append(f"has a name longer than {_NAME_MAX} characters")
    elif problem := text_problem(name):
        problems.append(f"has a name that {problem}")
    for key in LEVEL_NAME_PROPERTIES.values():
        value = properties.get(key)
        if value is not None and (
            not isinstance(value, str) or not value.strip() or len(value) > _NAME_MAX or text_problem(value)
        ):
            problems.append(f"has an unusable `{key}`: {value!r}")
    geometry = raw.get("geometry")
    shape = _read_geometry(geometry, problems)
    check.errors.extend(f"{_label(code, number)} {p}" for p in problems)
    if code is None:
        return None
    for key in DERIVED_PROPERTIES:
        properties.pop(key, None)
    return GridFeature(
        number=number,
        code=code,
        name=name.strip() if isinstance(name, str) else "",
        geometry={"type": geometry["type"], "coordinates": geometry["coordinates"]} if shape else {},
        shape=shape,
        properties=properties,
    )


def layer_parse(content: str | bytes) -> LayerCheck:
    """Read a FeatureCollection and check every feature on its own (no spatial relations yet)."""
    check = LayerCheck()
    if isinstance(content, bytes):
        try:
            content = content.decode("utf-8-sig")
        except UnicodeDecodeError as exc:
            check.errors.append(f"not UTF-8 text: {exc}")
            return check
    try:
        data = json_loads(content, parse_constant=_reject_constant)
    except json.JSONDecodeError as exc:
        check.errors.append(f"malformed JSON at line {exc.lineno} column {exc.colno}: {exc.msg}")
        return check
    except ValueError as exc:
        check.errors.append(f"malformed JSON: {exc}")
        return check
    if not isinstance(data, dict) or data.get("type") != "FeatureCollection":
        found = data.get("type") if isinstance(data, dict) else type(data).__name__
        check.errors.append(f"not a GeoJSON FeatureCollection (found {found!r})")
        return check
    raw_features = data.get("features")
    if not isinstance(raw_features, list):
        check.errors.append("the FeatureCollection has no `features` list")
        return check
    if not raw_features:
        check.errors.append("the FeatureCollection has no features")
        return check

    by_code: dict[str, list[int]] = defaultdict(list)
    for number, raw in enumerate(raw_features, 1):
        feature = _read_feature(raw, number, check)
        if feature is not None:
            by_code[feature.code].append(number)
            if len(by_code[feature.code]) == 1:
                check.features.append(feature)
    for code, numbers in by_code.items():
        if len(numbers) > 1:
            check.errors.append(
                f"grid {code}: duplicate code in features {', '.join(f'#{n}' for n in numbers)}"
            )
    return check


# ---------------------------------------------------------------------------------------------------------
# The layer as a whole: overlaps, gaps, community boundaries, grids a --replace would delete


def _spatial_checks(check: LayerCheck, *, replace: bool, tolerance_m2: float) -> None:
    """Check the layer the import would leave behind: the file's grids plus, without --replace, the stored
    grids the file does not mention (a partial file must still fit its neighbours)."""
    in_file = {f.code for f in check.features}
    codes = [f.code for f in check.features if f.shape is not None]
    shapes = [f.shape for f in check.features if f.shape is not None]
    ours = len(codes)
    if not replace:
        for code, boundary in Grid.objects.order_by("code").values_list("code", "boundary").iterator(2000):
            if code not in in_file:
                geom = to_shape(boundary)
                if geom.is_valid and not geom.is_empty:
                    codes.append(code)
                    shapes.append(geom)
    if not shapes:
        return
    geoms = np.asarray(shapes, dtype=object)

    file_codes = set(codes[:ours])
    for o in find_overlaps(geoms, codes):
        text = (
            f"grids {o.codes[0]} and {o.codes[1]} overlap by {o.area_m2:.2f} m² at lat {o.lat}, lng {o.lng}"
        )
        if not file_codes & set(o.codes):
            check.warnings.append(f"{text} (both already stored, neither in this file)")
        elif o.area_m2 >= tolerance_m2:
            check.errors.append(text)
        else:
            check.warnings.append(f"sliver: {text} (below {tolerance_m2:g} m²)")

    for g in find_gaps(geoms, codes, union=shapely.union_all(geoms)):
        around = f" between grids {g.bordering_text}" if g.bordering else ""
        text = f"gap (hole in the layer) of {g.area_m2:.2f} m² at lat {g.lat}, lng {g.lng}{around}"
        if not file_codes & set(g.bordering):
            check.warnings.append(f"{text} (no grid of this file borders it)")
        elif g.area_m2 >= tolerance_m2:
            check.errors.append(text)
        else:
            check.warnings.append(f"sliver: {text} (below {tolerance_m2:g} m²)")


def _community_checks(check: LayerCheck, *, tolerance_m2: float) -> None:
    """A grid must lie inside its community when that community is stored with a boundary.

    Grids share edges with their community's outline, so only a spill of at least the sliver tolerance
    counts; coordinates rounded differently on either side leave far less than that.
    """
    wanted = {f.code[:12] for f in check.features if f.shape is not None}
    boundaries = {}
    for batch in _batches(sorted(wanted)):
        boundaries.update(
            Jurisdiction.objects.filter(
                code__in=batch, level=Jurisdiction.Level.COMMUNITY, boundary__isnull=False
            ).values_list("code", "boundary")
        )
    shapes: dict[str, BaseGeometry] = {}
    for code, boundary in boundaries.items():
        if not boundary:
            continue
        geom = to_shape(boundary)
        shapes[code] = geom if geom.is_valid else shapely.make_valid(geom)
        shapely.prepare(shapes[code])
    for f in check.features:
        community = shapes.get(f.code[:12])
        if f.shape is None or community is None or community.covers(f.shape):
            continue
        outside = area_m2(f.shape.difference(community))
        if outside >= tolerance_m2:
            check.errors.append(
                f"grid {f.code} crosses the boundary of its community {f.code[:12]}: "
                f"{outside:.2f} m² lies outside it"
            )


def _batches(values: list, size: int = _WRITE_BATCH) -> Iterator[list]:
    """Slices small enough for an `__in` filter on every backend (SQLite caps query parameters)."""
    for start in range(0, len(values), size):
        yield values[start : start + size]


def _dependants(grid_ids: dict[int, str]) -> tuple[dict[str, list[str]], dict[str, list[str]]]:
    """What refers to these grids, per grid code, as "3 cases": (rows that forbid deleting the grid, rows
    deleting it would delete or unlink as well). Found from the model graph, so a relation added later
    (residents, routing rules, …) is counted without a change here."""
    blocking: dict[str, list[str]] = defaultdict(list)
    carried: dict[str, list[str]] = defaultdict(list)
    for rel in Grid._meta.related_objects:
        if rel.many_to_many or rel.on_delete is models.DO_NOTHING:
            continue
        fk, meta = rel.field, rel.related_model._meta
        target = blocking if rel.on_delete in (models.PROTECT, models.RESTRICT) else carried
        for batch in _batches(list(grid_ids)):
            counts = (
                rel.related_model._base_manager.filter(**{f"{fk.attname}__in": batch})
                .values(fk.attname)
                .annotate(n=Count("pk"))
                .values_list(fk.attname, "n")
            )
            for grid_id, n in counts:
                label = meta.verbose_name if n == 1 else meta.verbose_name_plural
                target[grid_ids[grid_id]].append(f"{n} {label}")
    return blocking, carried


def _replace_checks(check: LayerCheck) -> None:
    """With --replace the file becomes the whole layer: stored grids it leaves out are deleted, unless
    something protects them (cases keep their grid for ever: Case.grid is PROTECT; so do residents)."""
    in_file = {f.code for f in check.features}
    stored = dict(Grid.objects.values_list("code", "id"))
    check.absent_codes = sorted(set(stored) - in_file)
    if not check.absent_codes:
        return
    blocking, carried = _dependants({stored[c]: c for c in check.absent_codes})
    for code in check.absent_codes:
        if code in blocking:
            check.errors.append(
                f"grid {code} is missing from the file but is referred to by {', '.join(blocking[code])}: "
                "keep it in the file or move them to another grid first"
            )
        else:
            extra = f" with its {', '.join(carried[code])}" if code in carried else ""
            check.warnings.append(f"grid {code} is not in the file, so --replace deletes it{extra}")


def layer_check(
    content: str | bytes, *, replace: bool = False, tolerance_m2: float = DEFAULT_SLIVER_M2
) -> LayerCheck:
    """Validate a whole file against the layer it would produce. Reads the database; writes nothing."""
    check = layer_parse(content)
    if check.features:
        _spatial_checks(check, replace=replace, tolerance_m2=tolerance_m2)
        _community_checks(check, tolerance_m2=tolerance_m2)
        if replace:
            _replace_checks(check)
    check.errors = _capped(check.errors, "problem(s)")
    check.warnings = _capped(check.warnings, "warning(s)")
    return check


def _capped(lines: list[str], what: str) -> list[str]:
    if len(lines) <= MAX_PROBLEM_LINES:
        return lines
    return [*lines[:MAX_PROBLEM_LINES], f"… and {len(lines) - MAX_PROBLEM_LINES} more {what}"]


# ---------------------------------------------------------------------------------------------------------
# Import


def _ensure_levels(features: list[GridFeature]) -> tuple[dict[str, int], list[str]]:
    """Create the districts, streets and communities the grids need; existing ones are left as they are."""
    needed: dict[str, str | None] = {}
    for f in features:
        for length, key in LEVEL_NAME_PROPERTIES.items():
            prefix = f.code[:length]
            if needed.get(prefix) is None:
                needed[prefix] = f.properties.get(key)
    existing = set(Jurisdiction.objects.values_list("code", flat=True))  # hundreds, not millions
    created = []
    for code in sorted(needed, key=lambda c: (len(c), c)):  # parents before children
        if code not in existing:
            name = needed[code] or _NEUTRAL_LEVEL_NAMES[len(code)].format(code)
            jurisdiction_ensure(code=code, name=name.strip())
            created.append(code)
    communities = dict(
        Jurisdiction.objects.filter(level=Jurisdiction.Level.COMMUNITY).values_list("code", "id")
    )
    return communities, created


def _grid_values(f: GridFeature, community_id: int) -> dict[str, Any]:
    min_lng, min_lat, max_lng, max_lat = bbox(f.shape)
    return {
        "name": f.name,
        "community_id": community_id,
        "boundary": f.geometry,
        "min_lng": min_lng,
        "min_lat": min_lat,
        "max_lng": max_lng,
        "max_lat": max_lat,
        "area_m2": area_m2(f.shape),
        "properties": f.properties,
    }


_COMPARED = ("name", "community_id", "boundary", "properties")
_WRITTEN = (
    "name",
    "community",
    "boundary",
    "min_lng",
    "min_lat",
    "max_lng",
    "max_lat",
    "area_m2",
    "properties",
)


@transaction.atomic
def grid_layer_import(
    *, content: str | bytes, replace: bool = False, tolerance_m2: float = DEFAULT_SLIVER_M2
) -> LayerImportResult:
    """Validate the whole file, then write it in this one transaction and bump the layer version once.

    Without `replace` the file's grids are created or updated and others stay; with it, stored grids
    absent from the file are deleted. Any problem raises LayerInvalid before anything is written.
    """
    # Lock the version row first, so two imports cannot validate against the same layer and both write.
    GridLayerVersion.objects.select_for_update().get_or_create(pk=1)
    check = layer_check(content, replace=replace, tolerance_m2=tolerance_m2)
    if not check.ok:
        raise LayerInvalid(check.errors, check.warnings)

    communities, levels_created = _ensure_levels(check.features)
    stored = {
        g.code: g
        for batch in _batches([f.code for f in check.features])
        for g in Grid.objects.filter(code__in=batch)
    }
    now = timezone.now()
    to_create, to_update = [], []
    for f in check.features:
        values = _grid_values(f, communities[f.code[:12]])
        grid = stored.get(f.code)
        if grid is None:
            to_create.append(Grid(code=f.code, updated_at=now, **values))
        elif any(getattr(grid, k) != values[k] for k in _COMPARED):
            for key, value in values.items():
                setattr(grid, key, value)
            grid.updated_at = now  # bulk_update skips auto_now
            to_update.append(grid)
    Grid.objects.bulk_create(to_create, batch_size=_WRITE_BATCH)
    if to_update:
        Grid.objects.bulk_update(to_update, fields=[*_WRITTEN, "updated_at"], batch_size=_WRITE_BATCH)
    deleted = 0
    if replace:
        for batch in _batches(check.absent_codes):
            try:
                deleted += Grid.objects.filter(code__in=batch).delete()[1].get(Grid._meta.label, 0)
            except (ProtectedError, RestrictedError) as exc:
                # Something came to refer to one of them after the check: refuse, and everything rolls back.
                raise LayerInvalid(
                    [
                        "a grid missing from the file became referenced during the import: try again "
                        f"({exc.args[0]})"
                    ],
                    check.warnings,
                ) from exc
    if to_create or to_update or deleted or levels_created:
        grid_layer_bump()
    version = GridLayerVersion.objects.filter(pk=1).values_list("version", flat=True).first() or 0
    return LayerImportResult(
        created=len(to_create),
        updated=len(to_update),
        unchanged=len(check.features) - len(to_create) - len(to_update),
        deleted=deleted,
        jurisdictions_created=levels_created,
        warnings=check.warnings,
        version=version,
    )


# ---------------------------------------------------------------------------------------------------------
# Export


def grid_features(
    *, grids: QuerySet[Grid] | None = None, prefix: str = "", derived: bool = False
) -> Iterator[dict[str, Any]]:
    """The layer (or `grids`) as GeoJSON features ordered by code: properties code, name, kept properties.

    `prefix` limits it to one jurisdiction (grid codes start with their district, street and community
    codes). `derived` adds community_code and area_m2, which an import recomputes and drops. One query.
    """
    rows = (Grid.objects.all() if grids is None else grids).order_by("code")
    if prefix:
        rows = rows.filter(code__startswith=prefix)
    for code, name, boundary, properties, community_code, area in rows.values_list(
        "code", "name", "boundary", "properties", "community__code", "area_m2"
    ).iterator(chunk_size=2000):
        props: dict[str, Any] = {"code": code, "name": name}
        if derived:
            props["community_code"] = community_code
            props["area_m2"] = round(area, 1)
        # Sorted: PostgreSQL's jsonb does not keep key order, and the export must not depend on the database.
        props.update(sorted((k, v) for k, v in (properties or {}).items() if k not in props))
        yield {"type": "Feature", "properties": props, "geometry": boundary}


def feature_collection(features: Iterator[dict[str, Any]]) -> dict[str, Any]:
    return {"type": "FeatureCollection", "features": list(features)}


def feature_collection_text(features: Iterator[dict[str, Any]]) -> str:
    """A FeatureCollection with one feature per line: valid JSON that diffs well under version control."""
    lines = [json.dumps(f, ensure_ascii=False, separators=(",", ":")) for f in features]
    body = ",\n".join(lines)
    return '{"type":"FeatureCollection","features":[\n' + body + ("\n" if lines else "") + "]}\n"
