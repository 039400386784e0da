"""Lists that tell the truth: "most urgent first" puts overdue cases before suspended ones, and a suspended
case shows its suspension (since when, why, what is left when resumed), never a countdown beside an old
deadline."""

import datetime as dt
import re

import pytest
from django.urls import reverse
from django.utils import timezone

from cases import selectors
from cases.models import Case, CaseState
from cases.ui import deadline_clock
from gridmgmt import clock, tasking

from .console import html, login
from .helpers import act, drive, report

S = CaseState
HOUR = dt.timedelta(hours=1)
DAY = dt.timedelta(days=1)


def _set_clock(case: Case, *, due: dt.datetime | None, warn: dt.datetime | None = None) -> Case:
    """Move a case's running deadline (the deadline arithmetic itself is tested in tests/worktime)."""
    Case.objects.filter(pk=case.pk).update(deadline_at=due, deadline_warn_at=warn)
    case.refresh_from_db()
    return case


def _suspended_weeks_ago(world, state: str, *, now, reason: str = "等待上级批复") -> Case:
    """A case parked three weeks ago through the services: the deadline it kept lies weeks in the past."""
    then = now - 21 * DAY
    with clock.frozen_at(then), tasking.suppressed():
        case = drive(world, state, report(world, grid=world.g2, at=then))
        case = act(world, case, "suspend", world.dispatcher, reason=reason)
    assert case.suspended_at == then and case.deadline_at < now - 14 * DAY
    return case


@pytest.fixture
def queue(world):
    """One department's cases in every clock state, made in an order that is not the urgent one."""
    now = clock.now()
    made = {}
    made["on_time_far"] = _set_clock(drive(world, S.DISPATCHED), due=now + 2 * DAY, warn=now + DAY)
    made["suspended"] = _suspended_weeks_ago(world, S.DISPATCHED, now=now)
    made["on_time_near"] = _set_clock(drive(world, S.IN_PROGRESS), due=now + 5 * HOUR, warn=now + 3 * HOUR)
    made["due_soon"] = _set_clock(drive(world, S.DISPATCHED), due=now + 6 * HOUR, warn=now - HOUR)
    made["overdue_1h"] = _set_clock(drive(world, S.DISPATCHED), due=now - HOUR, warn=now - 3 * HOUR)
    made["no_deadline"] = _set_clock(drive(world, S.DISPATCHED), due=None)
    made["overdue_3d"] = _set_clock(drive(world, S.IN_PROGRESS), due=now - 3 * DAY, warn=now - 4 * DAY)
    return made


URGENT_ORDER = [
    "overdue_3d",
    "overdue_1h",
    "due_soon",
    "on_time_near",
    "on_time_far",
    "suspended",
    "no_deadline",
]
STATUSES = ["overdue", "overdue", "warning", "ontime", "ontime", "suspended", "none"]


def _names(queue, cases) -> list[str]:
    by_pk = {case.pk: name for name, case in queue.items()}
    return [by_pk[case.pk] for case in cases if case.pk in by_pk]


def test_the_department_queue_puts_overdue_first_and_suspended_after_every_running_clock(world, queue):
    now = clock.now()
    cases = list(selectors.cases_department_queue(world.staff, now=now))
    assert _names(queue, cases) == URGENT_ORDER
    # The order is the badges' order: each row's clock status, as the page shows it.
    assert [deadline_clock(case, now).status for case in cases] == STATUSES


def test_the_department_queue_page_lists_its_cases_most_urgent_first(client, world, queue):
    login(client, world.staff)
    response = client.get(reverse("department-queue"))
    assert _names(queue, response.context["cases"]) == URGENT_ORDER
    by_pk = {case.pk: name for name, case in queue.items()}
    rows = [int(pk) for pk in re.findall(r'<tr data-case="(\d+)"', html(response))]
    assert [by_pk[pk] for pk in rows if pk in by_pk] == URGENT_ORDER


def test_priority_breaks_a_tie_between_equal_deadlines_only(world):
    now = clock.now()
    normal = _set_clock(drive(world, S.DISPATCHED), due=now + 5 * HOUR, warn=now + 4 * HOUR)
    urgent = _set_clock(drive(world, S.DISPATCHED), due=now + 5 * HOUR, warn=now + 4 * HOUR)
    later_urgent = _set_clock(drive(world, S.DISPATCHED), due=now + 9 * HOUR, warn=now + 8 * HOUR)
    overdue_normal = _set_clock(drive(world, S.DISPATCHED), due=now - HOUR, warn=now - 2 * HOUR)
    Case.objects.filter(pk__in=[urgent.pk, later_urgent.pk]).update(priority=Case.Priority.URGENT)
    order = [c.pk for c in selectors.cases_department_queue(world.staff, now=now)]
    assert order == [overdue_normal.pk, urgent.pk, normal.pk, later_urgent.pk]


def test_the_triage_queue_ranks_a_suspended_report_below_an_overdue_one(client, world):
    now = clock.now()
    suspended = _suspended_weeks_ago(world, S.FILED, now=now)
    Case.objects.filter(pk=suspended.pk).update(priority=Case.Priority.URGENT)
    on_time = _set_clock(report(world), due=now + 3 * HOUR, warn=now + 2 * HOUR)
    overdue = _set_clock(report(world), due=now - 3 * DAY, warn=now - 4 * DAY)
    login(client, world.dispatcher)
    rows = client.get(reverse("dispatch-queue")).context["rows"]
    assert [c.pk for c in rows] == [overdue.pk, on_time.pk, suspended.pk]


def test_the_verification_queue_and_the_grid_administrators_map_put_overdue_first(client, world):
    now = clock.now()
    suspended = _suspended_weeks_ago(world, S.RESOLVED, now=now)
    on_time = _set_clock(drive(world, S.RESOLVED), due=now + 3 * HOUR, warn=now + 2 * HOUR)
    overdue = _set_clock(drive(world, S.RESOLVED), due=now - 2 * DAY, warn=now - 3 * DAY)
    expected = [overdue.pk, on_time.pk, suspended.pk]
    login(client, world.gridadmin)
    page = client.get(reverse("verification-queue")).context["page"]
    assert [c.pk for c in page] == expected
    home = client.get(reverse("home"))
    assert [p["id"] for p in home.context["case_points"]] == expected
    assert [c.pk for c in home.context["to_verify"]] == expected


def test_search_and_the_case_map_offer_the_same_order(client, world, queue):
    login(client, world.dispatcher)
    response = client.get(reverse("case-search"), {"order": "urgent"})
    assert _names(queue, response.context["page"]) == URGENT_ORDER
    newest = client.get(reverse("case-search"))
    by_report = sorted(queue, key=lambda name: queue[name].reported_at, reverse=True)
    assert _names(queue, newest.context["page"]) == by_report  # newest first unless asked, as before
    case_map = client.get(reverse("dispatch-map"))
    assert _names(queue, case_map.context["cases"]) == URGENT_ORDER


# --- a suspended case shows its suspension -----------------------------------------------------------------


def _row(page: str, case: Case) -> str:
    match = re.search(rf'<tr data-case="{case.pk}">(.*?)</tr>', page, re.S)
    assert match, f"no row for {case.number}"
    return match[1]


def test_a_suspended_case_in_the_queue_says_since_when_and_why_and_what_is_left_when_resumed(client, world):
    now = clock.now()
    case = _suspended_weeks_ago(world, S.DISPATCHED, now=now, reason="等待上级批复")
    running = _set_clock(drive(world, S.DISPATCHED), due=now + 5 * HOUR, warn=now + 3 * HOUR)
    login(client, world.staff)
    page = html(client.get(reverse("department-queue")))
    row = _row(page, case)
    assert "clock-suspended" in row and "等待上级批复" in row
    assert "since " in row and "when resumed" in row
    # No countdown and no deadline weeks ago shown as if it were running.
    assert not re.search(r"\d+\s+\w+ left</span>", row.replace("left when resumed", ""))
    assert timezone.localtime(case.deadline_at).isoformat()[:10] not in row
    assert 'datetime="' not in row
    # A running case keeps its countdown and its due date.
    running_row = _row(page, running)
    assert "left" in running_row and "when resumed" not in running_row and 'datetime="' in running_row


def test_the_suspended_clock_is_in_the_page_language(client, world):
    case = _suspended_weeks_ago(world, S.DISPATCHED, now=clock.now(), reason="等待上级批复")
    login(client, world.staff, language="zh-hans")
    row = _row(html(client.get(reverse("department-queue"))), case)
    assert "when resumed" not in row and ">since " not in row
    assert "等待上级批复" in row and "恢复后剩余" in row and " 起</span>" in row


def test_the_case_page_of_a_suspended_case_shows_the_suspension_not_the_old_deadline(client, world):
    now = clock.now()
    case = _suspended_weeks_ago(world, S.DISPATCHED, now=now, reason="等待上级批复")
    login(client, world.dispatcher)
    page = html(client.get(reverse("case-detail", args=[case.pk])))
    clockbox = re.search(r'<section class="clockbox clockbox-suspended".*?</section>', page, re.S)
    assert clockbox, "no suspended clock box"
    box = clockbox[0]
    assert "等待上级批复" in box and "when resumed" in box
    # The page writes the moment in the site's time zone (its date differs from UTC's for eight hours a day).
    assert f'datetime="{timezone.localtime(case.suspended_at).isoformat()[:10]}' in box.replace(" ", "")
    assert "Due" not in box and "data-seconds-left" not in box


def test_the_clock_of_a_suspended_case_keeps_the_time_left_and_no_due_date(world):
    now = clock.now()
    case = selectors.case_get_for(world.dispatcher, _suspended_weeks_ago(world, S.DISPATCHED, now=now).pk)
    clk = deadline_clock(case, now)
    assert clk.status == "suspended" and clk.due_at is None
    assert clk.seconds_left == case.suspended_remaining_s > 0
    assert clk.suspension_reason == "等待上级批复" and clk.since
    assert clk.short.endswith("left when resumed") and clk.text == clk.short
