"""`base_data_export`: the base data a reader may see, in the columns the import reads, as CSV (UTF-8 with a
BOM, so Excel opens it), XLSX or a GeoJSON FeatureCollection; each file imports back as it is.

No personal data in clear, whoever exports: a resident is named by the resident key (the keyed hash of the ID
number the registry keeps, which only this system resolves); organisations' legal representatives and
contacts are left out. Coded values are written as their codes.
"""

import csv
import io
import json
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from django.db.models import Q, QuerySet
from django.utils import timezone

from gridmgmt import policy

from ..models import Building, Facility, House, Occupancy, Organisation
from .columns import LAYOUTS, Kind, Layout
from .reading import formula_like

FORMATS = {
    "csv": "text/csv; charset=utf-8",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "geojson": "application/geo+json",
}
CHUNK = 2000


@dataclass(frozen=True)
class Export:
    content: bytes
    content_type: str
    filename: str


@dataclass(frozen=True)
class Row:
    """One record as the writers take it: its value per exported column, and its geometry."""

    values: dict
    geometry: dict | None  # the row's place on a map (a Point, or a building's footprint)


def _point(lat: float, lng: float) -> dict:
    return {"type": "Point", "coordinates": [lng, lat]}


def _scope(user, *, facilities: bool = False, prefix: str = "") -> Q:
    """The rows `user` may read, like the lists (None: the system, everything)."""
    if user is None:
        return Q()
    if facilities:
        return policy.facilities_visible_q(user)
    if not prefix:
        return policy.base_data_visible_q(user)
    scope = policy.base_data_grid_scope(user)
    return Q() if scope is None else Q(**{f"{prefix}grid_id__in": scope})


def _each(rows: QuerySet) -> Iterator:
    return rows.iterator(chunk_size=CHUNK)


# --- rows per kind ----------------------------------------------------------------------------------------


def _values(obj, kind: str, **special) -> dict:
    """The exported columns of `kind`: those given in `special`, the others the attribute of that name."""
    return {c: special[c] if c in special else getattr(obj, c) for c in LAYOUTS[kind].exported}


def _buildings(user) -> Iterator[Row]:
    rows = Building.objects.select_related("grid", "road").defer("grid__boundary").filter(_scope(user))
    for b in _each(rows.order_by("grid__code", "address_key", "id")):
        values = _values(b, Kind.BUILDINGS, grid_code=b.grid.code, road=b.road.name, building=b.name)
        yield Row(values, b.footprint or _point(b.lat, b.lng))


def _houses(user) -> Iterator[Row]:
    rows = House.objects.select_related("building").filter(_scope(user))
    for h in _each(rows.order_by("building__address_key", "address_key", "id")):
        yield Row(_values(h, Kind.HOUSES, address=h.building.address), _point(h.building.lat, h.building.lng))


def _occupancies(user) -> Iterator[Row]:
    rows = Occupancy.objects.select_related("resident", "landlord", "house__building")
    rows = rows.filter(_scope(user, prefix="house__"))
    for o in _each(rows.order_by("resident_id", "since", "id")):
        values = _values(
            o,
            Kind.OCCUPANCIES,
            resident_key=o.resident.id_number_hash,
            address=o.house.address,
            landlord_key=o.landlord.id_number_hash if o.landlord_id else "",
        )
        yield Row(values, _point(o.house.building.lat, o.house.building.lng))


def _organisations(user) -> Iterator[Row]:
    for o in _each(Organisation.objects.filter(_scope(user)).order_by("credit_code")):
        yield Row(_values(o, Kind.ORGANISATIONS, risk_tags=";".join(o.risk_tags)), _point(o.lat, o.lng))


def _facilities(user) -> Iterator[Row]:
    rows = Facility.objects.select_related("facility_class", "department")
    for f in _each(rows.filter(_scope(user, facilities=True)).order_by("code")):
        values = _values(
            f,
            Kind.FACILITIES,
            facility_class=f.facility_class.code,
            department=f.department.code if f.department_id else "",
            # What the survey found: a state an open case shows is the case's, and returns when it closes.
            state=f.surveyed_state,
        )
        yield Row(values, _point(f.lat, f.lng))


ROWS: dict[str, Callable[..., Iterator[Row]]] = {
    Kind.BUILDINGS: _buildings,
    Kind.HOUSES: _houses,
    Kind.OCCUPANCIES: _occupancies,
    Kind.ORGANISATIONS: _organisations,
    Kind.FACILITIES: _facilities,
}


# --- formats ----------------------------------------------------------------------------------------------


def _csv_cell(value) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, dict):
        return json.dumps(value, separators=(",", ":"), ensure_ascii=False)
    if isinstance(value, date):
        return value.isoformat()
    text = str(value)
    return "'" + text if formula_like(text) else text


def _csv(layout: Layout, rows: Iterator[Row]) -> bytes:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(layout.exported)
    for row in rows:
        writer.writerow([_csv_cell(row.values[column]) for column in layout.exported])
    return out.getvalue().encode("utf-8-sig")


def _xlsx(layout: Layout, rows: Iterator[Row]) -> bytes:
    import openpyxl
    from openpyxl.cell import WriteOnlyCell

    workbook = openpyxl.Workbook(write_only=True)
    sheet = workbook.create_sheet(title=layout.kind)
    sheet.append(list(layout.exported))

    def cell(value):
        if isinstance(value, dict):
            value = json.dumps(value, separators=(",", ":"), ensure_ascii=False)
        elif isinstance(value, Decimal):
            value = float(value)
        written = WriteOnlyCell(sheet, value=value)
        if isinstance(value, str):
            written.data_type = "s"  # text, never a formula, whatever it starts with
        return written

    for row in rows:
        sheet.append([cell(row.values[column]) for column in layout.exported])
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()


def _json_value(value):
    if isinstance(value, Decimal):
        return float(value)
    if isinstance(value, date):
        return value.isoformat()
    return value


def _geojson(layout: Layout, rows: Iterator[Row]) -> bytes:
    """A feature per row; its geometry is the row's point (or footprint), the other columns its properties.
    Kinds without a point of their own (houses, occupancies) carry their building's as a picture only."""
    features = []
    for row in rows:
        hidden = {"footprint"}
        if layout.located and row.geometry and row.geometry["type"] == "Point":
            hidden |= {"lat", "lng"}
        properties = {c: _json_value(row.values[c]) for c in layout.exported if c not in hidden}
        features.append({"type": "Feature", "geometry": row.geometry, "properties": properties})
    document = {"type": "FeatureCollection", "features": features}
    return json.dumps(document, ensure_ascii=False, separators=(",", ":")).encode()


WRITERS = {"csv": _csv, "xlsx": _xlsx, "geojson": _geojson}


def base_data_export(*, kind: str, fmt: str, user=None) -> Export:
    """The rows of `kind` that `user` may read (None: the system, all of them) as a file of format `fmt`."""
    layout = LAYOUTS[kind]
    content = WRITERS[fmt](layout, ROWS[kind](user))
    filename = f"{kind}-{timezone.localdate():%Y%m%d}.{fmt}"
    return Export(content, FORMATS[fmt], filename)
