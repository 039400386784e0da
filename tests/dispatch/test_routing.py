"""Routing: which rule suggests the department, and what case_route does with it."""

import datetime as dt

import pytest
from django.contrib.contenttypes.models import ContentType
from django.db import IntegrityError, connection

from cases import services as case_services
from cases.audit import chain_verify
from cases.models import Case, CaseState
from dispatch.models import RoutingRule
from dispatch.selectors import active_rules, routing_rule_for
from dispatch.services import case_route
from gridmgmt import clock
from gridmgmt.errors import InvalidTransition
from gridmgmt.roles import Role
from grids.selectors import grid_get
from notifications.models import Notification

from .. import factories
from .helpers import T0, report


def _actions(case) -> list[str]:
    return list(case.events.order_by("seq").values_list("action", flat=True))


# --- routing_rule_for: precedence ---


def test_minor_category_rule_beats_major_class_rule_beats_any_category_rule(world):
    minor_dept, major_dept, any_dept = (factories.department() for _ in range(3))
    # Each less specific category gets the most specific area, so only category precedence can win.
    minor = factories.rule(department=minor_dept, category=world.cats.waste)
    major = factories.rule(department=major_dept, category=world.cats.major, grid=world.g1)
    anything = factories.rule(department=any_dept, grid=world.g1)

    assert routing_rule_for(category=world.cats.waste, grid=world.g1) == minor
    minor.delete()
    assert routing_rule_for(category=world.cats.waste, grid=world.g1) == major
    major.delete()
    assert routing_rule_for(category=world.cats.waste, grid=world.g1) == anything


def test_a_major_class_rule_covers_its_minor_classes_only(world):
    factories.rule(department=world.sanitation, category=world.cats.major)

    assert routing_rule_for(category=world.cats.ads, grid=world.g1).department == world.sanitation
    assert routing_rule_for(category=world.cats.manhole, grid=world.g1) is None


def test_within_a_category_level_grid_beats_community_street_district_anywhere(world):
    community_a = world.communities[0]
    areas = [
        {"grid": world.g1},
        {"jurisdiction": community_a},
        {"jurisdiction": world.street},
        {"jurisdiction": world.district},
        {},
    ]
    # Created least specific first, so the oldest-rule tie-break cannot be what picks the winner.
    rules = [
        factories.rule(department=factories.department(), category=world.cats.waste, **a) for a in areas[::-1]
    ]
    rules.reverse()

    for expected in rules:
        assert routing_rule_for(category=world.cats.waste, grid=world.g1) == expected
        expected.delete()
    assert routing_rule_for(category=world.cats.waste, grid=world.g1) is None


def test_it_ignores_rules_for_other_grids_and_communities(world):
    community_b = world.communities[1]
    factories.rule(department=world.roads, category=world.cats.waste, grid=world.g3)
    factories.rule(department=world.roads, category=world.cats.waste, jurisdiction=community_b)
    anywhere = factories.rule(department=world.sanitation, category=world.cats.waste)

    assert routing_rule_for(category=world.cats.waste, grid=world.g1) == anywhere
    assert routing_rule_for(category=world.cats.waste, grid=world.g3).department == world.roads


def test_without_a_grid_only_rules_for_anywhere_apply(world):
    factories.rule(department=world.roads, category=world.cats.waste, grid=world.g1)
    factories.rule(department=world.roads, category=world.cats.waste, jurisdiction=world.district)
    anywhere = factories.rule(department=world.sanitation, category=world.cats.waste)

    assert routing_rule_for(category=world.cats.waste, grid=None) == anywhere


def test_it_ignores_inactive_rules_and_rules_of_inactive_departments(world):
    closed_down = factories.department()
    closed_down.is_active = False
    closed_down.save(update_fields=["is_active"])
    factories.rule(department=closed_down, category=world.cats.waste, grid=world.g1)
    switched_off = factories.rule(department=world.roads, category=world.cats.waste, grid=world.g1)
    switched_off.is_active = False
    switched_off.save(update_fields=["is_active"])
    fallback = factories.rule(department=world.sanitation, category=world.cats.waste)

    assert routing_rule_for(category=world.cats.waste, grid=world.g1) == fallback


def test_the_oldest_rule_wins_a_tie(world):
    oldest = factories.rule(department=world.sanitation, category=world.cats.waste, grid=world.g1)
    factories.rule(department=world.roads, category=world.cats.waste, grid=world.g1)

    assert routing_rule_for(category=world.cats.waste, grid=world.g1) == oldest


def test_no_matching_rule_gives_no_suggestion(world):
    factories.rule(department=world.roads, category=world.cats.manhole)

    assert routing_rule_for(category=world.cats.waste, grid=world.g1) is None

    case = report(world)
    case = case_route(case_id=case.pk)
    assert case.suggested_department is None and case.routed_at is not None
    route = case.events.get(action="route")
    assert route.data["suggested_department"] is None and route.data["rule"] is None


# --- case_route ---


def test_it_routes_a_case_once_recording_grid_suggestion_and_time(world):
    rule = factories.rule(department=world.sanitation, category=world.cats.waste, jurisdiction=world.district)
    case = report(world, at=T0)

    with clock.frozen_at(T0 + dt.timedelta(seconds=5)):
        routed = case_route(case_id=case.pk)

    routed.refresh_from_db()
    assert routed.grid == world.g1
    assert routed.suggested_department == world.sanitation
    assert routed.routed_at == T0 + dt.timedelta(seconds=5)
    assert routed.state == CaseState.REPORTED and routed.department is None
    assert _actions(routed) == ["report", "route"]
    event = routed.events.get(action="route")
    assert event.actor_role == Role.SYSTEM and event.actor is None
    assert event.data == {
        "grid": world.g1.code,
        "suggested_department": "sanitation",
        "rule": rule.pk,
        "duplicates": [],
    }


def test_it_locates_the_grid_of_a_case_that_had_none(world):
    factories.rule(department=world.roads, category=world.cats.waste, grid=world.g2)
    case = report(world, grid=world.g2)
    Case.objects.filter(pk=case.pk).update(grid=None)

    case_route(case_id=case.pk)

    case.refresh_from_db()
    assert case.grid == world.g2 and case.suggested_department == world.roads
    assert case.events.get(action="route").data["grid"] == world.g2.code


def test_routing_twice_changes_nothing_the_second_time(world):
    factories.rule(department=world.sanitation, category=world.cats.waste)
    case = report(world, at=T0)
    with clock.frozen_at(T0 + dt.timedelta(seconds=5)):
        case_route(case_id=case.pk)
    case.refresh_from_db()
    before = (case.routed_at, case.suggested_department_id, case.version, case.state)

    # A new rule in between must not re-route: routing happens once, a person re-dispatches.
    factories.rule(department=world.roads, category=world.cats.waste, grid=world.g1)
    with clock.frozen_at(T0 + dt.timedelta(minutes=5)):
        case_route(case_id=case.pk)

    case.refresh_from_db()
    assert (case.routed_at, case.suggested_department_id, case.version, case.state) == before
    assert _actions(case) == ["report", "route"]


def test_routing_an_unknown_case_does_nothing(world):
    assert case_route(case_id=987654) is None


def test_an_auto_dispatch_rule_files_and_dispatches_as_the_system(world):
    factories.rule(department=world.sanitation, category=world.cats.waste, auto_dispatch=True)
    case = report(world, at=T0)

    with clock.frozen_at(T0 + dt.timedelta(seconds=5)):
        case_route(case_id=case.pk)

    case.refresh_from_db()
    assert case.state == CaseState.DISPATCHED
    assert case.department == world.sanitation
    assert case.deadline_stage == Case.Stage.HANDLING
    assert case.deadline_at == T0 + dt.timedelta(seconds=5, minutes=world.cats.waste.handling_minutes)
    events = list(case.events.order_by("seq"))
    assert [e.action for e in events] == ["report", "route", "file", "dispatch"]
    assert all(e.actor_role == Role.SYSTEM and e.actor is None for e in events[1:])
    assert events[3].data["department"] == "sanitation"


def test_it_does_not_auto_dispatch_a_likely_duplicate(world):
    factories.rule(department=world.sanitation, category=world.cats.waste, auto_dispatch=True)
    first = report(world, at=T0)
    second = report(world, at=T0 + dt.timedelta(minutes=10))

    case_route(case_id=second.pk)

    second.refresh_from_db()
    assert second.state == CaseState.REPORTED and second.department is None
    assert second.suggested_department == world.sanitation
    assert second.events.get(action="route").data["duplicates"] == [first.number]
    assert _actions(second) == ["report", "route"]


def test_a_case_filed_before_routing_ran_is_only_annotated(world):
    factories.rule(department=world.roads, category=world.cats.waste, auto_dispatch=True)
    case = report(world, at=T0)
    case = case_services.case_file(case=case, actor=world.dispatcher)

    case_route(case_id=case.pk)

    case.refresh_from_db()
    assert case.state == CaseState.FILED and case.department is None
    assert case.suggested_department == world.roads and case.routed_at is not None
    assert _actions(case) == ["report", "file", "route"]
    assert case.events.get(action="file").actor == world.dispatcher


def test_an_auto_dispatch_lands_with_the_routing_in_one_write_and_a_sound_chain(
    world, django_assert_num_queries
):
    factories.rule(department=world.sanitation, category=world.cats.waste, auto_dispatch=True)
    case = report(world, at=T0)
    version = case.version
    routing_rule_for(category=world.cats.waste, grid=world.g1)  # the rules are in this process's cache
    grid_get(world.g1.pk)  # and so is the grid row
    ContentType.objects.get_for_model(Case)  # and the content type a notice's `about` names

    # Lock, duplicate check, one UPDATE, one INSERT of three events, the department's addresses, their
    # readers' languages, one INSERT of notices, and the (savepoint) statements of the transaction itself.
    with django_assert_num_queries(9):
        case_route(case_id=case.pk)

    case.refresh_from_db()
    assert case.state == CaseState.DISPATCHED and case.version == version + 1
    assert (case.audit_seq, case.audit_head) == (4, case.events.get(seq=4).hash)
    assert (
        chain_verify(case.number, case.events.order_by("seq"), head=(case.audit_seq, case.audit_head)) is None
    )
    assert Notification.objects.filter(case=case, kind="dispatched").exists()


def test_routing_alone_leaves_the_version_so_an_open_decision_stays_valid(world):
    case = report(world, at=T0)
    case_route(case_id=case.pk)
    filed = case_services.case_file(case=case, actor=world.dispatcher, expected_version=case.version)
    assert filed.state == CaseState.FILED


def test_a_refused_auto_dispatch_leaves_the_case_routed_in_the_dispatchers_queue(world, monkeypatch):
    factories.rule(department=world.sanitation, category=world.cats.waste, auto_dispatch=True)
    case = report(world, at=T0)

    def refuse(*args, **kwargs):
        raise InvalidTransition("refused for the test")

    monkeypatch.setattr(case_services, "_dispatch_change", refuse)
    case_route(case_id=case.pk)

    case.refresh_from_db()
    assert case.state == CaseState.REPORTED and case.routed_at is not None
    assert case.department is None and case.suggested_department == world.sanitation
    assert _actions(case) == ["report", "route"]
    assert (
        chain_verify(case.number, case.events.order_by("seq"), head=(case.audit_seq, case.audit_head)) is None
    )


def test_a_rule_saved_in_this_process_is_used_by_the_next_routing(world):
    routing_rule_for(category=world.cats.waste, grid=world.g1)  # cached: no rule yet
    factories.rule(department=world.roads, category=world.cats.waste)
    assert routing_rule_for(category=world.cats.waste, grid=world.g1).department == world.roads


def test_a_rule_changed_elsewhere_is_used_once_the_cache_interval_has_passed(world, monkeypatch):
    rule = factories.rule(department=world.roads, category=world.cats.waste)
    now = [1000.0]
    monkeypatch.setattr(active_rules, "clock", lambda: now[0])
    assert routing_rule_for(category=world.cats.waste, grid=world.g1) == rule
    RoutingRule.objects.filter(pk=rule.pk).update(is_active=False)  # no signal: as if another process
    assert routing_rule_for(category=world.cats.waste, grid=world.g1) == rule
    now[0] += 6
    assert routing_rule_for(category=world.cats.waste, grid=world.g1) is None


@pytest.mark.django_db(transaction=True)
def test_a_rule_whose_department_was_deleted_behind_the_cache_fails_once_then_routes(world):
    doomed = factories.department()
    rule = factories.rule(department=doomed, category=world.cats.waste)
    case = report(world, at=T0)
    assert routing_rule_for(category=world.cats.waste, grid=world.g1) == rule  # cached here
    with connection.cursor() as cursor:  # another process removes both: no signal reaches this one
        cursor.execute("DELETE FROM dispatch_routingrule WHERE id = %s", [rule.pk])
        cursor.execute("DELETE FROM dispatch_department WHERE id = %s", [doomed.pk])

    with pytest.raises(IntegrityError):  # the task retries on it (route_case_task)
        case_route(case_id=case.pk)
    assert Case.objects.get(pk=case.pk).routed_at is None  # nothing half-written

    routed = case_route(case_id=case.pk)
    assert routed.routed_at is not None and routed.suggested_department is None
