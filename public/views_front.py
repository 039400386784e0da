"""The front page (`/`), the public map's data, the place search and the grids' public pages."""

from django.conf import settings
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET

from cases.models import Category
from cases.ui import RESIDENT_STATE_LABELS, category_label
from gridmgmt import clock
from gridmgmt.errors import DomainError, error_body
from gridmgmt.roles import Role, user_roles
from grids.maps import map_config

from . import mapdata
from .grids import public_grid_page

MAP_MAX_AGE = 60  # seconds a browser or shared cache may keep a map answer: the data is public
PLACES_MAX_AGE = 300


def _refusal(exc: DomainError) -> JsonResponse:
    return JsonResponse(error_body(exc.code, exc.localized(), exc.field), status=exc.status)


def _category_groups() -> list[dict]:
    """The map's category filter: each major class with its minor ones, in the page language; classes
    never shown to the public are left out."""
    language = get_language()
    rows = (
        Category.objects.filter(is_active=True)
        .exclude(publicity=Category.Publicity.NEVER)
        .order_by("code")
        .only("code", "name", "name_en", "parent_id")
    )
    majors: dict[int, dict] = {}
    minors = []
    for category in rows:
        if category.parent_id is None:
            majors[category.pk] = {
                "code": category.code,
                "label": category_label(category, language),
                "minors": [],
            }
        else:
            minors.append(category)
    for category in minors:
        if category.parent_id in majors:
            majors[category.parent_id]["minors"].append(
                {"code": category.code, "label": category_label(category, language)}
            )
    return list(majors.values())


def _map_words() -> dict:
    """What static/js/public_map.js says, in the page language ({n}, {date} are filled in there)."""
    return {
        "locating": _("Finding your position…"),
        "located": _("Your position"),
        "noGeo": _("Your browser cannot tell your position: tap the map or search instead."),
        "geoDenied": _("Your position is not available: tap the map or search instead."),
        "tapped": _("the point you tapped on the map"),
        "chosen": _("the point you chose"),
        "searching": _("Searching…"),
        "noPlaces": _("No street, address or grid of that name was found."),
        "found": _("Places found: {n}. Choose one."),
        "shown": _("Problems on the map: {n}"),
        "truncated": _("Only the {n} most recent are drawn: zoom in to see every one."),
        "loadFailed": _("The problems could not be loaded. Move the map to try again."),
        "cluster": _("{n} problems here: select to zoom in"),
        "view": _("View the case"),
        "reported": _("Reported on {date}"),
        "supporters": _("Residents who said me too: {n}"),
        "kinds": {
            "address": _("address"),
            "road": _("road"),
            "building": _("building"),
            "grid": _("grid"),
        },
    }


def _recent_rows(cases, *, with_place: bool = True) -> list[dict]:
    """Rows of a list of public cases (load category, and the grid's community and street for the place)."""
    language = get_language()
    return [
        {
            "case": case,
            "category": category_label(case.category, language),
            "state_label": RESIDENT_STATE_LABELS.get(case.state, case.state),
            "place": case.grid.place if with_place and case.grid_id else "",
        }
        for case in cases
    ]


@require_GET
def front(request: HttpRequest) -> HttpResponse:
    """`/`: the public site for anonymous visitors and residents; staff go to their home."""
    if request.user.is_authenticated and (
        request.user.is_superuser or user_roles(request.user) - {Role.RESIDENT}
    ):
        return redirect("home")
    return render(
        request,
        "public/front.html",
        {
            "map_config": map_config(),
            "categories": _category_groups(),
            "recent": _recent_rows(mapdata.recent_public_cases()),
            "closed_days": settings.PUBLIC_MAP_CLOSED_DAYS,
            "cluster_below_zoom": mapdata.CLUSTER_BELOW_ZOOM,
            "words": _map_words(),
        },
    )


@require_GET
def map_data(request: HttpRequest) -> JsonResponse:
    """The public map's cases in a box (GeoJSON): ?bbox=west,south,east,north&zoom=&category=&state=."""
    try:
        query = mapdata.map_query_read(request.GET)
    except DomainError as exc:
        return _refusal(exc)
    response = JsonResponse(mapdata.public_map_features(query, now=clock.now()))
    response["Cache-Control"] = f"public, max-age={MAP_MAX_AGE}"
    return response


@require_GET
def place_search(request: HttpRequest) -> JsonResponse:
    """Places a resident may name (?q=): roads, standard addresses, grids; at most ten."""
    try:
        places = mapdata.place_search(request.GET.get("q", ""))
    except DomainError as exc:
        return _refusal(exc)
    response = JsonResponse({"results": [place.as_json() for place in places]})
    response["Cache-Control"] = f"public, max-age={PLACES_MAX_AGE}"
    return response


@require_GET
def grid_page(request: HttpRequest, code: str) -> HttpResponse:
    """A grid's public page: where, who (names and work phones), its recent public cases."""
    page = public_grid_page(code, now=clock.now())
    if page is None:
        raise Http404
    return render(
        request,
        "public/grid.html",
        {
            "page": page,
            "grid": page.grid,
            "recent": _recent_rows(page.cases, with_place=False),
            "shows_poster": page.administered_by(request.user),
        },
    )
