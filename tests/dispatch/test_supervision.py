"""The supervision ladder (督办): an overdue case enters level 1, climbs a level when its time at one runs out
(in working time), stops at the top, never climbs while suspended, and each level is reached exactly once."""

import datetime as dt
import importlib
from zoneinfo import ZoneInfo

import pytest
from django.contrib.auth.models import Group

from cases import services as case_services
from cases.audit import chains_verify
from cases.models import Case, SupervisionLevel
from dispatch import sweeping
from dispatch.services import deadlines_enforce
from dispatch.supervision import supervision_sweep
from dispatch.tasks import supervision_sweep_task
from gridmgmt import clock, tasking
from gridmgmt.roles import Role
from notifications.models import Notification

from .. import factories
from ..cases.helpers import evidence
from ..conftest import requires_postgres
from ..support.racing import race
from .helpers import T0, report

# The waste category's handling limit is 240 minutes; the default work calendar of the test world runs
# around the clock. The shipped ladder: 8 h at level 1, 16 h at level 2, level 3 is the top.
DUE = 240
LEVEL_1_HOURS, LEVEL_2_HOURS = 8, 16
NOTHING = {"entered": 0, "climbed": 0}

_shipped = importlib.import_module("cases.migrations.0011_supervision_levels")


def ladder_ensure() -> list[SupervisionLevel]:
    """The shipped ladder (migration cases/0011): a transactional test that ran before emptied the table."""
    for rank, name, name_en, audience, minutes in _shipped.LEVELS:
        SupervisionLevel.objects.get_or_create(
            rank=rank,
            defaults={"name": name, "name_en": name_en, "audience": audience, "after_minutes": minutes},
        )
    return list(SupervisionLevel.objects.order_by("rank"))


@pytest.fixture(autouse=True)
def ladder(db, settings):
    settings.DEADLINE_WARNING_SHARE = 0.8
    settings.DEADLINE_ESCALATION_SHARE = 1.5
    settings.ADMINS = []
    return ladder_ensure()


def dispatched(world, *, at: dt.datetime = T0, category=None, department=None) -> Case:
    """A case reported, filed and dispatched (to sanitation) at `at`: its handling clock starts then."""
    case = report(world, at=at, category=category)
    with clock.frozen_at(at), tasking.suppressed():
        case = case_services.case_file(case=case, actor=world.dispatcher)
        return case_services.case_dispatch(
            case=case, actor=world.dispatcher, department=department or world.sanitation
        )


def sweep(at: dt.datetime) -> dict[str, int]:
    """What beat does every minute: the deadline sweep (which marks overdue), then the supervision sweep."""
    with tasking.suppressed():
        deadlines_enforce(now=at)
        return supervision_sweep(now=at)


def after(minutes: float = 0, *, hours: float = 0) -> dt.datetime:
    return T0 + dt.timedelta(minutes=minutes, hours=hours)


def supervise_events(case) -> list:
    return list(case.events.filter(action="supervise").order_by("seq"))


def recipients(case) -> list[str]:
    notices = Notification.objects.filter(case=case, kind="supervise")
    return sorted(notices.values_list("recipient", flat=True))


def test_nothing_happens_before_the_case_is_marked_overdue(world):
    case = dispatched(world)

    assert sweep(after(DUE - 1)) == NOTHING
    # Past the deadline but the overdue mark has not fired yet (the deadline sweep has not run): not yet.
    with tasking.suppressed():
        assert supervision_sweep(now=after(DUE + 1)) == NOTHING

    case.refresh_from_db()
    assert case.supervision_level == 0 and case.supervised_at is None and case.supervision_next_at is None
    assert supervise_events(case) == []


def test_an_overdue_case_enters_level_1_and_its_department_hears_of_it(world):
    case = dispatched(world)

    assert sweep(after(DUE)) == {"entered": 1, "climbed": 0}

    case.refresh_from_db()
    assert case.supervision_level == 1
    assert case.supervised_at == after(DUE)
    assert case.supervision_next_at == after(DUE, hours=LEVEL_1_HOURS)
    (event,) = supervise_events(case)
    assert event.actor_role == Role.SYSTEM and event.from_state == event.to_state == "dispatched"
    assert event.data == {
        "level": 1,
        "name": "部门负责人督办",
        "audience": "department",
        "department": "sanitation",
        "stage": "handling",
        "next_at": after(DUE, hours=LEVEL_1_HOURS).isoformat(),
    }
    assert recipients(case) == sorted([world.staff.email, world.sanitation.email])
    notice = Notification.objects.get(case=case, recipient=world.staff.email, kind="supervise")
    assert case.number in notice.subject and "部门负责人督办" in notice.subject


def test_it_climbs_when_the_time_at_a_level_runs_out_and_stops_at_the_top(world):
    case = dispatched(world)
    sweep(after(DUE))
    to_2 = after(DUE, hours=LEVEL_1_HOURS)
    to_3 = to_2 + dt.timedelta(hours=LEVEL_2_HOURS)

    assert sweep(to_2 - dt.timedelta(minutes=1)) == NOTHING
    assert sweep(to_2) == {"entered": 0, "climbed": 1}
    case.refresh_from_db()
    assert (case.supervision_level, case.supervised_at, case.supervision_next_at) == (2, to_2, to_3)

    assert sweep(to_3 - dt.timedelta(minutes=1)) == NOTHING
    assert sweep(to_3) == {"entered": 0, "climbed": 1}
    case.refresh_from_db()
    assert (case.supervision_level, case.supervised_at, case.supervision_next_at) == (3, to_3, None)

    # The top level has no next: a month later nothing more happens.
    assert sweep(to_3 + dt.timedelta(days=30)) == NOTHING
    events = supervise_events(case)
    assert [(e.data["level"], e.data["audience"], e.data["next_at"]) for e in events] == [
        (1, "department", to_2.isoformat()),
        (2, "supervisors", to_3.isoformat()),
        (3, "leaders", None),
    ]
    assert chains_verify() == (1, [])


def test_each_level_tells_its_own_audience(world, settings):
    settings.ADMINS = [("值班领导", "duty-leader@example.org")]
    second_supervisor = factories.user("supervisor2", roles=(Role.SUPERVISOR,))
    case = dispatched(world)
    to_2 = after(DUE, hours=LEVEL_1_HOURS)
    to_3 = to_2 + dt.timedelta(hours=LEVEL_2_HOURS)
    told = {}
    for level, at in ((1, after(DUE)), (2, to_2), (3, to_3)):
        before = set(Notification.objects.filter(case=case, kind="supervise").values_list("pk", flat=True))
        sweep(at)
        told[level] = sorted(
            Notification.objects.filter(case=case, kind="supervise")
            .exclude(pk__in=before)
            .values_list("recipient", flat=True)
        )

    assert told[1] == sorted([world.staff.email, world.sanitation.email])
    assert told[2] == sorted([world.supervisor.email, second_supervisor.email])
    # No leaders' group configured: the supervisors and the site's administrators.
    assert told[3] == sorted([world.supervisor.email, second_supervisor.email, "duty-leader@example.org"])


def test_the_leaders_group_hears_of_the_top_level_when_configured(world, settings):
    settings.SUPERVISION_LEADERS_GROUP = "district-leaders"
    leader = factories.user("leader")
    leader.groups.add(Group.objects.create(name="district-leaders"))
    case = dispatched(world)
    SupervisionLevel.objects.filter(rank__in=[1, 2]).update(after_minutes=1)

    sweep(after(DUE))
    sweep(after(DUE + 1))
    sweep(after(DUE + 2))

    case.refresh_from_db()
    assert case.supervision_level == 3
    level_3 = Notification.objects.filter(case=case, kind="supervise", subject__contains="区领导督办")
    assert sorted(level_3.values_list("recipient", flat=True)) == [leader.email]


def test_a_case_overdue_before_dispatch_puts_the_dispatch_center_on_level_1(world):
    case = report(world, at=T0)  # the filing clock: 30 minutes
    second_dispatcher = factories.user("dispatcher2", roles=(Role.DISPATCHER,))

    assert sweep(after(30)) == {"entered": 1, "climbed": 0}

    (event,) = supervise_events(case)
    assert event.data["department"] is None and event.data["stage"] == "filing"
    assert recipients(case) == sorted([world.dispatcher.email, second_dispatcher.email])


def test_the_time_at_a_level_is_counted_in_working_time(world):
    factories.work_calendar("office hours")  # Mon–Fri 08:30–12:00, 14:00–17:30, Asia/Shanghai
    shanghai = ZoneInfo("Asia/Shanghai")
    friday_4pm = dt.datetime(2026, 3, 6, 16, 0, tzinfo=shanghai)
    case = dispatched(world, at=friday_4pm)  # 240 working minutes: due Monday 11:00
    monday_11 = dt.datetime(2026, 3, 9, 11, 0, tzinfo=shanghai)
    assert case.deadline_at == monday_11

    sweep(monday_11)

    case.refresh_from_db()
    # 480 working minutes from Monday 11:00: 60 + 210 on Monday, 210 on Tuesday morning.
    assert case.supervision_next_at == dt.datetime(2026, 3, 10, 12, 0, tzinfo=shanghai)
    assert sweep(dt.datetime(2026, 3, 10, 11, 59, tzinfo=shanghai)) == NOTHING


def test_an_around_the_clock_category_climbs_on_the_wall_clock(world):
    factories.work_calendar("office hours")
    shanghai = ZoneInfo("Asia/Shanghai")
    friday_5pm = dt.datetime(2026, 3, 6, 17, 0, tzinfo=shanghai)
    case = dispatched(world, at=friday_5pm, category=world.cats.manhole, department=world.roads)  # 60 min

    sweep(friday_5pm + dt.timedelta(minutes=60))

    case.refresh_from_db()
    assert case.supervision_level == 1
    assert case.supervision_next_at == friday_5pm + dt.timedelta(minutes=60, hours=LEVEL_1_HOURS)


def test_a_suspended_case_neither_enters_nor_climbs(world):
    waiting = dispatched(world)
    supervised = dispatched(world)
    sweep(after(DUE))  # both enter level 1
    supervised.refresh_from_db()
    assert supervised.supervision_level == 1
    with clock.frozen_at(after(DUE + 5)):
        case_services.case_suspend(case=supervised, actor=world.dispatcher, reason="等待天气好转")
    fresh = dispatched(world, at=after(10))
    with clock.frozen_at(after(DUE + 6)):
        case_services.case_suspend(case=fresh, actor=world.dispatcher, reason="等待天气好转")

    assert sweep(after(DUE + 10, hours=LEVEL_1_HOURS * 10)) == {"entered": 0, "climbed": 1}  # `waiting` only

    supervised.refresh_from_db()
    fresh.refresh_from_db()
    waiting.refresh_from_db()
    assert supervised.supervision_level == 1 and len(supervise_events(supervised)) == 1
    assert fresh.supervision_level == 0 and supervise_events(fresh) == []
    assert waiting.supervision_level == 2


def test_an_extension_that_puts_the_deadline_ahead_ends_the_supervision(world):
    case = dispatched(world)
    sweep(after(DUE))
    with clock.frozen_at(after(DUE + 10)):
        case = case_services.case_accept(case=case, actor=world.staff)
        case_services.case_request_extension(case=case, actor=world.staff, minutes=60 * 24, reason="设备维修")
        case_services.case_approve_extension(case=case, actor=world.dispatcher)

    assert sweep(after(DUE, hours=LEVEL_1_HOURS)) == NOTHING
    case.refresh_from_db()
    assert case.supervision_level == 0 and case.supervision_next_at is None and case.overdue_at is None
    approved = case.events.get(action="approve_extension")
    assert approved.data["supervision_ended"] == 1


def test_a_closed_case_never_climbs_even_with_a_stale_next_level(world):
    case = dispatched(world)
    sweep(after(DUE))
    Case.objects.filter(pk=case.pk).update(state="closed")

    assert sweep(after(DUE, hours=LEVEL_1_HOURS * 3)) == NOTHING
    assert len(supervise_events(case)) == 1


def test_two_sweeps_in_a_row_reach_each_level_once(world):
    case = dispatched(world)

    runs = [sweep(after(DUE)) for _ in range(3)]

    assert [r["entered"] for r in runs] == [1, 0, 0]
    assert len(supervise_events(case)) == 1
    assert len(recipients(case)) == 2


def test_one_sweep_clears_a_backlog_larger_than_its_batch(world, monkeypatch):
    monkeypatch.setattr(sweeping, "DUE_BATCH", 2)
    monkeypatch.setattr(sweeping, "CHUNK", 1)
    cases = [dispatched(world) for _ in range(5)]

    assert sweep(after(DUE)) == {"entered": 5, "climbed": 0}
    assert sweep(after(DUE, hours=LEVEL_1_HOURS)) == {"entered": 0, "climbed": 5}

    assert all(len(supervise_events(case)) == 2 for case in cases)


def test_a_deactivated_level_is_stepped_over(world):
    SupervisionLevel.objects.filter(rank=2).update(is_active=False)
    case = dispatched(world)
    sweep(after(DUE))

    sweep(after(DUE, hours=LEVEL_1_HOURS))

    case.refresh_from_db()
    assert case.supervision_level == 3 and case.supervision_next_at is None
    assert [e.data["level"] for e in supervise_events(case)] == [1, 3]


def test_without_active_levels_nothing_is_supervised(world):
    SupervisionLevel.objects.update(is_active=False)
    case = dispatched(world)

    assert sweep(after(DUE)) == NOTHING
    case.refresh_from_db()
    assert case.supervision_level == 0


def test_the_task_sweeps_as_of_the_moment_it_is_given(world):
    case = dispatched(world)
    with tasking.suppressed():
        deadlines_enforce(now=after(DUE))
        result = supervision_sweep_task.apply(kwargs={"now": after(DUE).isoformat()})

    assert result.get() == {"entered": 1, "climbed": 0}
    case.refresh_from_db()
    assert case.supervised_at == after(DUE)


def test_the_task_refuses_a_moment_without_a_utc_offset():
    with pytest.raises(ValueError, match="UTC offset"):
        supervision_sweep_task.apply(kwargs={"now": "2026-03-02T09:00:00"}).get()


def test_the_case_moving_on_ends_its_supervision(world):
    case = dispatched(world)
    SupervisionLevel.objects.filter(rank=1).update(after_minutes=60)  # level 2 would come at DUE + 60
    sweep(after(DUE))
    with clock.frozen_at(after(DUE + 10)), tasking.suppressed():
        case = case_services.case_accept(case=case, actor=world.staff)
        case = case_services.case_resolve(case=case, actor=world.staff, notes="已清运", **evidence(case))

    case.refresh_from_db()
    assert case.supervision_level == 0 and case.supervision_next_at is None
    assert case.supervised_at == after(DUE)  # kept as history
    (resolve,) = case.events.filter(action="resolve")
    assert resolve.data["supervision_ended"] == 1
    # Its old level's time runs out before the new stage (verification, 120 minutes) is due: nothing climbs.
    assert sweep(after(DUE + 10 + 119)) == NOTHING
    # The new stage going overdue starts a supervision afresh, at level 1.
    assert sweep(after(DUE + 10 + 120)) == {"entered": 1, "climbed": 0}
    case.refresh_from_db()
    assert case.supervision_level == 1 and supervise_events(case)[-1].data["stage"] == "verification"


@requires_postgres
@pytest.mark.django_db(transaction=True)
def test_two_concurrent_sweeps_reach_each_level_once(world):
    ladder_ensure()
    cases = [dispatched(world, at=T0 + dt.timedelta(seconds=i)) for i in range(4)]
    with tasking.suppressed():
        deadlines_enforce(now=after(DUE + 1))

    for at in (after(DUE + 1), after(DUE + 1, hours=LEVEL_1_HOURS), after(DUE + 1, hours=24)):
        results = race(*[lambda at=at: supervision_sweep(now=at)] * 2)
        assert all(isinstance(r, dict) for r in results), results
        assert sum(r["entered"] + r["climbed"] for r in results) == len(cases), results

    for case in cases:
        case.refresh_from_db()
        assert case.supervision_level == 3
        assert [e.data["level"] for e in supervise_events(case)] == [1, 2, 3]
        # Level 1: the staff member and the department's address; 2 and 3: the supervisor (no leaders set).
        assert recipients(case) == sorted(
            [world.staff.email, world.sanitation.email] + [world.supervisor.email] * 2
        )
    assert chains_verify() == (len(cases), [])


def test_a_suspension_holds_the_climb_for_as_long_as_it_lasted(world):
    case = dispatched(world)
    sweep(after(DUE))
    case.refresh_from_db()
    next_level = case.supervision_next_at
    with clock.frozen_at(after(DUE + 10)):
        case = case_services.case_suspend(case=case, actor=world.dispatcher, reason="等待上级批复")
    with clock.frozen_at(after(DUE + 10, hours=30)):
        case = case_services.case_resume(case=case, actor=world.dispatcher)

    case.refresh_from_db()
    assert case.supervision_level == 1
    assert case.supervision_next_at == next_level + dt.timedelta(hours=30)
    assert sweep(next_level + dt.timedelta(hours=1)) == NOTHING  # the old time has passed: no climb yet
