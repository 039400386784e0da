"""The workflow matrix: every state × every action × every persona does exactly what the workflow promises.

Expectations come from two independent sources that must agree: the transition table in `cases.workflow`
(with the personas' roles and scope), and the workflow written out by hand below (`AGREED`). A wrong row
in the table, a role slipped into a tuple or a scope check lost in policy makes this module fail.
"""

import pytest
from django.db import transaction
from django.test import override_settings

from cases import services
from cases.models import Case, CaseCaller, CaseEvent, CaseState, ExtensionRequest
from cases.selectors import case_actions_for
from cases.workflow import TRANSITIONS, Action, actions_from, transition_for
from gridmgmt.errors import DomainError, InvalidTransition, NotAllowed
from gridmgmt.roles import Role
from grids import pii

from ..factories import world_build
from .helpers import act, drive, evidence, report

S = CaseState
STATES = list(S.values)
ALL_ACTIONS = sorted(value for name, value in vars(Action).items() if name.isupper())
CASE_ACTIONS = [a for a in ALL_ACTIONS if a != Action.REPORT]  # REPORT creates a case; it acts on none

# One persona per role and scope. The case under test is reported in grid 1 (the grid administrator's) and
# dispatched, when it is, to sanitation (the staff member's department).
PERSONAS = [
    "gridadmin",
    "other_gridadmin",
    "dispatcher",
    "staff",
    "other_staff",
    "supervisor",
    "resident",
    "outsider",
]
PERSONA_ROLES = {
    "gridadmin": {Role.GRID_ADMIN},
    "other_gridadmin": {Role.GRID_ADMIN},
    "dispatcher": {Role.DISPATCHER},
    "staff": {Role.DEPARTMENT_STAFF},
    "other_staff": {Role.DEPARTMENT_STAFF},
    "supervisor": {Role.SUPERVISOR},
    "resident": {Role.RESIDENT},
    "outsider": set(),
}

# --- The workflow as agreed, written out by hand: (state, action) → (next state, personas who may) ---
DISPATCHER, GRIDADMIN, STAFF = "dispatcher", "gridadmin", "staff"
_OPEN = (S.REPORTED, S.FILED, S.DISPATCHED, S.IN_PROGRESS, S.RETURNED, S.RESOLVED)
_HELD = (S.DISPATCHED, S.IN_PROGRESS)
AGREED: dict[tuple[str, str], tuple[str, set[str]]] = {
    (S.REPORTED, Action.FILE): (S.FILED, {DISPATCHER}),
    (S.REPORTED, Action.REJECT): (S.REJECTED, {DISPATCHER}),
    (S.FILED, Action.DISPATCH): (S.DISPATCHED, {DISPATCHER}),
    (S.RETURNED, Action.DISPATCH): (S.DISPATCHED, {DISPATCHER}),
    (S.DISPATCHED, Action.ACCEPT): (S.IN_PROGRESS, {STAFF}),
    (S.DISPATCHED, Action.RETURN): (S.RETURNED, {STAFF}),
    (S.IN_PROGRESS, Action.RETURN): (S.RETURNED, {STAFF}),
    (S.IN_PROGRESS, Action.RESOLVE): (S.RESOLVED, {STAFF}),
    (S.RESOLVED, Action.VERIFY_PASS): (S.CLOSED, {GRIDADMIN}),
    (S.RESOLVED, Action.VERIFY_DESK): (S.CLOSED, {DISPATCHER}),
    (S.RESOLVED, Action.DELEGATE_VERIFICATION): (S.RESOLVED, {GRIDADMIN, DISPATCHER}),
    (S.CLOSED, Action.CALLBACK): (S.CLOSED, {DISPATCHER}),
    **{(s, Action.PUBLICITY): (s, {DISPATCHER}) for s in S.values},
    # The public's steps are the system's, on a resident's behalf (the public site checks who): no persona.
    **{(s, Action.SUPPORT): (s, set()) for s in _OPEN},
    (S.CLOSED, Action.RATE): (S.CLOSED, set()),
    (S.CLOSED, Action.REOPEN): (S.DISPATCHED, {DISPATCHER}),
    (S.CLOSED, Action.REVIEW_KEEP): (S.CLOSED, {DISPATCHER}),
    (S.RESOLVED, Action.VERIFY_FAIL): (S.DISPATCHED, {GRIDADMIN, DISPATCHER}),
    **{(s, Action.REQUEST_EXTENSION): (s, {STAFF}) for s in _HELD},
    **{(s, Action.APPROVE_EXTENSION): (s, {DISPATCHER}) for s in _HELD},
    **{(s, Action.DENY_EXTENSION): (s, {DISPATCHER}) for s in _HELD},
    **{(s, Action.SUSPEND): (s, {DISPATCHER}) for s in _OPEN},
    **{(s, Action.RESUME): (s, {DISPATCHER}) for s in _OPEN},
}


def expected_by_agreement(state: str, action: str, persona: str):
    if (state, action) not in AGREED:
        return InvalidTransition
    next_state, personas = AGREED[(state, action)]
    return next_state if persona in personas else NotAllowed


def in_scope(world, persona: str, case) -> bool:
    """Whether the persona's roles reach this case (grid, department, own report) — policy's rules."""
    if persona in ("dispatcher", "supervisor"):
        return True
    if persona == "gridadmin":
        return case.grid_id in (world.g1.pk, world.g2.pk)
    if persona == "other_gridadmin":
        return case.grid_id == world.g3.pk
    if persona == "staff":
        return case.department_id == world.sanitation.pk
    if persona == "other_staff":
        return case.department_id == world.roads.pk
    if persona == "resident":
        return case.reporter_id == world.resident.pk
    return False


def expected_by_table(world, state: str, action: str, persona: str, case):
    transition = transition_for(state, action)
    if transition is None:
        return InvalidTransition
    if not PERSONA_ROLES[persona] & transition.roles or not in_scope(world, persona, case):
        return NotAllowed
    return transition.next_state or state


def needs(state: str, action: str) -> str:
    """What an action needs beyond the state: a pending extension request to decide, a suspension to end."""
    if (state, action) not in AGREED:
        return ""
    if action in (Action.APPROVE_EXTENSION, Action.DENY_EXTENSION):
        return "pending_extension"
    if action == Action.RESUME:
        return "suspended"
    if action == Action.CALLBACK:
        return "caller"
    return ""


def prepare(world, case, need: str):
    if need == "pending_extension":
        services.case_request_extension(case=case, actor=world.staff, minutes=120, reason="需要调集设备")
    elif need == "suspended":
        services.case_suspend(case=case, actor=world.dispatcher, reason="等待上级批复")
    elif need == "caller":  # a hotline case: someone to call back
        CaseCaller.objects.create(case=case, phone_encrypted=pii.encrypt("13800138000"), phone_hash="0" * 64)
    case.refresh_from_db()
    return case


# --- One world and one case per (state, need) for the whole module ---
# 832 matrix tests would spend most of their time building the same district, users and cases. They are
# built once, in a transaction rolled back when the module ends; every test runs in pytest-django's usual
# savepoint inside it, so each one starts from the same untouched cases.


@pytest.fixture(scope="module")
def _shared(django_db_setup, django_db_blocker):
    with django_db_blocker.unblock():
        outer = transaction.atomic()
        outer.__enter__()
        try:
            with override_settings(PASSWORD_HASHERS=["django.contrib.auth.hashers.MD5PasswordHasher"]):
                world = world_build()
            needs_by_state = {
                state: {"", *(needs(state, action) for action in CASE_ACTIONS)} for state in STATES
            }
            cases = {
                (state, need): prepare(world, drive(world, state), need).pk
                for state, wanted in needs_by_state.items()
                for need in wanted
            }
            yield world, cases
        finally:
            transaction.set_rollback(True)
            outer.__exit__(None, None, None)


@pytest.fixture
def world(db, _shared):
    """This module's world is the shared one (it overrides tests/conftest.py's fresh world per test)."""
    return _shared[0]


@pytest.fixture
def case_in(db, _shared):
    """case_in(state, need="") → a fresh copy of the prepared case in that state."""
    return lambda state, need="": Case.objects.get(pk=_shared[1][(state, need)])


def snapshot(case) -> tuple:
    case.refresh_from_db()
    return (
        case.state,
        case.version,
        case.department_id,
        case.deadline_at,
        case.suspended_at,
        CaseEvent.objects.filter(case=case).count(),
        ExtensionRequest.objects.filter(case=case, state=ExtensionRequest.State.PENDING).count(),
    )


def test_the_transition_table_is_the_agreed_workflow():
    table = {
        key: (t.next_state or key[0], {p for p in PERSONAS if PERSONA_ROLES[p] & t.roles})
        for key, t in TRANSITIONS.items()
        if key[0]  # reporting (no state yet) is tested on its own below
    }
    agreed_by_role = {
        # Scope aside, other_gridadmin holds the grid administrator's role and other_staff the staff role.
        key: (
            next_state,
            personas
            | ({"other_gridadmin"} if GRIDADMIN in personas else set())
            | ({"other_staff"} if STAFF in personas else set()),
        )
        for key, (next_state, personas) in AGREED.items()
    }
    assert table == agreed_by_role


def test_every_action_has_a_row_and_only_a_reopening_leaves_a_final_state():
    assert {action for _, action in TRANSITIONS} == set(ALL_ACTIONS)
    # A closed or rejected case stays so: what is recorded on it (the hotline's call back, the publicity
    # decision, the reporter's rating and its review) changes no state; only the dispatch center's reopening
    # sends a closed case back to its department.
    assert set(actions_from(S.CLOSED)) == {
        Action.CALLBACK,
        Action.PUBLICITY,
        Action.RATE,
        Action.REOPEN,
        Action.REVIEW_KEEP,
    }
    assert actions_from(S.REJECTED) == [Action.PUBLICITY]
    assert transition_for(S.CLOSED, Action.REOPEN).next_state == S.DISPATCHED
    for state in (S.CLOSED, S.REJECTED):
        assert all(
            transition_for(state, action).next_state is None
            for action in actions_from(state)
            if action != Action.REOPEN
        )
    assert set(services.ACTION_VERBS) == set(ALL_ACTIONS)


@pytest.mark.parametrize("persona", PERSONAS)
@pytest.mark.parametrize("action", CASE_ACTIONS)
@pytest.mark.parametrize("state", STATES)
def test_each_persona_can_do_exactly_what_the_workflow_allows(world, case_in, state, action, persona):
    case = case_in(state, needs(state, action))
    expected = expected_by_table(world, state, action, persona, case)
    assert expected == expected_by_agreement(state, action, persona), "the table disagrees with AGREED"
    before = snapshot(case)
    actor = getattr(world, persona)

    if isinstance(expected, str):
        act(world, case, action, actor)
        after = snapshot(case)
        assert case.state == expected
        assert case.version == before[1] + 1
        assert after[5] == before[5] + 1
        event = case.events.order_by("-seq").first()
        assert (event.action, event.from_state, event.to_state) == (action, state, expected)
        assert event.actor == actor and event.actor_role in PERSONA_ROLES[persona]
    else:
        with pytest.raises(expected) as raised:
            act(world, case, action, actor)
        assert raised.value.message  # a sentence the views can show
        assert snapshot(case) == before, "a refused action must write nothing"


def _succeeds(world, case, action: str, actor) -> bool:
    """Would the service do it? Tried in a savepoint that is always rolled back."""
    try:
        with transaction.atomic():
            act(world, Case.objects.get(pk=case.pk), action, actor)
            transaction.set_rollback(True)
    except DomainError:
        return False
    return True


PREPARED = sorted({(state, needs(state, action)) for state in STATES for action in CASE_ACTIONS})


@pytest.mark.parametrize("persona", PERSONAS)
@pytest.mark.parametrize("state, need", PREPARED)
def test_the_page_offers_exactly_the_actions_that_would_succeed(world, case_in, state, need, persona):
    case, actor = case_in(state, need), getattr(world, persona)
    offered = case_actions_for(actor, case)
    assert len(offered) == len(set(offered))
    assert set(offered) == {action for action in CASE_ACTIONS if _succeeds(world, case, action, actor)}


# --- Reporting: the one action with no case before it ---


def test_reporting_starts_every_case_and_nothing_else_does():
    assert all(transition_for(state, Action.REPORT) is None for state in STATES)
    assert transition_for("", Action.REPORT).next_state == S.REPORTED


@pytest.mark.parametrize(
    "persona, expected",
    [
        ("gridadmin", S.REPORTED),
        ("other_gridadmin", NotAllowed),  # grid 1 is not theirs
        ("dispatcher", S.REPORTED),
        ("staff", NotAllowed),
        ("other_staff", NotAllowed),
        ("supervisor", NotAllowed),
        ("resident", S.REPORTED),
        ("outsider", NotAllowed),
    ],
)
def test_each_persona_may_report_in_grid_one_or_not(world, persona, expected):
    transition = transition_for("", Action.REPORT)
    by_table = S.REPORTED if PERSONA_ROLES[persona] & transition.roles else NotAllowed
    if persona == "other_gridadmin":
        by_table = NotAllowed
    assert by_table == expected
    before = CaseEvent.objects.count()
    if expected == S.REPORTED:
        case = report(world, actor=getattr(world, persona))
        assert case.state == S.REPORTED and case.grid == world.g1 and case.reporter == getattr(world, persona)
        assert CaseEvent.objects.count() == before + 1
    else:
        with pytest.raises(NotAllowed):
            report(world, actor=getattr(world, persona))
        assert CaseEvent.objects.count() == before


# --- The main rules said out loud (they fail with a readable name if the table drifts) ---


def test_it_refuses_acceptance_by_a_dispatcher(world):
    case = drive(world, S.DISPATCHED)
    with pytest.raises(NotAllowed, match="only a department staff may accept"):
        services.case_accept(case=case, actor=world.dispatcher)


def test_it_refuses_dispatch_by_department_staff(world):
    case = drive(world, S.FILED)
    with pytest.raises(NotAllowed, match="only a dispatcher may dispatch"):
        services.case_dispatch(case=case, actor=world.staff, department=world.sanitation)


def test_it_rejects_dispatch_of_closed_case(world):
    case = drive(world, S.CLOSED)
    with pytest.raises(InvalidTransition, match="cannot dispatch a case that is closed"):
        services.case_dispatch(case=case, actor=world.dispatcher, department=world.roads)


def test_a_supervisor_can_do_nothing_in_any_state(world, case_in):
    for state in STATES:
        for action in actions_from(state):
            with pytest.raises(NotAllowed):
                act(world, case_in(state, needs(state, action)), action, world.supervisor)


def test_a_grid_administrator_verifies_only_in_their_own_grids(world):
    theirs = drive(world, S.RESOLVED)
    elsewhere = drive(world, S.RESOLVED, report(world, actor=world.other_gridadmin, grid=world.g3))
    with pytest.raises(NotAllowed, match="not in your grids"):
        services.case_verify_pass(case=elsewhere, actor=world.gridadmin, **evidence(elsewhere))
    with pytest.raises(NotAllowed, match="not in your grids"):
        services.case_verify_fail(
            case=elsewhere, actor=world.gridadmin, reason="没修好", **evidence(elsewhere)
        )
    assert services.case_verify_pass(case=theirs, actor=world.gridadmin, **evidence(theirs)).state == S.CLOSED
    assert (
        services.case_verify_pass(case=elsewhere, actor=world.other_gridadmin, **evidence(elsewhere)).state
        == S.CLOSED
    )


def test_staff_of_another_department_cannot_touch_the_case(world):
    case = drive(world, S.DISPATCHED)
    with pytest.raises(NotAllowed, match="not in your department"):
        services.case_accept(case=case, actor=world.other_staff)


def test_the_system_may_file_and_dispatch_but_not_handle(world):
    case = services.case_file(case=report(world), actor=None)
    case = services.case_dispatch(case=case, actor=None, department=world.sanitation)
    assert case.state == S.DISPATCHED
    assert case.events.order_by("-seq").first().actor_role == Role.SYSTEM
    with pytest.raises(NotAllowed):
        services.case_accept(case=case, actor=None)


def test_it_refuses_resume_of_a_case_that_is_not_suspended(world):
    case = drive(world, S.FILED)
    with pytest.raises(InvalidTransition, match="not suspended"):
        services.case_resume(case=case, actor=world.dispatcher)


def test_it_refuses_a_decision_when_no_extension_is_pending(world):
    case = drive(world, S.IN_PROGRESS)
    with pytest.raises(InvalidTransition, match="no pending extension"):
        services.case_approve_extension(case=case, actor=world.dispatcher)
    with pytest.raises(InvalidTransition, match="no pending extension"):
        services.case_deny_extension(case=case, actor=world.dispatcher, reason="理由不充分")
    assert not ExtensionRequest.objects.filter(case=case).exists()


def test_domain_errors_carry_the_status_the_views_answer_with():
    assert (NotAllowed.status, InvalidTransition.status) == (403, 409)
    assert issubclass(InvalidTransition, DomainError)
