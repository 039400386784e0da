"""REST API views for the grid layer (the layer as GeoJSON, in the reader's scope; point → grid) and the
resident registry (scoped and masked as the registry pages; reveals logged)."""

from django.http import Http404
from django.urls import reverse
from django.utils.translation import gettext_noop
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiExample, OpenApiParameter, extend_schema
from rest_framework import serializers
from rest_framework.exceptions import ValidationError
from rest_framework.generics import GenericAPIView
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from gridmgmt import policy
from gridmgmt.api import CodeRefSerializer, CoordinateField, CursorPagination, error_responses
from gridmgmt.errors import DomainError, InvalidInput, NotAllowed
from gridmgmt.json_io import JSONParser, JSONRenderer
from grids import services
from grids.layer_io import feature_collection, grid_features
from grids.models import Grid, Resident
from grids.selectors import (
    grid_locate,
    grids_for_user,
    resident_counts_by_grid,
    resident_get_for,
    residents_filter,
    residents_visible_to,
)

from . import serializers as rs


class GeoJSONRenderer(JSONRenderer):
    media_type = "application/geo+json"
    format = "geojson"


# query parameter → the length of the jurisdiction code it takes
_FILTERS = {"community": 12, "street": 9}


class GridLayerView(APIView):
    renderer_classes = [GeoJSONRenderer, JSONRenderer]

    @extend_schema(
        tags=["grids"],
        summary="The grid layer as a GeoJSON FeatureCollection",
        description=(
            "Grids the caller may see, ordered by code. Properties: code, name, community_code, area_m2 and "
            "the grid's own properties. The output can be fed back to `manage.py import_grids`."
        ),
        parameters=[
            OpenApiParameter("community", str, description="12-digit community code"),
            OpenApiParameter("street", str, description="9-digit street code"),
        ],
        responses={200: OpenApiTypes.OBJECT},
    )
    def get(self, request: Request) -> Response:
        codes = {}
        for name, length in _FILTERS.items():
            value = request.query_params.get(name)
            if value is not None:
                if len(value) != length or not value.isdigit():
                    raise ValidationError({name: f"a {name} code has {length} digits"})
                codes[name] = value
        # Grid codes start with their street and community codes, so the narrower filter is a prefix.
        prefix = codes.get("community") or codes.get("street", "")
        if not prefix.startswith(codes.get("street", "")):
            return Response(feature_collection([]))  # a community outside the street asked for
        features = grid_features(grids=grids_for_user(request.user), prefix=prefix, derived=True)
        return Response(feature_collection(features))


# --- point → grid --------------------------------------------------------------------------------------


class OutsideJurisdiction(DomainError):
    status = 404
    code = "outside"


class LocateQuerySerializer(serializers.Serializer):
    lat = CoordinateField(limit=90, help_text="Latitude (WGS84)")
    lng = CoordinateField(limit=180, help_text="Longitude (WGS84)")


class LocatedGridSerializer(serializers.Serializer):
    code = serializers.CharField(read_only=True, help_text="14-digit grid code")
    name = serializers.CharField(read_only=True)
    community = CodeRefSerializer(read_only=True)
    street = CodeRefSerializer(read_only=True, allow_null=True, source="community.parent")


class GridLocateView(APIView):
    @extend_schema(
        tags=["grids"],
        operation_id="grids_locate",
        summary="The grid containing a point",
        description="404 with error code `outside` when no grid of the jurisdiction contains the point.",
        parameters=[
            OpenApiParameter(
                "lat",
                float,
                required=True,
                description="Latitude (WGS84), -90…90",
                examples=[OpenApiExample("Donghu District", value=28.68)],
            ),
            OpenApiParameter(
                "lng",
                float,
                required=True,
                description="Longitude (WGS84), -180…180",
                examples=[OpenApiExample("Donghu District", value=115.89)],
            ),
        ],
        responses={200: LocatedGridSerializer, **error_responses(400, 404)},
    )
    def get(self, request: Request) -> Response:
        query = LocateQuerySerializer(data=request.query_params.dict())
        query.is_valid(raise_exception=True)
        grid = grid_locate(lat=query.validated_data["lat"], lng=query.validated_data["lng"])
        if grid is None:
            raise OutsideJurisdiction(gettext_noop("the point is outside every grid of the jurisdiction"))
        return Response(LocatedGridSerializer(grid).data)


# --- Resident registry ----------------------------------------------------------------------------------
# The same rules as the registry pages (grids.views), asked of the same places: gridmgmt.policy decides who
# sees, edits and reveals which residents, grids.selectors reads them, grids.services writes them. Every
# identity field is masked in every response; a clear value comes only from POST …/reveal/, which is logged.
# Order of refusals: no registry access at all (a role that never sees residents) 403; a resident the caller
# cannot see 404 (unknown ids alike); a visible resident the caller may not edit 403; bad input 400.


def _scope_nonempty(scope: set[int] | None) -> bool:
    return scope is None or bool(scope)


def _registry_check(request: Request) -> None:
    """403 for callers who may see no resident one by one, pointing those with counts to the counts."""
    user = request.user
    if _scope_nonempty(policy.resident_grid_scope(user)):
        return
    if _scope_nonempty(policy.resident_count_scope(user)):
        raise NotAllowed(
            gettext_noop("you may see resident counts per grid only: GET %(url)s"),
            url=reverse("api-resident-counts"),
        )
    raise NotAllowed(gettext_noop("you may not see the resident registry"))


def _resident_pk(raw: str) -> int | None:
    if raw.isascii() and raw.isdigit() and len(raw) <= 18 and int(raw) > 0:
        return int(raw)
    return None


def _resident_for(request: Request, raw_id: str) -> Resident:
    """The resident if the caller may see them; 404 otherwise, exactly like the registry pages."""
    _registry_check(request)
    pk = _resident_pk(raw_id)
    if pk is None:
        raise Http404("No such resident")
    return resident_get_for(request.user, pk)


def _edit_check(request: Request, resident: Resident) -> None:
    if not policy.can_edit_resident_in(request.user, resident.grid_id):
        raise NotAllowed(gettext_noop("you may not edit this resident"))


def _editable_grid(request: Request, code: str) -> Grid:
    """One of the grids the caller keeps the registry of; other codes, existing or not, are refused alike."""
    editable = policy.resident_editable_grid_ids(request.user)
    grids = Grid.objects.filter(code=code)
    grid = (grids if editable is None else grids.filter(id__in=editable)).first()
    if grid is None:
        raise InvalidInput(gettext_noop("choose one of your grids"), field="grid")
    return grid


def _resident_detail(request: Request, resident: Resident) -> dict:
    context = {
        "can_edit": policy.can_edit_resident_in(request.user, resident.grid_id),
        "can_reveal": policy.resident_reveal_basis(request.user, resident) is not None,
    }
    return rs.ResidentDetailSerializer(resident, context=context).data


class ResidentCursorPagination(CursorPagination):
    ordering = ("id",)  # unique and unchanging: cursors stay exact while residents are registered


RESIDENT_ID = OpenApiParameter("id", int, OpenApiParameter.PATH, description="The resident's id")
_RESIDENT_FILTERS = [
    OpenApiParameter("grid", str, description="14-digit grid code"),
    OpenApiParameter("care_tag", str, enum=Resident.CareTag.values, description="Residents with this tag"),
    OpenApiParameter(
        "moved_out",
        bool,
        description="true: only residents who moved out; false or absent: current residents only",
    ),
    OpenApiParameter(
        "id_number",
        str,
        description="The full 18-character ID number: an exact match through its keyed hash (names and "
        "numbers are stored encrypted, so there is no partial search)",
    ),
]


class ResidentListView(GenericAPIView):
    pagination_class = ResidentCursorPagination
    serializer_class = rs.ResidentCreateInputSerializer  # what OPTIONS describes
    parser_classes = [JSONParser]

    @extend_schema(
        tags=["residents"],
        operation_id="residents_list",
        summary="Residents in the caller's scope, masked",
        description="Grid administrators see their grids' residents, users granted `grids.view_resident` "
        "or `grids.reveal_resident_pii` every grid's. Dispatchers and supervisors without a grant get 403 "
        "and see the counts (`residents/counts/`); department staff and residents get 403.",
        parameters=_RESIDENT_FILTERS,
        responses={200: rs.ResidentSerializer(many=True), **error_responses(400, 403)},
    )
    def get(self, request: Request) -> Response:
        _registry_check(request)
        # An empty value (`?grid=`) means "no filter", as a web form sends it.
        params = {key: value for key, value in request.query_params.items() if value != ""}
        filters = rs.ResidentFilterSerializer(data=params)
        filters.is_valid(raise_exception=True)
        data = filters.validated_data
        residents = residents_visible_to(
            request.user, id_number=data.get("id_number", ""), include_moved_out=True
        )
        residents = residents_filter(
            residents,
            grid=data.get("grid"),
            care_tag=data.get("care_tag"),
            moved_out=bool(data.get("moved_out")),
        )
        page = self.paginate_queryset(residents)
        return self.get_paginated_response(rs.ResidentSerializer(page, many=True).data)

    @extend_schema(
        tags=["residents"],
        operation_id="residents_create",
        summary="Register a resident in one of the caller's grids",
        description="Validation errors name the field (`error.field`): a wrong ID check character, a "
        "birth date in the future, an ID number already registered, a moved-in date before birth, …",
        request=rs.ResidentCreateInputSerializer,
        examples=[
            OpenApiExample(
                "A resident",
                value={
                    "grid": "36010200100101",
                    "name": "陈小红",
                    "id_number": "360102197508093212",
                    "phone": "13812345678",
                    "address": "八一大道 1 号",
                    "household_no": "H-1",
                    "moved_in_on": "2015-06-01",
                    "care_tags": ["elderly_alone"],
                },
                request_only=True,
            )
        ],
        responses={201: rs.ResidentDetailSerializer, **error_responses(400, 403)},
    )
    def post(self, request: Request) -> Response:
        if not _scope_nonempty(policy.resident_editable_grid_ids(request.user)):
            raise NotAllowed(gettext_noop("only grid administrators register residents"))
        serializer = rs.ResidentCreateInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = dict(serializer.validated_data)
        grid = _editable_grid(request, data.pop("grid"))
        resident = services.resident_create(actor=request.user, grid=grid, **data)
        location = reverse("api-resident-detail", kwargs={"id": resident.pk})
        return Response(_resident_detail(request, resident), status=201, headers={"Location": location})


class ResidentCountsView(APIView):
    @extend_schema(
        tags=["residents"],
        operation_id="residents_counts",
        summary="Current and moved-out residents per grid",
        description="Every grid for dispatchers, supervisors and granted users; their own grids for grid "
        "administrators; 403 for everyone else.",
        responses={200: rs.ResidentCountSerializer(many=True), **error_responses(403)},
    )
    def get(self, request: Request) -> Response:
        if not _scope_nonempty(policy.resident_count_scope(request.user)):
            raise NotAllowed(gettext_noop("you may not see the resident registry"))
        counts = resident_counts_by_grid(request.user).only("code", "name")
        return Response(rs.ResidentCountSerializer(counts, many=True).data)


class ResidentDetailView(APIView):
    parser_classes = [JSONParser]

    @extend_schema(
        tags=["residents"],
        operation_id="residents_detail",
        summary="One resident, masked, with what the caller may do",
        parameters=[RESIDENT_ID],
        responses={200: rs.ResidentDetailSerializer, **error_responses(403, 404)},
    )
    def get(self, request: Request, id: str) -> Response:
        return Response(_resident_detail(request, _resident_for(request, id)))

    @extend_schema(
        tags=["residents"],
        operation_id="residents_update",
        summary="Change some of a resident's fields",
        description="Only the fields sent change. Moving to another grid needs both grids to be the "
        "caller's. Validation errors name the field.",
        parameters=[RESIDENT_ID],
        request=rs.ResidentUpdateInputSerializer,
        examples=[OpenApiExample("A new phone", value={"phone": "13900001111"}, request_only=True)],
        responses={200: rs.ResidentDetailSerializer, **error_responses(400, 403, 404)},
    )
    def patch(self, request: Request, id: str) -> Response:
        resident = _resident_for(request, id)
        _edit_check(request, resident)
        serializer = rs.ResidentUpdateInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        changes = dict(serializer.validated_data)
        if "grid" in changes:
            changes["grid"] = _editable_grid(request, changes["grid"])
        resident = services.resident_update(actor=request.user, resident=resident, **changes)
        return Response(_resident_detail(request, resident))


class ResidentMoveOutView(APIView):
    parser_classes = [JSONParser]

    @extend_schema(
        tags=["residents"],
        operation_id="residents_move_out",
        summary="Record that a resident moved out (the record stays)",
        parameters=[RESIDENT_ID],
        request=rs.ResidentMoveOutInputSerializer,
        responses={200: rs.ResidentDetailSerializer, **error_responses(400, 403, 404)},
    )
    def post(self, request: Request, id: str) -> Response:
        resident = _resident_for(request, id)
        _edit_check(request, resident)
        serializer = rs.ResidentMoveOutInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        services.resident_move_out(
            actor=request.user, resident=resident, moved_out_on=serializer.validated_data.get("moved_out_on")
        )
        return Response(_resident_detail(request, resident_get_for(request.user, resident.pk)))


class ResidentRevealView(APIView):
    parser_classes = [JSONParser]

    @extend_schema(
        tags=["residents"],
        operation_id="residents_reveal",
        summary="See one field of a resident in clear (logged)",
        description="For the administrators of the resident's grid and users granted "
        "`grids.reveal_resident_pii`. Each call writes the resident's access log (who, roles, field, "
        "address). Everyone else gets 403, for unknown ids too, so the endpoint tells nothing about which "
        "ids exist.",
        parameters=[RESIDENT_ID],
        request=rs.ResidentRevealInputSerializer,
        examples=[OpenApiExample("The ID number", value={"field": "id_number"}, request_only=True)],
        responses={200: rs.ResidentRevealSerializer, **error_responses(400, 403)},
    )
    def post(self, request: Request, id: str) -> Response:
        pk = _resident_pk(id)
        resident = Resident.objects.select_related("grid").filter(pk=pk).first() if pk else None
        # Not found and not allowed answer alike, as the registry page does.
        if resident is None or policy.resident_reveal_basis(request.user, resident) is None:
            raise NotAllowed(services.REVEAL_REFUSED)
        serializer = rs.ResidentRevealInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        field = serializer.validated_data["field"]
        value = services.resident_reveal(
            actor=request.user,
            resident=resident,
            field=field,
            ip=request.META.get("REMOTE_ADDR"),
            forwarded_for=request.META.get("HTTP_X_FORWARDED_FOR", ""),
        )
        data = rs.ResidentRevealSerializer({"resident": resident.pk, "field": field, "value": value}).data
        # A revealed value must not sit in a browser or proxy cache.
        return Response(data, headers={"Cache-Control": "no-store"})
