"""REST API of patrols: start, append points by batch, end, read one (with flags and coverage), list, review.

Order of refusals, as in the rest of the API: a role that never patrols or reads patrols 403; a patrol the
caller cannot see 404 (unknown ids alike); a visible patrol that is not the caller's 403 for writes; bad
input 400 naming the field (`points[3].lat`); a closed record 409.
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
from gridmgmt.ids import id_or_404
from gridmgmt.json_io import JSONParser

from .. import selectors, services
from ..models import Patrol

TAGS = ["patrols"]
NO_PATROLS = gettext_noop("you may not see patrols")


def _reader_check(request: Request) -> None:
    if policy.patrol_scope(request.user) is None:
        raise NotAllowed(NO_PATROLS)


def _patrol(request: Request, raw_id: str) -> Patrol:
    _reader_check(request)
    return selectors.patrol_get_for(request.user, id_or_404(raw_id))


def _iso(value):
    return value.isoformat() if value is not None else None


def patrol_summary(patrol: Patrol) -> dict:
    return {
        "id": patrol.pk,
        "patroller": patrol.patroller.get_username(),
        "state": patrol.state,
        "started_at": _iso(patrol.started_at),
        "ended_at": _iso(patrol.ended_at),
        "point_count": patrol.point_count,
        "duration_s": patrol.duration_s,
        "distance_m": patrol.distance_m,
        "review": patrol.review,
        "flag_codes": sorted({flag["code"] for flag in patrol.flags}),
    }


def patrol_detail(patrol: Patrol) -> dict:
    grids = selectors.patrol_grids(patrol)

    def code(grid_id) -> str:
        grid = grids.get(int(grid_id))
        return grid.code if grid else str(grid_id)

    return {
        **patrol_summary(patrol),
        "flags": [
            {
                "code": f["code"],
                "count": f["count"],
                "message": f["message"] % f["params"],
                "where": f["where"],
            }
            for f in patrol.flags
        ],
        # Share (0–1) of each grid's area within the buffer of the walked track: the patroller's grids and
        # every grid the track touched.
        "coverage": {code(k): v for k, v in patrol.coverage.items()},
        "grids": [
            {
                "grid": grid.code,
                "name": grid.name,
                "coverage": patrol.coverage.get(str(grid.pk), 0.0),
                "minutes": patrol.minutes_by_grid.get(str(grid.pk), 0.0),
            }
            for grid in sorted(grids.values(), key=lambda g: g.code)
        ],
        "buffer_m": patrol.buffer_m,
        "track": patrol.track,
        "cases": [link.case.number for link in selectors.patrol_cases(patrol) if link.case.number],
        "reviewed_by": patrol.reviewed_by.get_username() if patrol.reviewed_by else None,
        "reviewed_at": _iso(patrol.reviewed_at),
        "review_note": patrol.review_note,
    }


class PatrolIdPagination(CursorPagination):
    ordering = ("-started_at", "-id")


POINT = {"lat": 28.6801, "lng": 115.8902, "accuracy": 8.5, "recorded_at": "2026-12-07T09:30:05+08:00"}
PATROL_ID = OpenApiParameter("id", int, OpenApiParameter.PATH, description="The patrol's id")
STARTED = inline_serializer(
    "PatrolStarted", {"id": serializers.IntegerField(), "state": serializers.CharField()}
)


class PatrolSummarySerializer(serializers.Serializer):
    """One patrol in the list (for the schema: the view writes dicts, `patrol_summary`)."""

    id = serializers.IntegerField()
    patroller = serializers.CharField()
    state = serializers.ChoiceField(choices=Patrol.State.values)
    started_at = serializers.DateTimeField()
    ended_at = serializers.DateTimeField(allow_null=True)
    point_count = serializers.IntegerField()
    duration_s = serializers.IntegerField()
    distance_m = serializers.FloatField()
    review = serializers.ChoiceField(choices=Patrol.Review.values, allow_blank=True)
    flag_codes = serializers.ListField(child=serializers.CharField())


class PatrolListView(GenericAPIView):
    pagination_class = PatrolIdPagination
    parser_classes = [JSONParser]
    serializer_class = PatrolSummarySerializer  # what OPTIONS describes

    @extend_schema(
        tags=TAGS,
        operation_id="patrols_list",
        summary="Patrols in the caller's scope, newest first",
        description="Grid administrators see their own; supervisors and dispatchers every patrol. "
        "`review=pending` lists the flagged patrols awaiting a supervisor.",
        parameters=[OpenApiParameter("review", str, enum=[c for c in Patrol.Review.values if c])],
        responses={
            200: cursor_page("PaginatedPatrolList", PatrolSummarySerializer(many=True)),
            **error_responses(400, 403),
        },
    )
    def get(self, request: Request) -> Response:
        _reader_check(request)
        review = request.query_params.get("review", "")
        if review and review not in Patrol.Review.values:
            raise InvalidInput(
                gettext_noop("unknown review state %(value)s"), value=repr(review[:20]), field="review"
            )
        rows = selectors.patrols_visible_to(request.user, review=review or None)
        page = self.paginate_queryset(rows)
        return self.get_paginated_response([patrol_summary(p) for p in page])

    @extend_schema(
        tags=TAGS,
        operation_id="patrols_start",
        summary="Start a patrol",
        description="Grid administrators with a grid start patrols. A second start while one is running "
        "answers 200 with the running patrol, so a double tap or a second device never makes two.",
        request=None,
        responses={201: STARTED, 200: STARTED, **error_responses(403)},
    )
    def post(self, request: Request) -> Response:
        patrol, created = services.patrol_start(actor=request.user)
        headers = {"Location": reverse("api-patrol-detail", kwargs={"id": patrol.pk})}
        return Response(
            {"id": patrol.pk, "state": patrol.state}, status=201 if created else 200, headers=headers
        )


class PatrolDetailView(APIView):
    @extend_schema(
        tags=TAGS,
        operation_id="patrols_read",
        summary="One patrol: figures, flags and coverage",
        description="`flags` lists what is implausible (codes speed, jump, accuracy, order, future, silence, "
        "outside, copied, late), each with a count, a message and where on the map. `coverage` maps each "
        "grid code to the share (0–1) of its area within the buffer of the walked track; figures appear once "
        "the patrol has ended and been computed (`state` computed).",
        parameters=[PATROL_ID],
        responses={
            200: inline_serializer("Patrol", {"id": serializers.IntegerField()}),
            **error_responses(403, 404),
        },
    )
    def get(self, request: Request, id: str) -> Response:
        return Response(patrol_detail(_patrol(request, id)))


class PatrolPointsView(APIView):
    parser_classes = [JSONParser]

    @extend_schema(
        tags=TAGS,
        operation_id="patrols_points",
        summary="Append a batch of points to one's patrol",
        description="`batch` is the client's key for the batch: sending the same key again adds nothing and "
        "answers 200 with `added` 0, so a client may resend until it hears back. Batches may arrive out of "
        "order and after the end (they are merged by `recorded_at`). At most 1,000 points per batch.",
        parameters=[PATROL_ID],
        request=inline_serializer(
            "PatrolPoints",
            {
                "batch": serializers.CharField(max_length=64),
                "points": serializers.ListField(
                    child=inline_serializer(
                        "PatrolPoint",
                        {
                            "lat": serializers.FloatField(),
                            "lng": serializers.FloatField(),
                            "accuracy": serializers.FloatField(help_text="metres"),
                            "recorded_at": serializers.DateTimeField(),
                        },
                    )
                ),
            },
        ),
        examples=[
            OpenApiExample("Two points", value={"batch": "b-1", "points": [POINT, POINT]}, request_only=True)
        ],
        responses={
            201: inline_serializer(
                "PatrolPointsAdded",
                {
                    "batch": serializers.CharField(),
                    "added": serializers.IntegerField(),
                    "point_count": serializers.IntegerField(),
                },
            ),
            **error_responses(400, 403, 404, 409),
        },
    )
    def post(self, request: Request, id: str) -> Response:
        patrol = _patrol(request, id)
        body = request.data if isinstance(request.data, dict) else {}
        result = services.patrol_points_add(
            patrol=patrol, actor=request.user, batch=body.get("batch"), points=body.get("points")
        )
        return Response(
            {"batch": result.batch, "added": result.added, "point_count": result.patrol.point_count},
            status=200 if result.replay else 201,
        )


class PatrolEndView(APIView):
    @extend_schema(
        tags=TAGS,
        operation_id="patrols_end",
        summary="End one's patrol",
        description="The figures (duration, distance, grids touched, coverage, flags) are computed by a "
        "worker right after; ending an ended patrol changes nothing.",
        parameters=[PATROL_ID],
        request=None,
        responses={200: STARTED, **error_responses(403, 404)},
    )
    def post(self, request: Request, id: str) -> Response:
        patrol = services.patrol_end(patrol=_patrol(request, id), actor=request.user)
        return Response({"id": patrol.pk, "state": patrol.state})


class PatrolReviewView(APIView):
    parser_classes = [JSONParser]

    @extend_schema(
        tags=TAGS,
        operation_id="patrols_review",
        summary="Decide on a flagged patrol (supervisors)",
        description="`decision` accept (the patrol counts in evaluation) or reject, with a `note` saying "
        "why; recorded once, in the patrol's chain.",
        parameters=[PATROL_ID],
        request=inline_serializer(
            "PatrolReview",
            {
                "decision": serializers.ChoiceField(choices=["accept", "reject"]),
                "note": serializers.CharField(),
            },
        ),
        responses={200: STARTED, **error_responses(400, 403, 404, 409)},
    )
    def post(self, request: Request, id: str) -> Response:
        patrol = _patrol(request, id)
        if not policy.can_review_patrols(request.user):  # before reading the body: the role decides first
            raise NotAllowed(services.ONLY_SUPERVISORS)
        body = request.data if isinstance(request.data, dict) else {}
        decision = body.get("decision")
        if decision not in ("accept", "reject"):
            raise InvalidInput(gettext_noop("decision must be accept or reject"), field="decision")
        note = body.get("note")
        patrol = services.patrol_review(
            patrol=patrol,
            actor=request.user,
            accept=decision == "accept",
            note=note if isinstance(note, str) else "",
        )
        return Response(patrol_detail(patrol))


urlpatterns: list = [
    path("patrols/", PatrolListView.as_view(), name="api-patrols"),
    path("patrols/<str:id>/", PatrolDetailView.as_view(), name="api-patrol-detail"),
    path("patrols/<str:id>/points/", PatrolPointsView.as_view(), name="api-patrol-points"),
    path("patrols/<str:id>/end/", PatrolEndView.as_view(), name="api-patrol-end"),
    path("patrols/<str:id>/review/", PatrolReviewView.as_view(), name="api-patrol-review"),
]
