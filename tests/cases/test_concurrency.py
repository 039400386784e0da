"""Racing writers on PostgreSQL: two people act on one case at the same moment, exactly one wins.

Each thread has its own database connection (Django's are per thread) and commits for real, so the row
lock (`select_for_update`) and the version check in `cases.services._apply` are what decide the race.
"""

import pytest

from cases import services
from cases.audit import chains_verify
from cases.models import Case, CaseState
from gridmgmt.errors import Conflict, DomainError, InvalidTransition
from gridmgmt.roles import Role

from .. import factories
from ..conftest import requires_postgres
from ..support.racing import race
from .helpers import drive, report

pytestmark = [requires_postgres, pytest.mark.django_db(transaction=True)]

S = CaseState
ROUNDS = 5  # a few races per test, so an unlucky schedule cannot hide a lost update


def split(results):
    won = [r for r in results if isinstance(r, Case)]
    lost = [r for r in results if not isinstance(r, Case)]
    return won, lost


def test_two_dispatchers_dispatching_one_case_at_once_dispatch_it_once(world):
    second = factories.user("dispatcher2", roles=(Role.DISPATCHER,))

    def dispatch(pk: int, actor, department):
        return lambda: services.case_dispatch(
            case=Case.objects.get(pk=pk), actor=actor, department=department
        )

    for _ in range(ROUNDS):
        case = drive(world, S.FILED)
        results = race(
            dispatch(case.pk, world.dispatcher, world.sanitation), dispatch(case.pk, second, world.roads)
        )
        won, lost = split(results)
        assert len(won) == 1 and len(lost) == 1, results
        assert isinstance(lost[0], Conflict | InvalidTransition), repr(lost[0])
        assert isinstance(lost[0], DomainError) and lost[0].status == 409
        case.refresh_from_db()
        assert case.state == S.DISPATCHED and case.department_id == won[0].department_id
        assert case.version == won[0].version
        assert case.events.filter(action="dispatch").count() == 1
    assert chains_verify() == (ROUNDS, [])


def test_filing_and_rejecting_one_version_at_once_lets_exactly_one_through(world):
    second = factories.user("dispatcher2", roles=(Role.DISPATCHER,))

    def file(pk: int, seen: int):
        return lambda: services.case_file(
            case=Case.objects.get(pk=pk), actor=world.dispatcher, expected_version=seen
        )

    def reject(pk: int, seen: int):
        return lambda: services.case_reject(
            case=Case.objects.get(pk=pk), actor=second, reason="无效上报", expected_version=seen
        )

    for _ in range(ROUNDS):
        case = report(world)
        seen = case.version
        won, lost = split(race(file(case.pk, seen), reject(case.pk, seen)))
        assert len(won) == 1 and len(lost) == 1, (won, lost)
        # Whoever comes second sees a newer version than the one it decided on.
        assert isinstance(lost[0], Conflict) and lost[0].status == 409, repr(lost[0])
        case.refresh_from_db()
        assert case.state == won[0].state and case.state in (S.FILED, S.REJECTED)
        assert case.version == seen + 1
        assert case.events.filter(action__in=["file", "reject"]).count() == 1
    assert chains_verify() == (ROUNDS, [])


def test_two_extension_requests_at_once_leave_one_pending(world):
    colleague = factories.user("staff2", roles=(Role.DEPARTMENT_STAFF,), departments=(world.sanitation,))
    case = drive(world, S.IN_PROGRESS)
    results = race(
        lambda: services.case_request_extension(
            case=Case.objects.get(pk=case.pk), actor=world.staff, minutes=60, reason="等设备"
        ),
        lambda: services.case_request_extension(
            case=Case.objects.get(pk=case.pk), actor=colleague, minutes=90, reason="等人手"
        ),
    )
    lost = [r for r in results if isinstance(r, Exception)]
    assert len(lost) == 1 and isinstance(lost[0], Conflict), results
    assert case.extension_requests.filter(state="pending").count() == 1
    assert chains_verify() == (1, [])
