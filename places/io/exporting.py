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
class _Row:
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


def _buildings(user) -> Iterator[_Row]:
    rows = Building.objects.select_related("grid", "road").defer("grid__boundary").filter(_scope(user))
    for b in _each(rows.order_by("grid__code", "address_key", "id")):
        values = {
            "grid_code": b.grid.code,
            "road": b.road.name,
            "number": b.number,
            "building": b.name,
            "use": b.use,
            "floors": b.floors,
            "units": b.units,
            "lat": b.lat,
            "lng": b.lng,
            "footprint": b.footprint,
        }
        yield _Row(values, b.footprint or _point(b.lat, b.lng))


def _houses(user) -> Iterator[_Row]:
    rows = House.objects.select_related("building").filter(_scope(user))
    for h in _each(rows.order_by("building__address_key", "address_key", "id")):
        values = {
            "address": h.building.address,
            "unit": h.unit,
            "room": h.room,
            "floor": h.floor,
            "use": h.use,
            "area_m2": h.area_m2,
        }
        yield _Row(values, _point(h.building.lat, h.building.lng))


def _occupancies(user) -> Iterator[_Row]:
    rows = Occupancy.objects.select_related("resident", "landlord", "house__building")
    rows = rows.filter(_scope(user, prefix="house__"))
    for o in _each(rows.order_by("resident_id", "since", "id")):
        values = {
            "resident_key": o.resident.id_number_hash,
            "address": o.house.address,
            "relation": o.relation,
            "population": o.population,
            "is_tenant": o.is_tenant,
            "landlord_key": o.landlord.id_number_hash if o.landlord_id else "",
            "since": o.since,
            "until": o.until,
        }
        yield _Row(values, _point(o.house.building.lat, o.house.building.lng))


def _organisations(user) -> Iterator[_Row]:
    rows = Organisation.objects.filter(_scope(user)).order_by("credit_code")
    for o in _each(rows):
        values = {
            "name": o.name,
            "credit_code": o.credit_code,
            "kind": o.kind,
            "address": o.address,
            "lat": o.lat,
            "lng": o.lng,
            "employees": o.employees,
            "risk_tags": ";".join(o.risk_tags),
            "next_inspection_on": o.next_inspection_on,
        }
        yield _Row(values, _point(o.lat, o.lng))


def _facilities(user) -> Iterator[_Row]:
    rows = Facility.objects.select_related("facility_class", "department")
    for f in _each(rows.filter(_scope(user, facilities=True)).order_by("code")):
        values = {
            "code": f.code,
            "facility_class": f.facility_class.code,
            "lat": f.lat,
            "lng": f.lng,
            "name": f.name,
            "address": f.address,
            "owner": f.owner,
            "department": f.department.code if f.department_id else "",
            # What the survey found: a state an open case shows is the case's, and returns when it closes.
            "state": f.surveyed_state,
        }
        yield _Row(values, _point(f.lat, f.lng))


ROWS: dict[str, Callable[..., Iterator[_Row]]] = {
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


def _csv(layout: Layout, rows: Iterator[_Row]) -> bytes:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(layout.exported)
    for row in rows:
        writer.writerow([_csv_cell(row.values[column]) for column in layout.exported])
    return out.getvalue().encode("utf-8-sig")


def _xlsx(layout: Layout, rows: Iterator[_Row]) -> bytes:
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


def _geojson(layout: Layout, rows: Iterator[_Row]) -> bytes:
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
