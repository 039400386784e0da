"""Writes to the base data: roads, buildings, houses, occupancies, organisations and facilities.

Every write goes through here, so the grid check (a building's grid is the one its point lies in), the
address keys, the scope check and the PII encryption cannot be forgotten. `actor=None` is the system (an
import run by a management command, the demo seed).
"""

from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal, InvalidOperation

from django.db import IntegrityError, transaction
from django.db.models import Exists, F, Max, OuterRef
from django.utils import timezone
from django.utils.translation import gettext_lazy, gettext_noop, pgettext_lazy

from gridmgmt import policy
from gridmgmt.errors import InvalidInput, NotAllowed
from gridmgmt.text import text_check
from grids import pii
from grids import services as grid_services
from grids.geometry import to_shape
from grids.models import Grid, Jurisdiction, Resident
from grids.selectors import grid_locate

from . import addresses, codes
from .models import (
    Building,
    Facility,
    FacilityClass,
    House,
    Occupancy,
    Organisation,
    Road,
    UnmatchedAddress,
)
from .selectors import house_for_address

# The name of an organisation or a facility: 名称, not a person's 姓名.
NAME = pgettext_lazy("of an organisation or a facility", "the name")
EDIT_REFUSED = gettext_noop("you may keep the base data of your own grids only")


def _edit_check(actor, grid_id: int | None) -> None:
    if actor is not None and not policy.can_edit_base_data_in(actor, grid_id):
        raise NotAllowed(EDIT_REFUSED)


def _text(value, *, field: str, label, max_length: int, required: bool = False) -> str:
    text = ("" if value is None else str(value)).strip()
    text_check(text, what=label, field=field)
    if required and not text:
        raise InvalidInput(gettext_noop("%(what)s is required"), what=label, field=field)
    if len(text) > max_length:
        raise InvalidInput(
            gettext_noop("%(what)s has at most %(n)s characters"), what=label, n=max_length, field=field
        )
    return text


def _choice(value, choices, *, field: str, label) -> str:
    if value not in choices.values:
        raise InvalidInput(
            gettext_noop("%(what)s must be one of %(known)s"),
            what=label,
            known=", ".join(choices.values),
            field=field,
        )
    return value


def _count(value, *, field: str, label, low: int, high: int) -> int:
    try:
        number = int(value)
    except (TypeError, ValueError):
        raise InvalidInput(gettext_noop("%(what)s must be a whole number"), what=label, field=field) from None
    if not low <= number <= high:
        raise InvalidInput(
            gettext_noop("%(what)s must be between %(low)s and %(high)s"),
            what=label,
            low=low,
            high=high,
            field=field,
        )
    return number


def _position(lat, lng) -> tuple[float, float]:
    try:
        lat, lng = float(lat), float(lng)
    except (TypeError, ValueError):
        raise InvalidInput(
            gettext_noop("the location needs numeric latitude and longitude"), field="location"
        ) from None
    if not (-90 <= lat <= 90 and -180 <= lng <= 180) or lat != lat or lng != lng:
        raise InvalidInput(
            gettext_noop("latitude must be within ±90 and longitude within ±180"), field="location"
        )
    return lat, lng


def locate_in_grid(lat, lng, *, grid: Grid | None = None) -> tuple[float, float, Grid]:
    """The point and the grid it lies in; with `grid` given, the point must lie in that grid."""
    lat, lng = _position(lat, lng)
    found = grid_locate(lat=lat, lng=lng)
    if found is None:
        raise InvalidInput(
            gettext_noop("the location is outside the jurisdiction: no grid contains it"), field="location"
        )
    if grid is not None and found.pk != grid.pk:
        raise InvalidInput(
            gettext_noop("the location lies in grid %(found)s, not in %(grid)s"),
            found=found.label,
            grid=grid.label,
            field="location",
        )
    return lat, lng, found


def _district_of(grid: Grid) -> Jurisdiction:
    district = Jurisdiction.objects.filter(code=grid.code[:6]).first()
    if district is None:  # a grid's code starts with its district's: only a broken layer lacks it
        raise InvalidInput(gettext_noop("grid %(code)s has no district"), code=grid.code, field="grid")
    return district


# --- roads and buildings --------------------------------------------------------------------------------


def road_ensure(*, district: Jurisdiction, name: str) -> Road:
    """The road of this name in the district, created on first use (names compared in normal form)."""
    name = _text(name, field="road", label=gettext_lazy("the road"), max_length=60, required=True)
    key = addresses.road_key(name)
    road, _ = Road.objects.get_or_create(district=district, key=key, defaults={"name": name})
    return road


_BUILDING_FIELDS = ("road", "number", "name", "use", "floors", "units", "lat", "lng", "footprint")


def _footprint_clean(footprint) -> dict | None:
    if footprint in (None, "", {}):
        return None
    try:
        shape = to_shape(footprint)
    except Exception:  # shapely raises several kinds for malformed GeoJSON
        raise InvalidInput(
            gettext_noop("the footprint must be a GeoJSON Polygon"), field="footprint"
        ) from None
    if shape.geom_type != "Polygon" or not shape.is_valid:
        raise InvalidInput(gettext_noop("the footprint must be a valid GeoJSON Polygon"), field="footprint")
    return footprint


def building_parts(road: str, number: str, name: str) -> addresses.AddressParts:
    """The standard parts of a building's address from its road, door number and building number/name,
    read back through the parser, so "1", "1栋", "1号楼" and "一幢" are the same building. (The bulk import
    reads each row with this too.)"""
    marker = "栋" if name and name[-1].isascii() and name[-1].isalnum() else ""
    return addresses.address_parse(f"{road}{number.removesuffix('号')}号{name}{marker}")


@transaction.atomic
def building_save(
    *,
    actor,
    building: Building | None = None,
    road: str,
    number: str,
    name: str = "",
    use: str = Building.Use.RESIDENTIAL,
    floors=1,
    units=1,
    lat,
    lng,
    footprint: dict | None = None,
    grid: Grid | None = None,
) -> Building:
    """Create (`building=None`) or change a building. Its grid is the one its point lies in (and `grid`,
    when given, must be that grid); the standard address is written out and keyed from the parts."""
    lat, lng, found = locate_in_grid(lat, lng, grid=grid)
    _edit_check(actor, found.pk)
    if building is not None:
        _edit_check(actor, building.grid_id)
    number = _text(
        number, field="number", label=gettext_lazy("the door number"), max_length=20, required=True
    )
    name = _text(name, field="name", label=gettext_lazy("the building number"), max_length=40)
    parts = building_parts(road, number, name)
    road_row = road_ensure(district=_district_of(found), name=parts.road)
    key = addresses.building_key(road_row.key, parts.number, parts.building)
    clash = Building.objects.filter(road=road_row, address_key=key)
    if building is not None:
        clash = clash.exclude(pk=building.pk)
    if clash.exists():
        raise InvalidInput(gettext_noop("this address is already registered as a building"), field="number")
    building = building or Building()
    building.grid = found
    building.road = road_row
    building.number = parts.number
    building.name = parts.building
    building.address = addresses.building_address(road_row.name, parts.number, parts.building)
    building.address_key = key
    building.use = _choice(use, Building.Use, field="use", label=gettext_lazy("the use"))
    building.floors = _count(floors, field="floors", label=gettext_lazy("floors"), low=1, high=200)
    building.units = _count(units, field="units", label=gettext_lazy("units"), low=1, high=99)
    building.lat, building.lng = lat, lng
    building.footprint = _footprint_clean(footprint)
    try:
        with transaction.atomic():
            building.save()
    except IntegrityError:  # registered by someone else between the check and the insert
        raise InvalidInput(
            gettext_noop("this address is already registered as a building"), field="number"
        ) from None
    # A building that moved grid takes its houses along: a house's grid is its building's.
    building.houses.exclude(grid=found).update(grid=found)
    return building


# --- houses ---------------------------------------------------------------------------------------------


def _area(value) -> Decimal | None:
    if value in (None, ""):
        return None
    try:
        area = Decimal(str(value)).quantize(Decimal("0.01"))
    except (InvalidOperation, ValueError):
        raise InvalidInput(
            gettext_noop("the area must be a number of square metres"), field="area_m2"
        ) from None
    if not Decimal("1") <= area <= Decimal("100000"):
        raise InvalidInput(gettext_noop("the area must be between 1 and 100000 m²"), field="area_m2")
    return area


def house_parts(building: Building, unit, room: str) -> addresses.AddressParts:
    """The standard parts of a house's address: the building's address, the unit, the room; the unit must
    be one the building has."""
    unit_text = "" if unit in (None, "") else f"{unit}单元"
    parts = addresses.address_parse(f"{building.address}{unit_text}{room}")
    if parts.unit is not None and parts.unit > building.units:
        raise InvalidInput(
            gettext_noop("the building has %(units)s units: there is no unit %(unit)s"),
            units=building.units,
            unit=parts.unit,
            field="unit",
        )
    return parts


def house_floor(building: Building, parts: addresses.AddressParts, floor, room: str) -> int:
    """The floor given, or the one the room number says; within the building's floors."""
    if floor in (None, ""):
        floor = parts.floor
    if floor is None:
        raise InvalidInput(
            gettext_noop("give the floor: it cannot be read from room %(room)s"), room=room, field="floor"
        )
    return _count(floor, field="floor", label=gettext_lazy("the floor"), low=-10, high=building.floors)


@transaction.atomic
def house_save(
    *,
    actor,
    building: Building,
    house: House | None = None,
    unit=None,
    room: str,
    floor=None,
    use: str = House.Use.OWNER_OCCUPIED,
    area_m2=None,
) -> House:
    """Create or change a house of `building`: unit, room (and floor: from the room number when not given)."""
    _edit_check(actor, building.grid_id)
    if house is not None:
        _edit_check(actor, house.grid_id)
    room = _text(room, field="room", label=gettext_lazy("the room number"), max_length=20, required=True)
    parts = house_parts(building, unit, room)
    floor = house_floor(building, parts, floor, room)
    key = addresses.house_key(building.address_key, parts.unit, parts.room)
    clash = House.objects.filter(building=building, address_key=key)
    if house is not None:
        clash = clash.exclude(pk=house.pk)
    if clash.exists():
        raise InvalidInput(gettext_noop("this house is already registered"), field="room")
    house = house or House()
    house.building = building
    house.grid_id = building.grid_id
    house.unit = parts.unit
    house.room = parts.room
    house.floor = floor
    house.address = addresses.house_address(building.address, parts.unit, parts.room)
    house.address_key = key
    house.use = _choice(use, House.Use, field="use", label=gettext_lazy("the use"))
    house.area_m2 = _area(area_m2)
    try:
        with transaction.atomic():
            house.save()
    except IntegrityError:
        raise InvalidInput(gettext_noop("this house is already registered"), field="room") from None
    return house


# --- who lives where ------------------------------------------------------------------------------------


def _date(value, *, field: str) -> date:
    if isinstance(value, date):
        return value
    try:
        return date.fromisoformat(str(value))
    except (TypeError, ValueError):
        raise InvalidInput(
            gettext_noop("%(value)s is not a date (use YYYY-MM-DD)"), value=repr(value)[:40], field=field
        ) from None


@transaction.atomic
def occupancy_start(
    *,
    actor,
    resident: Resident,
    house: House,
    since,
    relation: str = Occupancy.Relation.HEAD,
    population: str = Occupancy.Population.REGISTERED,
    is_tenant: bool = False,
    landlord: Resident | None = None,
) -> Occupancy:
    """The resident lives in `house` from `since`. Their current home, if any, ends the day before; the
    registry follows (the resident's address becomes the house's, their grid the house's grid)."""
    _edit_check(actor, house.grid_id)
    _edit_check(actor, resident.grid_id)
    since = _date(since, field="since")
    if since > timezone.localdate():
        raise InvalidInput(gettext_noop("the moving-in date is in the future"), field="since")
    if since < resident.birth_date:
        raise InvalidInput(gettext_noop("the moving-in date is before the resident's birth"), field="since")
    relation = _choice(relation, Occupancy.Relation, field="relation", label=gettext_lazy("the relation"))
    population = _choice(
        population, Occupancy.Population, field="population", label=gettext_lazy("the population kind")
    )
    is_tenant = bool(is_tenant) or relation == Occupancy.Relation.TENANT
    if landlord is not None and landlord.pk == resident.pk:
        raise InvalidInput(gettext_noop("a tenant cannot be their own landlord"), field="landlord")
    if landlord is not None and not is_tenant:
        raise InvalidInput(gettext_noop("only a tenant has a landlord"), field="landlord")
    current = Occupancy.objects.select_for_update().filter(resident=resident, until__isnull=True).first()
    if current is not None:
        if current.house_id == house.pk:
            raise InvalidInput(gettext_noop("the resident already lives in this house"), field="house")
        if since <= current.since:
            raise InvalidInput(
                gettext_noop("the resident lives elsewhere since %(since)s: a move must come later"),
                since=current.since.isoformat(),
                field="since",
            )
        current.until = since - timedelta(days=1)
        current.save(update_fields=["until"])
    occupancy = Occupancy.objects.create(
        resident=resident,
        house=house,
        relation=relation,
        population=population,
        is_tenant=is_tenant,
        landlord=landlord,
        since=since,
        created_by=actor,
    )
    changes = {"address": house.address}
    if resident.grid_id != house.grid_id:
        changes["grid"] = house.grid
    grid_services.resident_update(actor=actor, resident=resident, **changes)
    UnmatchedAddress.objects.filter(resident=resident).delete()
    return occupancy


def occupancy_end(*, actor, occupancy: Occupancy, until=None) -> Occupancy:
    """The resident no longer lives there (moved away from the grid's base data); the record stays."""
    _edit_check(actor, occupancy.house.grid_id)
    until = _date(until, field="until") if until not in (None, "") else timezone.localdate()
    if until < occupancy.since:
        raise InvalidInput(gettext_noop("the moving-out date is before the moving-in date"), field="until")
    if until > timezone.localdate():
        raise InvalidInput(gettext_noop("the moving-out date is in the future"), field="until")
    if Occupancy.objects.filter(pk=occupancy.pk, until__isnull=True).update(until=until) != 1:
        raise InvalidInput(gettext_noop("this occupancy has already ended"), field="until")
    occupancy.until = until
    return occupancy


@dataclass
class LinkResult:
    matched: int = 0
    unmatched: int = 0
    already: int = 0


def residents_link_addresses(*, grid_ids=None) -> LinkResult:
    """Link every current resident who has no home yet to the house their free-text address names.

    Residents whose address names no house (or a building with no room) are listed as UnmatchedAddress for
    their grid administrators; their text stays on the resident, nothing is lost. Run by the system
    (`manage.py link_resident_addresses`, the demo seed, after a house import).
    """
    result = LinkResult()
    housed = Occupancy.objects.filter(resident=OuterRef("pk"), until__isnull=True)
    residents = Resident.objects.filter(moved_out_on__isnull=True).exclude(Exists(housed))
    if grid_ids is not None:
        residents = residents.filter(grid_id__in=grid_ids)
    for resident in residents.iterator(chunk_size=500):
        try:
            house, reason = house_for_address(resident.address, grid_id=resident.grid_id)
        except InvalidInput:
            house, reason = None, "no_match"
        if house is None:
            UnmatchedAddress.objects.update_or_create(
                resident=resident,
                defaults={"grid_id": resident.grid_id, "address": resident.address, "reason": reason},
            )
            result.unmatched += 1
            continue
        occupancy_start(
            actor=None,
            resident=resident,
            house=house,
            since=max(resident.moved_in_on, resident.birth_date),
            relation=Occupancy.Relation.HEAD if not resident.household_no else Occupancy.Relation.OTHER,
        )
        result.matched += 1
    return result


def unmatched_dismiss(*, actor, unmatched: UnmatchedAddress) -> None:
    """The administrator looked and the address names no house of the base data (yet): off the list."""
    _edit_check(actor, unmatched.grid_id)
    unmatched.delete()


# --- organisations --------------------------------------------------------------------------------------

_RISK_ALIASES = {
    **{code: code for code in Organisation.Risk.values},
    "消防安全重点单位": Organisation.Risk.FIRE_SAFETY,
    "消防重点": Organisation.Risk.FIRE_SAFETY,
    "危险化学品": Organisation.Risk.HAZARDOUS,
    "危化品": Organisation.Risk.HAZARDOUS,
    "人员密集场所": Organisation.Risk.CROWDED,
}


def risk_tags_clean(raw) -> list[str]:
    """Risk tag codes from a list or a separated string ("fire_safety; 人员密集场所"), deduplicated."""
    items = grid_services._TAG_SEPARATORS.split(raw) if isinstance(raw, str) else list(raw or ())
    tags: list[str] = []
    for item in (str(i).strip() for i in items):
        if not item:
            continue
        code = _RISK_ALIASES.get(item) or _RISK_ALIASES.get(item.lower())
        if code is None:
            raise InvalidInput(
                gettext_noop("unknown risk tag %(tag)s (known: %(known)s)"),
                tag=repr(item),
                known=", ".join(Organisation.Risk.values),
                field="risk_tags",
            )
        if code not in tags:
            tags.append(str(code))
    return tags


@transaction.atomic
def organisation_save(
    *,
    actor,
    organisation: Organisation | None = None,
    name: str,
    credit_code: str,
    kind: str,
    lat=None,
    lng=None,
    house: House | None = None,
    building: Building | None = None,
    address: str = "",
    legal_representative: str | None = None,
    contact_name: str | None = None,
    contact_phone: str | None = None,
    employees=0,
    risk_tags=(),
    next_inspection_on=None,
) -> Organisation:
    """Create or change an organisation. Its place is a house, a building or a point; the grid follows.
    Personal fields given as None keep their stored value (forms never echo them back)."""
    if house is not None:
        building = house.building
    if building is not None and (lat in (None, "") or lng in (None, "")):
        lat, lng = building.lat, building.lng
    lat, lng, grid = locate_in_grid(lat, lng, grid=building.grid if building is not None else None)
    _edit_check(actor, grid.pk)
    if organisation is not None:
        _edit_check(actor, organisation.grid_id)
    code = codes.credit_code_validate(credit_code)
    clash = Organisation.objects.filter(credit_code=code)
    if organisation is not None:
        clash = clash.exclude(pk=organisation.pk)
    if clash.exists():
        raise InvalidInput(gettext_noop("this credit code is already registered"), field="credit_code")
    organisation = organisation or Organisation()
    organisation.name = _text(name, field="name", label=NAME, max_length=100, required=True)
    organisation.credit_code = code
    organisation.kind = _choice(kind, Organisation.Kind, field="kind", label=gettext_lazy("the type"))
    organisation.grid = grid
    organisation.building = building
    organisation.house = house
    written = _text(address, field="address", label=gettext_lazy("the address"), max_length=240)
    organisation.address = house.address if house else building.address if building else written
    if not organisation.address:
        raise InvalidInput(gettext_noop("an address is required"), field="address")
    organisation.lat, organisation.lng = lat, lng
    for field, value, label in (
        ("legal_representative", legal_representative, gettext_lazy("the legal representative")),
        ("contact_name", contact_name, gettext_lazy("the contact")),
    ):
        if value is not None:
            clean = _text(value, field=field, label=label, max_length=50)
            setattr(organisation, f"{field}_encrypted", pii.encrypt(clean))
    if contact_phone is not None:
        organisation.contact_phone_encrypted = pii.encrypt(pii.phone_validate(contact_phone))
    organisation.employees = _count(
        employees or 0, field="employees", label=gettext_lazy("employees"), low=0, high=1_000_000
    )
    organisation.risk_tags = risk_tags_clean(risk_tags)
    organisation.next_inspection_on = (
        None if next_inspection_on in (None, "") else _date(next_inspection_on, field="next_inspection_on")
    )
    try:
        with transaction.atomic():
            organisation.save()
    except IntegrityError:
        raise InvalidInput(
            gettext_noop("this credit code is already registered"), field="credit_code"
        ) from None
    return organisation


# --- facilities -----------------------------------------------------------------------------------------


def facility_class_get(code: str) -> FacilityClass:
    found = FacilityClass.objects.filter(code=str(code or "").strip(), parent__isnull=False).first()
    if found is None:
        raise InvalidInput(
            gettext_noop("%(code)s is not a minor facility class (4 digits, CJ/T 214)"),
            code=repr(str(code))[:20],
            field="facility_class",
        )
    return found


def _next_serial(district_code: str, facility_class: FacilityClass) -> int:
    # The class row is locked so two people adding a facility of one class take different serials.
    FacilityClass.objects.select_for_update().filter(pk=facility_class.pk).first()
    prefix = f"{district_code}{facility_class.code}"
    last = Facility.objects.filter(code__startswith=prefix).aggregate(last=Max("code"))["last"]
    return int(last[-6:]) + 1 if last else 1


@transaction.atomic
def facility_save(
    *,
    actor,
    facility: Facility | None = None,
    facility_class: FacilityClass,
    lat,
    lng,
    name: str = "",
    address: str = "",
    owner: str = "",
    department=None,
    state: str = Facility.State.INTACT,
    code: str = "",
    photo=None,
) -> Facility:
    """Create or change a facility. A new one gets the next 16-digit code of its district and class
    (or keeps `code` when an import brings one); its grid is the one its point lies in."""
    lat, lng, grid = locate_in_grid(lat, lng)
    _edit_check(actor, grid.pk)
    if facility is not None:
        _edit_check(actor, facility.grid_id)
    state = _choice(state, Facility.State, field="state", label=gettext_lazy("the state"))
    if photo is not None:
        photo_check(photo)
    if facility is None:
        facility = Facility()
        if code:
            parsed = codes.facility_code_parse(code)
            if parsed.class_code != facility_class.code:
                raise InvalidInput(
                    gettext_noop("code %(code)s is not of class %(cls)s"),
                    code=parsed.code,
                    cls=facility_class.code,
                    field="code",
                )
            if Facility.objects.filter(code=parsed.code).exists():
                raise InvalidInput(
                    gettext_noop("facility code %(code)s is taken"), code=parsed.code, field="code"
                )
            facility.code = parsed.code
        else:
            district = grid.code[:6]
            facility.code = codes.facility_code_compose(
                district, facility_class.code, _next_serial(district, facility_class)
            )
        facility.surveyed_state = state
        facility.state = state
    elif facility.facility_class_id != facility_class.pk:
        raise InvalidInput(
            gettext_noop("a facility keeps its class (its code says it): add a new facility instead"),
            field="facility_class",
        )
    else:
        # An open case decides the state shown; the survey's state is what it returns to.
        facility.surveyed_state = state
        if not facility.cases.filter(closed_at__isnull=True).exclude(state="rejected").exists():
            facility.state = state
    facility.facility_class = facility_class
    facility.grid = grid
    facility.lat, facility.lng = lat, lng
    facility.name = _text(name, field="name", label=NAME, max_length=100)
    facility.address = _text(address, field="address", label=gettext_lazy("the address"), max_length=240)
    facility.owner = _text(owner, field="owner", label=gettext_lazy("the owning unit"), max_length=100)
    facility.department = department
    if photo is not None:
        replaced = facility.photo.name if facility.photo else ""
        facility.photo = photo
        if replaced:  # the old file goes once the new one is committed, not before
            transaction.on_commit(lambda: facility.photo.storage.delete(replaced))
    try:
        with transaction.atomic():
            facility.save()
    except IntegrityError:
        raise InvalidInput(
            gettext_noop("facility code %(code)s is taken"), code=facility.code, field="code"
        ) from None
    return facility


PHOTO_MAX_BYTES = 10 * 1024 * 1024
PHOTO_FORMATS = {"JPEG", "PNG", "WEBP"}


def photo_check(upload) -> None:
    """A facility photo is a whole JPEG, PNG or WebP image of at most 10 MB (decoded to be sure)."""
    from PIL import Image, UnidentifiedImageError

    if upload.size > PHOTO_MAX_BYTES:
        raise InvalidInput(gettext_noop("the photo is larger than 10 MB"), field="photo")
    try:
        upload.seek(0)
        with Image.open(upload) as image:
            kind = image.format
            image.load()  # a truncated file fails here, not later on a page
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError, Image.DecompressionBombError):
        raise InvalidInput(
            gettext_noop("the photo is not a whole JPEG, PNG or WebP image"), field="photo"
        ) from None
    finally:
        upload.seek(0)
    if kind not in PHOTO_FORMATS:
        raise InvalidInput(gettext_noop("the photo is not a whole JPEG, PNG or WebP image"), field="photo")


def facility_case_opened(*, facility_id: int, state: str) -> None:
    """A case on the facility was reported: it shows what the case says (damaged, missing, occupied)."""
    if state not in Facility.State.values or state == Facility.State.INTACT:
        state = Facility.State.DAMAGED
    Facility.objects.filter(pk=facility_id).update(state=state, updated_at=timezone.now())


def facility_case_closed(*, facility_id: int, open_states: list[str]) -> None:
    """A case on the facility ended: with no other case open it returns to its surveyed state."""
    facility = Facility.objects.filter(pk=facility_id).first()
    if facility is None or facility.cases.filter(state__in=open_states).exists():
        return
    Facility.objects.filter(pk=facility_id).update(state=F("surveyed_state"), updated_at=timezone.now())
