"""REST API views for the grid layer: the layer as GeoJSON, in the reader's scope."""

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiExample, OpenApiParameter, extend_schema
from rest_framework import serializers
from rest_framework.exceptions import ValidationError
from rest_framework.renderers import JSONRenderer
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from gridmgmt.api import CodeRefSerializer, CoordinateField, error_responses
from gridmgmt.errors import DomainError
from grids.layer_io import feature_collection, grid_features
from grids.selectors import grid_locate, grids_for_user


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
            raise OutsideJurisdiction("the point is outside every grid of the jurisdiction")
        return Response(LocatedGridSerializer(grid).data)
