"""Buildings and houses in bulk: every row checked in Python with the services' own cleaning functions, then
all rows written with multi-row INSERTs in one transaction (100,000 houses in seconds, where a service call
per row would take minutes)."""

from dataclasses import dataclass

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy, gettext_noop

from gridmgmt.bulk import rows_insert
from gridmgmt.errors import InvalidInput
from gridmgmt.json_io import json_loads
from gridmgmt.messages import Message
from grids.geometry import to_shape
from grids.models import Jurisdiction
from grids.residents_import import ImportResult, RowError, _text

from .. import addresses, services
from ..models import Building, House, Road
from ..selectors import NOT_FOUND
from .checks import Context, FirstRows, RowCheck, chunks
from .columns import LABELS, coded
from .reading import Record, Table

ALREADY_BUILDING = gettext_noop("this address is already registered as a building")
ALREADY_HOUSE = gettext_noop("this house is already registered")


def _drop_registered(good: list, registered: set, key, column: str, template: str, result) -> list:
    """The rows whose key is not in `registered`; the others become errors."""
    kept = []
    for row in good:
        if key(row) in registered:
            result.errors.append(RowError(row.row, column, Message(template)))
        else:
            kept.append(row)
    return kept


# --- buildings ------------------------------------------------------------------------------------------


@dataclass(slots=True)
class _Good:
    """A row that passed its checks: its number and the unsaved row to insert."""

    row: int
    obj: Building | House
    district_id: int | None = None


def _footprint(value) -> dict | None:
    """A footprint cell: GeoJSON text in a sheet, the geometry itself in a GeoJSON file."""
    if isinstance(value, str) and value.strip():
        try:
            value = json_loads(value)  # refuses nesting deeper than any polygon needs
        except ValueError:
            raise InvalidInput(
                gettext_noop("the footprint must be a GeoJSON Polygon"), field="footprint"
            ) from None
    return services._footprint_clean(value or None)


def _centroid(footprint: dict) -> tuple[float, float]:
    point = to_shape(footprint).centroid
    return point.y, point.x


class _Roads:
    """The district's roads by key, read once per district; new ones keep the name first written."""

    def __init__(self):
        self.known: dict[int, dict[str, Road]] = {}

    def get(self, district_id: int, key: str, name: str) -> Road:
        roads = self.known.get(district_id)
        if roads is None:
            roads = self.known[district_id] = {r.key: r for r in Road.objects.filter(district_id=district_id)}
        if key not in roads:
            roads[key] = Road(district_id=district_id, key=key, name=name)
        return roads[key]


def _district_id(grid, districts: dict) -> int:
    code = grid.code[:6]
    if code not in districts:
        district = Jurisdiction.objects.filter(code=code).first()
        if district is None:  # only a broken layer has a grid without its district
            raise InvalidInput(gettext_noop("grid %(code)s has no district"), code=grid.code, field="grid")
        districts[code] = district.pk
    return districts[code]


# A building's text and counts, checked as building_save checks them: the column, the service's field,
# the word its sentences use, the limits.
_BUILDING_TEXTS = (
    ("road", "road", gettext_lazy("the road"), 60, True),
    ("number", "number", gettext_lazy("the door number"), 20, True),
    ("building", "name", gettext_lazy("the building number"), 40, False),
)
_BUILDING_COUNTS = (("floors", gettext_lazy("floors"), 200), ("units", gettext_lazy("units"), 99))


def _building_place(record: Record, check: RowCheck, context: Context) -> tuple:
    """((lat, lng, grid) of the row's point or its footprint's centroid, None when refused; the footprint).
    The grid is checked against the row's grid_code and the actor's grids."""
    code = record.text("grid_code")
    grid = context.grid_by_code(code) if code else None
    if code and grid is None:
        check.refuse("grid_code", gettext_noop("unknown grid code %(code)s"), code=code)
    footprint = check.check("footprint", _footprint, record.get("footprint"))
    lat, lng = record.get("lat"), record.get("lng")
    if footprint and _text(lat) == "" and _text(lng) == "":
        lat, lng = _centroid(footprint)  # a footprint without a point: its centroid is the point
    located = check.check("lat", services.locate_in_grid, lat, lng)
    if located is None:
        return None, footprint
    if grid is not None and located[2].pk != grid.pk:
        check.refuse(
            "grid_code",
            gettext_noop("the location lies in grid %(found)s, not in %(grid)s"),
            found=located[2].label,
            grid=grid.label,
        )
        return None, footprint
    if not check.in_scope(context, located[2].pk, "grid_code" if code else "lat"):
        return None, footprint
    return located, footprint


def _building_check(record: Record, context: Context, roads: _Roads, districts: dict) -> tuple:
    check = RowCheck(record)
    located, footprint = _building_place(record, check, context)
    road, number, name = (
        check.check(
            column,
            services._text,
            record.text(column),
            field=field,
            label=label,
            max_length=n,
            required=required,
        )
        for column, field, label, n, required in _BUILDING_TEXTS
    )
    parts = check.check("number", services.building_parts, road, number, name) if road and number else None
    use = coded(record.get("use"), Building.Use) or Building.Use.RESIDENTIAL
    use = check.check("use", services._choice, use, Building.Use, field="use", label=LABELS["use"])
    floors, units = (
        check.check(
            column, services._count, record.text(column) or 1, field=column, label=label, low=1, high=high
        )
        for column, label, high in _BUILDING_COUNTS
    )
    if not check.ok:
        return check, None
    district_id = check.check("grid_code", _district_id, located[2], districts)
    if district_id is None:
        return check, None
    road_row = roads.get(district_id, addresses.road_key(parts.road), parts.road)
    building = Building(
        grid_id=located[2].pk,
        road=road_row,
        number=parts.number,
        name=parts.building,
        address=addresses.building_address(road_row.name, parts.number, parts.building),
        address_key=addresses.building_key(road_row.key, parts.number, parts.building),
        use=use,
        floors=floors,
        units=units,
        lat=located[0],
        lng=located[1],
        footprint=footprint,
    )
    return check, _Good(record.row, building, district_id)


def buildings_import(table: Table, context: Context, result: ImportResult) -> None:
    roads, districts = _Roads(), {}
    first = FirstRows(gettext_lazy("address"))
    good: list[_Good] = []
    for record in table.records:
        result.total += 1
        context.step(result.total, table.expected)
        check, row = _building_check(record, context, roads, districts)
        if row is not None:
            first.check((row.district_id, row.obj.address_key), check, "number")
        result.errors.extend(check.errors)
        if check.ok:
            good.append(row)
    good = _buildings_unregistered(good, result)
    if result.errors:
        return
    with transaction.atomic():
        new_roads = [road for known in roads.known.values() for road in known.values() if road.pk is None]
        Road.objects.bulk_create(new_roads)
        now = timezone.now()
        buildings = []
        for row in good:
            row.obj.road_id = row.obj.road.pk  # known only after the road's own INSERT
            row.obj.created_at = row.obj.updated_at = now
            buildings.append(row.obj)
        rows_insert(Building, buildings)
    result.imported = len(good)


def _buildings_unregistered(good: list[_Good], result: ImportResult) -> list[_Good]:
    registered = set()
    by_district: dict[int, list[str]] = {}
    for row in good:
        by_district.setdefault(row.district_id, []).append(row.obj.address_key)
    for district_id, keys in by_district.items():
        for chunk in chunks(keys):
            registered.update(
                Building.objects.filter(road__district_id=district_id, address_key__in=chunk).values_list(
                    "road__district_id", "address_key"
                )
            )
    return _drop_registered(
        good, registered, lambda r: (r.district_id, r.obj.address_key), "number", ALREADY_BUILDING, result
    )


# --- houses ---------------------------------------------------------------------------------------------


@dataclass(slots=True)
class _HouseRow:
    """A house row read: the building it names (by id, or by the key of its address) and its check."""

    record: Record
    check: RowCheck
    building_id: int | None = None
    building_key: str | None = None
    address: addresses.AddressParts | None = None  # the address column read, when it names the building


class _Parsed(dict):
    """Address text → its parts (or the refusal), each distinct text parsed once: a file names each
    building on every one of its houses' rows."""

    def __missing__(self, text: str):
        try:
            value = addresses.address_parse(text)
        except InvalidInput as exc:
            value = exc
        self[text] = value
        return value


def _parts_of(parsed: _Parsed, text: str) -> addresses.AddressParts:
    value = parsed[text]
    if isinstance(value, InvalidInput):
        raise value
    return value


def _house_row(record: Record, parsed: _Parsed) -> _HouseRow:
    row = _HouseRow(record, RowCheck(record))
    raw_id = record.text("building_id")
    if raw_id:
        row.building_id = row.check.check(
            "building_id",
            services._count,
            raw_id,
            field="building_id",
            label=gettext_lazy("the building id"),
            low=1,
            high=2**31 - 1,
        )
        return row
    row.address = row.check.check("address", _parts_of, parsed, record.text("address"))
    if row.address is not None:
        row.building_key = addresses.building_key(row.address.road, row.address.number, row.address.building)
    return row


def _buildings_named(rows: list[_HouseRow]) -> tuple[dict[int, Building], dict[str, list[Building]]]:
    """The buildings the rows name: by id, and by address key (a key may be in several districts)."""
    fields = ("id", "grid_id", "address", "address_key", "units", "floors")
    ids = sorted({r.building_id for r in rows if r.building_id})
    keys = sorted({r.building_key for r in rows if r.building_key})
    by_id: dict[int, Building] = {}
    by_key: dict[str, list[Building]] = {}
    for chunk in chunks(ids):
        by_id.update((b.pk, b) for b in Building.objects.filter(pk__in=chunk).only(*fields))
    for chunk in chunks(keys):
        for building in Building.objects.filter(address_key__in=chunk).only(*fields):
            by_key.setdefault(building.address_key, []).append(building)
    return by_id, by_key


def _house_building(row: _HouseRow, by_id: dict, by_key: dict) -> Building | None:
    if row.building_id is not None:
        building = by_id.get(row.building_id)
        if building is None:
            row.check.refuse("building_id", gettext_noop("no building has the id %(id)s"), id=row.building_id)
        return building
    if row.building_key is None:
        return None
    found = by_key.get(row.building_key, [])
    address = row.record.text("address")[:100]
    if len(found) > 1:
        row.check.refuse(
            "address",
            gettext_noop("several buildings have the address %(address)s: give building_id instead"),
            address=address,
        )
    elif not found:
        row.check.refuse("address", NOT_FOUND, address=address)
    return found[0] if len(found) == 1 else None


def _house_check(row: _HouseRow, building: Building, context: Context) -> House | None:
    check, record = row.check, row.record
    if not check.in_scope(context, building.grid_id, "building_id" if row.building_id else "address"):
        return None
    room, unit = record.text("room"), record.text("unit")
    if room == "" and row.address is not None and row.address.room:
        # The address column names the house itself ("八一大道123号1栋2单元301"): unit and room from it.
        room = row.address.room
        unit = unit or _text(row.address.unit)
    room = check.check(
        "room",
        services._text,
        room,
        field="room",
        label=gettext_lazy("the room number"),
        max_length=20,
        required=True,
    )
    parts = floor = None
    if room:
        by_field = {"unit": "unit"}
        parts = check.check("room", services.house_parts, building, unit, room, columns_by_field=by_field)
    if parts:
        floor = check.check("floor", services.house_floor, building, parts, record.text("floor"), room)
    use = check.check(
        "use",
        services._choice,
        coded(record.get("use"), House.Use) or House.Use.OWNER_OCCUPIED,
        House.Use,
        field="use",
        label=LABELS["use"],
    )
    area = check.check("area_m2", services._area, record.get("area_m2"))
    if not check.ok:
        return None
    return House(
        building_id=building.pk,
        grid_id=building.grid_id,
        unit=parts.unit,
        room=parts.room,
        floor=floor,
        address=addresses.house_address(building.address, parts.unit, parts.room),
        address_key=addresses.house_key(building.address_key, parts.unit, parts.room),
        use=use,
        area_m2=area,
    )


def houses_import(table: Table, context: Context, result: ImportResult) -> None:
    parsed = _Parsed()
    rows = [_house_row(record, parsed) for record in table.records]
    result.total = len(rows)
    by_id, by_key = _buildings_named(rows)
    first = FirstRows(gettext_lazy("house"))
    good: list[_Good] = []
    for done, row in enumerate(rows, start=1):
        context.step(done, len(rows))
        building = _house_building(row, by_id, by_key)
        house = _house_check(row, building, context) if building is not None else None
        if house is not None:
            first.check((house.building_id, house.address_key), row.check, "room")
        result.errors.extend(row.check.errors)
        if row.check.ok:
            good.append(_Good(row.record.row, house))
    good = _houses_unregistered(good, result)
    if result.errors:
        return
    now = timezone.now()
    for row in good:
        row.obj.created_at = row.obj.updated_at = now
    with transaction.atomic():
        rows_insert(House, [row.obj for row in good])
    result.imported = len(good)


def _houses_unregistered(good: list[_Good], result: ImportResult) -> list[_Good]:
    registered = set()
    for chunk in chunks(sorted({row.obj.building_id for row in good})):
        registered.update(
            House.objects.filter(building_id__in=chunk).values_list("building_id", "address_key")
        )
    return _drop_registered(
        good, registered, lambda r: (r.obj.building_id, r.obj.address_key), "room", ALREADY_HOUSE, result
    )
