"""REST views for the base data: buildings, houses and who lives in them, organisations, city facilities,
the facility taxonomy, and locating by address.

The same rules as the base-data pages, asked of the same places: gridmgmt.policy decides who reads and who
edits which grid's rows, places.selectors reads them, places.services writes them (and raises the
DomainErrors gridmgmt.api turns into the shared error shape). Order of refusals: a role that never sees
base data 403; a row the caller cannot see 404 (unknown ids alike); a visible row the caller may not edit
403; bad input 400. Occupants are residents: masked name and id only, a reveal goes through residents/.
"""

from django.http import Http404
from django.urls import reverse
from django.utils.translation import gettext_noop
from drf_spectacular.utils import OpenApiExample, OpenApiParameter, extend_schema
from rest_framework.generics import GenericAPIView
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from gridmgmt import policy
from gridmgmt.api import CursorPagination, error_responses
from gridmgmt.errors import InvalidInput, NotAllowed
from gridmgmt.ids import id_or_404
from gridmgmt.json_io import JSONParser
from gridmgmt.roles import Role, user_roles
from grids.models import Grid, Resident

from .. import selectors, services
from ..models import Building, Facility, FacilityClass, House, Occupancy, Organisation
from . import serializers as s

TAGS = ["base data"]

# Case states in which a case on a facility is still open. Named here, not imported: cases stands above
# places (import-linter), and the facility only counts the cases pointing at it.
OPEN_CASE_STATES = ("reported", "filed", "dispatched", "in_progress", "returned", "resolved")

NO_BASE_DATA = gettext_noop("you may not see the base data")
NO_FACILITIES = gettext_noop("you may not see the city facilities")
ONLY_KEEPERS = gettext_noop("only grid administrators keep the base data")


# --- scope helpers ------------------------------------------------------------------------------------------


def _scope_nonempty(scope: set[int] | None) -> bool:
    return scope is None or bool(scope)


def _base_data_check(request: Request) -> None:
    """403 for callers who see no grid's buildings, houses and organisations."""
    if not _scope_nonempty(policy.base_data_grid_scope(request.user)):
        raise NotAllowed(NO_BASE_DATA)


def _facilities_check(request: Request) -> None:
    """403 for callers who see no facility: neither a grid's base data nor a department's facilities."""
    user = request.user
    if _scope_nonempty(policy.base_data_grid_scope(user)):
        return
    if Role.DEPARTMENT_STAFF in user_roles(user) and user.departments.filter(is_active=True).exists():
        return
    raise NotAllowed(NO_FACILITIES)


def _keeper_check(request: Request) -> None:
    """403 before reading a body, for callers who may write no grid's base data at all."""
    if not _scope_nonempty(policy.base_data_editable_grid_ids(request.user)):
        raise NotAllowed(ONLY_KEEPERS)


def _edit_check(request: Request, grid_id: int) -> None:
    if not policy.can_edit_base_data_in(request.user, grid_id):
        raise NotAllowed(services.EDIT_REFUSED)


def _filters(request: Request, serializer_class) -> dict:
    # An empty value (`?grid=`) means "no filter", as a web form sends it.
    params = {key: value for key, value in request.query_params.items() if value != ""}
    filters = serializer_class(data=params)
    filters.is_valid(raise_exception=True)
    return filters.validated_data


# A row named by id in a request body that the caller cannot see: one sentence per kind of row, so each is
# translated whole (the API sends the English; pages would show the active language).
NO_SUCH = {
    "building": gettext_noop("there is no building %(id)s among those you may see"),
    "house": gettext_noop("there is no house %(id)s among those you may see"),
    "resident": gettext_noop("there is no resident %(id)s among those you may see"),
}


def _visible_row(rows, pk: int, *, field: str, kind: str):
    """A row named by id in a request body, among those the caller may see; a 400 naming the field
    otherwise (the same answer for rows that do not exist, so nothing can be probed)."""
    found = rows.filter(pk=pk).first()
    if found is None:
        raise InvalidInput(NO_SUCH[kind], id=pk, field=field)
    return found


def _created(body: dict, name: str, pk: int) -> Response:
    return Response(body, status=201, headers={"Location": reverse(name, kwargs={"id": pk})})


class IdCursorPagination(CursorPagination):
    ordering = ("id",)  # unique and unchanging: cursors stay exact while rows are added


def _id_parameter(what: str) -> OpenApiParameter:
    return OpenApiParameter("id", int, OpenApiParameter.PATH, description=f"The {what}'s id")


GRID_FILTER = OpenApiParameter("grid", str, description="14-digit grid code")


# --- buildings ---------------------------------------------------------------------------------------------

BUILDING_ID = _id_parameter("building")
BUILDING_EXAMPLE = {
    "road": "八一大道",
    "number": "123",
    "name": "1",
    "use": "residential",
    "floors": 18,
    "units": 3,
    "lat": 28.68,
    "lng": 115.89,
}


def _building_detail(request: Request, building: Building) -> dict:
    building.house_count = building.houses.count()
    context = {"can_edit": policy.can_edit_base_data_in(request.user, building.grid_id)}
    return s.BuildingDetailSerializer(building, context=context).data


def _building_values(building: Building) -> dict:
    return {
        "road": building.road.name,
        "number": building.number,
        "name": building.name,
        "use": building.use,
        "floors": building.floors,
        "units": building.units,
        "lat": building.lat,
        "lng": building.lng,
        "footprint": building.footprint,
    }


class BuildingListView(GenericAPIView):
    pagination_class = IdCursorPagination
    serializer_class = s.BuildingInputSerializer  # what OPTIONS describes
    parser_classes = [JSONParser]

    @extend_schema(
        tags=TAGS,
        operation_id="buildings_list",
        summary="Buildings in the caller's scope",
        description="Grid administrators see their grids' buildings; dispatchers, supervisors and users "
        "granted `places.change_building` every grid's. Everyone else gets 403.",
        parameters=[GRID_FILTER, OpenApiParameter("q", str, description="Part of the address")],
        responses={200: s.BuildingSerializer(many=True), **error_responses(400, 403)},
    )
    def get(self, request: Request) -> Response:
        _base_data_check(request)
        data = _filters(request, s.BuildingFilterSerializer)
        grid = data.get("grid")
        rows = selectors.buildings_visible_to(
            request.user, grid_id=grid.pk if grid else None, q=data.get("q", "")
        )
        page = self.paginate_queryset(rows)
        return self.get_paginated_response(s.BuildingSerializer(page, many=True).data)

    @extend_schema(
        tags=TAGS,
        operation_id="buildings_create",
        summary="Register a building in one of the caller's grids",
        description="The grid is the one the point lies in; it must be one of the caller's (403 "
        "otherwise). The standard address is written out from road, number and name; an address "
        "registered already is a 400 naming `number`.",
        request=s.BuildingInputSerializer,
        examples=[OpenApiExample("A residential building", value=BUILDING_EXAMPLE, request_only=True)],
        responses={201: s.BuildingDetailSerializer, **error_responses(400, 403)},
    )
    def post(self, request: Request) -> Response:
        _keeper_check(request)
        serializer = s.BuildingInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        building = services.building_save(actor=request.user, **serializer.validated_data)
        return _created(_building_detail(request, building), "api-building-detail", building.pk)


class BuildingDetailView(APIView):
    parser_classes = [JSONParser]

    @extend_schema(
        tags=TAGS,
        operation_id="buildings_detail",
        summary="One building, with what the caller may do",
        parameters=[BUILDING_ID],
        responses={200: s.BuildingDetailSerializer, **error_responses(403, 404)},
    )
    def get(self, request: Request, id: str) -> Response:
        _base_data_check(request)
        building = selectors.building_get_for(request.user, id_or_404(id))
        return Response(_building_detail(request, building))

    @extend_schema(
        tags=TAGS,
        operation_id="buildings_update",
        summary="Change some of a building's fields",
        description="Only the fields sent change. A new point may move the building to another of the "
        "caller's grids; its houses follow.",
        parameters=[BUILDING_ID],
        request=s.BuildingInputSerializer(partial=True),
        examples=[OpenApiExample("More floors", value={"floors": 20}, request_only=True)],
        responses={200: s.BuildingDetailSerializer, **error_responses(400, 403, 404)},
    )
    def patch(self, request: Request, id: str) -> Response:
        _base_data_check(request)
        building = selectors.building_get_for(request.user, id_or_404(id))
        _edit_check(request, building.grid_id)
        serializer = s.BuildingInputSerializer(data=request.data, partial=True)
        serializer.is_valid(raise_exception=True)
        values = {**_building_values(building), **serializer.validated_data}
        building = services.building_save(actor=request.user, building=building, **values)
        return Response(_building_detail(request, building))


# --- houses and who lives in them ----------------------------------------------------------------------

HOUSE_ID = _id_parameter("house")


def _house_detail(request: Request, house: House) -> dict:
    current, _before = selectors.house_occupancies(house)
    house.occupants = current
    context = {"can_edit": policy.can_edit_base_data_in(request.user, house.grid_id)}
    return s.HouseDetailSerializer(house, context=context).data


def _house_for(request: Request, raw_id: str) -> House:
    _base_data_check(request)
    return selectors.house_get_for(request.user, id_or_404(raw_id))


class HouseListView(GenericAPIView):
    pagination_class = IdCursorPagination
    serializer_class = s.HouseInputSerializer
    parser_classes = [JSONParser]

    @extend_schema(
        tags=TAGS,
        operation_id="houses_list",
        summary="Houses in the caller's scope",
        description="Scoped like buildings/.",
        parameters=[
            GRID_FILTER,
            OpenApiParameter("building", int, description="A building's id"),
            OpenApiParameter("use", str, enum=House.Use.values, description="Houses of this use"),
        ],
        responses={200: s.HouseSerializer(many=True), **error_responses(400, 403)},
    )
    def get(self, request: Request) -> Response:
        _base_data_check(request)
        data = _filters(request, s.HouseFilterSerializer)
        grid = data.get("grid")
        rows = selectors.houses_visible_to(
            request.user,
            grid_id=grid.pk if grid else None,
            building_id=data.get("building"),
            use=data.get("use", ""),
        )
        page = self.paginate_queryset(rows)
        return self.get_paginated_response(s.HouseSerializer(page, many=True).data)

    @extend_schema(
        tags=TAGS,
        operation_id="houses_create",
        summary="Register a house of a building in one of the caller's grids",
        description="The floor is read from the room number (301 → 3) when not given. A house registered "
        "already is a 400 naming `room`; a unit the building does not have, one naming `unit`.",
        request=s.HouseInputSerializer,
        examples=[
            OpenApiExample(
                "A rented flat",
                value={"building": 1, "unit": 2, "room": "301", "use": "rented", "area_m2": 86.5},
                request_only=True,
            )
        ],
        responses={201: s.HouseDetailSerializer, **error_responses(400, 403)},
    )
    def post(self, request: Request) -> Response:
        _keeper_check(request)
        serializer = s.HouseInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = dict(serializer.validated_data)
        visible = Building.objects.filter(policy.base_data_visible_q(request.user))
        building = _visible_row(visible, data.pop("building"), field="building", kind="building")
        house = services.house_save(actor=request.user, building=building, **data)
        return _created(_house_detail(request, house), "api-house-detail", house.pk)


class HouseDetailView(APIView):
    parser_classes = [JSONParser]

    @extend_schema(
        tags=TAGS,
        operation_id="houses_detail",
        summary="One house and who lives there now (masked)",
        description="Occupants show the resident's id and masked name only; a clear value comes from "
        "`POST residents/{id}/reveal/`, which is logged.",
        parameters=[HOUSE_ID],
        responses={200: s.HouseDetailSerializer, **error_responses(403, 404)},
    )
    def get(self, request: Request, id: str) -> Response:
        return Response(_house_detail(request, _house_for(request, id)))

    @extend_schema(
        tags=TAGS,
        operation_id="houses_update",
        summary="Change some of a house's fields",
        description="Only the fields sent change; a house keeps its building.",
        parameters=[HOUSE_ID],
        request=s.HouseUpdateInputSerializer(partial=True),
        examples=[OpenApiExample("Let out", value={"use": "rented"}, request_only=True)],
        responses={200: s.HouseDetailSerializer, **error_responses(400, 403, 404)},
    )
    def patch(self, request: Request, id: str) -> Response:
        house = _house_for(request, id)
        _edit_check(request, house.grid_id)
        serializer = s.HouseUpdateInputSerializer(data=request.data, partial=True)
        serializer.is_valid(raise_exception=True)
        values = {
            "unit": house.unit,
            "room": house.room,
            "floor": house.floor,
            "use": house.use,
            "area_m2": house.area_m2,
            **serializer.validated_data,
        }
        house = services.house_save(actor=request.user, building=house.building, house=house, **values)
        return Response(_house_detail(request, house))


class OccupancyCursorPagination(CursorPagination):
    ordering = ("-since", "-id")  # the latest move first, as the house page lists them


class HouseOccupancyListView(GenericAPIView):
    pagination_class = OccupancyCursorPagination
    serializer_class = s.OccupancyInputSerializer
    parser_classes = [JSONParser]

    @extend_schema(
        tags=TAGS,
        operation_id="houses_occupancies_list",
        summary="Everyone who lives or lived in the house, the latest move first (masked)",
        parameters=[HOUSE_ID],
        responses={200: s.OccupancySerializer(many=True), **error_responses(403, 404)},
    )
    def get(self, request: Request, id: str) -> Response:
        house = _house_for(request, id)
        rows = house.occupancies.select_related("resident", "landlord")
        page = self.paginate_queryset(rows)
        return self.get_paginated_response(s.OccupancySerializer(page, many=True).data)

    @extend_schema(
        tags=TAGS,
        operation_id="houses_occupancies_start",
        summary="A resident moves into the house",
        description="The resident's current home, if any, ends the day before `since`, and the registry "
        "follows (the resident's address and grid become the house's). `resident` and `landlord` are ids "
        "of residents the caller may see; both grids must be the caller's.",
        parameters=[HOUSE_ID],
        request=s.OccupancyInputSerializer,
        examples=[
            OpenApiExample(
                "A tenant",
                value={
                    "resident": 1,
                    "relation": "tenant",
                    "population": "floating",
                    "is_tenant": True,
                    "landlord": 2,
                    "since": "2024-03-01",
                },
                request_only=True,
            )
        ],
        responses={201: s.OccupancySerializer, **error_responses(400, 403, 404)},
    )
    def post(self, request: Request, id: str) -> Response:
        house = _house_for(request, id)
        _edit_check(request, house.grid_id)
        serializer = s.OccupancyInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = dict(serializer.validated_data)
        residents = Resident.objects.filter(policy.residents_visible_q(request.user))
        data["resident"] = _visible_row(residents, data["resident"], field="resident", kind="resident")
        if data.get("landlord") is not None:
            data["landlord"] = _visible_row(residents, data["landlord"], field="landlord", kind="resident")
        occupancy = services.occupancy_start(actor=request.user, house=house, **data)
        return Response(s.OccupancySerializer(occupancy).data, status=201)


class OccupancyEndView(APIView):
    parser_classes = [JSONParser]

    @extend_schema(
        tags=TAGS,
        operation_id="occupancies_end",
        summary="A resident no longer lives in the house (the record stays)",
        parameters=[_id_parameter("occupancy")],
        request=s.OccupancyEndInputSerializer,
        examples=[OpenApiExample("Moved away", value={"until": "2024-06-30"}, request_only=True)],
        responses={200: s.OccupancySerializer, **error_responses(400, 403, 404)},
    )
    def post(self, request: Request, id: str) -> Response:
        _base_data_check(request)
        visible = House.objects.filter(policy.base_data_visible_q(request.user))
        occupancy = (
            Occupancy.objects.select_related("house", "resident", "landlord")
            .filter(pk=id_or_404(id), house__in=visible)
            .first()
        )
        if occupancy is None:
            raise Http404("No such occupancy, or not yours to see")
        _edit_check(request, occupancy.house.grid_id)
        serializer = s.OccupancyEndInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        until = serializer.validated_data.get("until")
        occupancy = services.occupancy_end(actor=request.user, occupancy=occupancy, until=until)
        return Response(s.OccupancySerializer(occupancy).data)


# --- organisations ---------------------------------------------------------------------------------------

ORGANISATION_ID = _id_parameter("organisation")
ORGANISATION_EXAMPLE = {
    "name": "东湖便民超市",
    "credit_code": "91360102MA35XXXX0X",
    "kind": "shop",
    "building": 1,
    "legal_representative": "王小明",
    "contact_name": "李红",
    "contact_phone": "13812345678",
    "employees": 6,
    "risk_tags": ["crowded"],
    "next_inspection_on": "2025-09-01",
}


def _organisation_detail(request: Request, organisation: Organisation) -> dict:
    context = {"can_edit": policy.can_edit_base_data_in(request.user, organisation.grid_id)}
    return s.OrganisationDetailSerializer(organisation, context=context).data


def _organisation_places(request: Request, data: dict) -> None:
    """The house and building ids of the body → rows the caller may see (in place)."""
    user = request.user
    if data.get("house") is not None:
        data["house"] = _visible_row(
            House.objects.select_related("building__grid").filter(policy.base_data_visible_q(user)),
            data["house"],
            field="house",
            kind="house",
        )
    if data.get("building") is not None:
        data["building"] = _visible_row(
            Building.objects.select_related("grid").filter(policy.base_data_visible_q(user)),
            data["building"],
            field="building",
            kind="building",
        )


class OrganisationListView(GenericAPIView):
    pagination_class = IdCursorPagination
    serializer_class = s.OrganisationInputSerializer
    parser_classes = [JSONParser]

    @extend_schema(
        tags=TAGS,
        operation_id="organisations_list",
        summary="Organisations (实有单位) in the caller's scope",
        description="Scoped like buildings/. The legal representative and the contact come masked.",
        parameters=[
            GRID_FILTER,
            OpenApiParameter("kind", str, enum=Organisation.Kind.values, description="Of this type"),
            OpenApiParameter("risk", str, enum=Organisation.Risk.values, description="With this risk tag"),
            OpenApiParameter("q", str, description="Part of the name, or the whole credit code"),
        ],
        responses={200: s.OrganisationSerializer(many=True), **error_responses(400, 403)},
    )
    def get(self, request: Request) -> Response:
        _base_data_check(request)
        data = _filters(request, s.OrganisationFilterSerializer)
        grid = data.get("grid")
        rows = selectors.organisations_visible_to(
            request.user,
            grid_id=grid.pk if grid else None,
            kind=data.get("kind", ""),
            risk=data.get("risk", ""),
            q=data.get("q", ""),
        )
        page = self.paginate_queryset(rows)
        return self.get_paginated_response(s.OrganisationSerializer(page, many=True).data)

    @extend_schema(
        tags=TAGS,
        operation_id="organisations_create",
        summary="Register an organisation in one of the caller's grids",
        description="Its place is a house, a building or a point; the grid follows and must be the "
        "caller's. A wrong check character or a credit code registered already is a 400 naming "
        "`credit_code`.",
        request=s.OrganisationInputSerializer,
        examples=[OpenApiExample("A shop", value=ORGANISATION_EXAMPLE, request_only=True)],
        responses={201: s.OrganisationDetailSerializer, **error_responses(400, 403)},
    )
    def post(self, request: Request) -> Response:
        _keeper_check(request)
        serializer = s.OrganisationInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = dict(serializer.validated_data)
        _organisation_places(request, data)
        organisation = services.organisation_save(actor=request.user, **data)
        return _created(
            _organisation_detail(request, organisation), "api-organisation-detail", organisation.pk
        )


class OrganisationDetailView(APIView):
    parser_classes = [JSONParser]

    @extend_schema(
        tags=TAGS,
        operation_id="organisations_detail",
        summary="One organisation, masked, with what the caller may do",
        parameters=[ORGANISATION_ID],
        responses={200: s.OrganisationDetailSerializer, **error_responses(403, 404)},
    )
    def get(self, request: Request, id: str) -> Response:
        _base_data_check(request)
        organisation = selectors.organisation_get_for(request.user, id_or_404(id))
        return Response(_organisation_detail(request, organisation))

    @extend_schema(
        tags=TAGS,
        operation_id="organisations_update",
        summary="Change some of an organisation's fields",
        description="Only the fields sent change; a personal field sent blank is removed.",
        parameters=[ORGANISATION_ID],
        request=s.OrganisationInputSerializer(partial=True),
        examples=[OpenApiExample("Inspected", value={"next_inspection_on": "2026-03-01"}, request_only=True)],
        responses={200: s.OrganisationDetailSerializer, **error_responses(400, 403, 404)},
    )
    def patch(self, request: Request, id: str) -> Response:
        _base_data_check(request)
        organisation = selectors.organisation_get_for(request.user, id_or_404(id))
        _edit_check(request, organisation.grid_id)
        serializer = s.OrganisationInputSerializer(data=request.data, partial=True)
        serializer.is_valid(raise_exception=True)
        data = dict(serializer.validated_data)
        _organisation_places(request, data)
        values = {
            "name": organisation.name,
            "credit_code": organisation.credit_code,
            "kind": organisation.kind,
            "house": organisation.house,
            "building": organisation.building,
            "address": organisation.address,
            "lat": organisation.lat,
            "lng": organisation.lng,
            "employees": organisation.employees,
            "risk_tags": organisation.risk_tags,
            "next_inspection_on": organisation.next_inspection_on,
            **data,
        }
        organisation = services.organisation_save(actor=request.user, organisation=organisation, **values)
        return Response(_organisation_detail(request, organisation))


# --- city facilities -------------------------------------------------------------------------------------

FACILITY_ID = _id_parameter("facility")


def _facility_detail(request: Request, facility: Facility) -> dict:
    facility.open_case_count = facility.cases.filter(state__in=OPEN_CASE_STATES).count()
    context = {"can_edit": policy.can_edit_base_data_in(request.user, facility.grid_id)}
    return s.FacilityDetailSerializer(facility, context=context).data


def _facility_for(request: Request, raw_id: str) -> Facility:
    _facilities_check(request)
    return selectors.facility_get_for(request.user, id_or_404(raw_id))


class FacilityListView(GenericAPIView):
    pagination_class = IdCursorPagination
    serializer_class = s.FacilityInputSerializer
    parser_classes = [JSONParser]

    @extend_schema(
        tags=TAGS,
        operation_id="facilities_list",
        summary="City facilities (部件) in the caller's scope",
        description="Grid administrators see their grids' facilities, department staff the facilities "
        "their department maintains, dispatchers and supervisors every facility.",
        parameters=[
            GRID_FILTER,
            OpenApiParameter("major", str, description="2-digit major class code (facility-classes/)"),
            OpenApiParameter("state", str, enum=Facility.State.values, description="In this state"),
            OpenApiParameter("department", str, description="Code of the maintaining department"),
        ],
        responses={200: s.FacilitySerializer(many=True), **error_responses(400, 403)},
    )
    def get(self, request: Request) -> Response:
        _facilities_check(request)
        data = _filters(request, s.FacilityFilterSerializer)
        grid, major, department = data.get("grid"), data.get("major"), data.get("department")
        rows = selectors.facilities_visible_to(
            request.user,
            grid_id=grid.pk if grid else None,
            major=major.code if major else "",
            state=data.get("state", ""),
            department_id=department.pk if department else None,
        )
        page = self.paginate_queryset(rows)
        return self.get_paginated_response(s.FacilitySerializer(page, many=True).data)

    @extend_schema(
        tags=TAGS,
        operation_id="facilities_create",
        summary="Register a facility in one of the caller's grids",
        description="Its 16-digit `code` is generated: the district's code, the class's major and minor "
        "codes and the next serial. The grid is the one the point lies in and must be the caller's.",
        request=s.FacilityInputSerializer,
        examples=[
            OpenApiExample(
                "A water-supply manhole cover",
                value={
                    "facility_class": "0101",
                    "lat": 28.68,
                    "lng": 115.89,
                    "address": "八一大道 123 号门前",
                    "owner": "南昌水业集团",
                    "department": "roads",
                    "state": "intact",
                },
                request_only=True,
            )
        ],
        responses={201: s.FacilityDetailSerializer, **error_responses(400, 403)},
    )
    def post(self, request: Request) -> Response:
        _keeper_check(request)
        serializer = s.FacilityInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = dict(serializer.validated_data)
        data["facility_class"] = services.facility_class_get(data["facility_class"])
        facility = services.facility_save(actor=request.user, **data)
        return _created(_facility_detail(request, facility), "api-facility-detail", facility.pk)


class FacilityDetailView(APIView):
    parser_classes = [JSONParser]

    @extend_schema(
        tags=TAGS,
        operation_id="facilities_detail",
        summary="One facility, with its open case count and what the caller may do",
        parameters=[FACILITY_ID],
        responses={200: s.FacilityDetailSerializer, **error_responses(403, 404)},
    )
    def get(self, request: Request, id: str) -> Response:
        return Response(_facility_detail(request, _facility_for(request, id)))

    @extend_schema(
        tags=TAGS,
        operation_id="facilities_update",
        summary="Change some of a facility's fields",
        description="Only the fields sent change. A facility keeps its class (its code says it); `state` "
        "is what the survey found, shown once no case on the facility is open.",
        parameters=[FACILITY_ID],
        request=s.FacilityInputSerializer(partial=True),
        examples=[OpenApiExample("Another department", value={"department": "roads"}, request_only=True)],
        responses={200: s.FacilityDetailSerializer, **error_responses(400, 403, 404)},
    )
    def patch(self, request: Request, id: str) -> Response:
        facility = _facility_for(request, id)
        _edit_check(request, facility.grid_id)
        serializer = s.FacilityInputSerializer(data=request.data, partial=True)
        serializer.is_valid(raise_exception=True)
        data = dict(serializer.validated_data)
        if "facility_class" in data:
            data["facility_class"] = services.facility_class_get(data["facility_class"])
        values = {
            "facility_class": facility.facility_class,
            "lat": facility.lat,
            "lng": facility.lng,
            "name": facility.name,
            "address": facility.address,
            "owner": facility.owner,
            "department": facility.department,
            "state": facility.surveyed_state,
            **data,
        }
        facility = services.facility_save(actor=request.user, facility=facility, **values)
        return Response(_facility_detail(request, facility))


class FacilityClassListView(APIView):
    @extend_schema(
        tags=TAGS,
        operation_id="facility_classes_list",
        summary="The facility taxonomy (CJ/T 214): major classes and their minor classes, by code",
        description="Reference data, like categories/: the whole table at once, not paged.",
        responses={200: s.FacilityClassSerializer(many=True)},
    )
    def get(self, request: Request) -> Response:
        rows = FacilityClass.objects.select_related("parent").order_by("code")
        return Response(s.FacilityClassSerializer(rows, many=True).data)


# --- locating by address ---------------------------------------------------------------------------------


class AddressLocateView(APIView):
    @extend_schema(
        tags=TAGS,
        operation_id="places_locate",
        summary="Where an address is: the point and grid of the house or building it names",
        description="Address variants are normalised (东湖区八一大道123号1栋2单元301, "
        "八一大道123号1幢2-301, …). An address that names no building of the base data is a 400 naming "
        "`address`.",
        parameters=[
            OpenApiParameter(
                "address",
                str,
                required=True,
                description="Address text",
                examples=[OpenApiExample("A flat", value="东湖区八一大道123号1栋2单元301")],
            )
        ],
        responses={200: s.LocatedSerializer, **error_responses(400)},
    )
    def get(self, request: Request) -> Response:
        query = s.LocateQuerySerializer(data=request.query_params.dict())
        query.is_valid(raise_exception=True)
        located = selectors.located_for(
            request.user, selectors.address_locate(query.validated_data["address"])
        )
        grid = Grid.objects.select_related("community").get(pk=located.grid_id)
        body = {
            "lat": located.lat,
            "lng": located.lng,
            "grid": grid,
            "address": located.address,
            "building": located.building,
            "house": located.house,
        }
        return Response(s.LocatedSerializer(body).data)
