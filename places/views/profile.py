"""Browser pages: the grid profile (网格画像) and its index, and the search across all base data.

A profile is one grid's map (layers toggled in the browser) and its counts; every count links to the list
that shows exactly those rows. Apps above this one (cases) add counts and layers through places.profile.
"""

from dataclasses import dataclass

from django.contrib.auth import get_user_model
from django.contrib.auth.decorators import login_required
from django.db.models import Count
from django.http import Http404
from django.shortcuts import get_object_or_404, render
from django.urls import NoReverseMatch, path, reverse
from django.utils.http import urlencode
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from gridmgmt import policy
from gridmgmt.errors import DomainError
from gridmgmt.people import display_name
from gridmgmt.roles import Role, user_roles
from gridmgmt.sorting import natural_key
from grids.maps import grid_map_features, map_config
from grids.models import Grid, GridAssignment

from .. import profile as profile_hooks
from .. import selectors
from ..models import Building, Facility, FacilityClass, House, Occupancy, Organisation
from .addresses import forbid_unless, grids_in, grids_sorted, read_scope

# The most points one layer of a profile map carries: enough for any real grid, bounded for a broken one.
LAYER_LIMIT = 3000


def _link(name: str, **params) -> str:
    """A list's URL with its filters; "" while that list's page is not routed (the count shows unlinked)."""
    try:
        url = reverse(name)
    except NoReverseMatch:
        return ""
    query = urlencode({key: value for key, value in params.items() if value not in (None, "")})
    return f"{url}?{query}" if query else url


def _detail_link(name: str, pk: int) -> str:
    try:
        return reverse(name, args=[pk])
    except NoReverseMatch:
        return ""


# --- the index --------------------------------------------------------------------------------------------


@login_required
def profile_index(request):
    """The grids whose base data the reader may see, in natural order, each linking to its profile."""
    scope = read_scope(request.user)
    grids = grids_sorted(grids_in(scope).select_related("community__parent"))
    ids = [grid.pk for grid in grids]
    buildings = dict(
        Building.objects.filter(grid_id__in=ids)
        .values("grid_id")
        .annotate(n=Count("id"))
        .values_list("grid_id", "n")
    )
    houses = dict(
        House.objects.filter(grid_id__in=ids)
        .values("grid_id")
        .annotate(n=Count("id"))
        .values_list("grid_id", "n")
    )
    rows = [
        {"grid": grid, "buildings": buildings.get(grid.pk, 0), "houses": houses.get(grid.pk, 0)}
        for grid in grids
    ]
    return render(request, "places/profile_index.html", {"rows": rows})


# --- one grid's profile -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Figure:
    """One count of the profile and the list behind it."""

    label: str
    count: int
    url: str
    tone: str = ""


def _class_names() -> dict[str, str]:
    return {row.code: row.label for row in FacilityClass.objects.filter(parent__isnull=True)}


def _figures(grid: Grid, profile) -> dict[str, list[Figure]]:
    code = grid.code
    residents = [
        Figure(
            str(_("in the registry")),
            profile.residents_total,
            _link("resident-list", grid=code),
        ),
        *(
            Figure(
                str(label),
                profile.residents_by_kind.get(kind, 0),
                _link("places-occupant-list", grid=code, population=kind),
            )
            for kind, label in Occupancy.Population.choices
        ),
    ]
    houses = [
        Figure(str(_("buildings")), profile.buildings, _link("places-building-list", grid=code)),
        *(
            Figure(
                str(label), profile.houses_by_use.get(use, 0), _link("places-house-list", grid=code, use=use)
            )
            for use, label in House.Use.choices
        ),
        Figure(
            str(_("unmatched addresses")),
            profile.unmatched,
            _link("places-unmatched", grid=code),
            "warning" if profile.unmatched else "",
        ),
    ]
    organisations = [
        Figure(
            str(label),
            profile.organisations_by_kind.get(kind, 0),
            _link("places-organisation-list", grid=code, kind=kind),
        )
        for kind, label in Organisation.Kind.choices
    ]
    risks = [
        Figure(
            str(label),
            profile.organisations_by_risk.get(risk, 0),
            _link("places-organisation-list", grid=code, risk=risk),
            "warning" if profile.organisations_by_risk.get(risk) else "",
        )
        for risk, label in Organisation.Risk.choices
    ]
    classes = _class_names()
    majors = [
        Figure(
            name,
            profile.facilities_by_major.get(major, 0),
            _link("places-facility-list", grid=code, major=major),
        )
        for major, name in classes.items()
    ]
    states = [
        Figure(
            str(label),
            profile.facilities_by_state.get(state, 0),
            _link("places-facility-list", grid=code, state=state),
            "overdue" if state != Facility.State.INTACT and profile.facilities_by_state.get(state) else "",
        )
        for state, label in Facility.State.choices
    ]
    others = [Figure(str(c.label), c.count(grid), c.link(grid)) for c in profile_hooks.profile_counts()]
    return {
        "residents": residents,
        "houses": houses,
        "organisations": organisations,
        "risks": risks,
        "majors": majors,
        "states": states,
        "others": others,
    }


def _point(lat: float, lng: float, **properties) -> dict:
    return {
        "type": "Feature",
        "geometry": {"type": "Point", "coordinates": [lng, lat]},
        "properties": properties,
    }


def _layers(request, grid: Grid) -> list[dict]:
    """The profile map's layers as GeoJSON, each {name, label, features}; the browser toggles them."""
    user = request.user
    buildings = []
    rows = selectors.buildings_visible_to(user, grid_id=grid.pk).values(
        "pk", "address", "lat", "lng", "footprint"
    )
    for row in rows[:LAYER_LIMIT]:
        url = reverse("places-building-detail", args=[row["pk"]])
        feature = _point(row["lat"], row["lng"], title=row["address"], url=url)
        if row["footprint"]:  # one feature per building: its point and its outline
            feature["geometry"] = {
                "type": "GeometryCollection",
                "geometries": [feature["geometry"], row["footprint"]],
            }
        buildings.append(feature)
    facilities = [
        _point(
            f.lat,
            f.lng,
            title=f"{f.facility_class.name} {f.code}",
            url=_detail_link("places-facility-detail", f.pk),
            state=f.state,
        )
        for f in selectors.facilities_visible_to(user, grid_id=grid.pk)[:LAYER_LIMIT]
    ]
    organisations = [
        _point(
            o.lat,
            o.lng,
            title=o.name,
            url=_detail_link("places-organisation-detail", o.pk),
            risk=bool(o.risk_tags),
        )
        for o in selectors.organisations_visible_to(user, grid_id=grid.pk)[:LAYER_LIMIT]
    ]
    layers = [
        {"name": "buildings", "label": str(_("Buildings")), "features": buildings},
        {"name": "facilities", "label": str(_("City facilities")), "features": facilities},
        {"name": "organisations", "label": str(_("Organisations")), "features": organisations},
    ]
    for layer in profile_hooks.profile_layers():
        layers.append({"name": layer.name, "label": str(layer.label), "features": layer.features(grid, user)})
    return layers


@dataclass
class Administrator:
    name: str
    other_grids: list  # [(grid, url or "")]


def _administrators(request, grid: Grid, scope: set[int] | None) -> list[Administrator]:
    """The grid's administrators by name, each with the other grids they hold (linked where the reader may
    see those grids' profiles)."""
    people = list(get_user_model().objects.filter(grid_assignments__grid=grid).distinct())
    held: dict[int, list[Grid]] = {person.pk: [] for person in people}
    others = (
        GridAssignment.objects.filter(user__in=people).exclude(grid=grid).select_related("grid__community")
    )
    for assignment in others:
        held[assignment.user_id].append(assignment.grid)
    rows = [
        Administrator(
            name=display_name(person),
            other_grids=[
                (
                    other,
                    reverse("places-grid-profile", args=[other.code])
                    if scope is None or other.pk in scope
                    else "",
                )
                for other in grids_sorted(held[person.pk])
            ],
        )
        for person in people
    ]
    return sorted(rows, key=lambda row: natural_key(row.name))


@login_required
def grid_profile(request, code: str):
    """One grid: its map with toggleable layers, its counts (each linking to its list), its administrators."""
    scope = read_scope(request.user)
    if not (code.isascii() and code.isdigit()):
        raise Http404("No such grid")
    grid = get_object_or_404(Grid.objects.select_related("community__parent"), code=code)
    if scope is not None and grid.pk not in scope:
        raise Http404("No such grid, or not yours to see")  # one answer for both: no probing
    profile = selectors.grid_profile(grid)
    context = {
        "grid": grid,
        "profile": profile,
        "figures": _figures(grid, profile),
        "administrators": _administrators(request, grid, scope),
        "can_edit": policy.can_edit_base_data_in(request.user, grid.pk),
        "map_config": map_config(),
        "grid_geojson": grid_map_features([grid]),
        "layers": _layers(request, grid),
    }
    return render(request, "places/profile_detail.html", context)


# --- search -----------------------------------------------------------------------------------------------

KIND_ORDER = ("building", "house", "organisation", "facility")
KIND_LABELS = {
    "building": gettext_lazy("Buildings"),
    "house": gettext_lazy("Houses"),
    "organisation": gettext_lazy("Organisations"),
    "facility": gettext_lazy("City facilities"),
}
_DETAIL_NAMES = {
    "building": "places-building-detail",
    "house": "places-house-detail",
    "organisation": "places-organisation-detail",
    "facility": "places-facility-detail",
}


@dataclass
class HitGroup:
    kind: str
    label: str
    hits: list  # [(hit, url)]


@login_required
def search(request):
    """Buildings, houses, organisations and facilities by name, address or code (two characters will do)."""
    user = request.user
    scope = policy.base_data_grid_scope(user)
    forbid_unless(
        scope is None or bool(scope) or Role.DEPARTMENT_STAFF in user_roles(user),
        _("The base data is for grid administrators, supervisors and the departments' staff."),
    )
    q = request.GET.get("q", "").strip()
    context = {"q": q, "groups": [], "searched": bool(q), "total": 0, "limit": selectors.SEARCH_LIMIT}
    try:
        hits = selectors.base_data_search(user, q) if q else []
    except DomainError as exc:  # text the address reader refuses (too long, control characters)
        context |= {"q_error": exc.localized(), "searched": False}
        return render(request, "places/search.html", context, status=exc.status)
    for kind in KIND_ORDER:
        found = [(hit, _detail_link(_DETAIL_NAMES[kind], hit.pk)) for hit in hits if hit.kind == kind]
        if found:
            context["groups"].append(HitGroup(kind, str(KIND_LABELS[kind]), found))
    context["total"] = len(hits)
    return render(request, "places/search.html", context)


urlpatterns = [
    path("", profile_index, name="places-index"),
    path("grids/<str:code>/", grid_profile, name="places-grid-profile"),
    path("search/", search, name="places-search"),
]
