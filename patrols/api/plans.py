"""REST API of patrol plans: the plan each visible grid follows (supervisors set one for a grid or a
community), and each visible grid's patrol state this week.

Refusals as in the rest of the API: a role that never reads patrols 403; bad input 400 naming the field;
a grid or community that does not exist 400 at its field; a write by anyone but a supervisor 403.
"""

from django.urls import path
from django.utils.translation import gettext_noop
from drf_spectacular.utils import OpenApiExample, OpenApiParameter, extend_schema, inline_serializer
from rest_framework import serializers
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from gridmgmt import clock, policy
from gridmgmt.api import error_responses
from gridmgmt.errors import InvalidInput, NotAllowed
from gridmgmt.json_io import JSONParser
from grids.models import Grid, Jurisdiction

from .. import plans

TAGS = ["patrols"]
NO_PLANS = gettext_noop("you may not see patrol plans")

COMMUNITY = OpenApiParameter(
    "community", str, OpenApiParameter.QUERY, required=False, description="A community's 12-digit code"
)

PLANS = inline_serializer(
    "PatrolPlanOfGrid",
    many=True,
    fields={
        "grid": serializers.CharField(help_text="The grid's 14-digit code"),
        "name": serializers.CharField(),
        "community": serializers.CharField(help_text="The community's 12-digit code"),
        "minutes_per_day": serializers.IntegerField(help_text="Patrol minutes required per working day"),
        "weekly_coverage": serializers.FloatField(help_text="Share of the grid's area to cover a week, 0–1"),
        "source": serializers.ChoiceField(
            choices=["grid", "community", "default"],
            help_text="Where the plan comes from: the grid's own, its community's default, the settings'",
        ),
    },
)
PLAN_SET = inline_serializer(
    "PatrolPlanSet",
    {
        "grid": serializers.CharField(required=False, help_text="A grid's code (or give `community`)"),
        "community": serializers.CharField(required=False, help_text="A community's code (or give `grid`)"),
        "minutes_per_day": serializers.IntegerField(min_value=0, max_value=1440),
        "weekly_coverage": serializers.FloatField(min_value=0, max_value=1),
        "clear": serializers.BooleanField(
            required=False, help_text="true: remove the grid's or community's own plan instead"
        ),
    },
)
PLAN_SAVED = inline_serializer(
    "PatrolPlanSaved",
    {
        "grid": serializers.CharField(allow_null=True),
        "community": serializers.CharField(allow_null=True),
        "minutes_per_day": serializers.IntegerField(allow_null=True),
        "weekly_coverage": serializers.FloatField(allow_null=True),
        "cleared": serializers.BooleanField(),
    },
)
GRID_STATES = inline_serializer(
    "PatrolGridWeekState",
    many=True,
    fields={
        "grid": serializers.CharField(),
        "name": serializers.CharField(),
        "community": serializers.CharField(),
        "state": serializers.ChoiceField(
            choices=list(plans.STATES), help_text="on_plan, behind, or none (no counted patrol this week)"
        ),
        "minutes_week": serializers.FloatField(help_text="Minutes of counted patrols in the grid this week"),
        "minutes_required": serializers.IntegerField(
            help_text="The plan's minutes for each working day gone by this week"
        ),
        "coverage_week": serializers.FloatField(help_text="Share of the area covered this week, 0–1"),
        "coverage_required": serializers.FloatField(
            help_text="The plan's weekly coverage scaled by the share of the week's working days gone by"
        ),
        "patrols_week": serializers.IntegerField(),
        "minutes_per_day": serializers.IntegerField(),
        "weekly_coverage": serializers.FloatField(),
        "plan_source": serializers.CharField(),
        "last_patrol_at": serializers.DateTimeField(allow_null=True),
    },
)
STATES = inline_serializer(
    "PatrolWeekStates",
    {
        "week_start": serializers.DateTimeField(),
        "working_days": serializers.IntegerField(),
        "working_days_gone": serializers.IntegerField(),
        "counts": serializers.DictField(child=serializers.IntegerField()),
        "grids": GRID_STATES,
    },
)


def _reader_check(request: Request) -> str:
    scope = policy.patrol_scope(request.user)
    if scope is None:
        raise NotAllowed(NO_PLANS)
    return scope


def _community_of(raw, *, field: str) -> Jurisdiction:
    if not isinstance(raw, str) or not (raw.isascii() and raw.isdigit() and len(raw) == 12):
        raise InvalidInput(gettext_noop("name the community by its 12-digit code"), field=field)
    community = Jurisdiction.objects.filter(code=raw, level=Jurisdiction.Level.COMMUNITY).first()
    if community is None:
        raise InvalidInput(gettext_noop("there is no community %(code)s"), code=raw, field=field)
    return community


def _community_param(request: Request) -> Jurisdiction | None:
    raw = request.query_params.get("community")
    return _community_of(raw, field="community") if raw else None


def _plan_row(grid: Grid, plan: plans.PlanValues) -> dict:
    return {
        "grid": grid.code,
        "name": grid.name,
        "community": grid.community.code,
        "minutes_per_day": plan.minutes_per_day,
        "weekly_coverage": plan.weekly_coverage,
        "source": plan.source,
    }


class PatrolPlansView(APIView):
    parser_classes = [JSONParser]

    @extend_schema(
        tags=TAGS,
        operation_id="patrol_plans_list",
        summary="The patrol plan each visible grid follows",
        description="Every grid the caller follows (a grid administrator: their own) with the plan it is "
        "held to: its own, else its community's default, else the settings'.",
        parameters=[COMMUNITY],
        responses={200: PLANS, **error_responses(400, 401, 403)},
    )
    def get(self, request: Request) -> Response:
        _reader_check(request)
        grids = plans.grids_for_plans(request.user, community=_community_param(request))
        plan_of = plans.plans_for(grids)
        return Response([_plan_row(grid, plan_of[grid.pk]) for grid in grids])

    @extend_schema(
        tags=TAGS,
        operation_id="patrol_plans_set",
        summary="Set (or remove) a grid's plan or a community's default (supervisors)",
        request=PLAN_SET,
        examples=[
            OpenApiExample(
                "A grid's own plan",
                value={"grid": "36010200100101", "minutes_per_day": 90, "weekly_coverage": 0.5},
                request_only=True,
            ),
            OpenApiExample(
                "A community's default",
                value={"community": "360102001001", "minutes_per_day": 120, "weekly_coverage": 0.6},
                request_only=True,
            ),
            OpenApiExample(
                "Remove a grid's plan", value={"grid": "36010200100101", "clear": True}, request_only=True
            ),
        ],
        responses={200: PLAN_SAVED, **error_responses(400, 401, 403)},
    )
    def post(self, request: Request) -> Response:
        _reader_check(request)
        if not policy.can_review_patrols(request.user):
            raise NotAllowed(plans.ONLY_SUPERVISORS)
        body = request.data if isinstance(request.data, dict) else {}
        grid = community = None
        if body.get("grid") is not None:
            raw = body["grid"]
            if not isinstance(raw, str) or not (raw.isascii() and raw.isdigit() and len(raw) == 14):
                raise InvalidInput(gettext_noop("name the grid by its 14-digit code"), field="grid")
            grid = Grid.objects.filter(code=raw).first()
            if grid is None:
                raise InvalidInput(gettext_noop("there is no grid %(code)s"), code=raw, field="grid")
        if body.get("community") is not None:
            community = _community_of(body["community"], field="community")
        clear = body.get("clear", False)
        if not isinstance(clear, bool):
            raise InvalidInput(gettext_noop("clear must be true or false"), field="clear")
        if clear:
            plans.plan_clear(actor=request.user, grid=grid, community=community)
            return Response(
                {
                    "grid": grid.code if grid else None,
                    "community": community.code if community else None,
                    "minutes_per_day": None,
                    "weekly_coverage": None,
                    "cleared": True,
                }
            )
        plan = plans.plan_set(
            actor=request.user,
            grid=grid,
            community=community,
            minutes_per_day=body.get("minutes_per_day"),
            weekly_coverage=body.get("weekly_coverage"),
        )
        return Response(
            {
                "grid": grid.code if grid else None,
                "community": community.code if community else None,
                "minutes_per_day": plan.minutes_per_day,
                "weekly_coverage": plan.weekly_coverage,
                "cleared": False,
            }
        )


class PatrolStatesView(APIView):
    @extend_schema(
        tags=TAGS,
        operation_id="patrol_states_list",
        summary="This week's patrol state of each visible grid",
        description="Weeks start on Monday 00:00 in the site's time zone. Required so far: the plan's "
        "minutes for each working day gone by (before today), and its weekly coverage scaled by the share of "
        "the week's working days gone by; `on_plan` meets both, `behind` does not, `none` has no counted "
        "patrol (clean, or flagged and accepted) this week.",
        parameters=[COMMUNITY],
        responses={200: STATES, **error_responses(400, 401, 403)},
    )
    def get(self, request: Request) -> Response:
        _reader_check(request)
        overview = plans.patrol_overview(request.user, community=_community_param(request), now=clock.now())
        return Response(
            {
                "week_start": overview.week.start.isoformat(),
                "working_days": len(overview.week.working_days),
                "working_days_gone": len(overview.week.elapsed),
                "counts": overview.counts,
                "grids": [
                    {
                        "grid": s.grid.code,
                        "name": s.grid.name,
                        "community": s.grid.community.code,
                        "state": s.state,
                        "minutes_week": s.minutes_week,
                        "minutes_required": s.minutes_required_so_far,
                        "coverage_week": s.coverage_week,
                        "coverage_required": s.coverage_required_so_far,
                        "patrols_week": s.patrols_week,
                        "minutes_per_day": s.plan.minutes_per_day,
                        "weekly_coverage": s.plan.weekly_coverage,
                        "plan_source": s.plan.source,
                        "last_patrol_at": s.last_patrol_at.isoformat() if s.last_patrol_at else None,
                    }
                    for s in overview.states
                ],
            }
        )


urlpatterns: list = [
    path("patrol-plans/", PatrolPlansView.as_view(), name="api-patrol-plans"),
    path("patrol-states/", PatrolStatesView.as_view(), name="api-patrol-states"),
]
