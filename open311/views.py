"""The GeoReport v2 endpoints: discovery, services, a service definition, requests (search and create),
one request, and tokens. Each answers in the format its extension names (.json or .xml).

Plain Django views: the spec's wire format (form-encoded POST authenticated by api_key, list-shaped errors,
XML mapping) has nothing in common with the REST API's conventions.
"""

import functools

from django.conf import settings
from django.core.exceptions import RequestDataTooBig, SuspiciousOperation, TooManyFieldsSent
from django.db.models import Max
from django.http import HttpRequest, HttpResponse, QueryDict
from django.http.multipartparser import MultiPartParserError
from django.urls import reverse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.debug import sensitive_post_parameters
from django.views.decorators.http import require_GET

from cases.photos import photo_copy_response
from gridmgmt import clock

from . import params, selectors, services
from .errors import Open311Error, error_response, not_found
from .formats import FORMATS, JSON, XML, render
from .models import DEMO_KEY, ServiceAttribute
from .representations import (
    SPECIFICATION,
    created_dict,
    definition_dict,
    request_dict,
    service_dict,
    token_dict,
    w3c,
)

# The last change to this server's interface; the discovery changeset also moves with service definitions.
INTERFACE_CHANGESET = "2026-11-25T00:00:00+08:00"
_FORM_TYPES = ("application/x-www-form-urlencoded", "multipart/form-data")


def _format(request: HttpRequest, extension: str | None) -> str:
    """The extension decides; without one, JSON only for a client that asks for it and not for XML."""
    if extension is not None:
        return extension.lower()
    accept = request.headers.get("Accept", "")
    return JSON if "json" in accept and "xml" not in accept else XML


def endpoint(*methods: str):
    """Format by extension, methods and jurisdiction_id for every endpoint; any
    Open311Error raised inside becomes the spec's error list in the requested format."""

    def decorate(view):
        @csrf_exempt
        @functools.wraps(view)
        def wrapper(request: HttpRequest, fmt: str | None = None, **kwargs) -> HttpResponse:
            fmt = _format(request, fmt)
            try:
                if fmt not in FORMATS:
                    raise not_found(f"format {fmt[:20]!r} is not offered: use .xml or .json")
                allowed = (*methods, "HEAD") if "GET" in methods else methods
                if request.method not in allowed:
                    error = Open311Error(
                        405, f"{request.method} is not allowed here; use {' or '.join(methods)}"
                    )
                    response = error_response(fmt, error)
                    response["Allow"] = ", ".join(allowed)
                    return response
                # Unprintable parameters never get here: gridmgmt's InputPolicyMiddleware refuses them first.
                form = _form(request)
                jurisdiction_id = params.optional(form, "jurisdiction_id") or params.optional(
                    request.GET, "jurisdiction_id"
                )
                district = selectors.jurisdiction_resolve(jurisdiction_id)
                return view(request, fmt=fmt, district=district, form=form, **kwargs)
            except Open311Error as error:
                return error_response(fmt, error)

        return wrapper

    return decorate


def _form(request: HttpRequest) -> QueryDict:
    """The POST body, read once; a body that cannot be parsed is the client's 400, not our 500."""
    if request.method != "POST":
        return QueryDict()
    if request.content_type not in _FORM_TYPES:
        raise Open311Error(
            400, "send the request as application/x-www-form-urlencoded (or multipart/form-data with media)"
        )
    try:
        return request.POST
    except (MultiPartParserError, RequestDataTooBig, TooManyFieldsSent, SuspiciousOperation) as exc:
        raise Open311Error(400, f"the request body could not be read: {exc}") from exc


@endpoint("GET")
def discovery(request: HttpRequest, *, fmt: str, district, form) -> HttpResponse:
    latest = ServiceAttribute.objects.aggregate(latest=Max("updated_at"))["latest"]
    changeset = max(INTERFACE_CHANGESET, w3c(latest)) if latest else INTERFACE_CHANGESET
    key_service = settings.OPEN311_KEY_SERVICE
    if settings.DEBUG:
        key_service += f" This is a demo installation: the key {DEMO_KEY} works here."
    payload = {
        "changeset": changeset,
        "contact": settings.OPEN311_CONTACT,
        "key_service": key_service,
        "endpoints": [
            {
                "specification": SPECIFICATION,
                "url": request.build_absolute_uri(reverse("open311:root")),
                "changeset": changeset,
                "type": "test" if settings.DEBUG else "production",
                "formats": ["text/xml", "application/json"],
            }
        ],
    }
    return render(fmt, payload, root="discovery")


@endpoint("GET")
def service_list(request: HttpRequest, *, fmt: str, district, form) -> HttpResponse:
    payload = [service_dict(category) for category in selectors.services()]
    return render(fmt, payload, root="services")


@endpoint("GET")
def service_definition(request: HttpRequest, code: str, *, fmt: str, district, form) -> HttpResponse:
    """Every service has a definition; one without questions has an empty attribute list (metadata false)."""
    category = selectors.service_get(code)
    payload = definition_dict(category, selectors.service_attributes(category))
    return render(fmt, payload, root="service_definition")


# A create carries the reporter's name, e-mail address and phone, and the client's key.
@sensitive_post_parameters("api_key", "first_name", "last_name", "email", "phone")
@endpoint("GET", "POST")
def request_list(request: HttpRequest, *, fmt: str, district, form) -> HttpResponse:
    if request.method == "POST":
        return _request_create(request, fmt=fmt, district=district, form=form)
    search = params.request_search(request.GET, now=clock.now())
    cases = selectors.requests_search(search, district=district)
    payload = [request_dict(case, request.build_absolute_uri) for case in cases]
    return render(fmt, payload, root="service_requests")


def _request_create(request: HttpRequest, *, fmt: str, district, form: QueryDict) -> HttpResponse:
    api_key = services.api_key_authenticate(
        params.optional(form, "api_key") or params.optional(request.GET, "api_key")
    )
    case, service_request = services.request_create(
        api_key=api_key, data=form, files=request.FILES, district=district
    )
    # The spec answers a realtime create with 200 and the id only (never both id and token); the token is
    # offered in a header for clients that track requests by token.
    response = render(fmt, [created_dict(case, service_request)], root="service_requests")
    response["X-Open311-Token"] = service_request.token
    return response


@endpoint("GET")
def request_detail(
    request: HttpRequest, service_request_id: str, *, fmt: str, district, form
) -> HttpResponse:
    case = selectors.request_get(service_request_id, district=district)
    return render(fmt, [request_dict(case, request.build_absolute_uri)], root="service_requests")


@endpoint("GET")
def token_detail(request: HttpRequest, token: str, *, fmt: str, district, form) -> HttpResponse:
    service_request = selectors.token_get(token, district=district)
    return render(fmt, [token_dict(service_request)], root="service_requests")


@csrf_exempt
def unknown(request: HttpRequest, fmt: str | None = None) -> HttpResponse:
    """Anything else under the prefix: the spec's 404 body rather than an HTML page."""
    error = not_found(
        "no such GeoReport v2 resource: use discovery, services, services/<service_code>, requests, "
        "requests/<service_request_id> or tokens/<token>, each ending in .xml or .json"
    )
    return error_response(_format(request, fmt), error)


@require_GET
def media(request, photo_id: str):
    """The EXIF-free display copy of a public request's report photo (the media_url of a GeoReport request);
    any other photo, a hidden case's included, is not found, like one that does not exist."""
    photo = selectors.media_photo(int(photo_id))
    if photo is None:
        return error_response(JSON, not_found(f"no such photo: {photo_id}"))
    return photo_copy_response(photo, "display", cache="public")
