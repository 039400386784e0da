"""One case through its whole life: the happy path, proven end to end through the services."""

from cases import services
from cases.audit import chains_verify
from cases.models import CaseState
from dispatch.services import case_route

from ..factories import centre
from .helpers import evidence


def test_it_takes_a_case_from_report_to_closure(world, django_capture_on_commit_callbacks):
    lat, lng = centre(world.g1)
    with django_capture_on_commit_callbacks(execute=False):
        case = services.case_report(
            actor=world.gridadmin,
            source="patrol",
            lat=lat,
            lng=lng,
            category=world.cats.waste,
            description="垃圾堆放",
        )
    assert case.grid == world.g1 and case.state == CaseState.REPORTED and case.deadline_stage == "filing"
    case_route(case_id=case.pk)
    case = services.case_file(case=case, actor=world.dispatcher)
    case = services.case_dispatch(case=case, actor=world.dispatcher, department=world.sanitation)
    case = services.case_accept(case=case, actor=world.staff)
    case = services.case_resolve(case=case, actor=world.staff, notes="已清运", **evidence(case))
    case = services.case_verify_pass(case=case, actor=world.gridadmin, **evidence(case))
    assert case.state == CaseState.CLOSED and case.deadline_at is None and case.closed_at is not None
    actions = list(case.events.order_by("seq").values_list("action", flat=True))
    assert actions == ["report", "route", "file", "dispatch", "accept", "resolve", "verify_pass"]
    assert chains_verify() == (1, [])
