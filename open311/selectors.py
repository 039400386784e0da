"""Reads for the Open311 endpoints: the jurisdiction, services and their definitions, requests, tokens.

Requests are cases: the list is one query for the cases plus one per prefetched relation, whatever the page
size, so a client paging through 1000 requests costs the same few queries as one asking for five.
"""

import math
import re

from django.conf import settings
from django.db.models import Exists, F, OuterRef, Prefetch, QuerySet

from cases.models import OPEN_STATES, Case, CasePhoto, CaseState, Category
from grids.models import Jurisdiction

from .errors import not_found
from .models import ServiceAttribute, ServiceRequest
from .params import RequestSearch

CLOSED_STATES = (CaseState.CLOSED, CaseState.REJECTED)
METRES_PER_DEGREE_LAT = 110_574.0
METRES_PER_DEGREE_LNG_AT_EQUATOR = 111_320.0

# Identifiers taken from a URL path: anything else cannot exist, so it is a 404 before any query.
_IDENTIFIER = re.compile(r"^[A-Za-z0-9_.-]{1,64}$", re.ASCII)


def identifier_or_404(value: str, what: str) -> str:
    if not _IDENTIFIER.match(value or ""):
        raise not_found(f"{what} {value[:40]!r} was not found")
    return value


def jurisdiction_alias() -> str:
    """The deployment-wide jurisdiction_id (e.g. the city's web domain, as the spec suggests); optional."""
    return settings.OPEN311_JURISDICTION_ID


def jurisdiction_resolve(jurisdiction_id: str | None) -> Jurisdiction | None:
    """None when the whole deployment is meant (no id, or the configured alias); a district when its code
    is given, which then bounds every search and every new request; 404 for anything else."""
    if not jurisdiction_id:
        return None
    if jurisdiction_alias() and jurisdiction_id == jurisdiction_alias():
        return None
    district = None
    if re.fullmatch(r"[0-9]{6}", jurisdiction_id, re.ASCII):
        district = Jurisdiction.objects.filter(
            code=jurisdiction_id, level=Jurisdiction.Level.DISTRICT
        ).first()
    if district is None:
        raise not_found(f"jurisdiction_id {jurisdiction_id[:40]!r} was not found")
    return district


def services() -> QuerySet[Category]:
    """The Open311 services: active minor categories, each knowing its group and whether it asks questions."""
    return (
        Category.objects.filter(parent__isnull=False, is_active=True)
        .select_related("parent")
        .annotate(has_attributes=Exists(ServiceAttribute.objects.filter(category=OuterRef("pk"))))
        .order_by("code")
    )


def service_get(code: str) -> Category:
    category = services().filter(code=identifier_or_404(code, "service_code")).first()
    if category is None:
        raise not_found(f"service_code {code[:40]!r} was not found")
    return category


def service_attributes(category: Category) -> list[ServiceAttribute]:
    return list(category.open311_attributes.prefetch_related("values").order_by("order", "id"))


def _requests_base() -> QuerySet[Case]:
    """The cases Open311 reads: public ones only (Case.is_public, the one decision every public channel
    follows). A case that is not public is absent, so asking for it reads exactly like an unknown id."""
    return (
        Case.objects.filter(number__isnull=False, is_public=True)
        .select_related("category", "department", "duplicate_of", "grid", "open311_request")
        .prefetch_related(
            Prefetch(
                "photos",
                queryset=CasePhoto.objects.filter(kind=CasePhoto.Kind.REPORT).order_by("created_at", "id"),
                to_attr="report_photos",
            ),
        )
    )


def media_photo(photo_id: int) -> CasePhoto | None:
    """A report photo of a public request (the media_url of a GeoReport request); None for any other photo."""
    return CasePhoto.objects.filter(
        pk=photo_id, kind=CasePhoto.Kind.REPORT, case__is_public=True, case__number__isnull=False
    ).first()


def _in_jurisdiction(qs: QuerySet[Case], district: Jurisdiction | None) -> QuerySet[Case]:
    if district is None:
        return qs
    return qs.filter(grid__community__parent__parent=district)


def requests_search(search: RequestSearch, *, district: Jurisdiction | None) -> list[Case]:
    qs = _in_jurisdiction(_requests_base(), district)
    if search.ids:
        qs = qs.filter(number__in=search.ids)
    else:
        if search.service_codes:
            qs = qs.filter(category__code__in=search.service_codes)
        if search.start is not None:
            qs = qs.filter(reported_at__gte=search.start)
        if search.end is not None:
            qs = qs.filter(reported_at__lte=search.end)
        if set(search.statuses) == {"open"}:
            qs = qs.filter(state__in=OPEN_STATES)
        elif set(search.statuses) == {"closed"}:
            qs = qs.filter(state__in=CLOSED_STATES)
        if search.updated_after is not None:
            qs = qs.filter(updated_at__gt=search.updated_after)
        if search.lat is not None and search.lng is not None:
            qs = _within(qs, search.lat, search.lng, search.radius_m)
    offset = (search.page - 1) * search.page_size
    return list(qs.order_by("-reported_at", "-id")[offset : offset + search.page_size])


def _within(qs: QuerySet[Case], lat: float, lng: float, radius_m: float) -> QuerySet[Case]:
    """Cases within radius_m of the point: a bounding box the (lat, lng) index serves, then the exact test.

    Equirectangular distance (plain arithmetic, so every database runs it) is exact to well under a metre at
    the city scale the radius is capped to (50 km).
    """
    per_degree_lng = METRES_PER_DEGREE_LNG_AT_EQUATOR * max(math.cos(math.radians(lat)), 1e-6)
    dlat, dlng = radius_m / METRES_PER_DEGREE_LAT, radius_m / per_degree_lng
    qs = qs.filter(lat__range=(lat - dlat, lat + dlat), lng__range=(lng - dlng, lng + dlng))
    north = (F("lat") - lat) * METRES_PER_DEGREE_LAT
    east = (F("lng") - lng) * per_degree_lng
    return qs.alias(distance2=north * north + east * east).filter(distance2__lte=radius_m * radius_m)


def request_get(number: str, *, district: Jurisdiction | None) -> Case:
    number = identifier_or_404(number, "service_request_id")
    case = _in_jurisdiction(_requests_base(), district).filter(number=number).first()
    if case is None:
        raise not_found(f"service_request_id {number!r} was not found")
    return case


def token_get(token: str, *, district: Jurisdiction | None) -> ServiceRequest:
    token = identifier_or_404(token, "token")
    found = ServiceRequest.objects.select_related("case").filter(token=token)
    if district is not None:
        found = found.filter(case__grid__community__parent__parent=district)
    service_request = found.first()
    if service_request is None:
        raise not_found(f"token {token!r} was not found")
    return service_request
