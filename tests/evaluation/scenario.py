"""A week of cases driven through the real services, whose evaluation figures are worked out by hand.

The week is Monday 2026-03-02 to Sunday 2026-03-08 (Nanchang time) on an office-hours default calendar:
Monday to Friday 08:30–12:00 and 14:00–17:30, no holidays. The waste category gives 240 working minutes
for handling and 120 for verification; the deadlines below follow from those.

- C1, g1, reported by gridadmin: sanitation, dispatched Mon 09:00 (due 15:00), fixed 11:00; verified
  14:30 (due 15:00). On time throughout.
- C2, g1, gridadmin: sanitation, dispatched Mon 09:30 (due 15:30), fixed Tue 10:00: late; verified
  Tue 15:00 (due 12:00): late.
- C3, g2, gridadmin: roads 10:10, returned 11:00; sanitation Mon 14:00 (due Tue 09:00), fixed 16:00;
  verified 17:00 (due Tue 09:00).
- C4, g3, other_gridadmin: roads Tue 09:10 (due 15:10), fixed 10:00; failed verification 11:00 (due
  12:00); rework due 17:00, fixed 15:00; verified Wed 09:00 (due Tue 17:00): late.
- C5, g1, gridadmin: rejected Mon 09:20 as a duplicate of C1.
- C6, g4, the dispatcher (hotline): sanitation Wed 09:10 (due 15:10), a 120-minute extension (due
  17:10), never fixed: overdue at the end of the week.
- C7, g2, gridadmin: roads Thu 09:10, suspended Thu 10:00 and never resumed: no deadline at the end of
  the week, so not due.
- C8, g3, other_gridadmin, the week before: sanitation Fri 02-27 09:10 (due 15:10); fixed Mon 09:00,
  verified 10:00 (due 11:00).
- C9, g4, the dispatcher: sanitation Fri 16:30, due the next Monday 11:30: outside the week.

Handling working minutes of the closed cases due in the week: C1 120 (09:00–11:00); C2 450 (Mon
09:30–12:00 150, 14:00–17:30 210, Tue 08:30–10:00 90); C3 120 (roads' span, ended by the return, does not
count); C4 50 + 120 = 170.
"""

import datetime as dt
from types import SimpleNamespace
from zoneinfo import ZoneInfo

from cases import services
from gridmgmt import clock, tasking

from ..cases.helpers import evidence
from ..factories import centre, work_calendar

LOCAL = ZoneInfo("Asia/Shanghai")
START, END = dt.date(2026, 3, 2), dt.date(2026, 3, 8)
AFTER = dt.datetime(2026, 3, 20, 12, 0, tzinfo=LOCAL)  # "now" for the evaluation: the week is over


def at(day: str, hhmm: str) -> dt.datetime:
    """at("03-02", "09:00") → 2026-03-02 09:00 in Nanchang."""
    month, dd = (int(part) for part in day.split("-"))
    hh, mm = (int(part) for part in hhmm.split(":"))
    return dt.datetime(2026, month, dd, hh, mm, tzinfo=LOCAL)


_ON_SITE_STEPS = (services.case_resolve, services.case_verify_pass, services.case_verify_fail)


class Driver:
    def __init__(self, world):
        self.w = world

    def __call__(self, when: dt.datetime, fn, *args, **kwargs):
        if fn in _ON_SITE_STEPS and kwargs["actor"] != self.w.dispatcher and "photos" not in kwargs:
            kwargs |= evidence(kwargs["case"])  # what the default evidence rules ask of the step
        with clock.frozen_at(when), tasking.suppressed():
            return fn(*args, **kwargs)

    def report(self, when, grid, actor, source="patrol"):
        lat, lng = centre(grid)
        return self(
            when,
            services.case_report,
            actor=actor,
            source=source,
            lat=lat,
            lng=lng,
            category=self.w.cats.waste,
            description="垃圾堆放",
        )

    def file_dispatch(self, case, when_file, when_dispatch, department):
        case = self(when_file, services.case_file, case=case, actor=self.w.dispatcher)
        return self(
            when_dispatch, services.case_dispatch, case=case, actor=self.w.dispatcher, department=department
        )

    def fix(self, case, when_accept, when_resolve, staff):
        case = self(when_accept, services.case_accept, case=case, actor=staff)
        return self(when_resolve, services.case_resolve, case=case, actor=staff, notes="已处理")


def build(world) -> SimpleNamespace:
    """Drive the nine cases on an office-hours default calendar; returns them by name."""
    work_calendar("office hours")
    w, go = world, Driver(world)
    san, roads = w.sanitation, w.roads

    c8 = go.report(at("02-27", "09:00"), w.g3, w.other_gridadmin)
    c8 = go.file_dispatch(c8, at("02-27", "09:05"), at("02-27", "09:10"), san)
    c8 = go.fix(c8, at("02-27", "09:20"), at("03-02", "09:00"), w.staff)
    c8 = go(at("03-02", "10:00"), services.case_verify_pass, case=c8, actor=w.other_gridadmin)

    c1 = go.report(at("03-02", "08:40"), w.g1, w.gridadmin)
    c1 = go.file_dispatch(c1, at("03-02", "08:50"), at("03-02", "09:00"), san)
    c1 = go.fix(c1, at("03-02", "09:10"), at("03-02", "11:00"), w.staff)
    c1 = go(at("03-02", "14:30"), services.case_verify_pass, case=c1, actor=w.gridadmin)

    c2 = go.report(at("03-02", "09:00"), w.g1, w.gridadmin)
    c2 = go.file_dispatch(c2, at("03-02", "09:05"), at("03-02", "09:30"), san)
    c2 = go.fix(c2, at("03-02", "09:40"), at("03-03", "10:00"), w.staff)
    c2 = go(at("03-03", "15:00"), services.case_verify_pass, case=c2, actor=w.gridadmin)

    c5 = go.report(at("03-02", "09:10"), w.g1, w.gridadmin)
    c5 = go(
        at("03-02", "09:20"),
        services.case_reject,
        case=c5,
        actor=w.dispatcher,
        reason="重复",
        duplicate_of=c1,
    )

    c3 = go.report(at("03-02", "10:00"), w.g2, w.gridadmin)
    c3 = go.file_dispatch(c3, at("03-02", "10:05"), at("03-02", "10:10"), roads)
    c3 = go(at("03-02", "11:00"), services.case_return, case=c3, actor=w.other_staff, reason="非本部门职责")
    c3 = go(at("03-02", "14:00"), services.case_dispatch, case=c3, actor=w.dispatcher, department=san)
    c3 = go.fix(c3, at("03-02", "14:10"), at("03-02", "16:00"), w.staff)
    c3 = go(at("03-02", "17:00"), services.case_verify_pass, case=c3, actor=w.gridadmin)

    c4 = go.report(at("03-03", "09:00"), w.g3, w.other_gridadmin)
    c4 = go.file_dispatch(c4, at("03-03", "09:05"), at("03-03", "09:10"), roads)
    c4 = go.fix(c4, at("03-03", "09:20"), at("03-03", "10:00"), w.other_staff)
    c4 = go(
        at("03-03", "11:00"), services.case_verify_fail, case=c4, actor=w.other_gridadmin, reason="仍有垃圾"
    )
    c4 = go.fix(c4, at("03-03", "11:10"), at("03-03", "15:00"), w.other_staff)
    c4 = go(at("03-04", "09:00"), services.case_verify_pass, case=c4, actor=w.other_gridadmin)

    c6 = go.report(at("03-04", "09:00"), w.g4, w.dispatcher, source="hotline")
    c6 = go.file_dispatch(c6, at("03-04", "09:05"), at("03-04", "09:10"), san)
    c6 = go(at("03-04", "09:20"), services.case_accept, case=c6, actor=w.staff)
    go(
        at("03-04", "09:30"),
        services.case_request_extension,
        case=c6,
        actor=w.staff,
        minutes=120,
        reason="需要调集设备",
    )
    c6 = go(at("03-04", "10:00"), services.case_approve_extension, case=c6, actor=w.dispatcher)

    c7 = go.report(at("03-05", "09:00"), w.g2, w.gridadmin)
    c7 = go.file_dispatch(c7, at("03-05", "09:05"), at("03-05", "09:10"), roads)
    c7 = go(at("03-05", "10:00"), services.case_suspend, case=c7, actor=w.dispatcher, reason="等待上级批复")

    c9 = go.report(at("03-06", "16:00"), w.g4, w.dispatcher, source="hotline")
    c9 = go.file_dispatch(c9, at("03-06", "16:10"), at("03-06", "16:30"), san)

    return SimpleNamespace(c1=c1, c2=c2, c3=c3, c4=c4, c5=c5, c6=c6, c7=c7, c8=c8, c9=c9)
