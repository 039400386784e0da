"""REST API of home visits: list and record visits, read one, the overdue visits, the visit plans.

Order of refusals, as in the rest of the API: a role that never reads visits 403; a visit the caller cannot
see 404 (unknown ids alike); recording outside one's grids 403; a target named by id that the caller cannot
see 400 naming the field; bad input 400 naming the field. Residents appear by masked name only.
"""

from django.urls import path, reverse
from django.utils.translation import gettext_noop
from drf_spectacular.utils import OpenApiExample, OpenApiParameter, extend_schema, inline_serializer
from rest_framework import serializers
from rest_framework.generics import GenericAPIView
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from gridmgmt import policy
from gridmgmt.api import CursorPagination, cursor_page, error_responses
from gridmgmt.errors import InvalidInput, NotAllowed
from gridmgmt.ids import id_from, id_or_404
from gridmgmt.json_io import JSONParser
from grids.models import Grid, Jurisdiction, Resident
from places.models import House, Organisation

from .. import visits
from ..models import Visit

TAGS = ["visits"]
NO_VISITS = gettext_noop("you may not see visits")
NO_SUCH = {
    "resident": gettext_noop("there is no resident %(id)s among those you may see"),
    "house": gettext_noop("there is no house %(id)s among those you may see"),
    "organisation": gettext_noop("there is no organisation %(id)s among those you may see"),
    "grid": gettext_noop("there is no grid %(id)s among those you may see"),
    "community": gettext_noop("there is no community %(id)s"),
}


def _grid_filter(request: Request) -> int | None:
    """The `grid` query parameter (a grid code) as a grid id; an unknown code is a 400 naming it."""
    code = request.query_params.get("grid", "")
    if not code:
        return None
    grid = Grid.objects.filter(code=code[:14]).only("id").first()
    if grid is None:
        raise InvalidInput(NO_SUCH["grid"], id=code[:20], field="grid")
    return grid.pk


def _reader_check(request: Request) -> None:
    if policy.patrol_scope(request.user) is None:
        raise NotAllowed(NO_VISITS)


def _iso(value):
    return value.isoformat() if value is not None else None


def visit_summary(visit: Visit) -> dict:
    return {
        "id": visit.pk,
        "visitor": visit.visitor.get_username(),
        "grid": visit.grid.code,
        "target": visits.visit_target_kind(visit),
        "resident": visit.resident_id,
        "house": visit.house_id,
        "organisation": visit.organisation_id,
        "whom": visits.visit_target_label(visit),
        "visited_at": _iso(visit.visited_at),
        "position": visit.position,
        "distance_m": visit.distance_m,
    }


def visit_detail(visit: Visit) -> dict:
    return {
        **visit_summary(visit),
        "lat": visit.lat,
        "lng": visit.lng,
        "accuracy": visit.accuracy,
        "met": visit.met,
        "notes": visit.notes,
        "created_at": _iso(visit.created_at),
        "needs": [
            {"id": need.pk, "text": need.text, "case": need.case.number if need.case_id else None}
            for need in visits.visit_needs(visit)
        ],
    }


def _row(rows, raw, *, field: str):
    """A row named by id in the body, among those the caller may see; 400 naming the field otherwise (the
    same for one that does not exist, so nothing can be probed)."""
    pk = id_from(raw)
    found = rows.filter(pk=pk).first() if pk is not None else None
    if found is None:
        raise InvalidInput(NO_SUCH[field], id=str(raw)[:20], field=field)
    return found


def _targets(request: Request, body: dict) -> dict:
    user = request.user
    named = {}
    if body.get("resident") is not None:
        named["resident"] = _row(
            Resident.objects.filter(policy.residents_visible_q(user)), body["resident"], field="resident"
        )
    if body.get("house") is not None:
        named["house"] = _row(
            House.objects.select_related("building").filter(policy.base_data_visible_q(user)),
            body["house"],
            field="house",
        )
    if body.get("organisation") is not None:
        named["organisation"] = _row(
            Organisation.objects.filter(policy.base_data_visible_q(user)),
            body["organisation"],
            field="organisation",
        )
    return named


class VisitPagination(CursorPagination):
    ordering = ("-visited_at", "-id")


VISIT_ID = OpenApiParameter("id", int, OpenApiParameter.PATH, description="The visit's id")


class VisitSerializer(serializers.Serializer):
    """One visit as the list and the detail give it (for the schema: the views write dicts)."""

    id = serializers.IntegerField()
    visitor = serializers.CharField()
    grid = serializers.CharField(help_text="the grid's 14-digit code")
    target = serializers.ChoiceField(choices=["resident", "house", "organisation"])
    whom = serializers.CharField(help_text="a resident's masked name, the house's address or the unit's name")
    visited_at = serializers.DateTimeField()
    position = serializers.ChoiceField(choices=Visit.Position.values)
    distance_m = serializers.FloatField(allow_null=True, help_text="metres from the address")
    needs = serializers.ListField(child=serializers.DictField(), required=False)


VISIT = VisitSerializer
VISIT_PAGE = cursor_page("PaginatedVisitList", VisitSerializer(many=True))
VISIT_IN = inline_serializer(
    "VisitRecord",
    {
        "resident": serializers.IntegerField(required=False),
        "house": serializers.IntegerField(required=False),
        "organisation": serializers.IntegerField(required=False),
        "visited_at": serializers.DateTimeField(),
        "lat": serializers.FloatField(required=False),
        "lng": serializers.FloatField(required=False),
        "accuracy": serializers.FloatField(required=False, help_text="metres"),
        "met": serializers.CharField(required=False, help_text="who was met"),
        "notes": serializers.CharField(required=False),
        "needs": serializers.ListField(child=serializers.CharField(), required=False),
    },
)


class VisitListView(GenericAPIView):
    pagination_class = VisitPagination
    parser_classes = [JSONParser]
    serializer_class = VisitSerializer  # what OPTIONS describes

    @extend_schema(
        tags=TAGS,
        operation_id="visits_list",
        summary="Visits in the caller's scope, newest first",
        description="Grid administrators see the visits in their grids (and their own); supervisors and "
        "dispatchers every visit. `grid` (a 14-digit code) narrows the list; `mine=1` to one's own.",
        parameters=[OpenApiParameter("grid", str), OpenApiParameter("mine", str, enum=["1"])],
        responses={200: VISIT_PAGE, **error_responses(400, 403)},
    )
    def get(self, request: Request) -> Response:
        _reader_check(request)
        grid_id = _grid_filter(request)
        mine = request.query_params.get("mine") == "1"
        rows = visits.visits_visible_to(
            request.user, grid_id=grid_id, visitor_id=request.user.pk if mine else None
        )
        page = self.paginate_queryset(rows)
        return self.get_paginated_response([visit_summary(v) for v in page])

    @extend_schema(
        tags=TAGS,
        operation_id="visits_record",
        summary="Record a visit",
        description="Name one target: `resident`, `house` (a household) or `organisation` by id; a resident "
        "visit may name the house they live in too. The visit is in the target's grid, which must be one of "
        "the caller's. `visited_at` not in the future nor older than 30 days. `lat`/`lng` (with `accuracy`) "
        "are checked against the address: `position` answers on_site, far (beyond VISIT_RADIUS_M), unknown "
        "(no position sent) or no_address. `needs`: up to 20 texts of up to 500 characters.",
        request=VISIT_IN,
        examples=[
            OpenApiExample(
                "A visit to a resident",
                value={
                    "resident": 12,
                    "visited_at": "2026-12-07T09:30:00+08:00",
                    "lat": 28.6801,
                    "lng": 115.8902,
                    "accuracy": 12,
                    "met": "本人",
                    "notes": "身体尚好",
                    "needs": ["需要助餐服务"],
                },
                request_only=True,
            )
        ],
        responses={201: VISIT, **error_responses(400, 403)},
    )
    def post(self, request: Request) -> Response:
        body = request.data if isinstance(request.data, dict) else {}
        if not policy.can_patrol(request.user):
            raise NotAllowed(visits.ONLY_VISITORS)
        targets = _targets(request, body)
        needs = body.get("needs")
        if needs is not None and not isinstance(needs, list):
            raise InvalidInput(gettext_noop("needs must be a list of texts"), field="needs")
        visit = visits.visit_record(
            actor=request.user,
            **targets,
            visited_at=visits.visit_time_parse(body.get("visited_at")),
            lat=body.get("lat"),
            lng=body.get("lng"),
            accuracy=body.get("accuracy"),
            met=body.get("met", ""),
            notes=body.get("notes", ""),
            needs=needs or [],
        )
        visit = visits.visit_get_for(request.user, visit.pk)
        return Response(
            visit_detail(visit),
            status=201,
            headers={"Location": reverse("api-visit-detail", kwargs={"id": visit.pk})},
        )


class VisitDetailView(APIView):
    @extend_schema(
        tags=TAGS,
        operation_id="visits_read",
        summary="One visit with its needs",
        description="Each need carries the number of the case it became, or null.",
        parameters=[VISIT_ID],
        responses={200: VISIT, **error_responses(403, 404)},
    )
    def get(self, request: Request, id: str) -> Response:
        _reader_check(request)
        return Response(visit_detail(visits.visit_get_for(request.user, id_or_404(id))))


class VisitsOverdueView(APIView):
    @extend_schema(
        tags=TAGS,
        operation_id="visits_overdue",
        summary="Overdue visits in the caller's grids",
        description="Residents with a planned care tag and organisations with a planned risk tag whose last "
        "visit is older than the plan's interval, or who were never visited (`days_overdue` null): never "
        "visited first, then the most overdue. Residents by masked name.",
        parameters=[OpenApiParameter("grid", str, description="a 14-digit grid code")],
        responses={
            200: inline_serializer(
                "OverdueVisit",
                {
                    "target": serializers.ChoiceField(choices=["resident", "organisation"]),
                    "id": serializers.IntegerField(),
                    "name": serializers.CharField(),
                    "grid": serializers.CharField(),
                    "tags": serializers.ListField(child=serializers.CharField()),
                    "every_days": serializers.IntegerField(),
                    "last_visited_at": serializers.DateTimeField(allow_null=True),
                    "days_overdue": serializers.IntegerField(allow_null=True),
                },
                many=True,
            ),
            **error_responses(400, 403),
        },
    )
    def get(self, request: Request) -> Response:
        _reader_check(request)
        grid_id = _grid_filter(request)
        rows = visits.visits_overdue_for(request.user, grid_id=grid_id)
        return Response(
            [
                {
                    "target": r.kind,
                    "id": r.pk,
                    "name": r.name,
                    "grid": r.grid.code,
                    "tags": r.tags,
                    "every_days": r.every_days,
                    "last_visited_at": _iso(r.last_visited_at),
                    "days_overdue": r.days_overdue,
                }
                for r in rows
            ]
        )


PLAN = inline_serializer(
    "VisitPlan",
    {
        "target": serializers.ChoiceField(choices=["resident", "organisation"]),
        "tag": serializers.CharField(),
        "every_days": serializers.IntegerField(),
        "community": serializers.CharField(allow_null=True, help_text="12-digit code; null: district-wide"),
    },
)


PLANS = inline_serializer(
    "VisitPlanOverview",
    {
        "target": serializers.ChoiceField(choices=["resident", "organisation"]),
        "tag": serializers.CharField(),
        "default_days": serializers.IntegerField(allow_null=True),
        "district_days": serializers.IntegerField(allow_null=True, help_text="null: no district-wide plan"),
        "communities": serializers.DictField(
            child=serializers.IntegerField(), help_text="a community's 12-digit code → its interval in days"
        ),
    },
    many=True,
)


def _plans() -> list[dict]:
    out = []
    for row in visits.visit_plans_overview():
        out.append(
            {
                "target": row.target,
                "tag": row.tag,
                "default_days": row.default_days,
                "district_days": row.district_days,
                "communities": {community.code: days for community, days, _pk in row.communities},
            }
        )
    return out


class VisitPlansView(APIView):
    parser_classes = [JSONParser]

    @extend_schema(
        tags=TAGS,
        operation_id="visit_plans_list",
        summary="Visit plans: every tag's interval in days",
        description="For each tag: the default, the district-wide plan and the communities' own (by code); "
        "a community's plan wins over the district's, which wins over the default. Null: not set.",
        responses={200: PLANS, **error_responses(403)},
    )
    def get(self, request: Request) -> Response:
        _reader_check(request)
        return Response(_plans())

    @extend_schema(
        tags=TAGS,
        operation_id="visit_plans_set",
        summary="Set a visit plan (supervisors)",
        description="`target` resident (a care tag) or organisation (a risk tag), `every_days` 1–366, "
        "`community` a community's 12-digit code or null for the whole district.",
        request=PLAN,
        examples=[
            OpenApiExample(
                "Elderly living alone every 5 days in one community",
                value={
                    "target": "resident",
                    "tag": "elderly_alone",
                    "every_days": 5,
                    "community": "360102001001",
                },
                request_only=True,
            )
        ],
        responses={200: PLAN, **error_responses(400, 403)},
    )
    def post(self, request: Request) -> Response:
        _reader_check(request)
        if not policy.can_review_patrols(request.user):
            raise NotAllowed(visits.ONLY_SUPERVISORS)
        body = request.data if isinstance(request.data, dict) else {}
        community = None
        code = body.get("community")
        if code not in (None, ""):
            # Codes are ASCII digits: anything else (a lone surrogate the database cannot even encode) is
            # simply no community.
            text = str(code)[:12]
            community = (
                Jurisdiction.objects.filter(level=Jurisdiction.Level.COMMUNITY, code=text).first()
                if text.isascii() and text.isdigit()
                else None
            )
            if community is None:
                raise InvalidInput(NO_SUCH["community"], id=str(code)[:20], field="community")
        plan = visits.visit_plan_set(
            actor=request.user,
            target=body.get("target"),
            tag=body.get("tag"),
            every_days=body.get("every_days"),
            community=community,
        )
        return Response(
            {
                "target": plan.target,
                "tag": plan.tag,
                "every_days": plan.every_days,
                "community": community.code if community else None,
            }
        )


urlpatterns: list = [
    path("visits/", VisitListView.as_view(), name="api-visits"),
    path("visits/overdue/", VisitsOverdueView.as_view(), name="api-visits-overdue"),
    path("visits/<str:id>/", VisitDetailView.as_view(), name="api-visit-detail"),
    path("visit-plans/", VisitPlansView.as_view(), name="api-visit-plans"),
]
