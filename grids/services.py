"""Writes to the grid layer and its assignments."""

from django.db import transaction
from django.db.models import F

from gridmgmt.errors import InvalidInput

from .geometry import area_m2, bbox, to_shape
from .models import Grid, GridAssignment, GridLayerVersion, Jurisdiction

_LEVEL_BY_LENGTH = {
    6: Jurisdiction.Level.DISTRICT,
    9: Jurisdiction.Level.STREET,
    12: Jurisdiction.Level.COMMUNITY,
}


def jurisdiction_ensure(*, code: str, name: str, boundary: dict | None = None) -> Jurisdiction:
    """Create or update the jurisdiction with this code; its parent is found from the code's prefix."""
    level = _LEVEL_BY_LENGTH.get(len(code))
    if level is None or not code.isdigit():
        raise InvalidInput(f"{code!r} is not a 6, 9 or 12-digit jurisdiction code", field="code")
    parent = None
    if level != Jurisdiction.Level.DISTRICT:
        parent = Jurisdiction.objects.filter(code=code[: len(code) - 3]).first()
        if parent is None:
            raise InvalidInput(f"jurisdiction {code} has no parent {code[:-3]}", field="code")
    jurisdiction, _ = Jurisdiction.objects.update_or_create(
        code=code, defaults={"name": name, "level": level, "parent": parent, "boundary": boundary}
    )
    return jurisdiction


@transaction.atomic
def grid_save(*, code: str, name: str, boundary: dict, properties: dict | None = None) -> Grid:
    """Create or replace a grid; its community is the one whose code is the grid code's first 12 digits."""
    if len(code) != 14 or not code.isdigit():
        raise InvalidInput(f"{code!r} is not a 14-digit grid code", field="code")
    community = Jurisdiction.objects.filter(code=code[:12], level=Jurisdiction.Level.COMMUNITY).first()
    if community is None:
        raise InvalidInput(f"grid {code} has no community {code[:12]}", field="code")
    geometry = to_shape(boundary)
    if geometry.geom_type not in ("Polygon", "MultiPolygon") or not geometry.is_valid:
        raise InvalidInput(f"grid {code} needs a valid Polygon or MultiPolygon", field="boundary")
    min_lng, min_lat, max_lng, max_lat = bbox(geometry)
    grid, _ = Grid.objects.update_or_create(
        code=code,
        defaults={
            "name": name,
            "community": community,
            "boundary": boundary,
            "min_lng": min_lng,
            "min_lat": min_lat,
            "max_lng": max_lng,
            "max_lat": max_lat,
            "area_m2": area_m2(geometry),
            "properties": properties or {},
        },
    )
    grid_layer_bump()
    return grid


def grid_layer_bump() -> None:
    """Mark the grid layer changed (in the caller's transaction): every process rebuilds its index."""
    if not GridLayerVersion.objects.filter(pk=1).update(version=F("version") + 1):
        GridLayerVersion.objects.get_or_create(pk=1, defaults={"version": 1})


def grid_assign(*, grid: Grid, user) -> GridAssignment:
    assignment, _ = GridAssignment.objects.get_or_create(grid=grid, user=user)
    return assignment
