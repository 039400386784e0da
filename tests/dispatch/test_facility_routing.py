"""Routing a case that names a facility: the facility's maintaining department comes before the category's
routing rule, for the suggestion and for an auto-dispatch; a facility without one leaves the rule to
decide."""

import pytest

from cases.models import CaseState
from dispatch.services import case_route

from .. import factories
from ..cases.helpers import report
from ..places import factories as place_factories


@pytest.fixture
def cover(world):
    """A manhole cover in grid 1 that the roads department maintains."""
    return place_factories.facility(world.g1, department=world.roads)


def _report_on(world, facility):
    """The hotline reports a damaged manhole cover on `facility` (routing is the test's to run)."""
    return report(
        world, actor=world.dispatcher, source="hotline", category=world.cats.manhole, facility=facility
    )


def test_the_facilitys_department_is_suggested_before_the_rules(world, cover):
    factories.rule(department=world.sanitation, category=world.cats.manhole)
    case = _report_on(world, cover)

    case_route(case_id=case.pk)

    case.refresh_from_db()
    assert case.suggested_department == world.roads
    assert case.state == CaseState.REPORTED
    route = case.events.get(action="route").data
    assert route["suggested_department"] == "roads"
    assert route["facility"] == cover.code


def test_an_auto_dispatch_rule_sends_the_case_to_the_facilitys_department(world, cover):
    factories.rule(department=world.sanitation, category=world.cats.manhole, auto_dispatch=True)
    case = _report_on(world, cover)

    case_route(case_id=case.pk)

    case.refresh_from_db()
    assert case.state == CaseState.DISPATCHED
    assert case.department == world.roads
    assert case.events.get(action="dispatch").data["department"] == "roads"


def test_a_facility_without_a_department_leaves_the_rule_to_decide(world):
    unkept = place_factories.facility(world.g1)
    factories.rule(department=world.sanitation, category=world.cats.manhole, auto_dispatch=True)
    case = _report_on(world, unkept)

    case_route(case_id=case.pk)

    case.refresh_from_db()
    assert case.suggested_department == world.sanitation
    assert case.department == world.sanitation
    assert case.events.get(action="route").data["facility"] == unkept.code


def test_an_inactive_maintaining_department_leaves_the_rule_to_decide(world, cover):
    world.roads.is_active = False
    world.roads.save(update_fields=["is_active"])
    factories.rule(department=world.sanitation, category=world.cats.manhole)
    case = _report_on(world, cover)

    case_route(case_id=case.pk)

    case.refresh_from_db()
    assert case.suggested_department == world.sanitation


def test_without_any_rule_the_facilitys_department_is_suggested_but_not_dispatched(world, cover):
    case = _report_on(world, cover)

    case_route(case_id=case.pk)

    case.refresh_from_db()
    assert case.suggested_department == world.roads
    assert case.state == CaseState.REPORTED and case.department is None
