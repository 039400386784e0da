"""Every Open311 write: checking the client's api_key and creating a request.

A request is a case reported through `cases.services.case_report` (source "open311", acting as the system),
so it is located to a grid, enters the normal workflow and is routed after commit like any other report.
What only Open311 knows (token, client identifiers, attribute answers) goes into a ServiceRequest row in the
same transaction.
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
from cases.services import MAX_TEXT, case_report
from gridmgmt import clock
from gridmgmt.errors import DomainError
from grids.models import Jurisdiction
from grids.selectors import grid_locate, jurisdiction_ancestor_ids

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


def _location(data: QueryDict, errors: list[str]) -> tuple[float | None, float | None]:
    lat_raw, lng_raw = params.optional(data, "lat"), params.optional(data, "long")
    if lat_raw is None and lng_raw is None:
        if params.optional(data, "address_string") or params.optional(data, "address_id"):
            errors.append(
                "a location needs lat and long (WGS84): this server cannot geocode address_string or "
                "address_id; send the coordinates and keep address_string as a description of the place"
            )
        else:
            errors.append("a location is required: send lat and long (WGS84)")
        return None, None
    if lat_raw is None or lng_raw is None:
        errors.append("lat and long must be sent together")
        return None, None
    coordinates = []
    for raw, name, bound in ((lat_raw, "lat", 90), (lng_raw, "long", 180)):
        try:
            coordinates.append(params.number(raw, name, low=-bound, high=bound))
        except Open311Error as exc:
            errors.extend(exc.descriptions)
            coordinates.append(None)
    return coordinates[0], coordinates[1]


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
    lat, lng = _location(data, errors)
    address = _text(data, "address_string", _MAX_ADDRESS, errors)
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
                address=address,
                reporter_name=reporter_name,
                reporter_contact=reporter_contact,
                photos=uploads,
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
