"""Occupancies, organisations and facilities: each row read and looked up first (residents, houses, classes,
departments in few queries), then written by its own service (occupancy_start, organisation_save,
facility_save) in a savepoint, all inside one transaction that is rolled back when any row is refused.

These kinds come by the thousand, not the hundred thousand, and their services hold rules (a move closes
the previous home, a facility code's serial is taken under a lock) that only they should apply.
"""

import re
from collections.abc import Callable
from dataclasses import dataclass, field

from django.db import transaction
from django.utils.translation import gettext_lazy, gettext_noop

from departments.models import Department
from gridmgmt.errors import DomainError, InvalidInput
from grids import pii
from grids.models import Resident
from grids.residents_import import _ID_AS_NUMBER, ImportResult, _date, _text
from grids.selectors import grid_locate_id

from .. import addresses, codes, services
from ..models import Building, Facility, FacilityClass, Occupancy, Organisation
from ..selectors import house_for_address
from .checks import Context, FirstRows, RowCheck, chunks
from .columns import coded, yes_no
from .reading import Record, Table

_KEY_RE = re.compile("[0-9a-f]{64}")


@dataclass(slots=True)
class _Row:
    """A row read and looked up: its check, and the service's arguments once everything is found."""

    record: Record
    check: RowCheck
    arguments: dict = field(default_factory=dict)


def _run(rows: list[_Row], context: Context, result: ImportResult, write: Callable, columns: dict) -> None:
    """Write each row that passed its checks with `write(actor, **arguments)` in a savepoint; all in one
    transaction, rolled back when any row of the file was refused (here or before)."""
    ready = [row for row in rows if row.check.ok]
    with transaction.atomic():
        for done, row in enumerate(ready, start=1):
            context.step(done, len(ready))
            try:
                with transaction.atomic():
                    write(context.actor, **row.arguments)
            except DomainError as exc:
                row.check.service_error(exc, columns)
        for row in rows:
            result.errors.extend(row.check.errors)
        if result.errors:
            transaction.set_rollback(True)  # nothing of the file is kept
        else:
            result.imported = len(ready)


def _optional_date(check: RowCheck, record: Record, column: str):
    return check.check(column, _date, record.get(column), column) if record.text(column) else None


# --- occupancies ----------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class _Person:
    """A resident a row names: the hash of their ID number (or the key an export wrote) and the column."""

    hash: str
    column: str


def _person(check: RowCheck, record: Record, number_column: str, key_column: str, context: Context):
    raw = record.get(number_column)
    if isinstance(raw, int | float) and not isinstance(raw, bool):
        check.refuse(number_column, _ID_AS_NUMBER)  # a spreadsheet already rounded it
        return None
    if _text(raw):
        number = check.check(number_column, pii.id_number_validate, _text(raw), today=context.today)
        return _Person(pii.hash_id_number(number.number), number_column) if number else None
    key = record.text(key_column).lower()
    if key and not _KEY_RE.fullmatch(key):
        check.refuse(
            key_column, gettext_noop("a resident key is the 64 hexadecimal characters an export wrote")
        )
        return None
    return _Person(key, key_column) if key else None


def _residents(people: set[str]) -> dict[str, Resident]:
    found: dict[str, Resident] = {}
    for chunk in chunks(sorted(people)):
        found.update((r.id_number_hash, r) for r in Resident.objects.filter(id_number_hash__in=chunk))
    return found


class _Houses(dict):
    """Address text → (house or None, why not), each distinct text looked up once."""

    def __missing__(self, text: str):
        try:
            house, reason = house_for_address(text)
        except InvalidInput as exc:
            house, reason = None, exc
        self[text] = (house, reason)
        return house, reason


def _house(check: RowCheck, houses: _Houses, text: str):
    house, reason = houses[text]
    if isinstance(reason, InvalidInput):
        check.note("address", reason)
    elif reason == "ambiguous":
        check.refuse(
            "address", gettext_noop("several houses have the address %(address)s"), address=text[:100]
        )
    elif house is None:
        check.refuse(
            "address",
            gettext_noop("no house of the base data has the address %(address)s"),
            address=text[:100],
        )
    return house


def _occupancy_read(record: Record, context: Context) -> tuple[_Row, _Person | None, _Person | None]:
    check = RowCheck(record)
    resident = _person(check, record, "id_number", "resident_key", context)
    if resident is None and check.ok:
        check.refuse("id_number", gettext_noop("give the resident's ID number or resident key"))
    landlord = _person(check, record, "landlord_id_number", "landlord_key", context)
    row = _Row(record, check)
    row.arguments = {
        "relation": coded(record.get("relation"), Occupancy.Relation) or Occupancy.Relation.HEAD,
        "population": coded(record.get("population"), Occupancy.Population)
        or Occupancy.Population.REGISTERED,
        "is_tenant": check.check("is_tenant", yes_no, record.get("is_tenant"), field="is_tenant"),
        "since": check.check("since", _date, record.get("since"), "since"),
        "until": _optional_date(check, record, "until"),
    }
    return row, resident, landlord


def occupancies_import(table: Table, context: Context, result: ImportResult) -> None:
    read = [_occupancy_read(record, context) for record in table.records]
    result.total = len(read)
    residents = _residents({p.hash for _, *people in read for p in people if p is not None})
    recorded = set()
    for chunk in chunks(sorted(r.pk for r in residents.values())):
        recorded.update(Occupancy.objects.filter(resident_id__in=chunk).values_list("resident_id", "since"))
    houses, first = _Houses(), FirstRows(gettext_lazy("resident and moving-in date"))
    for row, resident_ref, landlord_ref in read:
        check, arguments = row.check, row.arguments
        house = _house(check, houses, row.record.text("address"))
        resident = _resident(check, residents, resident_ref)
        landlord = _resident(check, residents, landlord_ref)
        if house is not None:
            check.in_scope(context, house.grid_id, "address")
        if resident is not None:
            check.in_scope(context, resident.grid_id, resident_ref.column)
            if arguments["since"] is not None:
                first.check((resident.pk, arguments["since"]), check, "since")
                if (resident.pk, arguments["since"]) in recorded:
                    check.refuse("since", gettext_noop("this occupancy is already recorded"))
        arguments.update(house=house, resident=resident, landlord=landlord)
    # A resident's homes in the order they lived there: each move closes the home before it.
    ordered = sorted(
        (row for row, *_ in read), key=lambda r: (r.arguments["since"] or context.today, r.record.row)
    )
    columns = {"since": "since", "until": "until", "relation": "relation", "population": "population"}
    columns |= {
        "house": "address",
        "landlord": "landlord_key" if "landlord_key" in table.columns else "landlord_id_number",
    }
    _run(ordered, context, result, _occupancy_write, {"": "id_number", **columns})


def _resident(check: RowCheck, residents: dict, ref: _Person | None) -> Resident | None:
    if ref is None:
        return None
    resident = residents.get(ref.hash)
    if resident is None:
        if ref.column.endswith("_key"):
            check.refuse(ref.column, gettext_noop("no resident has this resident key"))
        else:
            check.refuse(ref.column, gettext_noop("no resident is registered with this ID number"))
    return resident


def _occupancy_write(actor, *, until, **arguments) -> None:
    occupancy = services.occupancy_start(actor=actor, **arguments)
    if until is not None:
        services.occupancy_end(actor=actor, occupancy=occupancy, until=until)


# --- organisations ----------------------------------------------------------------------------------------


class _Places(dict):
    """Address text → (house, building) it names, both None for text that is no standard address of ours."""

    def __missing__(self, text: str):
        try:
            house, _ = house_for_address(text)
            building_key, _ = addresses.address_keys(text)
        except InvalidInput:
            house, building_key = None, None
        building = None
        if house is None and building_key:
            found = list(Building.objects.filter(address_key=building_key)[:2])
            building = found[0] if len(found) == 1 else None
        self[text] = (house, building)
        return house, building


def _point_grid(lat, lng) -> int | None:
    try:
        return grid_locate_id(lat=float(lat), lng=float(lng))
    except (TypeError, ValueError):
        return None


def _organisation_read(record: Record, context: Context, places: _Places, first: FirstRows) -> _Row:
    check = RowCheck(record)
    code = check.check("credit_code", codes.credit_code_validate, record.text("credit_code"))
    if code:
        first.check(code, check, "credit_code")
    house, building = places[record.text("address")]
    lat, lng = record.get("lat"), record.get("lng")
    grid_id = (house or building).grid_id if house or building else _point_grid(lat, lng)
    if grid_id is not None:
        check.in_scope(context, grid_id, "address" if house or building else "lat")
    arguments = {
        "name": record.text("name"),
        "credit_code": code,
        "kind": coded(record.get("kind"), Organisation.Kind),
        "lat": lat if _text(lat) else None,
        "lng": lng if _text(lng) else None,
        "house": house,
        "building": building,
        "address": record.text("address"),
        "employees": record.text("employees") or 0,
        "risk_tags": record.text("risk_tags"),
        "next_inspection_on": _optional_date(check, record, "next_inspection_on"),
    }
    # Personal data only when the file gives it; exports never hold it in clear.
    for column in ("legal_representative", "contact_name", "contact_phone"):
        arguments[column] = record.text(column) or None
    return _Row(record, check, arguments)


def organisations_import(table: Table, context: Context, result: ImportResult) -> None:
    places, first = _Places(), FirstRows(gettext_lazy("credit code"))
    rows = [_organisation_read(record, context, places, first) for record in table.records]
    result.total = len(rows)
    columns = {"location": "lat", "phone": "contact_phone", "": "credit_code"}
    _run(rows, context, result, _organisation_write, columns)


def _organisation_write(actor, **arguments) -> None:
    services.organisation_save(actor=actor, **arguments)


# --- facilities -------------------------------------------------------------------------------------------


class _Named(dict):
    """Facility classes and departments by code or by name, read once."""

    def __init__(self, rows, lookup: Callable):
        super().__init__()
        for row in rows:
            self[row.code] = self[row.name] = row
        self.lookup = lookup

    def __missing__(self, text: str):
        return self.lookup(text)


def _unknown_department(code: str):
    raise InvalidInput(gettext_noop("unknown department %(code)s"), code=code[:40], field="department")


def _facility_read(record: Record, context: Context, lookups: tuple, first: FirstRows) -> _Row:
    classes, departments = lookups
    check = RowCheck(record)
    code = ""
    if record.text("code"):
        parsed = check.check("code", codes.facility_code_parse, record.text("code"))
        if parsed is not None:
            code = parsed.code
            first.check(code, check, "code")
    facility_class = check.check("facility_class", classes.__getitem__, record.text("facility_class"))
    department = None
    if record.text("department"):
        department = check.check("department", departments.__getitem__, record.text("department"))
    located = check.check("lat", services.locate_in_grid, record.get("lat"), record.get("lng"))
    if located is not None:
        check.in_scope(context, located[2].pk, "lat")
    arguments = {
        "facility_class": facility_class,
        "lat": record.get("lat"),
        "lng": record.get("lng"),
        "name": record.text("name"),
        "address": record.text("address"),
        "owner": record.text("owner"),
        "department": department,
        "state": coded(record.get("state"), Facility.State) or Facility.State.INTACT,
        "code": code,
    }
    return _Row(record, check, arguments)


def facilities_import(table: Table, context: Context, result: ImportResult) -> None:
    classes = _Named(FacilityClass.objects.filter(parent__isnull=False), services.facility_class_get)
    departments = _Named(Department.objects.all(), _unknown_department)
    first = FirstRows(gettext_lazy("facility code"))
    rows = [_facility_read(record, context, (classes, departments), first) for record in table.records]
    result.total = len(rows)
    _run(rows, context, result, _facility_write, {"location": "lat", "": "code"})


def _facility_write(actor, **arguments) -> None:
    services.facility_save(actor=actor, **arguments)
