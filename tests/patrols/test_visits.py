"""Home visits: recording (every refusal, the position check), needs that become cases, plans by tag and their
overrides, the overdue list and the figures of visits planned and done."""

import datetime as dt
from datetime import date

import pytest
from django.utils import timezone

from cases.models import Case
from gridmgmt.errors import Conflict, InvalidInput, NotAllowed
from grids.models import Resident
from patrols import visits
from patrols.models import Visit, VisitNeed, VisitPlan
from places import codes
from places import services as place_services
from places.models import Organisation
from tests.factories import centre
from tests.grids.resident_factories import resident
from tests.places.factories import building, house

M_PER_DEG_LAT = 110_540.0


def credit_code(n: int) -> str:
    return codes.credit_code_complete(f"91360102MA3{n:06d}")


def organisation(grid, *, n: int = 1, risk_tags=(), name: str = "东湖饭店") -> Organisation:
    lat, lng = centre(grid)
    return place_services.organisation_save(
        actor=None,
        name=name,
        credit_code=credit_code(n),
        kind=Organisation.Kind.ENTERPRISE,
        lat=lat,
        lng=lng,
        address="八一大道 300 号",
        risk_tags=list(risk_tags),
    )


def household(grid, *, name: str = "张三明", care_tags=()):
    """A house in the middle of `grid` and a resident living there now: (house, resident)."""
    home = house(building(grid))
    person = resident(grid, name=name, care_tags=list(care_tags))
    place_services.occupancy_start(actor=None, resident=person, house=home, since=date(2020, 1, 1))
    person.refresh_from_db()
    return home, person


def north_of(lat: float, lng: float, metres: float) -> tuple[float, float]:
    return lat + metres / M_PER_DEG_LAT, lng


def ago(**kwargs) -> dt.datetime:
    return timezone.now() - dt.timedelta(**kwargs)


# --- recording --------------------------------------------------------------------------------------------


def test_it_records_a_visit_on_site_with_its_needs(world):
    home, person = household(world.g1, care_tags=["elderly_alone"])
    lat, lng = north_of(home.building.lat, home.building.lng, 40)
    visit = visits.visit_record(
        actor=world.gridadmin,
        resident=person,
        visited_at=ago(minutes=10),
        lat=lat,
        lng=lng,
        accuracy=12,
        met="本人",
        notes="身体尚好",
        needs=["  需要助餐服务 ", "", "楼道灯坏了"],
    )
    assert visit.grid_id == world.g1.pk
    assert visit.position == Visit.Position.ON_SITE
    assert 35 < visit.distance_m < 45
    assert [n.text for n in visit.needs.order_by("id")] == ["需要助餐服务", "楼道灯坏了"]


def test_a_position_beyond_the_radius_is_flagged_far(world, settings):
    settings.VISIT_RADIUS_M = 150
    home, person = household(world.g1)
    lat, lng = north_of(home.building.lat, home.building.lng, 400)
    visit = visits.visit_record(actor=world.gridadmin, house=home, visited_at=ago(hours=1), lat=lat, lng=lng)
    assert visit.position == Visit.Position.FAR
    assert 390 < visit.distance_m < 410


def test_no_position_is_unknown_and_an_address_without_a_point_is_no_address(world):
    home, person = household(world.g1)
    unknown = visits.visit_record(actor=world.gridadmin, resident=person, visited_at=ago(hours=1))
    assert (unknown.position, unknown.distance_m) == (Visit.Position.UNKNOWN, None)
    homeless = resident(world.g1, name="李四")
    lat, lng = centre(world.g1)
    no_address = visits.visit_record(
        actor=world.gridadmin, resident=homeless, visited_at=ago(hours=1), lat=lat, lng=lng
    )
    assert no_address.position == Visit.Position.NO_ADDRESS


def test_an_organisation_is_checked_against_its_own_point(world):
    unit = organisation(world.g2, risk_tags=["fire_safety"])
    lat, lng = north_of(unit.lat, unit.lng, 10)
    visit = visits.visit_record(
        actor=world.gridadmin, organisation=unit, visited_at=ago(minutes=5), lat=lat, lng=lng
    )
    assert (visit.grid_id, visit.position) == (world.g2.pk, Visit.Position.ON_SITE)


def test_it_refuses_a_visit_outside_the_administrators_grids(world):
    home, person = household(world.g3)
    with pytest.raises(NotAllowed) as refused:
        visits.visit_record(actor=world.gridadmin, resident=person, visited_at=ago(hours=1))
    assert refused.value.status == 403
    assert not Visit.objects.exists()


@pytest.mark.parametrize("persona", ["supervisor", "dispatcher", "staff", "resident", "outsider"])
def test_only_grid_administrators_record_visits(world, persona):
    home, _person = household(world.g1)
    with pytest.raises(NotAllowed):
        visits.visit_record(actor=getattr(world, persona), house=home, visited_at=ago(hours=1))


def test_it_refuses_a_visit_to_no_one(world):
    with pytest.raises(InvalidInput) as refused:
        visits.visit_record(actor=world.gridadmin, visited_at=ago(hours=1))
    assert refused.value.field == "target"


def test_it_refuses_a_visit_to_an_organisation_and_a_resident_at_once(world):
    _home, person = household(world.g1)
    unit = organisation(world.g1)
    with pytest.raises(InvalidInput) as refused:
        visits.visit_record(
            actor=world.gridadmin, resident=person, organisation=unit, visited_at=ago(hours=1)
        )
    assert refused.value.field == "target"


def test_a_resident_visit_may_name_their_house_but_not_another(world):
    home, person = household(world.g1)
    visit = visits.visit_record(actor=world.gridadmin, resident=person, house=home, visited_at=ago(hours=1))
    assert (visit.resident_id, visit.house_id) == (person.pk, home.pk)
    other = house(building(world.g1))
    with pytest.raises(InvalidInput) as refused:
        visits.visit_record(actor=world.gridadmin, resident=person, house=other, visited_at=ago(hours=1))
    assert refused.value.field == "house"


@pytest.mark.parametrize("when", [dt.timedelta(minutes=-30), dt.timedelta(days=31)])
def test_it_refuses_a_time_in_the_future_or_older_than_a_month(world, when):
    home, _person = household(world.g1)
    with pytest.raises(InvalidInput) as refused:
        visits.visit_record(actor=world.gridadmin, house=home, visited_at=timezone.now() - when)
    assert refused.value.field == "visited_at"


def test_a_phone_clock_a_minute_fast_is_tolerated(world):
    home, _person = household(world.g1)
    visit = visits.visit_record(
        actor=world.gridadmin, house=home, visited_at=timezone.now() + dt.timedelta(minutes=1)
    )
    assert visit.pk


@pytest.mark.parametrize(
    ("lat", "lng", "accuracy", "field"),
    [
        (28.68, None, None, "lat"),
        (91, 115.89, None, "lat"),
        (28.68, "east", None, "lng"),
        (28.68, 115.89, -1, "accuracy"),
    ],
)
def test_it_refuses_a_bad_position(world, lat, lng, accuracy, field):
    home, _person = household(world.g1)
    with pytest.raises(InvalidInput) as refused:
        visits.visit_record(
            actor=world.gridadmin, house=home, visited_at=ago(hours=1), lat=lat, lng=lng, accuracy=accuracy
        )
    assert refused.value.field == field


def test_it_refuses_too_many_or_too_long_needs_and_saves_nothing(world):
    home, _person = household(world.g1)
    for needs in (["x"] * 21, ["长" * 501]):
        with pytest.raises(InvalidInput) as refused:
            visits.visit_record(actor=world.gridadmin, house=home, visited_at=ago(hours=1), needs=needs)
        assert refused.value.field == "needs"
    assert not Visit.objects.exists()


def test_a_moved_out_resident_is_not_visited(world):
    _home, person = household(world.g1)
    Resident.objects.filter(pk=person.pk).update(moved_out_on=date(2024, 1, 1))
    person.refresh_from_db()
    with pytest.raises(InvalidInput):
        visits.visit_record(actor=world.gridadmin, resident=person, visited_at=ago(hours=1))


# --- a need becomes a case ----------------------------------------------------------------------------------


def test_a_need_becomes_a_case_once(world, django_capture_on_commit_callbacks):
    home, person = household(world.g1)
    visit = visits.visit_record(
        actor=world.gridadmin, resident=person, visited_at=ago(hours=1), needs=["楼道堆放杂物"]
    )
    need = visit.needs.get()
    with django_capture_on_commit_callbacks(execute=False):
        case = visits.visit_need_to_case(need=need, actor=world.gridadmin, category=world.cats.waste)
    assert case.source == Case.Source.PATROL
    assert case.grid_id == world.g1.pk
    assert (case.lat, case.lng) == (home.building.lat, home.building.lng)  # no position: the address
    assert case.description.startswith("楼道堆放杂物")
    assert str(visit.pk) in case.description
    assert VisitNeed.objects.get(pk=need.pk).case_id == case.pk
    with pytest.raises(Conflict):
        visits.visit_need_to_case(need=need, actor=world.gridadmin, category=world.cats.waste)
    assert Case.objects.count() == 1


def test_a_need_case_is_where_the_visitor_stood_when_on_site(world, django_capture_on_commit_callbacks):
    home, _person = household(world.g1)
    lat, lng = north_of(home.building.lat, home.building.lng, 20)
    visit = visits.visit_record(
        actor=world.gridadmin, house=home, visited_at=ago(hours=1), lat=lat, lng=lng, needs=["井盖松动"]
    )
    with django_capture_on_commit_callbacks(execute=False):
        case = visits.visit_need_to_case(
            need=visit.needs.get(), actor=world.gridadmin, category=world.cats.ads, description="门口小广告"
        )
    assert (case.lat, case.lng, case.description) == (lat, lng, "门口小广告")


def test_another_administrator_cannot_turn_a_need_into_a_case(world):
    home, _person = household(world.g1)
    visit = visits.visit_record(actor=world.gridadmin, house=home, visited_at=ago(hours=1), needs=["需求"])
    with pytest.raises(NotAllowed):
        visits.visit_need_to_case(
            need=visit.needs.get(), actor=world.other_gridadmin, category=world.cats.waste
        )
    assert not Case.objects.exists()


def test_a_refused_case_leaves_the_need_without_one(world):
    home, _person = household(world.g1)
    visit = visits.visit_record(actor=world.gridadmin, house=home, visited_at=ago(hours=1), needs=["需求"])
    with pytest.raises(InvalidInput):
        visits.visit_need_to_case(need=visit.needs.get(), actor=world.gridadmin, category=world.cats.major)
    assert VisitNeed.objects.get().case_id is None


# --- plans --------------------------------------------------------------------------------------------------


def test_the_default_plans_hold_until_set(world):
    community = world.g1.community_id
    assert visits.visit_interval_days(target="resident", tag="elderly_alone", community_id=community) == 7
    assert visits.visit_interval_days(target="resident", tag="disability", community_id=community) == 30
    assert visits.visit_interval_days(target="organisation", tag="fire_safety", community_id=None) == 91
    assert visits.visit_interval_days(target="resident", tag="veteran", community_id=community) is None


def test_a_community_plan_wins_over_the_district_plan(world):
    a, b = world.communities
    visits.visit_plan_set(actor=world.supervisor, target="resident", tag="elderly_alone", every_days=10)
    visits.visit_plan_set(
        actor=world.supervisor, target="resident", tag="elderly_alone", every_days=3, community=a
    )
    assert visits.visit_interval_days(target="resident", tag="elderly_alone", community_id=a.pk) == 3
    assert visits.visit_interval_days(target="resident", tag="elderly_alone", community_id=b.pk) == 10
    assert visits.visit_interval_days(target="resident", tag="elderly_alone", community_id=None) == 10
    table = visits.visit_plan_table()
    assert visits.interval_in(table, target="resident", tag="elderly_alone", community_id=a.pk) == 3
    assert visits.interval_in(table, target="resident", tag="elderly_alone", community_id=b.pk) == 10
    # Setting it again changes the row rather than adding one.
    visits.visit_plan_set(
        actor=world.supervisor, target="resident", tag="elderly_alone", every_days=4, community=a
    )
    assert VisitPlan.objects.filter(community=a).get().every_days == 4


@pytest.mark.parametrize("persona", ["gridadmin", "dispatcher", "staff"])
def test_only_supervisors_set_plans(world, persona):
    with pytest.raises(NotAllowed):
        visits.visit_plan_set(
            actor=getattr(world, persona), target="resident", tag="disability", every_days=5
        )


@pytest.mark.parametrize(
    ("target", "tag", "days", "field"),
    [
        ("house", "elderly_alone", 7, "target"),
        ("resident", "fire_safety", 7, "tag"),
        ("resident", "disability", 0, "every_days"),
        ("resident", "disability", "weekly", "every_days"),
    ],
)
def test_a_plan_needs_a_known_target_tag_and_interval(world, target, tag, days, field):
    with pytest.raises(InvalidInput) as refused:
        visits.visit_plan_set(actor=world.supervisor, target=target, tag=tag, every_days=days)
    assert refused.value.field == field


# --- overdue and due --------------------------------------------------------------------------------------


def _visit_at(actor, when: dt.datetime, **target) -> Visit:
    """A visit recorded as made at `when` (the service refuses older than a month: written directly)."""
    grid = (target.get("resident") or target.get("house") or target.get("organisation")).grid
    return Visit.objects.create(
        visitor=actor,
        grid=grid,
        visited_at=when,
        position=Visit.Position.UNKNOWN,
        created_at=when,
        **target,
    )


def test_the_overdue_list_names_the_most_overdue_first_masked(world, django_assert_max_num_queries):
    today = timezone.localdate()
    _h1, never = household(world.g1, name="王大明", care_tags=["elderly_alone"])
    _h2, late = household(world.g1, name="李小红", care_tags=["elderly_alone", "veteran"])
    _visit_at(world.gridadmin, ago(days=20), resident=late)  # due after 7 days: 13 overdue
    home3, fresh = household(world.g2, name="赵钱孙", care_tags=["elderly_alone"])
    _visit_at(world.gridadmin, ago(days=2), house=home3)  # a household visit counts for who lives there
    _h4, disabled = household(world.g2, name="周吴", care_tags=["disability"])
    _visit_at(world.gridadmin, ago(days=40), resident=disabled)  # due after 30: 10 overdue
    unit = organisation(world.g1, risk_tags=["fire_safety"])
    _visit_at(world.gridadmin, ago(days=100), organisation=unit)  # due after 91: 9 overdue
    household(world.g1, name="不在计划", care_tags=["veteran"])  # no plan for veterans
    household(world.g3, name="别人的", care_tags=["elderly_alone"])  # another administrator's grid
    # roles, grids, plans, residents, organisations, homes, three latest visits, the grids
    with django_assert_max_num_queries(10):
        rows = visits.visits_overdue_for(world.gridadmin, today=today)
    assert [(r.kind, r.pk, r.days_overdue) for r in rows] == [
        ("resident", never.pk, None),
        ("resident", late.pk, 13),
        ("resident", disabled.pk, 10),
        ("organisation", unit.pk, 9),
    ]
    assert [r.name for r in rows] == ["王*明", "李*红", "周*", "东湖饭店"]
    assert rows[1].tags == ["独居老人"] and rows[1].every_days == 7


def test_the_overdue_list_queries_do_not_grow_with_the_rows(world, django_assert_max_num_queries):
    for i in range(12):
        _home, person = household(world.g1, name=f"张{i}明", care_tags=["elderly_alone"])
        _visit_at(world.gridadmin, ago(days=10 + i), resident=person)
    for i in range(5):
        organisation(world.g2, n=i + 10, risk_tags=["fire_safety"])
    # roles, grids, plans, residents, organisations, homes, three latest visits, the grids
    with django_assert_max_num_queries(10):
        rows = visits.visits_overdue_for(world.gridadmin)
    assert len(rows) == 17


def test_supervisors_see_every_grid_overdue_and_other_roles_none(world):
    household(world.g3, care_tags=["elderly_alone"])
    assert len(visits.visits_overdue_for(world.supervisor)) == 1
    assert visits.visits_overdue_for(world.gridadmin) == []
    assert visits.visits_overdue_for(world.staff) == []
    assert len(visits.visits_overdue_for(world.supervisor, grid_id=world.g3.pk)) == 1
    assert visits.visits_overdue_for(world.other_gridadmin, grid_id=world.g1.pk) == []


def test_a_community_plan_changes_what_is_overdue(world):
    _home, person = household(world.g1, care_tags=["elderly_alone"])
    _visit_at(world.gridadmin, ago(days=5), resident=person)
    assert visits.visits_overdue_for(world.gridadmin) == []
    visits.visit_plan_set(
        actor=world.supervisor,
        target="resident",
        tag="elderly_alone",
        every_days=2,
        community=world.g1.community,
    )
    assert [r.days_overdue for r in visits.visits_overdue_for(world.gridadmin)] == [3]


def test_visits_due_counts_planned_and_done_capped_per_target(world, django_assert_max_num_queries):
    start, end = date(2026, 3, 2), date(2026, 3, 29)  # 28 days
    at = timezone.make_aware(dt.datetime(2026, 3, 10, 10))
    _h1, weekly = household(world.g1, care_tags=["elderly_alone"])  # 4 planned
    for day in range(6):  # six visits count as four at most
        _visit_at(world.gridadmin, at + dt.timedelta(days=day * 2), resident=weekly)
    home2, monthly = household(world.g1, care_tags=["disability"])  # ceil(28 / 30) = 1 planned
    _visit_at(world.gridadmin, at, house=home2)  # the household visit counts
    _visit_at(world.gridadmin, at - dt.timedelta(days=30), resident=monthly)  # before the period
    unit = organisation(world.g2, risk_tags=["fire_safety"])  # 1 planned, none done
    household(world.g2, care_tags=["veteran"])  # not planned
    _h3, other = household(world.g3, care_tags=["elderly_alone"])
    _visit_at(world.other_gridadmin, at, resident=other)
    assert unit.pk
    with django_assert_max_num_queries(8):
        due = visits.visits_due(grid_ids=[world.g1.pk, world.g2.pk, world.g4.pk], start=start, end=end)
    assert due == {world.g1.pk: (5, 5), world.g2.pk: (1, 0), world.g4.pk: (0, 0)}
    assert visits.visits_due(grid_ids=[world.g3.pk], start=start, end=end) == {world.g3.pk: (4, 1)}


def test_a_period_of_one_day_plans_one_visit_per_target(world):
    household(world.g1, care_tags=["elderly_alone"])
    day = date(2026, 3, 2)
    assert visits.visits_due(grid_ids=[world.g1.pk], start=day, end=day) == {world.g1.pk: (1, 0)}
