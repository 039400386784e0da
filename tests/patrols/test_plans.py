"""Patrol plans: which plan holds for a grid, who sets it, a grid's week against it, weekly coverage as the
union of the week's tracks, and the warnings for grids patrolled short of plan on a working day."""

import datetime as dt
import itertools
from zoneinfo import ZoneInfo

import pytest
from django.contrib.auth import get_user_model
from django.contrib.contenttypes.models import ContentType
from django.urls import reverse

from gridmgmt import clock
from gridmgmt.errors import InvalidInput, NotAllowed
from grids.models import Grid
from notifications.models import LanguagePreference, Notification
from patrols import plans
from patrols.models import Patrol, PatrolPlan, PatrolWarning
from tests.factories import centre, work_calendar

from .factories import patrol_walked, walk

SHANGHAI = ZoneInfo("Asia/Shanghai")
# A Wednesday afternoon: Monday and Tuesday of its week have gone by.
WEDNESDAY = dt.datetime(2026, 11, 25, 15, 0, tzinfo=SHANGHAI)
MONDAY = dt.datetime(2026, 11, 23, 0, 0, tzinfo=SHANGHAI)

pytestmark = pytest.mark.django_db


_walks = itertools.count()


def _street(grid, *, start: dt.datetime, offset: float | None = None, minutes: float = 10.0, **kwargs):
    """Points along an east–west street of `grid` (at `offset`° from its middle), walked for about
    `minutes` at 4.5 km/h, back and forth as often as it takes. Without an offset each walk keeps a couple
    of metres beside the last one: a device never repeats its fixes, and a track that does is a copy."""
    if offset is None:
        offset = -0.004 + 0.00002 * (next(_walks) % 50)
    lat, lng = centre(grid)
    length_deg = 0.008  # ≈ 780 m at this latitude: ≈ 10.4 minutes at 4.5 km/h
    legs = max(1, round(minutes / 10.4))
    waypoints = [(lat + offset, lng - 0.004 + (length_deg if i % 2 else 0)) for i in range(legs + 1)]
    return walk(waypoints, start=start, **kwargs)


def _walked(user, grid, *, start, **kwargs) -> Patrol:
    patrol = patrol_walked(user, _street(grid, start=start, **kwargs))
    return patrol


# --- which plan holds ---------------------------------------------------------------------------------------


def test_a_grid_follows_its_own_plan_then_its_communitys_then_the_settings(world, settings):
    settings.PATROL_PLAN_MINUTES_PER_DAY = 90
    settings.PATROL_PLAN_WEEKLY_COVERAGE = 0.5
    community = world.g1.community

    assert plans.plan_for(world.g1) == plans.PlanValues(90, 0.5, "default")
    plans.plan_set(actor=world.supervisor, community=community, minutes_per_day=60, weekly_coverage=0.4)
    assert plans.plan_for(world.g1) == plans.PlanValues(60, 0.4, "community")
    plans.plan_set(actor=world.supervisor, grid=world.g1, minutes_per_day=30, weekly_coverage=0.2)
    assert plans.plan_for(world.g1) == plans.PlanValues(30, 0.2, "grid")
    # Its neighbour in the same community keeps the community's; the other community the settings'.
    assert plans.plan_for(world.g2).source == "community"
    assert plans.plan_for(world.g3).source == "default"

    assert plans.plan_clear(actor=world.supervisor, grid=world.g1) is True
    assert plans.plan_for(world.g1) == plans.PlanValues(60, 0.4, "community")
    assert plans.plan_clear(actor=world.supervisor, grid=world.g1) is False


def test_plans_for_many_grids_take_one_query(world, django_assert_num_queries):
    plans.plan_set(
        actor=world.supervisor, community=world.g1.community, minutes_per_day=60, weekly_coverage=0.4
    )
    plans.plan_set(actor=world.supervisor, grid=world.g3, minutes_per_day=10, weekly_coverage=0.1)
    grids = list(Grid.objects.order_by("code"))
    with django_assert_num_queries(1):
        found = plans.plans_for(grids)
    assert [found[g.pk].source for g in grids] == ["community", "community", "grid", "default"]


def test_setting_a_plan_again_replaces_it(world):
    plans.plan_set(actor=world.supervisor, grid=world.g1, minutes_per_day=30, weekly_coverage=0.2)
    plan = plans.plan_set(actor=world.supervisor, grid=world.g1, minutes_per_day="45", weekly_coverage="0.25")
    assert PatrolPlan.objects.filter(grid=world.g1).count() == 1
    assert (plan.minutes_per_day, plan.weekly_coverage, plan.updated_by) == (45, 0.25, world.supervisor)


@pytest.mark.parametrize("minutes", [-1, 1441, "abc", "", None, True, 1.5, "1e3"])
def test_it_refuses_minutes_outside_a_day(world, minutes):
    with pytest.raises(InvalidInput) as refused:
        plans.plan_set(actor=world.supervisor, grid=world.g1, minutes_per_day=minutes, weekly_coverage=0.5)
    assert refused.value.field == "minutes_per_day"
    assert not PatrolPlan.objects.exists()


@pytest.mark.parametrize("share", [-0.1, 1.01, 60, "nan", "inf", "", None, False, "six"])
def test_it_refuses_coverage_outside_zero_to_one(world, share):
    with pytest.raises(InvalidInput) as refused:
        plans.plan_set(actor=world.supervisor, grid=world.g1, minutes_per_day=60, weekly_coverage=share)
    assert refused.value.field == "weekly_coverage"


def test_the_bounds_themselves_are_plans(world):
    plans.plan_set(actor=world.supervisor, grid=world.g1, minutes_per_day=0, weekly_coverage=0)
    plans.plan_set(actor=world.supervisor, grid=world.g2, minutes_per_day=1440, weekly_coverage=1)
    assert plans.plan_for(world.g2) == plans.PlanValues(1440, 1.0, "grid")


@pytest.mark.parametrize("who", ["gridadmin", "dispatcher", "staff", "resident", "outsider"])
def test_only_supervisors_set_and_clear_plans(world, who):
    actor = getattr(world, who)
    with pytest.raises(NotAllowed):
        plans.plan_set(actor=actor, grid=world.g1, minutes_per_day=30, weekly_coverage=0.2)
    PatrolPlan.objects.create(grid=world.g1, minutes_per_day=30, weekly_coverage=0.2)
    with pytest.raises(NotAllowed):
        plans.plan_clear(actor=actor, grid=world.g1)
    assert PatrolPlan.objects.filter(grid=world.g1).exists()


def test_a_superuser_sets_plans(world):
    root = get_user_model().objects.create_superuser("root", "root@example.org", "pw")
    plans.plan_set(actor=root, grid=world.g1, minutes_per_day=30, weekly_coverage=0.2)
    assert plans.plan_for(world.g1).source == "grid"


def test_a_plan_names_a_grid_or_a_community_and_a_community_is_a_community(world):
    with pytest.raises(InvalidInput):
        plans.plan_set(actor=world.supervisor, minutes_per_day=30, weekly_coverage=0.2)
    with pytest.raises(InvalidInput):
        plans.plan_set(
            actor=world.supervisor,
            grid=world.g1,
            community=world.g1.community,
            minutes_per_day=30,
            weekly_coverage=0.2,
        )
    with pytest.raises(InvalidInput) as refused:
        plans.plan_set(
            actor=world.supervisor, community=world.street, minutes_per_day=30, weekly_coverage=0.2
        )
    assert refused.value.field == "community"


# --- figures over a range -----------------------------------------------------------------------------------


def test_two_patrols_along_the_same_street_cover_it_once(world):
    first = _walked(world.gridadmin, world.g1, start=MONDAY + dt.timedelta(hours=9))
    # The same street a metre to the side (a device never repeats its fixes; exact ones are a copy).
    second = _walked(world.gridadmin, world.g1, start=MONDAY + dt.timedelta(hours=14), offset=-0.00399)
    assert second.review == Patrol.Review.CLEAN
    one = first.coverage[str(world.g1.pk)]
    assert one > 0.02

    figures = plans.grid_patrol_figures([world.g1.pk], start=MONDAY, end=WEDNESDAY)[world.g1.pk]
    assert figures.coverage == pytest.approx(one, rel=0.05)  # the union, not the sum (2 × one)
    assert figures.minutes == pytest.approx(2 * first.minutes_by_grid[str(world.g1.pk)], rel=0.01)
    assert (figures.patrols, figures.counted, figures.flagged) == (2, 2, 0)

    # Another street adds its own strip.
    _walked(world.gridadmin, world.g1, start=MONDAY + dt.timedelta(hours=16), offset=0.003)
    more = plans.grid_patrol_figures([world.g1.pk], start=MONDAY, end=WEDNESDAY)[world.g1.pk]
    assert more.coverage == pytest.approx(2 * one, rel=0.05)


def test_figures_take_counted_patrols_started_in_the_range_only(world):
    _walked(world.gridadmin, world.g1, start=MONDAY - dt.timedelta(hours=2))  # the Sunday before
    counted = _walked(world.gridadmin, world.g1, start=MONDAY + dt.timedelta(hours=9))
    # Too fast for a walk: flagged, awaiting a supervisor's decision, so it does not count.
    flagged = _walked(world.gridadmin, world.g1, start=MONDAY + dt.timedelta(hours=11), speed_kmh=40)
    assert flagged.review == Patrol.Review.PENDING

    figures = plans.grid_patrol_figures([world.g1.pk, world.g3.pk], start=MONDAY, end=WEDNESDAY)
    g1 = figures[world.g1.pk]
    assert g1.minutes == pytest.approx(counted.minutes_by_grid[str(world.g1.pk)], abs=0.01)
    assert (g1.patrols, g1.flagged, g1.counted) == (2, 1, 1)
    assert figures[world.g3.pk] == plans.Figures()


def test_an_accepted_flagged_patrol_counts(world):
    from patrols import services

    flagged = _walked(world.gridadmin, world.g1, start=MONDAY + dt.timedelta(hours=11), speed_kmh=40)
    services.patrol_review(patrol=flagged, actor=world.supervisor, accept=True, note="GPS on a bike, fine")
    figures = plans.grid_patrol_figures([world.g1.pk], start=MONDAY, end=WEDNESDAY)[world.g1.pk]
    assert figures.counted == 1 and figures.minutes > 0 and figures.coverage > 0


# --- the week -----------------------------------------------------------------------------------------------


def _state_of(grid, now=WEDNESDAY):
    return next(s for s in plans.grid_week_states([grid], now=now) if s.grid.pk == grid.pk)


def test_a_grid_without_a_counted_patrol_this_week_is_none(world):
    _walked(world.gridadmin, world.g1, start=MONDAY - dt.timedelta(days=1))  # last week
    state = _state_of(world.g1)
    assert state.state == plans.NONE and state.minutes_week == 0


def test_a_grid_is_on_plan_with_the_minutes_and_the_coverage_of_the_days_gone_by(world):
    # Round-the-clock calendar (the world's): Monday and Tuesday have gone by, of seven working days.
    plans.plan_set(actor=world.supervisor, grid=world.g1, minutes_per_day=10, weekly_coverage=0.1)
    _walked(world.gridadmin, world.g1, start=MONDAY + dt.timedelta(hours=9), minutes=21)

    state = _state_of(world.g1)
    assert state.minutes_required_so_far == 20
    assert state.coverage_required_so_far == pytest.approx(0.1 * 2 / 7, abs=1e-4)
    assert state.minutes_week >= 20 and state.coverage_week >= state.coverage_required_so_far
    assert state.state == plans.ON_PLAN


def test_a_grid_short_of_minutes_is_behind(world):
    plans.plan_set(actor=world.supervisor, grid=world.g1, minutes_per_day=30, weekly_coverage=0.0)
    _walked(world.gridadmin, world.g1, start=MONDAY + dt.timedelta(hours=9), minutes=21)
    state = _state_of(world.g1)
    assert state.minutes_required_so_far == 60 and state.minutes_short
    assert state.state == plans.BEHIND


def test_a_grid_with_the_minutes_but_short_of_coverage_is_behind(world):
    # 21 minutes back and forth along one street: plenty of time, one strip of the grid.
    plans.plan_set(actor=world.supervisor, grid=world.g1, minutes_per_day=5, weekly_coverage=1.0)
    _walked(world.gridadmin, world.g1, start=MONDAY + dt.timedelta(hours=9), minutes=21)
    state = _state_of(world.g1)
    assert not state.minutes_short and state.coverage_short
    assert state.state == plans.BEHIND


def test_a_flagged_patrol_awaiting_review_leaves_a_grid_without_patrol(world):
    _walked(world.gridadmin, world.g1, start=MONDAY + dt.timedelta(hours=9), speed_kmh=40)
    assert _state_of(world.g1).state == plans.NONE


def test_only_working_days_gone_by_ask_for_minutes(world):
    # Office hours Monday to Friday, and the Tuesday a holiday: on Wednesday one working day has gone by,
    # of four in the week.
    work_calendar(holidays=[dt.date(2026, 11, 24)])
    plans.plan_set(actor=world.supervisor, grid=world.g1, minutes_per_day=10, weekly_coverage=0.4)
    state = _state_of(world.g1)
    assert state.minutes_required_so_far == 10
    assert state.coverage_required_so_far == pytest.approx(0.1)
    # On Monday nothing has gone by yet.
    monday = _state_of(world.g1, now=MONDAY + dt.timedelta(hours=10))
    assert (monday.minutes_required_so_far, monday.coverage_required_so_far) == (0, 0)


def test_the_week_starts_on_monday_at_midnight_local_time(world):
    # Sunday 23:30 in Shanghai is Sunday 15:30 UTC: last week.
    _walked(world.gridadmin, world.g1, start=MONDAY - dt.timedelta(minutes=30), minutes=10)
    assert _state_of(world.g1).patrols_week == 0
    _walked(world.gridadmin, world.g1, start=MONDAY + dt.timedelta(minutes=5), minutes=10)
    assert _state_of(world.g1).patrols_week == 1


def test_the_overview_takes_a_few_queries_whatever_the_number_of_grids(world, django_assert_max_num_queries):
    for hours in (9, 11, 14):
        _walked(world.gridadmin, world.g1, start=MONDAY + dt.timedelta(hours=hours))
    _walked(world.gridadmin, world.g2, start=MONDAY + dt.timedelta(hours=16))
    _walked(world.other_gridadmin, world.g3, start=MONDAY + dt.timedelta(hours=10))
    plans.plan_set(actor=world.supervisor, grid=world.g1, minutes_per_day=10, weekly_coverage=0.01)
    plans.plan_clear  # noqa: B018 - the community's and the settings' plans hold for the rest

    supervisor = get_user_model().objects.get(pk=world.supervisor.pk)  # no cached roles
    plans.calendar_resolve()  # the work calendar is read once per process, not per page
    with django_assert_max_num_queries(6):
        overview = plans.patrol_overview(supervisor, now=WEDNESDAY)
    # By label, naturally: 孺子… before 渊明….
    assert [s.grid.pk for s in overview.states] == [world.g3.pk, world.g4.pk, world.g1.pk, world.g2.pk]
    by_grid = {s.grid.pk: s for s in overview.states}
    assert by_grid[world.g1.pk].state == plans.ON_PLAN
    assert by_grid[world.g4.pk].state == plans.NONE
    assert by_grid[world.g1.pk].administrators == ["gridadmin"]
    assert by_grid[world.g1.pk].last_patrol_at is not None
    assert sum(overview.counts.values()) == 4


def test_an_administrator_overview_holds_their_own_grids(world):
    overview = plans.patrol_overview(world.gridadmin, now=WEDNESDAY)
    assert {s.grid.pk for s in overview.states} == {world.g1.pk, world.g2.pk}
    assert plans.patrol_overview(world.staff, now=WEDNESDAY).states == []


def test_the_overview_filters_by_community(world):
    overview = plans.patrol_overview(world.dispatcher, community=world.g3.community, now=WEDNESDAY)
    assert {s.grid.pk for s in overview.states} == {world.g3.pk, world.g4.pk}


# --- warnings -----------------------------------------------------------------------------------------------


def _notices(warning) -> list[str]:
    kind = ContentType.objects.get_for_model(PatrolWarning)
    return sorted(
        Notification.objects.filter(content_type=kind, object_id=warning.pk).values_list(
            "recipient", flat=True
        )
    )


def test_grids_patrolled_short_of_plan_yesterday_are_warned_once(world):
    plans.plan_set(
        actor=world.supervisor, community=world.g1.community, minutes_per_day=15, weekly_coverage=0
    )
    plans.plan_set(actor=world.supervisor, grid=world.g3, minutes_per_day=0, weekly_coverage=0)
    # Tuesday: 21 minutes in g1 (enough), none in g2 (short); g3's plan asks for nothing; g4 has nobody.
    _walked(world.gridadmin, world.g1, start=WEDNESDAY - dt.timedelta(days=1, hours=5), minutes=21)

    warnings = plans.plan_warnings_send(now=WEDNESDAY)

    assert [(w.grid_id, w.day, w.minutes_required, w.minutes_done) for w in warnings] == [
        (world.g2.pk, dt.date(2026, 11, 24), 15, 0)
    ]
    assert _notices(warnings[0]) == sorted([world.gridadmin.email, world.supervisor.email])
    # An hour later (beat runs hourly): nothing new, no second notice.
    assert plans.plan_warnings_send(now=WEDNESDAY + dt.timedelta(hours=1)) == []
    assert PatrolWarning.objects.count() == 1
    assert Notification.objects.filter(kind=plans.WARNING_KIND).count() == 2


def test_minutes_short_by_less_than_one_are_short(world):
    plans.plan_set(actor=world.supervisor, grid=world.g1, minutes_per_day=600, weekly_coverage=0)
    patrol = _walked(world.gridadmin, world.g1, start=WEDNESDAY - dt.timedelta(days=1, hours=5), minutes=21)
    warned = {w.grid_id: w for w in plans.plan_warnings_send(now=WEDNESDAY)}
    assert warned[world.g1.pk].minutes_done == int(patrol.minutes_by_grid[str(world.g1.pk)])


def test_warnings_look_at_the_previous_working_day(world):
    # Office hours: on a Monday the previous working day is the Friday before; a Saturday patrol doesn't help.
    work_calendar()
    plans.plan_set(actor=world.supervisor, grid=world.g1, minutes_per_day=15, weekly_coverage=0)
    _walked(
        world.gridadmin, world.g1, start=MONDAY - dt.timedelta(days=2) + dt.timedelta(hours=9), minutes=21
    )
    warnings = plans.plan_warnings_send(now=MONDAY + dt.timedelta(hours=9))
    assert {w.day for w in warnings} == {dt.date(2026, 11, 20)}
    assert world.g1.pk in {w.grid_id for w in warnings}


def test_warnings_skip_grids_without_an_administrator_and_inactive_ones(world):
    get_user_model().objects.filter(pk=world.other_gridadmin.pk).update(is_active=False)
    warned = {w.grid_id for w in plans.plan_warnings_send(now=WEDNESDAY)}
    assert warned == {world.g1.pk, world.g2.pk}


def test_each_recipient_reads_the_warning_in_their_language(world):
    LanguagePreference.objects.create(user=world.supervisor, language="en")
    warnings = plans.plan_warnings_send(now=WEDNESDAY)
    g1 = next(w for w in warnings if w.grid_id == world.g1.pk)
    kind = ContentType.objects.get_for_model(PatrolWarning)
    english = Notification.objects.get(content_type=kind, object_id=g1.pk, recipient=world.supervisor.email)
    assert english.subject == (
        f"Grid {world.g1.label} was patrolled 0 of 120 minutes on {_english_date(g1.day)}"
    )
    assert "120 minutes on each working day" in english.body


def _english_date(day: dt.date) -> str:
    from django.utils import formats, translation

    with translation.override("en"):
        return formats.date_format(day, "DATE_FORMAT")


# --- pages --------------------------------------------------------------------------------------------------


def _page(client, user, url, **params):
    client.force_login(user)
    return client.get(url, params)


def test_the_overview_shows_grids_by_state_with_the_coverage_map(world, client):
    _walked(world.gridadmin, world.g1, start=MONDAY + dt.timedelta(hours=9))
    with clock.frozen_at(WEDNESDAY):
        response = _page(client, world.supervisor, reverse("patrols-overview"))
    assert response.status_code == 200
    html = response.content.decode()
    assert "coverage-geojson" in html and "data-patrol-map" in html
    rows = {s.grid.pk: s for s in response.context["overview"].states}
    assert rows[world.g1.pk].state in (plans.ON_PLAN, plans.BEHIND)
    assert rows[world.g4.pk].state == plans.NONE
    features = response.context["coverage_geojson"]["features"]
    assert len(features) == 4 and all(f["properties"]["colour"].startswith("#") for f in features)


@pytest.mark.parametrize("who", ["dispatcher", "supervisor"])
def test_the_overview_filters_by_community_for_the_centre(world, client, who):
    response = _page(
        client, getattr(world, who), reverse("patrols-overview"), community=world.g3.community.code
    )
    assert {s.grid.pk for s in response.context["overview"].states} == {world.g3.pk, world.g4.pk}
    assert _page(client, world.supervisor, reverse("patrols-overview"), community="999").status_code == 404


def test_an_administrator_sees_their_own_grids_rows_only(world, client):
    response = _page(client, world.gridadmin, reverse("patrols-overview"), community=world.g3.community.code)
    assert {s.grid.pk for s in response.context["overview"].states} == {world.g1.pk, world.g2.pk}
    assert world.g3.name not in response.content.decode()


@pytest.mark.parametrize("who", ["staff", "resident", "outsider"])
def test_others_may_not_see_the_overview_or_the_plans(world, client, who):
    assert _page(client, getattr(world, who), reverse("patrols-overview")).status_code == 403
    assert _page(client, getattr(world, who), reverse("patrol-plans")).status_code == 403


def test_the_plans_page_lists_each_grids_plan_and_its_source(world, client):
    plans.plan_set(actor=world.supervisor, grid=world.g1, minutes_per_day=30, weekly_coverage=0.2)
    response = _page(client, world.dispatcher, reverse("patrol-plans"))
    assert response.status_code == 200 and response.context["form"] is None
    html = response.content.decode()
    assert 'data-grid="36010200100101" data-source="grid"' in html
    assert 'data-grid="36010200100102" data-source="default"' in html


def test_a_supervisor_sets_a_community_default_on_the_plans_page(world, client):
    client.force_login(world.supervisor)
    url = reverse("patrol-plans")
    response = client.post(
        url,
        {
            "target": f"community:{world.g1.community.code}",
            "minutes_per_day": "45",
            "weekly_coverage": "35.5",
            "action": "save",
        },
    )
    assert response.status_code == 302
    assert plans.plan_for(world.g2) == plans.PlanValues(45, 0.355, "community")
    client.post(url, {"target": f"community:{world.g1.community.code}", "action": "clear"})
    assert plans.plan_for(world.g2).source == "default"


def test_a_refused_plan_says_every_fault_and_keeps_what_was_typed(world, client):
    client.force_login(world.supervisor)
    response = client.post(
        reverse("patrol-plans"),
        {
            "target": f"grid:{world.g1.code}",
            "minutes_per_day": "2000",
            "weekly_coverage": "150",
            "action": "save",
        },
    )
    assert response.status_code == 400
    form = response.context["form"]
    assert set(form.errors) == {"minutes_per_day", "weekly_coverage"}
    html = response.content.decode()
    assert 'value="2000"' in html and 'value="150"' in html and "form-errors" in html
    assert not PatrolPlan.objects.exists()


def test_only_supervisors_post_plans(world, client):
    client.force_login(world.dispatcher)
    response = client.post(
        reverse("patrol-plans"),
        {
            "target": f"grid:{world.g1.code}",
            "minutes_per_day": "20",
            "weekly_coverage": "10",
            "action": "save",
        },
    )
    assert response.status_code == 403 and not PatrolPlan.objects.exists()


# --- API ----------------------------------------------------------------------------------------------------


def test_the_api_lists_plans_per_visible_grid(world, api):
    plans.plan_set(actor=world.supervisor, grid=world.g1, minutes_per_day=30, weekly_coverage=0.2)
    response = api(world.gridadmin).get("/api/v1/patrol-plans/")
    assert response.status_code == 200
    assert {row["grid"]: (row["minutes_per_day"], row["source"]) for row in response.json()} == {
        world.g1.code: (30, "grid"),
        world.g2.code: (120, "default"),
    }
    assert api(world.staff).get("/api/v1/patrol-plans/").status_code == 403


def test_a_supervisor_sets_plans_through_the_api(world, api):
    client = api(world.supervisor)
    body = {"community": world.g3.community.code, "minutes_per_day": 60, "weekly_coverage": 0.5}
    assert client.post("/api/v1/patrol-plans/", body, format="json").status_code == 200
    assert plans.plan_for(world.g4) == plans.PlanValues(60, 0.5, "community")

    refused = client.post(
        "/api/v1/patrol-plans/",
        {"grid": world.g1.code, "minutes_per_day": 60, "weekly_coverage": 2},
        format="json",
    )
    assert refused.status_code == 400 and refused.json()["error"]["field"] == "weekly_coverage"
    unknown = client.post(
        "/api/v1/patrol-plans/",
        {"grid": "36010299999999", "minutes_per_day": 1, "weekly_coverage": 0},
        format="json",
    )
    assert unknown.status_code == 400 and unknown.json()["error"]["field"] == "grid"
    cleared = client.post(
        "/api/v1/patrol-plans/", {"community": world.g3.community.code, "clear": True}, format="json"
    )
    assert cleared.json()["cleared"] is True and plans.plan_for(world.g4).source == "default"

    assert api(world.dispatcher).post("/api/v1/patrol-plans/", body, format="json").status_code == 403


def test_the_api_tells_this_weeks_state_per_visible_grid(world, api):
    _walked(world.gridadmin, world.g1, start=MONDAY + dt.timedelta(hours=9))
    with clock.frozen_at(WEDNESDAY):
        response = api(world.gridadmin).get("/api/v1/patrol-states/")
    assert response.status_code == 200
    body = response.json()
    by_grid = {row["grid"]: row for row in body["grids"]}
    assert set(by_grid) == {world.g1.code, world.g2.code}
    assert (
        by_grid[world.g1.code]["state"] in ("on_plan", "behind")
        and by_grid[world.g1.code]["minutes_week"] > 0
    )
    assert by_grid[world.g2.code]["state"] == "none"
    assert sum(body["counts"].values()) == 2
