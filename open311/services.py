"""Every Open311 write: checking the client's api_key and creating a request.

A request is a case reported through `cases.services.case_report` (source "open311", acting as the system),
so it is located to a grid, enters the normal workflow and is routed after commit like any other report.
What only Open311 knows (token, client identifiers, attribute answers) goes into a ServiceRequest row in the
same transaction.

Where a request is: lat and long when sent; otherwise the standard addresses of the base data locate it
(places.selectors.address_locate), from `address_string` (variants of one address written differently are
one place) or `address_id`: "h<id>" for a house, "b<id>" for a building, a bare number for a house. A server
extension, `attribute[facility]`, names a city facility by its 16-digit code: the request is then where the
facility is, and routed to its maintaining department.
"""

import datetime as dt
import re

from django.core.exceptions import ValidationError
from django.core.validators import URLValidator, validate_email
from django.db import transaction
from django.http import QueryDict
from django.utils.datastructures import MultiValueDict

from cases.models import Case, Category
from cases.photos import photos_validate
from cases.services import MAX_TEXT, case_report, facility_by_code
from gridmgmt import clock
from gridmgmt.errors import DomainError
from grids.models import Jurisdiction
from grids.selectors import grid_locate, jurisdiction_ancestor_ids
from places.models import Building, Facility, House
from places.selectors import address_locate

from . import params
from .errors import Open311Error, bad_request
from .models import DEMO_KEY, ApiKey, ServiceAttribute, ServiceRequest
from .selectors import service_attributes, service_get

# attribute[CODE]=value, and attribute[CODE][]=value for each value of a multivaluelist.
_ATTRIBUTE_KEY = re.compile(r"^attribute\[([^\[\]]*)\](\[\])?$")
_MAX_ADDRESS = 200
_MAX_NAME = 50
_MAX_EMAIL = 100
_MAX_PHONE = 30
_MAX_CLIENT_ID = 100
_MAX_MEDIA_URL = 500


def api_key_authenticate(value: str | None) -> ApiKey:
    """The active key with this value, or the spec's 403."""
    if not value:
        raise Open311Error(403, "api_key is missing: creating a request needs the key issued to your client")
    key = ApiKey.objects.filter(key=value, is_active=True).first() if len(value) <= 64 else None
    if key is None:
        raise Open311Error(403, "Invalid api_key received -- can't proceed with create_request.")
    return key


def api_key_ensure_demo() -> ApiKey:
    """The documented demo key (`demo-open311-key`), for demo installations only."""
    key, _ = ApiKey.objects.get_or_create(key=DEMO_KEY, defaults={"name": "Demo client"})
    return key


def _text(data: QueryDict, name: str, limit: int, errors: list[str]) -> str:
    value = params.optional(data, name) or ""
    if len(value) > limit:
        errors.append(f"{name} is longer than {limit} characters")
        return ""
    return value


# `attribute[facility]`: a server extension every service accepts without defining it (see the module).
FACILITY_ATTRIBUTE = "facility"
_ADDRESS_ID = re.compile(r"^([bhBH]?)([0-9]{1,18})$", re.ASCII)


def _located_by_id(raw: str, errors: list[str]) -> tuple[float, float, str] | None:
    """(lat, long, address) of the house or building an address_id names."""
    match = _ADDRESS_ID.match(raw)
    if match is None:
        errors.append(
            f"address_id {raw[:40]!r} is not an address id of this server: send h<house id> or "
            "b<building id> (a bare number is a house id)"
        )
        return None
    kind, pk = match.group(1).lower() or "h", int(match.group(2))
    if kind == "b":
        building = Building.objects.filter(pk=pk).first()
        address = building.address if building else ""
    else:
        house = House.objects.select_related("building").filter(pk=pk).first()
        building, address = (house.building, house.address) if house else (None, "")
    if building is None:
        noun = "building" if kind == "b" else "house"
        errors.append(f"address_id {raw[:40]!r} names no {noun} of the base data")
        return None
    return building.lat, building.lng, address


def _located_by_text(text: str, errors: list[str]) -> tuple[float, float, str] | None:
    """(lat, long, address) of the house or building address_string names, written however it is."""
    try:
        located = address_locate(text)
    except DomainError as exc:  # unreadable, or no such building: the message says which
        errors.append(f"address_string: {exc.message}; send lat and long where the base data has no address")
        return None
    return located.lat, located.lng, located.address


def _located_by_address(data: QueryDict, errors: list[str]) -> tuple[float, float, str] | None:
    """A request without coordinates: address_id when sent (the client's own reference), else the text."""
    address_id = params.optional(data, "address_id")
    if address_id is not None:
        return _located_by_id(address_id, errors)
    address_string = params.optional(data, "address_string")
    if address_string is None:
        errors.append("a location is required: send lat and long (WGS84), address_string or address_id")
        return None
    if len(address_string) > _MAX_ADDRESS:
        return None  # refused for its length already
    return _located_by_text(address_string, errors)


def _location(
    data: QueryDict, errors: list[str], *, facility: Facility | None = None
) -> tuple[float | None, float | None, str]:
    """(lat, long, the address the standard addresses found or "") of the request."""
    lat_raw, lng_raw = params.optional(data, "lat"), params.optional(data, "long")
    if lat_raw is None and lng_raw is None:
        if facility is not None:
            return facility.lat, facility.lng, ""
        found = _located_by_address(data, errors)
        return found if found is not None else (None, None, "")
    if lat_raw is None or lng_raw is None:
        errors.append("lat and long must be sent together")
        return None, None, ""
    coordinates = []
    for raw, name, bound in ((lat_raw, "lat", 90), (lng_raw, "long", 180)):
        try:
            coordinates.append(params.number(raw, name, low=-bound, high=bound))
        except Open311Error as exc:
            errors.extend(exc.descriptions)
            coordinates.append(None)
    return coordinates[0], coordinates[1], ""


def _facility(data: QueryDict, errors: list[str]) -> Facility | None:
    code = params.optional(data, f"attribute[{FACILITY_ATTRIBUTE}]")
    if code is None:
        return None
    try:
        return facility_by_code(code)
    except DomainError as exc:
        errors.append(f"attribute[{FACILITY_ATTRIBUTE}]: {exc.message}")
        return None


def _is_datetime(value: str) -> bool:
    """ISO 8601 as the spec's datetime attribute asks: a date, or a date and time (zone optional)."""
    if not re.fullmatch(r"[0-9]{4}-[0-9]{2}-[0-9]{2}([T ][0-9:.]+(Z|[+-][0-9]{2}:?[0-9]{2})?)?", value):
        return False
    try:
        dt.datetime.fromisoformat(value)
    except ValueError:
        return False
    return True


def _answer(attribute: ServiceAttribute, values: list[str], errors: list[str]):
    name = f"attribute[{attribute.code}]"
    kind = ServiceAttribute.Datatype
    if attribute.datatype in ServiceAttribute.LIST_TYPES:
        keys = {value.key for value in attribute.values.all()}
        wrong = [v for v in values if v not in keys]
        if wrong:
            choices = ", ".join(sorted(keys)) or "none defined"
            errors.append(f"{name}: {wrong[0][:40]!r} is not one of the listed keys ({choices})")
            return None
        if attribute.datatype == kind.MULTIVALUELIST:
            return values
    if len(values) > 1:
        errors.append(f"{name} takes one value")
        return None
    value = values[0]
    if len(value) > MAX_TEXT:
        errors.append(f"{name} is longer than {MAX_TEXT} characters")
    elif attribute.datatype == kind.NUMBER:
        try:
            params.number(value, name, low=-1e15, high=1e15)
        except Open311Error as exc:
            errors.extend(exc.descriptions)
    elif attribute.datatype == kind.DATETIME and not _is_datetime(value):
        errors.append(f"{name} must be an ISO 8601 date or date and time, e.g. 2026-01-01T08:30:00+08:00")
    elif attribute.datatype == kind.STRING and ("\n" in value or "\r" in value):
        errors.append(f"{name} is a single line: send it without line breaks")
    return value


def _answers(data: QueryDict, category: Category, errors: list[str]) -> dict:
    """Validate attribute[code]=value pairs against the service definition."""
    attributes = {attribute.code: attribute for attribute in service_attributes(category)}
    sent: dict[str, list[str]] = {}
    for key in data:
        match = _ATTRIBUTE_KEY.match(key)
        if match is None:
            if key.startswith("attribute["):
                errors.append(f"{key[:60]!r} is not of the form attribute[code] or attribute[code][]")
            continue
        code = match.group(1)
        if code == FACILITY_ATTRIBUTE and code not in attributes:
            continue  # the facility extension, read by _facility
        if code not in attributes:
            errors.append(f"attribute {code[:40]!r} is not defined for service {category.code}")
            continue
        sent.setdefault(code, []).extend(v.strip() for v in data.getlist(key) if v.strip())
    answers = {}
    for code, attribute in attributes.items():
        if not attribute.variable:
            continue  # information shown to the user; nothing to answer
        values = sent.get(code, [])
        if not values:
            if attribute.required:
                errors.append(f"attribute[{code}] is required: {attribute.description}")
            continue
        answer = _answer(attribute, values, errors)
        if answer is not None:
            answers[code] = answer
    return answers


def _contact(data: QueryDict, errors: list[str]) -> tuple[str, str]:
    """(reporter_name, reporter_contact) for the case, from the spec's person fields."""
    first = _text(data, "first_name", _MAX_NAME, errors)
    last = _text(data, "last_name", _MAX_NAME, errors)
    email = _text(data, "email", _MAX_EMAIL, errors)
    phone = _text(data, "phone", _MAX_PHONE, errors)
    if email:
        try:
            validate_email(email)
        except ValidationError:
            errors.append("email is not a valid e-mail address")
    contact = "; ".join(part for part in (email, phone) if part)
    if len(contact) > 100:  # the case keeps 100 characters: the e-mail address is the one kept
        contact = email
    return f"{first} {last}".strip(), contact


def _media_url(data: QueryDict, errors: list[str]) -> str:
    url = _text(data, "media_url", _MAX_MEDIA_URL, errors)
    if url:
        try:
            URLValidator(schemes=["http", "https"])(url)
        except ValidationError:
            errors.append("media_url must be an http or https URL")
            return ""
    return url


def request_create(
    *,
    api_key: ApiKey,
    data: QueryDict,
    files: MultiValueDict | None = None,
    district: Jurisdiction | None = None,
) -> tuple[Case, ServiceRequest]:
    """Create a service request from a POST's form data (and `media` uploads, the multipart extension).

    Raises Open311Error: 404 for an unknown service_code, 400 listing everything else that is wrong.
    """
    params.reject_unprintable(data)
    code = params.optional(data, "service_code")
    if code is None:
        raise bad_request("service_code is required: choose one from GET services")
    category = service_get(code)

    errors: list[str] = []
    facility = _facility(data, errors)
    address = _text(data, "address_string", _MAX_ADDRESS, errors)
    lat, lng, located_address = _location(data, errors, facility=facility)
    answers = _answers(data, category, errors)
    description = _text(data, "description", MAX_TEXT, errors) or category.name
    reporter_name, reporter_contact = _contact(data, errors)
    media_url = _media_url(data, errors)
    account_id = _text(data, "account_id", _MAX_CLIENT_ID, errors)
    device_id = _text(data, "device_id", _MAX_CLIENT_ID, errors)
    if errors:
        raise bad_request(*errors)

    if district is not None:
        grid = grid_locate(lat=lat, lng=lng)
        if grid is None or district.pk not in jurisdiction_ancestor_ids(grid):
            raise bad_request(
                f"the location lat={lat}, long={lng} is outside jurisdiction {district.code} "
                f"({district.name})"
            )
    uploads = files.getlist("media") if files else []
    try:
        photos_validate(uploads)  # decoding photos is slow: not while holding the transaction (and its lock)
    except DomainError as exc:
        raise bad_request(exc.message) from exc
    with transaction.atomic():
        try:
            case = case_report(
                actor=None,
                source=Case.Source.OPEN311,
                lat=lat,
                lng=lng,
                category=category,
                description=description,
                address=located_address or address,
                reporter_name=reporter_name,
                reporter_contact=reporter_contact,
                photos=uploads,
                facility=facility,
            )
        except DomainError as exc:
            where = f" (lat={lat}, long={lng})" if exc.field == "location" else ""
            raise bad_request(f"{exc.message}{where}") from exc
        service_request = ServiceRequest.objects.create(
            case=case,
            api_key=api_key,
            account_id=account_id,
            device_id=device_id,
            media_url=media_url,
            attributes=answers,
            created_at=case.reported_at,
        )
    ApiKey.objects.filter(pk=api_key.pk).update(last_used_at=clock.now())
    return case, service_request
