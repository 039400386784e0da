"""The supervision ladder (督办): an overdue case enters the first level, climbs one level each time its
time at a level runs out, and every level reached is appended to the case's chain and told to that level's
audience.

`supervision_sweep` (beat, every minute, through `dispatch.tasks.supervision_sweep_task`) is idempotent like
the deadline sweep: each level is reached exactly once, whichever of two sweeps gets there first. A case
leaves the ladder when its stage moves on (cases.services ends the supervision with that transition); a
suspended case, or one no longer overdue (an approved extension moved its deadline ahead), stays where it is.

`Case.supervised_at` is when the case reached its current level (kept after the end, as history);
`Case.supervision_next_at` when it reaches the next one (None at the top of the ladder and after the end).
"""

import datetime as dt
import time
from collections import defaultdict
from dataclasses import dataclass

from django.conf import settings
from django.contrib.auth import get_user_model
from django.db import transaction
from django.utils.functional import lazy
from django.utils.translation import get_language, gettext_noop
from django.utils.translation import gettext_lazy as _

from cases.audit import events_append_system
from cases.models import Case, SupervisionLevel
from cases.words import STAGE_WORDS, category_name
from cases.workflow import SUPERVISE
from departments.selectors import department_recipients
from gridmgmt import clock
from gridmgmt.messages import Message, local_datetime
from gridmgmt.roles import Role
from notifications.selectors import emails_of, role_recipients
from notifications.services import notifications_queue
from worktime.deadlines import deadline_after

from .selectors import (
    cases_supervision_due,
    cases_supervision_entering,
    supervision_due_q,
    supervision_entering_q,
    supervision_levels,
)
from .sweeping import SWEEP_BUDGET_SECONDS, sweep_due

Audience = SupervisionLevel.Audience

# Who must act at a level, inside a sentence ("… must act"); a department's audience is named by the
# department itself (the dispatch center while no department holds the case).
AUDIENCE_WORDS = {
    Audience.DEPARTMENT: _("the department"),
    Audience.SUPERVISORS: _("the district supervisors"),
    Audience.LEADERS: _("the district leaders"),
}
DISPATCH_CENTER = _("the dispatch center")


def _level_name(level: SupervisionLevel) -> str:
    if (get_language() or "").startswith("en") and level.name_en:
        return level.name_en
    return level.name


# A level's name in the language active when it is shown (its English name where the ladder has one).
level_name = lazy(_level_name, str)


def _who_must_act(case: Case, audience: str) -> str:
    if audience == Audience.DEPARTMENT:
        return case.department.name if case.department_id else str(DISPATCH_CENTER)
    return str(AUDIENCE_WORDS.get(audience, audience))


# Who must act at a level about this case, in the language active when it is shown.
who_must_act = lazy(_who_must_act, str)


@dataclass(frozen=True)
class Ladder:
    """The active levels, lowest rank first."""

    levels: tuple[SupervisionLevel, ...]

    def first(self) -> SupervisionLevel | None:
        return self.levels[0] if self.levels else None

    def at(self, rank: int) -> SupervisionLevel | None:
        return next((level for level in self.levels if level.rank == rank), None)

    def above(self, rank: int) -> SupervisionLevel | None:
        """The next active level after `rank` (a deactivated rank is stepped over), None at the top."""
        return next((level for level in self.levels if level.rank > rank), None)


def supervision_ladder() -> Ladder:
    return Ladder(tuple(supervision_levels()))


def supervision_next_at(
    *, ladder: Ladder, level: SupervisionLevel, reached_at: dt.datetime, around_the_clock: bool
) -> dt.datetime | None:
    """When a case that reached `level` at `reached_at` climbs to the next one: `level.after_minutes` later,
    in working time unless its category is handled around the clock (as its deadlines are); None at the
    top."""
    if ladder.above(level.rank) is None:
        return None
    return deadline_after(reached_at, level.after_minutes, around_the_clock=around_the_clock)


def leaders_recipients() -> list[str]:
    """The district leaders' office: the active users of the group `settings.SUPERVISION_LEADERS_GROUP`
    names; while it names none (or nobody in it has an address), the supervisors and `settings.ADMINS`, so
    the top of the ladder is never told to nobody."""
    group = getattr(settings, "SUPERVISION_LEADERS_GROUP", "")
    if group:
        emails = emails_of(get_user_model().objects.filter(is_active=True, groups__name=group))
        if emails:
            return emails
    return role_recipients(Role.SUPERVISOR) + [email for _name, email in settings.ADMINS]


class _Recipients:
    """Who hears of a level reached, looked up once per department and audience per sweep."""

    def __init__(self):
        self._found: dict[tuple, list[str]] = {}

    def of(self, case: Case, level: SupervisionLevel) -> list[str]:
        if level.audience == Audience.DEPARTMENT:
            key: tuple = (level.audience, case.department_id)
            if key not in self._found:
                self._found[key] = department_recipients(case.department)  # the dispatchers when None
        else:
            key = (level.audience,)
            if key not in self._found:
                if level.audience == Audience.SUPERVISORS:
                    self._found[key] = role_recipients(Role.SUPERVISOR)
                else:
                    self._found[key] = leaders_recipients()
        return self._found[key]


def supervision_sweep(*, now: dt.datetime | None = None, case_ids: list[int] | None = None) -> dict[str, int]:
    """Put newly overdue cases on the first level and move those whose time at a level ran out one level up;
    returns how many cases {"entered", "climbed"}. One level per case per batch, never skipped. `case_ids`
    limits the sweep to those cases (a replay of the past, as the demo's, must not reach a case before its
    own history does)."""
    now = now or clock.now()
    ladder = supervision_ladder()
    reached = {"entered": 0, "climbed": 0}
    if ladder.first() is None:  # no active level: supervision is switched off
        return reached
    recipients = _Recipients()
    budget_ends = time.monotonic() + SWEEP_BUDGET_SECONDS
    for kind, read in (("entered", cases_supervision_entering), ("climbed", cases_supervision_due)):
        reached[kind] = sweep_due(
            lambda limit, read=read: read(now=now, limit=limit, case_ids=case_ids),
            lambda ids, kind=kind: _levels_reach(
                case_ids=ids, entering=kind == "entered", ladder=ladder, recipients=recipients, now=now
            ),
            budget_ends=budget_ends,
        )
    return reached


def _levels_reach(
    *, case_ids: list[int], entering: bool, ladder: Ladder, recipients: _Recipients, now: dt.datetime
) -> int:
    """Move those of `case_ids` still due once locked one level up (onto the first level when `entering`);
    returns how many moved."""
    if not case_ids:
        return 0
    due = supervision_entering_q(now) if entering else supervision_due_q(now)
    with transaction.atomic():
        # Locked in id order, the due condition re-checked by PostgreSQL on a row it had to wait for (as
        # dispatch.services._alerts_fire): a case another sweeper has just moved up, or that moved on, drops
        # out here, so each level is reached once. of=("self",): the department join is nullable.
        cases = list(
            Case.objects.select_for_update(of=("self",))
            .select_related("department", "category")
            .filter(due, pk__in=case_ids)
            .order_by("pk")
        )
        groups: dict[tuple[int, bool], list[Case]] = defaultdict(list)
        stranded = []
        for case in cases:
            level = ladder.first() if entering else ladder.above(case.supervision_level)
            if level is None:  # its next level was deactivated meanwhile: it stays at the top
                stranded.append(case.pk)
            else:
                groups[(level.rank, case.category.around_the_clock)].append(case)
        if stranded:
            Case.objects.filter(pk__in=stranded).update(supervision_next_at=None)
        notices = []
        for (rank, around_the_clock), group in groups.items():
            level = ladder.at(rank)
            next_at = supervision_next_at(
                ladder=ladder, level=level, reached_at=now, around_the_clock=around_the_clock
            )
            reached = {"supervision_level": rank, "supervised_at": now, "supervision_next_at": next_at}
            for case in group:
                for name, value in reached.items():
                    setattr(case, name, value)
            # The level is written with the chain heads: one UPDATE of the group's locked rows.
            events_append_system(
                cases=group,
                action=SUPERVISE,
                at=now,
                data_for=lambda case, level=level, next_at=next_at: _event_data(case, level, next_at),
                also=reached,
            )
            notices += [(case, recipients.of(case, level), *_notice(case, level, ladder)) for case in group]
        notifications_queue(kind=SUPERVISE, notices=notices)
    return sum(len(group) for group in groups.values())


def _event_data(case: Case, level: SupervisionLevel, next_at: dt.datetime | None) -> dict:
    return {
        "level": level.rank,
        "name": level.name,
        "audience": level.audience,
        "department": case.department.code if case.department_id else None,
        "stage": case.deadline_stage,
        "next_at": next_at.isoformat() if next_at else None,
    }


def _notice(case: Case, level: SupervisionLevel, ladder: Ladder) -> tuple[Message, Message]:
    """The subject and body of the notice of `level` reached."""
    subject = Message(
        gettext_noop("Case %(number)s under supervision: %(level)s"),
        number=case.number,
        level=level_name(level),
    )
    params = {
        "category": category_name(case.category),
        "description": case.description,
        "stage": STAGE_WORDS.get(case.deadline_stage, case.deadline_stage),
        "due": local_datetime(case.deadline_at),
        "who": who_must_act(case, level.audience),
    }
    upper = ladder.above(level.rank)
    if upper is None:
        body = Message(
            gettext_noop(
                "%(category)s: %(description)s\n%(stage)s was due %(due)s; %(who)s must act. This is the"
                " highest level of supervision."
            ),
            **params,
        )
    else:
        body = Message(
            gettext_noop(
                "%(category)s: %(description)s\n%(stage)s was due %(due)s; %(who)s must act. Unless the case"
                " moves on, it goes up to %(next_level)s at %(next_at)s."
            ),
            next_level=level_name(upper),
            next_at=local_datetime(case.supervision_next_at),
            **params,
        )
    return subject, body


# --- what pages show ----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class SupervisionState:
    """Where a case stands on the ladder, for its banner and the supervision list."""

    case: Case
    rank: int
    name: str  # the level's name in the active language
    who_must_act: str
    since: dt.datetime | None
    next_at: dt.datetime | None
    next_name: str  # "" at the top


def _levels_by_rank(levels) -> dict[int, SupervisionLevel]:
    return {level.rank: level for level in levels}


def supervision_state(
    case: Case, *, levels: dict[int, SupervisionLevel] | None = None
) -> SupervisionState | None:
    """`case`'s place on the ladder, or None when it is not under supervision. `levels` ({rank: level}, all
    of them: a case may stand on a level deactivated since) saves the query when showing many cases."""
    if not case.supervision_level:
        return None
    if levels is None:
        levels = _levels_by_rank(SupervisionLevel.objects.all())
    level = levels.get(case.supervision_level)
    upper = next(
        (levels[rank] for rank in sorted(levels) if rank > case.supervision_level and levels[rank].is_active),
        None,
    )
    return SupervisionState(
        case=case,
        rank=case.supervision_level,
        name=level_name(level) if level else str(case.supervision_level),
        who_must_act=who_must_act(case, level.audience if level else Audience.DEPARTMENT),
        since=case.supervised_at,
        next_at=case.supervision_next_at,
        next_name=level_name(upper) if upper and case.supervision_next_at else "",
    )


def supervision_states(cases, levels) -> list[SupervisionState]:
    """`supervision_state` of many cases, with the levels read once by the caller."""
    by_rank = _levels_by_rank(levels)
    return [state for case in cases if (state := supervision_state(case, levels=by_rank)) is not None]
