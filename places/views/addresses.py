"""Browser pages of standard addresses: buildings, houses, who lives where (occupancies) and the residents
whose address matched no house.

Who reads and who writes is decided in gridmgmt.policy; these views only ask it. Reads go through
places.selectors, every write through places.services. Occupants are residents of the registry: their names
are masked here, always; a clear value is only ever shown by the registry's own logged reveal, which the
occupant's link leads to.
"""

import itertools
from dataclasses import dataclass

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import NON_FIELD_ERRORS, PermissionDenied
from django.core.paginator import Paginator
from django.db.models import Count, Q
from django.db.models.functions import Length
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import path, reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, gettext_noop
from django.views.decorators.debug import sensitive_post_parameters
from django.views.decorators.http import require_POST

from gridmgmt import policy
from gridmgmt.errors import DomainError, InvalidInput
from gridmgmt.sorting import natural_key
from grids import pii
from grids.maps import grid_map_features, map_config
from grids.models import Grid

from .. import selectors, services
from ..forms import BuildingForm, HouseForm, OccupancyEndForm, OccupancyForm, UnmatchedResolveForm
from ..models import Building, House, Occupancy

PER_PAGE = 50

# Addresses in the order people read them: by road, then door number as a number (7号 before 15号), then the
# building's number likewise; in the database, so a page of a long list is the same whoever asks.
BUILDING_ORDER = ("road__name", Length("number"), "number", Length("name"), "name", "pk")
HOUSE_ORDER = (
    "building__road__name",
    Length("building__number"),
    "building__number",
    Length("building__name"),
    "building__name",
    "building_id",
    "unit",
    Length("room"),
    "room",
    "pk",
)


# --- scope ------------------------------------------------------------------------------------------------


def forbid_unless(allowed: bool, why: str) -> None:
    if not allowed:
        raise PermissionDenied(why)


def read_scope(user) -> set[int] | None:
    """The grids whose base data `user` reads (None: all); 403 for those who read none."""
    scope = policy.base_data_grid_scope(user)
    forbid_unless(
        scope is None or bool(scope), _("The base data is for grid administrators and supervisors.")
    )
    return scope


def grids_in(scope: set[int] | None):
    grids = Grid.objects.select_related("community")
    return grids if scope is None else grids.filter(id__in=scope)


def grids_sorted(grids) -> list[Grid]:
    """Grids as people read them: by label in natural order (第2网格 before 第10网格)."""
    return sorted(grids, key=lambda grid: (natural_key(grid.label), grid.code))


def grid_from_query(request, scope: set[int] | None) -> Grid | None:
    """The ?grid=<code> filter: a grid of the reader's scope, else 404 (a grid outside it is not named)."""
    code = request.GET.get("grid", "").strip()
    if not code:
        return None
    if not (code.isascii() and code.isdigit()):
        raise Http404("No such grid")
    return get_object_or_404(grids_in(scope), code=code)


def query_without_page(request) -> str:
    """The list's query string without its page number, for the pager's links."""
    query = request.GET.copy()
    query.pop("page", None)
    return query.urlencode()


def _editable_or_403(user, grid_id: int) -> None:
    forbid_unless(
        policy.can_edit_base_data_in(user, grid_id),
        _("Only the administrators of this grid keep its base data."),
    )


def _editable_grids(user) -> list[Grid]:
    """The grids whose base data `user` may write (403 when none): the building form's map shows them."""
    editable = policy.base_data_editable_grid_ids(user)
    forbid_unless(editable is None or bool(editable), _("Only grid administrators keep base data."))
    return grids_sorted(grids_in(editable))


# --- refusals ---------------------------------------------------------------------------------------------

FIELD_LABELS = {
    "road": gettext_lazy("Road"),
    "number": gettext_lazy("Door number"),
    "name": gettext_lazy("Building number"),
    "use": gettext_lazy("Use"),
    "floors": gettext_lazy("Floors"),
    "units": gettext_lazy("Units"),
    "lat": gettext_lazy("Position"),
    "lng": gettext_lazy("Position"),
    "footprint": gettext_lazy("Footprint"),
    "unit": gettext_lazy("Unit"),
    "room": gettext_lazy("Room"),
    "floor": gettext_lazy("Floor"),
    "area_m2": gettext_lazy("Area (m²)"),
    "id_number": gettext_lazy("Resident's ID number"),
    "relation": gettext_lazy("Relation to the household head"),
    "population": gettext_lazy("Population"),
    "is_tenant": gettext_lazy("Tenant"),
    "landlord_id_number": gettext_lazy("Landlord's ID number"),
    "since": gettext_lazy("Moved in on"),
    "until": gettext_lazy("Moved out on"),
    "address": gettext_lazy("Address"),
}

# A service's field name → the form's field that holds it.
_SERVICE_FIELDS = {
    "location": "lat",
    "grid": "lat",
    "resident": "id_number",
    "landlord": "landlord_id_number",
    "house": NON_FIELD_ERRORS,
}


def error_summary(form, *, prefix: str) -> list[dict]:
    """Every error of a refused form, for the list at its top: each linking to its field (`prefix-name`)."""
    return [
        {
            "href": f"#{prefix}-{name}" if name != NON_FIELD_ERRORS else "",
            "text": message
            if name == NON_FIELD_ERRORS
            else _("%(field)s: %(message)s") % {"field": FIELD_LABELS.get(name, name), "message": message},
        }
        for name, found in form.errors.items()
        for message in found
    ]


def refused(form, exc: DomainError, *, default_field: str | None = None) -> None:
    """The service's refusal after the form passed: at its field when the form has it, else on top."""
    field = _SERVICE_FIELDS.get(exc.field, exc.field) if exc.field else default_field
    form.add_error(field if field in form.fields else None, exc.localized())


def _form_page(request, template: str, context: dict, form, *, prefix: str, status: int = 200):
    context = context | {"form": form, "errors": error_summary(form, prefix=prefix)}
    response = render(request, template, context, status=status)
    if form.is_bound and status != 200:
        response["Cache-Control"] = "no-store"  # a refused form may hold what was typed, ID numbers too
    return response


# --- buildings --------------------------------------------------------------------------------------------


@login_required
def building_list(request):
    """The buildings of the reader's grids, filtered by grid and address text, with their house counts."""
    user = request.user
    scope = read_scope(user)
    grid = grid_from_query(request, scope)
    q = request.GET.get("q", "").strip()
    context = {
        "grids": grids_sorted(grids_in(scope)),
        "grid": grid,
        "q": q,
        "query": query_without_page(request),
        "can_create": policy.base_data_editable_grid_ids(user) != set(),
    }
    try:
        rows = selectors.buildings_visible_to(user, grid_id=grid.pk if grid else None, q=q)
        rows = rows.order_by(*BUILDING_ORDER)
        context["page"] = Paginator(rows, PER_PAGE).get_page(request.GET.get("page"))
    except DomainError as exc:  # search text the address reader refuses (too long, control characters)
        context |= {"page": None, "q_error": exc.localized()}
        return render(request, "places/building_list.html", context, status=exc.status)
    return render(request, "places/building_list.html", context)


def _point_feature(lat: float, lng: float, title: str, url: str = "") -> dict:
    return {
        "type": "Feature",
        "geometry": {"type": "Point", "coordinates": [lng, lat]},
        "properties": {"title": title, "url": url},
    }


def building_map(building: Building) -> dict:
    """The building page's map: the grid outline, the building's point and footprint."""
    features = [_point_feature(building.lat, building.lng, building.address)]
    if building.footprint:
        features.append(
            {"type": "Feature", "geometry": building.footprint, "properties": {"title": building.address}}
        )
    return {"type": "FeatureCollection", "features": features}


@dataclass
class UnitGroup:
    unit: int | None
    houses: list


def _houses_by_unit(houses) -> list[UnitGroup]:
    rows = sorted(houses, key=lambda h: (h.unit or 0, h.floor, natural_key(h.room)))
    return [UnitGroup(unit, list(group)) for unit, group in itertools.groupby(rows, key=lambda h: h.unit)]


@login_required
def building_detail(request, pk: int):
    read_scope(request.user)  # 403 for those who read no base data, before any row is looked up
    building = selectors.building_get_for(request.user, pk)
    houses = selectors.houses_visible_to(request.user, building_id=building.pk).annotate(
        occupants=Count("occupancies", filter=Q(occupancies__until__isnull=True))
    )
    context = {
        "building": building,
        "units": _houses_by_unit(houses),
        "organisations": list(selectors.organisations_at(request.user, building=building)),
        "can_edit": policy.can_edit_base_data_in(request.user, building.grid_id),
        "map_config": map_config(),
        "grid_geojson": grid_map_features([building.grid]),
        "place_geojson": building_map(building),
    }
    return render(request, "places/building_detail.html", context)


def _building_form_context(request, building: Building | None) -> dict:
    grids = _editable_grids(request.user)
    return {
        "building": building,
        "use_choices": Building.Use.choices,
        "map_config": map_config(),
        "grid_geojson": grid_map_features(grids),
    }


def _building_saved(request, form: BuildingForm, building: Building | None):
    """The form's values to places.services.building_save: the building, or the form refused."""
    data = form.cleaned_data
    try:
        return services.building_save(
            actor=request.user,
            building=building,
            road=data["road"],
            number=data["number"],
            name=data["name"],
            use=data["use"],
            floors=data["floors"],
            units=data["units"],
            lat=data["lat"],
            lng=data["lng"],
            footprint=data["footprint"],
        ), None
    except DomainError as exc:
        # Refused for the grid is refused for where the point lies (the building's own grid is checked first).
        refused(form, exc, default_field="lat")
        return None, exc.status


def _building_form(request, building: Building | None):
    context = _building_form_context(request, building)
    if request.method != "POST":
        if building is not None:
            initial = BuildingForm.initial_for(building)
        else:  # a map's "add a building here" brings the point
            initial = {"use": Building.Use.RESIDENTIAL, "floors": 1, "units": 1}
            initial |= {key: request.GET[key] for key in ("lat", "lng") if request.GET.get(key)}
        form = BuildingForm(initial=initial)
        return _form_page(request, "places/building_form.html", context, form, prefix="b")
    form = BuildingForm(request.POST)
    if not form.is_valid():
        return _form_page(request, "places/building_form.html", context, form, prefix="b", status=400)
    saved, status = _building_saved(request, form, building)
    if saved is None:
        return _form_page(request, "places/building_form.html", context, form, prefix="b", status=status)
    messages.success(
        request,
        _("Building saved: %(address)s, in %(grid)s.")
        % {
            "address": saved.address,
            "grid": saved.grid.label,
        },
    )
    return redirect("places-building-detail", pk=saved.pk)


@login_required
def building_create(request):
    return _building_form(request, None)


@login_required
def building_edit(request, pk: int):
    read_scope(request.user)  # 403 for those who read no base data, before any row is looked up
    building = selectors.building_get_for(request.user, pk)
    _editable_or_403(request.user, building.grid_id)
    return _building_form(request, building)


# --- houses -----------------------------------------------------------------------------------------------


@login_required
def house_list(request):
    """Houses of the reader's grids, by grid, use and building (the grid profile's house counts link here)."""
    user = request.user
    scope = read_scope(user)
    grid = grid_from_query(request, scope)
    use = request.GET.get("use", "")
    if use and use not in House.Use.values:
        raise Http404("No such use")
    rows = selectors.houses_visible_to(user, grid_id=grid.pk if grid else None, use=use).order_by(
        *HOUSE_ORDER
    )
    context = {
        "grids": grids_sorted(grids_in(scope)),
        "grid": grid,
        "use": use,
        "use_choices": House.Use.choices,
        "query": query_without_page(request),
        "page": Paginator(rows, PER_PAGE).get_page(request.GET.get("page")),
    }
    return render(request, "places/house_list.html", context)


@dataclass
class OccupantRow:
    """One occupancy as the house page shows it: names masked, the registry's page where the reader may
    see the resident (and reveal, logged, there)."""

    occupancy: Occupancy
    name: str
    landlord: str
    resident_url: str
    end_error: str = ""
    end_value: str = ""


def _occupant_rows(user, occupancies) -> list[OccupantRow]:
    return [
        OccupantRow(
            occupancy=o,
            name=pii.mask_name(o.resident.name),
            landlord=pii.mask_name(o.landlord.name) if o.landlord_id else "",
            resident_url=reverse("resident-detail", args=[o.resident_id])
            if policy.can_view_resident(user, o.resident)
            else "",
        )
        for o in occupancies
    ]


def _house_context(request, house: House) -> dict:
    user = request.user
    current, before = selectors.house_occupancies(house)
    landlords = selectors.house_landlords(house)
    return {
        "house": house,
        "building": house.building,
        "current": _occupant_rows(user, current),
        "before": _occupant_rows(user, before),
        "landlords": [pii.mask_name(landlord.name) for landlord in landlords],
        "tenants": [row for row in _occupant_rows(user, current) if row.occupancy.is_tenant],
        "organisations": list(selectors.organisations_at(user, house=house)),
        "can_edit": policy.can_edit_base_data_in(user, house.grid_id),
        "today": timezone.localdate(),
    }


@login_required
def house_detail(request, pk: int):
    read_scope(request.user)  # 403 for those who read no base data, before any row is looked up
    house = selectors.house_get_for(request.user, pk)
    return render(request, "places/house_detail.html", _house_context(request, house))


def _house_saved(request, form: HouseForm, building: Building, house: House | None):
    data = form.cleaned_data
    try:
        return services.house_save(
            actor=request.user,
            building=building,
            house=house,
            unit=data["unit"],
            room=data["room"],
            floor=data["floor"],
            use=data["use"],
            area_m2=data["area_m2"],
        ), None
    except DomainError as exc:
        refused(form, exc)
        return None, exc.status


def _house_form(request, building: Building, house: House | None):
    _editable_or_403(request.user, building.grid_id)
    context = {"building": building, "house": house, "use_choices": House.Use.choices}
    if request.method != "POST":
        initial = HouseForm.initial_for(house) if house else {"use": House.Use.OWNER_OCCUPIED, "unit": 1}
        return _form_page(request, "places/house_form.html", context, HouseForm(initial=initial), prefix="h")
    form = HouseForm(request.POST)
    if not form.is_valid():
        return _form_page(request, "places/house_form.html", context, form, prefix="h", status=400)
    saved, status = _house_saved(request, form, building, house)
    if saved is None:
        return _form_page(request, "places/house_form.html", context, form, prefix="h", status=status)
    messages.success(request, _("House saved: %(address)s.") % {"address": saved.address})
    return redirect("places-house-detail", pk=saved.pk)


@login_required
def house_create(request, pk: int):
    read_scope(request.user)  # 403 for those who read no base data, before any row is looked up
    building = selectors.building_get_for(request.user, pk)
    return _house_form(request, building, None)


@login_required
def house_edit(request, pk: int):
    read_scope(request.user)  # 403 for those who read no base data, before any row is looked up
    house = selectors.house_get_for(request.user, pk)
    return _house_form(request, house.building, house)


# --- who lives where --------------------------------------------------------------------------------------

_ID_FIELDS = ("id_number", "landlord_id_number")


@sensitive_post_parameters(*_ID_FIELDS)
@login_required
def occupancy_create(request, pk: int):
    """Link a resident of the administrator's grids to the house (a move closes their current home)."""
    read_scope(request.user)  # 403 for those who read no base data, before any row is looked up
    house = selectors.house_get_for(request.user, pk)
    _editable_or_403(request.user, house.grid_id)
    editable = policy.base_data_editable_grid_ids(request.user)
    context = {
        "house": house,
        "building": house.building,
        "relation_choices": Occupancy.Relation.choices,
        "population_choices": Occupancy.Population.choices,
    }
    if request.method != "POST":
        initial = {"since": timezone.localdate().isoformat()}
        if house.use == House.Use.RENTED:
            initial |= {"relation": Occupancy.Relation.TENANT, "is_tenant": True}
        form = OccupancyForm(initial=initial, user=request.user, editable=editable)
        return _form_page(request, "places/occupancy_form.html", context, form, prefix="o")
    form = OccupancyForm(request.POST, user=request.user, editable=editable)
    if not form.is_valid():
        return _form_page(request, "places/occupancy_form.html", context, form, prefix="o", status=400)
    try:
        occupancy = services.occupancy_start(actor=request.user, house=house, **form.start_arguments())
    except DomainError as exc:
        refused(form, exc)
        return _form_page(request, "places/occupancy_form.html", context, form, prefix="o", status=exc.status)
    messages.success(
        request,
        _("%(name)s lives in %(address)s since %(since)s.")
        % {
            "name": pii.mask_name(occupancy.resident.name),
            "address": house.address,
            "since": occupancy.since.isoformat(),
        },
    )
    return redirect("places-house-detail", pk=house.pk)


@login_required
@require_POST
def occupancy_end(request, pk: int):
    """The resident moved out of the house on the given day (their record stays, under "before")."""
    read_scope(request.user)  # 403 for those who read no base data, before any row is looked up
    occupancy = selectors.occupancy_get_for(request.user, pk)
    house = occupancy.house
    _editable_or_403(request.user, house.grid_id)
    form = OccupancyEndForm(request.POST)
    try:
        if not form.is_valid():
            raise InvalidInput(gettext_noop("enter a date (YYYY-MM-DD)"), field="until")
        services.occupancy_end(actor=request.user, occupancy=occupancy, until=form.cleaned_data["until"])
    except DomainError as exc:
        context = _house_context(request, house)
        for row in context["current"]:
            if row.occupancy.pk == occupancy.pk:
                row.end_error = exc.localized()
                row.end_value = request.POST.get("until", "")
        messages.error(request, _("The move-out was not recorded: %(why)s") % {"why": exc.localized()})
        return render(request, "places/house_detail.html", context, status=exc.status)
    messages.success(request, _("Move-out recorded."))
    return redirect("places-house-detail", pk=house.pk)


@login_required
def occupant_list(request):
    """Residents living in houses of the reader's grids, by population kind (names masked)."""
    user = request.user
    scope = read_scope(user)
    grid = grid_from_query(request, scope)
    population = request.GET.get("population", "")
    if population and population not in Occupancy.Population.values:
        raise Http404("No such population kind")
    rows = selectors.occupancies_current(user, grid_id=grid.pk if grid else None, population=population)
    page = Paginator(rows, PER_PAGE).get_page(request.GET.get("page"))
    context = {
        "grids": grids_sorted(grids_in(scope)),
        "grid": grid,
        "population": population,
        "population_choices": Occupancy.Population.choices,
        "query": query_without_page(request),
        "page": page,
        "rows": _occupant_rows(user, page.object_list),
    }
    return render(request, "places/occupancy_list.html", context)


# --- unmatched addresses ----------------------------------------------------------------------------------


@dataclass
class UnmatchedRow:
    entry: object
    name: str
    reason: str
    resident_url: str
    can_edit: bool
    errors: dict
    values: dict


def _unmatched_context(request, *, failed=None, errors=None, values=None) -> dict:
    user = request.user
    scope = read_scope(user)
    grid = grid_from_query(request, scope)
    rows = selectors.unmatched_for(user, grid_id=grid.pk if grid else None)
    page = Paginator(rows, PER_PAGE).get_page(request.GET.get("page"))
    editable = policy.base_data_editable_grid_ids(user)
    reasons = {"no_match": _("no house has this address"), "ambiguous": _("several houses match")}
    entries = [
        UnmatchedRow(
            entry=entry,
            name=pii.mask_name(entry.resident.name),
            reason=str(reasons.get(entry.reason, entry.reason)),
            resident_url=reverse("resident-detail", args=[entry.resident_id])
            if policy.can_view_resident(user, entry.resident)
            else "",
            can_edit=editable is None or entry.grid_id in editable,
            errors=errors if failed == entry.pk else {},
            values=values
            if failed == entry.pk
            else {
                "address": entry.address,
                "since": entry.resident.moved_in_on.isoformat(),
                "relation": Occupancy.Relation.HEAD,
                "population": Occupancy.Population.REGISTERED,
            },
        )
        for entry in page.object_list
    ]
    # The houses of the one grid shown, as suggestions for the address fields (a grid holds hundreds).
    suggestions = []
    if grid is not None:
        suggestions = list(
            selectors.houses_visible_to(user, grid_id=grid.pk).values_list("address", flat=True)[:500]
        )
    return {
        "grids": grids_sorted(grids_in(scope)),
        "grid": grid,
        "page": page,
        "entries": entries,
        "query": query_without_page(request),
        "suggestions": suggestions,
        "relation_choices": Occupancy.Relation.choices,
        "population_choices": Occupancy.Population.choices,
    }


@login_required
def unmatched_list(request):
    return render(request, "places/unmatched_list.html", _unmatched_context(request))


def _house_named(user, entry, text: str) -> House:
    """The house of the base data the typed address names, preferring the entry's grid; refused by name."""
    house, reason = selectors.house_for_address(text, grid_id=entry.grid_id)
    if house is not None and not policy.can_edit_base_data_in(user, house.grid_id):
        house, reason = None, "elsewhere"
    if house is None and reason == "ambiguous":
        raise InvalidInput(
            gettext_noop("several houses have the address %(address)s: write it out in full"),
            address=text[:100],
            field="address",
        )
    if house is None and reason == "elsewhere":
        raise InvalidInput(
            gettext_noop("the house %(address)s is not in your grids"), address=text[:100], field="address"
        )
    if house is None:
        raise InvalidInput(
            gettext_noop("no house of the base data has the address %(address)s"),
            address=text[:100],
            field="address",
        )
    return house


@login_required
@require_POST
def unmatched_resolve(request, pk: int):
    """Link the resident to the house a typed address names, or dismiss the entry; back to the list."""
    read_scope(request.user)  # 403 for those who read no base data, before any row is looked up
    entry = selectors.unmatched_for(request.user).filter(pk=pk).first()
    if entry is None:
        raise Http404("No such unmatched address")
    _editable_or_403(request.user, entry.grid_id)
    form = UnmatchedResolveForm(request.POST)
    values = {name: request.POST.get(name, "") for name in ("address", "relation", "population", "since")}
    try:
        if not form.is_valid():
            errors = {name: " ".join(found) for name, found in form.errors.items()}
            return _unmatched_refused(request, entry, errors, values, status=400)
        data = form.cleaned_data
        if data["action"] == "dismiss":
            services.unmatched_dismiss(actor=request.user, unmatched=entry)
            messages.success(request, _("The unmatched address was dismissed."))
        else:
            house = _house_named(request.user, entry, data["address"])
            services.occupancy_start(
                actor=request.user,
                resident=entry.resident,
                house=house,
                since=data["since"],
                relation=data["relation"],
                population=data["population"],
            )
            messages.success(request, _("Linked to %(address)s.") % {"address": house.address})
    except DomainError as exc:
        field = exc.field if exc.field in values else "address"
        return _unmatched_refused(request, entry, {field: exc.localized()}, values, status=exc.status)
    return redirect(f"{reverse('places-unmatched')}?{request.GET.urlencode()}")


def _unmatched_refused(request, entry, errors: dict, values: dict, *, status: int):
    context = _unmatched_context(request, failed=entry.pk, errors=errors, values=values)
    if not any(row.entry.pk == entry.pk for row in context["entries"]):
        # The entry is on another page of the list: show the refusal on top rather than lose it.
        for message in errors.values():
            messages.error(request, message)
    context["failed"] = entry.pk
    return render(request, "places/unmatched_list.html", context, status=status)


urlpatterns = [
    path("buildings/", building_list, name="places-building-list"),
    path("buildings/new/", building_create, name="places-building-create"),
    path("buildings/<int:pk>/", building_detail, name="places-building-detail"),
    path("buildings/<int:pk>/edit/", building_edit, name="places-building-edit"),
    path("buildings/<int:pk>/houses/new/", house_create, name="places-house-create"),
    path("houses/", house_list, name="places-house-list"),
    path("houses/<int:pk>/", house_detail, name="places-house-detail"),
    path("houses/<int:pk>/edit/", house_edit, name="places-house-edit"),
    path("houses/<int:pk>/occupants/new/", occupancy_create, name="places-occupancy-create"),
    path("occupancies/<int:pk>/end/", occupancy_end, name="places-occupancy-end"),
    path("occupants/", occupant_list, name="places-occupant-list"),
    path("unmatched/", unmatched_list, name="places-unmatched"),
    path("unmatched/<int:pk>/resolve/", unmatched_resolve, name="places-unmatched-resolve"),
]
