"""Deadline arithmetic for the stages of a case: how long each stage may take and when it is due.

Limits come from the case's category, in minutes of working time on the default work calendar
(worktime.hours), or of wall-clock time for categories handled around the clock (urgent hazards).
Warning and escalation points are shares of the same limit, counted the same way from the stage's start.
"""

import datetime as dt
from dataclasses import dataclass

from django.conf import settings

from .hours import Calendar, add_working_time, working_minutes_between
from .selectors import calendar_resolve

_STAGE_FIELD = {
    "filing": "filing_minutes",
    "dispatch": "dispatch_minutes",
    "handling": "handling_minutes",
    "verification": "verification_minutes",
}


def stage_limit_minutes(category, stage: str) -> int:
    return int(getattr(category, _STAGE_FIELD[stage]))


def deadline_after(
    start: dt.datetime, minutes: float, *, around_the_clock: bool = False, calendar: Calendar | None = None
) -> dt.datetime:
    """`minutes` after `start`: wall-clock minutes around the clock, else working minutes of `calendar`
    (None: the default work calendar)."""
    if around_the_clock:
        return start + dt.timedelta(minutes=minutes)
    return add_working_time(start, minutes, calendar_resolve(calendar))


def minutes_between(
    a: dt.datetime, b: dt.datetime, *, around_the_clock: bool = False, calendar: Calendar | None = None
) -> float:
    """The inverse of `deadline_after`: minutes of the same kind (working or wall-clock) from `a` to `b`."""
    if around_the_clock:
        return (b - a) / dt.timedelta(minutes=1)
    return working_minutes_between(a, b, calendar_resolve(calendar))


@dataclass(frozen=True)
class Clock:
    """The points of one running deadline."""

    started_at: dt.datetime
    warn_at: dt.datetime
    due_at: dt.datetime
    escalate_at: dt.datetime


def clock_for(
    start: dt.datetime,
    limit_minutes: float,
    *,
    around_the_clock: bool = False,
    calendar: Calendar | None = None,
) -> Clock:
    """Due `limit_minutes` after `start`; warning at a share of the limit, escalation at a multiple of it
    (both configurable), each counted from `start` in the same time (working or wall-clock) as the limit."""
    if not around_the_clock:
        calendar = calendar_resolve(calendar)  # once, not per point

    def after(minutes: float) -> dt.datetime:
        return deadline_after(start, minutes, around_the_clock=around_the_clock, calendar=calendar)

    return Clock(
        started_at=start,
        warn_at=after(limit_minutes * settings.DEADLINE_WARNING_SHARE),
        due_at=after(limit_minutes),
        escalate_at=after(limit_minutes * settings.DEADLINE_ESCALATION_SHARE),
    )


def stage_clock(category, stage: str, start: dt.datetime, *, calendar: Calendar | None = None) -> Clock:
    return clock_for(
        start,
        stage_limit_minutes(category, stage),
        around_the_clock=category.around_the_clock,
        calendar=calendar,
    )


def clock_extended(
    clock: Clock, minutes: float, *, around_the_clock: bool = False, calendar: Calendar | None = None
) -> Clock:
    """The clock of a limit `minutes` longer (an approved extension): the deadline moves by `minutes`, the
    warning and escalation points by their shares of them.

    Counting is additive (adding a then b equals adding a + b), so each point equals the one `clock_for`
    would compute from the start for the longer limit, also after a suspension moved the clock.
    """
    if not around_the_clock:
        calendar = calendar_resolve(calendar)

    def moved(point: dt.datetime, share: float) -> dt.datetime:
        return deadline_after(point, minutes * share, around_the_clock=around_the_clock, calendar=calendar)

    return Clock(
        started_at=clock.started_at,
        warn_at=moved(clock.warn_at, settings.DEADLINE_WARNING_SHARE),
        due_at=moved(clock.due_at, 1),
        escalate_at=moved(clock.escalate_at, settings.DEADLINE_ESCALATION_SHARE),
    )


def clock_resumed(
    clock: Clock,
    suspended_at: dt.datetime,
    resumed_at: dt.datetime,
    *,
    around_the_clock: bool = False,
    calendar: Calendar | None = None,
) -> Clock:
    """The clock after a suspension (挂账) from `suspended_at` to `resumed_at`: it never eats the limit.

    Each point still ahead when the clock stopped gets the (working) minutes it had left re-added from
    `resumed_at`; a point already passed stays where it was (its alert is history). The stage's start stays.
    """
    if not around_the_clock:
        calendar = calendar_resolve(calendar)

    def moved(point: dt.datetime) -> dt.datetime:
        left = minutes_between(suspended_at, point, around_the_clock=around_the_clock, calendar=calendar)
        if left <= 0:
            return point
        return deadline_after(resumed_at, left, around_the_clock=around_the_clock, calendar=calendar)

    return Clock(
        started_at=clock.started_at,
        warn_at=moved(clock.warn_at),
        due_at=moved(clock.due_at),
        escalate_at=moved(clock.escalate_at),
    )
