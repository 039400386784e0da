"""Deadline enforcement (warning, overdue, escalation: each once per running deadline)."""

import datetime as dt
import threading
from dataclasses import astuple
from zoneinfo import ZoneInfo

import pytest
from django.db import connection

from cases import services as case_services
from cases.models import Case
from dispatch import sweeping
from dispatch.services import deadlines_enforce
from gridmgmt import clock, tasking
from gridmgmt.roles import Role
from notifications.models import Notification
from worktime.deadlines import clock_for

from .. import factories
from ..cases.helpers import evidence
from ..conftest import requires_postgres
from .helpers import T0, report

# The waste category's handling limit is 240 minutes; with the default shares (0.8 and 1.5) the warning
# falls at 192 minutes, the deadline at 240 and the escalation at 360.
WARN, DUE, ESCALATE = 192, 240, 360
NOTHING = {"deadline_warning": 0, "deadline_overdue": 0, "escalated": 0}
ALERTS = tuple(NOTHING)


@pytest.fixture(autouse=True)
def _default_shares(settings):
    settings.DEADLINE_WARNING_SHARE = 0.8
    settings.DEADLINE_ESCALATION_SHARE = 1.5


def _dispatched(world, *, at: dt.datetime = T0) -> Case:
    """A case reported, filed and dispatched to sanitation at `at`: its handling clock starts then."""
    case = report(world, at=at)
    with clock.frozen_at(at), tasking.suppressed():
        case = case_services.case_file(case=case, actor=world.dispatcher)
        return case_services.case_dispatch(case=case, actor=world.dispatcher, department=world.sanitation)


def _enforce(minutes: float) -> dict[str, int]:
    with clock.frozen_at(T0 + dt.timedelta(minutes=minutes)):
        return deadlines_enforce()


def _events(case, action: str) -> list:
    return list(case.events.filter(action=action).order_by("seq"))


def _recipients(case, kind: str) -> list[str]:
    return sorted(Notification.objects.filter(case=case, kind=kind).values_list("recipient", flat=True))


def _sanitation_recipients(world) -> list[str]:
    return [world.staff.email, world.sanitation.email]


def test_nothing_fires_before_the_warning_point(world):
    case = _dispatched(world)

    assert _enforce(WARN - 1) == NOTHING

    case.refresh_from_db()
    assert case.warned_at is case.overdue_at is case.escalated_at is None
    assert not case.events.filter(action__in=ALERTS).exists()
    assert not Notification.objects.filter(kind__in=ALERTS).exists()


def test_the_warning_fires_once_at_its_share_of_the_limit_and_tells_the_department(world):
    case = _dispatched(world)

    runs = [_enforce(WARN) for _ in range(3)]

    assert [r["deadline_warning"] for r in runs] == [1, 0, 0]
    assert runs[0] == {**NOTHING, "deadline_warning": 1}
    case.refresh_from_db()
    assert case.warned_at == T0 + dt.timedelta(minutes=WARN)
    (event,) = _events(case, "deadline_warning")
    assert event.actor_role == Role.SYSTEM and event.from_state == event.to_state == "dispatched"
    assert event.data["stage"] == "handling"
    assert event.data["deadline"] == (T0 + dt.timedelta(minutes=DUE)).isoformat()
    assert _recipients(case, "deadline_warning") == sorted(_sanitation_recipients(world))


def test_one_sweep_clears_a_backlog_larger_than_its_batch(world, monkeypatch):
    monkeypatch.setattr(sweeping, "DUE_BATCH", 2)
    monkeypatch.setattr(sweeping, "CHUNK", 1)
    cases = [_dispatched(world) for _ in range(5)]

    assert _enforce(WARN)["deadline_warning"] == 5

    assert all(len(_events(case, "deadline_warning")) == 1 for case in cases)


def test_the_warning_point_follows_the_configured_share(world, settings):
    settings.DEADLINE_WARNING_SHARE = 0.5
    case = _dispatched(world)

    assert _enforce(119)["deadline_warning"] == 0
    assert _enforce(120)["deadline_warning"] == 1
    assert len(_events(case, "deadline_warning")) == 1


def test_the_overdue_mark_fires_once_and_tells_the_department_and_the_dispatch_center(world):
    case = _dispatched(world)
    second_dispatcher = factories.user("dispatcher2", roles=(Role.DISPATCHER,))

    runs = [_enforce(DUE) for _ in range(3)]

    assert [r["deadline_overdue"] for r in runs] == [1, 0, 0]
    case.refresh_from_db()
    assert case.overdue_at == T0 + dt.timedelta(minutes=DUE) and case.escalated_at is None
    assert len(_events(case, "deadline_overdue")) == 1
    assert len(_events(case, "deadline_warning")) == 1  # a late run still records the missed warning once
    assert _recipients(case, "deadline_overdue") == sorted(
        [*_sanitation_recipients(world), world.dispatcher.email, second_dispatcher.email]
    )


def test_the_escalation_fires_once_and_tells_every_supervisor(world):
    case = _dispatched(world)
    second_supervisor = factories.user("supervisor2", roles=(Role.SUPERVISOR,))

    assert _enforce(ESCALATE - 1)["escalated"] == 0
    runs = [_enforce(ESCALATE) for _ in range(3)]

    assert [r["escalated"] for r in runs] == [1, 0, 0]
    case.refresh_from_db()
    assert case.escalated_at == T0 + dt.timedelta(minutes=ESCALATE)
    assert [len(_events(case, action)) for action in ALERTS] == [1, 1, 1]
    assert _recipients(case, "escalated") == sorted([world.supervisor.email, second_supervisor.email])


def test_a_warning_before_dispatch_goes_to_the_dispatch_center(world):
    case = report(world, at=T0)  # the filing clock: 30 minutes, so the warning is due at 24

    assert _enforce(24)["deadline_warning"] == 1

    assert _recipients(case, "deadline_warning") == [world.dispatcher.email]


def test_a_suspended_case_fires_nothing(world):
    case = _dispatched(world)
    with clock.frozen_at(T0 + dt.timedelta(minutes=10)):
        case_services.case_suspend(case=case, actor=world.dispatcher, reason="等待天气好转")

    assert _enforce(ESCALATE * 10) == NOTHING
    assert not case.events.filter(action__in=ALERTS).exists()


def test_a_closed_case_fires_nothing(world):
    case = _dispatched(world)
    with clock.frozen_at(T0 + dt.timedelta(minutes=30)), tasking.suppressed():
        case = case_services.case_accept(case=case, actor=world.staff)
        case = case_services.case_resolve(case=case, actor=world.staff, notes="已清运", **evidence(case))
        case = case_services.case_verify_pass(case=case, actor=world.gridadmin, **evidence(case))
    # Even with stale alert points left behind, the state alone must stop enforcement.
    Case.objects.filter(pk=case.pk).update(
        deadline_warn_at=T0, deadline_at=T0, deadline_escalate_at=T0, deadline_stage="handling"
    )

    assert _enforce(ESCALATE * 10) == NOTHING
    assert not case.events.filter(action__in=ALERTS).exists()


def test_an_approved_extension_lets_the_alerts_fire_again_for_the_new_deadline(world):
    case = _dispatched(world)
    assert _enforce(DUE)["deadline_overdue"] == 1
    with clock.frozen_at(T0 + dt.timedelta(minutes=DUE + 10)):
        case_services.case_request_extension(case=case, actor=world.staff, minutes=120, reason="设备维修")
        case = case_services.case_approve_extension(case=case, actor=world.dispatcher)
    # New limit 360 minutes from the same start: warning 288, deadline 360, escalation 540.
    assert case.deadline_at == T0 + dt.timedelta(minutes=360)
    assert case.warned_at is None and case.overdue_at is None

    assert _enforce(300) == {**NOTHING, "deadline_warning": 1}
    assert _enforce(359)["deadline_overdue"] == 0
    assert [_enforce(360)["deadline_overdue"] for _ in range(2)] == [1, 0]

    overdue = _events(case, "deadline_overdue")
    assert [e.data["deadline"] for e in overdue] == [
        (T0 + dt.timedelta(minutes=DUE)).isoformat(),
        (T0 + dt.timedelta(minutes=360)).isoformat(),
    ]
    assert len(_events(case, "deadline_warning")) == 2


def test_enforcement_leaves_the_audit_chain_intact(world):
    from cases.audit import chains_verify

    _dispatched(world)
    _enforce(ESCALATE)

    assert chains_verify() == (1, [])


@requires_postgres
@pytest.mark.django_db(transaction=True)
def test_two_concurrent_enforcers_fire_each_alert_once(world):
    cases = [_dispatched(world, at=T0 + dt.timedelta(seconds=i)) for i in range(3)]
    start = threading.Barrier(2)
    results: list[dict] = []
    errors: list[BaseException] = []

    def enforcer():
        try:
            with tasking.suppressed():  # thread-local: publish nothing from this thread either
                start.wait(timeout=10)
                results.append(deadlines_enforce(now=T0 + dt.timedelta(minutes=ESCALATE + 1)))
        except BaseException as exc:  # noqa: BLE001 - reported by the assertion below
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=enforcer) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=30)

    assert errors == []
    assert {action: sum(r[action] for r in results) for action in ALERTS} == dict.fromkeys(ALERTS, 3)
    for case in cases:
        assert [len(_events(case, action)) for action in ALERTS] == [1, 1, 1]
        assert _recipients(case, "escalated") == [world.supervisor.email]


# --- in working time (the office-hours calendar: Mon–Fri 08:30–12:00, 14:00–17:30) ---

SHANGHAI = ZoneInfo("Asia/Shanghai")


def sh(day: str, time: str) -> dt.datetime:
    """A Nanchang wall time in March 2026 (2 March is a Monday)."""
    return dt.datetime.fromisoformat(f"2026-03-{day}T{time}").replace(tzinfo=SHANGHAI)


def _points(case) -> tuple:
    case.refresh_from_db()
    return case.deadline_warn_at, case.deadline_at, case.deadline_escalate_at


@pytest.fixture
def office(world):
    return factories.work_calendar("office hours")


def test_the_points_of_a_deadline_are_counted_in_working_time(world, office):
    case = _dispatched(world, at=sh("06", "16:00"))  # Friday: 90 working minutes left that day

    # 240 minutes: 90 on Friday, 150 on Monday; warning at 192, escalation at 360.
    assert _points(case) == (sh("09", "10:12"), sh("09", "11:00"), sh("09", "15:00"))
    with clock.frozen_at(sh("09", "10:11")):
        assert deadlines_enforce() == NOTHING  # a weekend in between changes nothing
    with clock.frozen_at(sh("09", "10:12")):
        assert deadlines_enforce() == {**NOTHING, "deadline_warning": 1}


def test_an_around_the_clock_category_ignores_the_calendar(world, office):
    case = report(world, category=world.cats.manhole, at=sh("06", "17:00"))
    with clock.frozen_at(sh("06", "17:00")), tasking.suppressed():
        case = case_services.case_file(case=case, actor=world.dispatcher)
        case = case_services.case_dispatch(case=case, actor=world.dispatcher, department=world.roads)

    # 60 minutes on the wall clock on a Friday evening: warning at 48, escalation at 90.
    assert _points(case) == (sh("06", "17:48"), sh("06", "18:00"), sh("06", "18:30"))


def test_an_extension_adds_working_minutes_and_moves_every_point(world, office):
    start = sh("06", "14:00")  # Friday: 210 working minutes left that day
    case = _dispatched(world, at=start)
    assert _points(case) == (sh("06", "17:12"), sh("09", "09:00"), sh("09", "11:00"))
    with clock.frozen_at(sh("06", "17:20")):
        case = case_services.case_accept(case=case, actor=world.staff)
        case_services.case_request_extension(case=case, actor=world.staff, minutes=120, reason="设备维修")
        case = case_services.case_approve_extension(case=case, actor=world.dispatcher)

    # As if the limit had been 360 from the start: warning at 288, deadline 360, escalation at 540.
    assert _points(case) == (sh("09", "09:48"), sh("09", "11:00"), sh("09", "16:00"))
    assert _points(case) == astuple(clock_for(start, 360))[1:]
    assert case.deadline_started_at == start
    (event,) = _events(case, "approve_extension")
    assert event.data["previous_deadline"] == sh("09", "09:00").astimezone(dt.UTC).isoformat()
    assert dt.datetime.fromisoformat(event.data["deadline"]) == sh("09", "11:00")


def test_a_resumed_case_gets_its_remaining_working_time_from_the_resume(world, office):
    case = _dispatched(world, at=sh("06", "16:00"))  # due Monday 11:00 (see above)
    with clock.frozen_at(sh("06", "16:30")):
        case = case_services.case_suspend(case=case, actor=world.dispatcher, reason="等待上级批复")
    assert case.suspended_remaining_s == 210 * 60  # 60 on Friday + 150 on Monday, in working time

    with clock.frozen_at(sh("10", "10:00")):  # Tuesday
        case = case_services.case_resume(case=case, actor=world.dispatcher, note="已批复")

    # Left at suspension: 162 to the warning, 210 to the deadline, 330 to the escalation; counted from
    # Tuesday 10:00 (the escalation lands exactly at closing time).
    assert _points(case) == (sh("10", "14:42"), sh("10", "15:30"), sh("10", "17:30"))
    assert case.deadline_started_at == sh("06", "16:00")
    (event,) = _events(case, "resume")
    assert event.data["previous_deadline"] == sh("09", "11:00").astimezone(dt.UTC).isoformat()
    assert dt.datetime.fromisoformat(event.data["deadline"]) == sh("10", "15:30")
    with clock.frozen_at(sh("10", "15:30")):
        assert deadlines_enforce() == {**NOTHING, "deadline_warning": 1, "deadline_overdue": 1}


def test_points_passed_before_a_suspension_stay_where_they_were(world, office):
    case = _dispatched(world, at=sh("02", "09:00"))  # Monday: warning 14:12, due 15:00, escalation 17:00
    assert _points(case) == (sh("02", "14:12"), sh("02", "15:00"), sh("02", "17:00"))
    with clock.frozen_at(sh("02", "16:00")):
        case = case_services.case_suspend(case=case, actor=world.dispatcher, reason="等待上级批复")
    assert case.suspended_remaining_s == 0
    with clock.frozen_at(sh("03", "09:00")):
        case = case_services.case_resume(case=case, actor=world.dispatcher)

    # Overdue since Monday 15:00 stays the truth; the escalation had 60 working minutes to go.
    assert _points(case) == (sh("02", "14:12"), sh("02", "15:00"), sh("03", "10:00"))


def test_an_extension_while_suspended_is_there_on_resume(world, office):
    case = _dispatched(world, at=sh("02", "09:00"))  # due Monday 15:00
    with clock.frozen_at(sh("02", "10:00")):
        case = case_services.case_accept(case=case, actor=world.staff)
        case = case_services.case_suspend(case=case, actor=world.dispatcher, reason="等待上级批复")
        case_services.case_request_extension(case=case, actor=world.staff, minutes=60, reason="材料未到")
        case = case_services.case_approve_extension(case=case, actor=world.dispatcher)
    assert case.suspended_remaining_s == (120 + 60 + 60) * 60  # 10:00–12:00, 14:00–15:00, the extension
    with clock.frozen_at(sh("03", "08:30")):
        case = case_services.case_resume(case=case, actor=world.dispatcher)

    assert case.deadline_at == sh("03", "14:30")  # 210 minutes before lunch, 30 after
