"""Deadline arithmetic for the stages of a case: how long each stage may take and when it is due.

Limits come from the case's category. Deadlines run in wall-clock time here; a work calendar (working
hours, holidays, make-up days) plugs in at `deadline_after` without changing any caller.
"""

import datetime as dt
from dataclasses import dataclass

from django.conf import settings

_STAGE_FIELD = {
    "filing": "filing_minutes",
    "dispatch": "dispatch_minutes",
    "handling": "handling_minutes",
    "verification": "verification_minutes",
}


def stage_limit_minutes(category, stage: str) -> int:
    return int(getattr(category, _STAGE_FIELD[stage]))


def deadline_after(start: dt.datetime, minutes: int, *, around_the_clock: bool = False) -> dt.datetime:
    return start + dt.timedelta(minutes=minutes)


@dataclass(frozen=True)
class Clock:
    """The points of one running deadline."""

    started_at: dt.datetime
    warn_at: dt.datetime
    due_at: dt.datetime
    escalate_at: dt.datetime


def clock_for(start: dt.datetime, due_at: dt.datetime) -> Clock:
    """Warning at a share of the limit, escalation at a multiple of it (both configurable)."""
    span = due_at - start
    return Clock(
        started_at=start,
        warn_at=start + span * settings.DEADLINE_WARNING_SHARE,
        due_at=due_at,
        escalate_at=start + span * settings.DEADLINE_ESCALATION_SHARE,
    )


def stage_clock(category, stage: str, start: dt.datetime) -> Clock:
    due = deadline_after(
        start, stage_limit_minutes(category, stage), around_the_clock=category.around_the_clock
    )
    return clock_for(start, due)
