"""Evaluation indicators (综合评价) of departments, grids, communities, streets and grid administrators.

Every figure is computed from the case history itself (the hash-chained ``CaseEvent`` rows and the cases
they belong to), by replaying each case's events in order, so the figures agree with the timelines people
see. Deadlines are read from the events that set them (``stage`` and ``deadline`` in the event data, written
by ``cases.services``), never recomputed under today's limits and calendar.

Periods
    A period is a range of local dates, both inclusive: ``[start 00:00, end + 1 day 00:00)`` in
    ``settings.TIME_ZONE``. Its figures are **as of** the end of the period, or of now while it is still
    running: only events before that moment are read, so the figures of a past period never change.

Counts of what happened in the period (events inside it)
    - ``reported``: cases reported.
    - ``rejected``: of the cases reported in the period, those rejected (invalid or duplicate) by as-of.
    - ``filed``: cases filed (立案).
    - ``dispatched``: dispatches, re-dispatches after a return included (a rework is not a dispatch).
    - ``returned``: returns by a department ("not our responsibility", 回退).
    - ``resolved``: fixes reported by a department (a fix after a rework counts again).
    - ``reworked``: verifications that failed, sending the case back to its department (返工), and closed
      cases the dispatch center reopened for rework after reviewing the reporter's rating.
    - ``extensions``: extensions of a deadline approved (延期).
    - ``verified``: verifications done, passed or failed (核查).
    - ``verified_on_time``: of those, done by the verification deadline (started by the fix; a suspension
      stops its clock, so a verification done while the clock stood still counts as on time if the clock
      was stopped before the deadline).

The cases due in the period (its "应结案" cohort)
    A case's *handling deadline* is the deadline of its last handling clock begun before as-of: started by
    a dispatch or a rework, moved by approved extensions and by resuming after a suspension. A return ends
    that clock without a deadline (the case waits at the dispatch center for its next dispatch), and a
    clock that is stopped (suspended) at as-of has no deadline then.

    - ``due``: cases whose handling deadline falls in the period.
    - ``closed``: due cases closed (verification passed) by as-of.
    - ``closed_on_time``: closed cases whose last fix was reported by their handling deadline.
    - ``avg_handling_hours`` and ``p90_handling_hours``: over the closed cases, the working hours
      (``worktime.hours.working_minutes_between`` on the default work calendar) from dispatch (or
      rework) to fix, summed over the department's fixes of the case since its last return, less the working
      time the case spent suspended. p90 is the nearest-rank 90th percentile: the smallest value that at
      least 90 % of the cases do not exceed.

A stock at as-of
    - ``overdue_open``: cases still with a department at as-of (dispatched or in progress, clock running)
      whose handling deadline had passed by then. A backlog: it counts cases due before the period too.

Rates (``None``, shown "—", when the denominator is 0)
    - 结案率 ``closure_rate`` = closed / due
    - 按期结案率 ``on_time_closure_rate`` = closed_on_time / closed
    - 返工率 ``rework_rate`` = reworked / resolved
    - 回退率 ``return_rate`` = returned / dispatched
    - 按时核查率 ``on_time_verification_rate`` = verified_on_time / verified
    - 有效上报率 ``valid_report_rate`` = (reported − rejected) / reported
    Pages, exports and charts show them by the product's one rule (``gridmgmt.figures``): a percentage
    rounded half-up to one decimal (2/3 → 66.7 %).

Who a figure belongs to
    - whole district (``total``): every case.
    - grid, community, street: the case's grid and the community and street that contain it.
    - department: the department named by the event (dispatched to, returned by, reworked for) or holding
      the case at that moment (fixes, extensions, verifications); for the due cohort, the department of the
      case's last handling clock. ``reported``, ``rejected`` and ``filed`` do not apply (a report has no
      department yet): they are ``None``.
    - grid administrator: the cases they reported, except ``verified`` and ``verified_on_time``, which
      belong to whoever verified. Only holders of the grid administrator role get a row.

Boundary effects, by design: near the start of a period a return or a rework may answer a dispatch or a fix
of the previous period; a case due near the end may not be verified by as-of. A case closed more than
``EARLY_CLOSE_LOOKBACK`` before the start of a period is not looked at (no handling limit comes near it).
"""

from __future__ import annotations

import bisect
import datetime as dt
import math
from collections import Counter, defaultdict
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field, fields
from typing import TYPE_CHECKING

from django.contrib.auth import get_user_model
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from cases.models import OPEN_STATES, Case, CaseEvent, CaseState
from departments.models import Department
from gridmgmt import clock
from gridmgmt.figures import percent_value
from gridmgmt.people import display_name_of
from gridmgmt.roles import Role
from gridmgmt.sorting import natural_key
from grids.models import Grid, Jurisdiction, grid_label
from worktime.hours import working_minutes_between
from worktime.selectors import calendar_resolve

if TYPE_CHECKING:
    from .models import EvaluationFigure

TOTAL, DEPARTMENT, GRID, COMMUNITY, STREET, ADMINISTRATOR = (
    "total",
    "department",
    "grid",
    "community",
    "street",
    "administrator",
)
KINDS = (TOTAL, DEPARTMENT, GRID, COMMUNITY, STREET, ADMINISTRATOR)
TOTAL_KEY = "all"
EARLY_CLOSE_LOOKBACK = dt.timedelta(days=62)

COUNT_FIELDS = (
    "reported",
    "rejected",
    "filed",
    "dispatched",
    "returned",
    "resolved",
    "reworked",
    "extensions",
    "due",
    "closed",
    "closed_on_time",
    "overdue_open",
    "verified",
    "verified_on_time",
)
# Counts that do not apply to departments (a report has no department yet).
REPORT_FIELDS = ("reported", "rejected", "filed")
# Figures that belong to whoever acted (the verifier), not to the case's reporter, for administrators.
_ACTOR_FIELDS = frozenset({"verified", "verified_on_time"})
_HANDLING = "handling_minutes"
RATE_FIELDS = (
    "closure_rate",
    "on_time_closure_rate",
    "rework_rate",
    "return_rate",
    "on_time_verification_rate",
    "valid_report_rate",
)
# The export columns, in order: stable snake_case names (contract for whoever reads the files).
COLUMNS = (
    "period_start",
    "period_end",
    "kind",
    "key",
    "label",
    *COUNT_FIELDS,
    "avg_handling_hours",
    "p90_handling_hours",
    *RATE_FIELDS,
    "as_of",
)

# One line per figure, for the formulas page: (name, standard term, formula).
FORMULAS: tuple[tuple[str, str, object], ...] = (
    ("reported", "上报数", _("cases reported in the period")),
    (
        "rejected",
        "不予立案数",
        _("of the cases reported in the period, those rejected as invalid or duplicate"),
    ),
    ("filed", "立案数", _("cases filed in the period")),
    ("dispatched", "派遣数", _("dispatches in the period, re-dispatches after a return included")),
    ("returned", "回退数", _("returns by a department in the period")),
    ("resolved", "处置数", _("fixes reported by a department in the period")),
    (
        "reworked",
        "返工数",
        _("failed verifications and reopened cases in the period (the case goes back for rework)"),
    ),
    ("extensions", "延期数", _("extensions approved in the period")),
    ("due", "应结案数", _("cases whose handling deadline falls in the period")),
    ("closed", "结案数", _("due cases closed (verification passed) by the end of the period")),
    ("closed_on_time", "按期结案数", _("closed cases whose last fix came by the handling deadline")),
    (
        "overdue_open",
        "超期未结数",
        _("cases with a department at the end of the period, past their deadline"),
    ),
    ("verified", "核查数", _("verifications done in the period (passed or failed)")),
    ("verified_on_time", "按时核查数", _("verifications done by the verification deadline")),
    (
        "avg_handling_hours",
        "平均处置用时",
        _("mean working hours from dispatch to fix over the closed cases, suspensions excluded"),
    ),
    ("p90_handling_hours", "处置用时 P90", _("nearest-rank 90th percentile of the same working hours")),
    ("closure_rate", "结案率", _("closed / due")),
    ("on_time_closure_rate", "按期结案率", _("closed_on_time / closed")),
    ("rework_rate", "返工率", _("reworked / resolved")),
    ("return_rate", "回退率", _("returned / dispatched")),
    ("on_time_verification_rate", "按时核查率", _("verified_on_time / verified")),
    ("valid_report_rate", "有效上报率", _("(reported − rejected) / reported")),
)


def ratio(numerator: int | None, denominator: int | None) -> float | None:
    """numerator / denominator, or None when there is nothing to divide by."""
    if not denominator or numerator is None:
        return None
    return numerator / denominator


def p90(values: Iterable[float]) -> float | None:
    """Nearest-rank 90th percentile: the smallest value that at least 90 % of the values do not exceed."""
    ordered = sorted(values)
    if not ordered:
        return None
    return ordered[math.ceil(0.9 * len(ordered)) - 1]


# --- periods --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Period:
    """Local dates, both inclusive."""

    start: dt.date
    end: dt.date

    def __post_init__(self):
        if self.end < self.start:
            raise ValueError("a period ends on or after the day it starts")

    @property
    def start_at(self) -> dt.datetime:
        return _local_midnight(self.start)

    @property
    def end_at(self) -> dt.datetime:
        return _local_midnight(self.end + dt.timedelta(days=1))

    @property
    def days(self) -> int:
        return (self.end - self.start).days + 1

    def as_of(self, now: dt.datetime) -> dt.datetime:
        """The end of the period, or now while it is running (never before its start)."""
        return max(self.start_at, min(self.end_at, now))

    def __str__(self) -> str:
        return f"{self.start:%Y-%m-%d} – {self.end:%Y-%m-%d}"


def _local_midnight(day: dt.date) -> dt.datetime:
    return timezone.make_aware(dt.datetime.combine(day, dt.time()), timezone.get_default_timezone())


def local_today(now: dt.datetime | None = None) -> dt.date:
    return timezone.localtime(now or clock.now()).date()


def _month_start(day: dt.date) -> dt.date:
    return day.replace(day=1)


def presets(today: dt.date) -> dict[str, Period]:
    """The dashboard's ready-made periods. Except "this month" they end yesterday (whole days), so they are
    the periods the nightly task materialises."""
    yesterday = today - dt.timedelta(days=1)
    last_month_end = _month_start(today) - dt.timedelta(days=1)
    return {
        "last7": Period(today - dt.timedelta(days=7), yesterday),
        "this_month": Period(_month_start(today), today),
        "last_month": Period(_month_start(last_month_end), last_month_end),
        "last60": Period(today - dt.timedelta(days=60), yesterday),
    }


def nightly_periods(today: dt.date) -> list[Period]:
    """What the nightly task materialises: yesterday, the last 7 and 60 whole days, the month to date
    (through yesterday) and the last whole month."""
    yesterday = today - dt.timedelta(days=1)
    ready = presets(today)
    found = [
        Period(yesterday, yesterday),
        ready["last7"],
        ready["last60"],
        Period(_month_start(yesterday), yesterday),
        ready["last_month"],
    ]
    return list(dict.fromkeys(found))  # on the 1st, month to date is the last month


# --- figures --------------------------------------------------------------------------------------------


@dataclass
class Figures:
    """The indicators of one group over one period. Rates are derived, never stored."""

    kind: str
    key: str
    label: str = ""
    reported: int | None = 0
    rejected: int | None = 0
    filed: int | None = 0
    dispatched: int = 0
    returned: int = 0
    resolved: int = 0
    reworked: int = 0
    extensions: int = 0
    due: int = 0
    closed: int = 0
    closed_on_time: int = 0
    overdue_open: int = 0
    verified: int = 0
    verified_on_time: int = 0
    avg_handling_hours: float | None = None
    p90_handling_hours: float | None = None

    @property
    def closure_rate(self) -> float | None:
        return ratio(self.closed, self.due)

    @property
    def on_time_closure_rate(self) -> float | None:
        return ratio(self.closed_on_time, self.closed)

    @property
    def rework_rate(self) -> float | None:
        return ratio(self.reworked, self.resolved)

    @property
    def return_rate(self) -> float | None:
        return ratio(self.returned, self.dispatched)

    @property
    def on_time_verification_rate(self) -> float | None:
        return ratio(self.verified_on_time, self.verified)

    @property
    def valid_reports(self) -> int | None:
        if self.reported is None or self.rejected is None:
            return None
        return self.reported - self.rejected

    @property
    def valid_report_rate(self) -> float | None:
        if self.reported is None or self.rejected is None:
            return None
        return ratio(self.reported - self.rejected, self.reported)

    def counts(self) -> dict:
        return {name: getattr(self, name) for name in COUNT_FIELDS}

    def values(self) -> dict:
        """Every figure and rate by its column name."""
        out = self.counts()
        out["avg_handling_hours"] = self.avg_handling_hours
        out["p90_handling_hours"] = self.p90_handling_hours
        out.update({name: getattr(self, name) for name in RATE_FIELDS})
        return out

    @classmethod
    def from_row(cls, row: EvaluationFigure) -> Figures:
        names = {f.name for f in fields(cls)}
        return cls(**{name: getattr(row, name) for name in names})


def ranking_key(figures: Figures) -> tuple:
    """Best first: on-time closure rate, then closure rate, then more cases due; no rate sorts last."""

    def desc(value: float | None) -> tuple:
        return (value is None, -(value or 0))

    return (
        *desc(figures.on_time_closure_rate),
        *desc(figures.closure_rate),
        -figures.due,
        natural_key(figures.label),
        figures.key,
    )


# --- the replay of one case -----------------------------------------------------------------------------

# Events after which a new stage clock runs (and a suspension, if any, has ended).
_STAGE_STARTS = frozenset({"file", "dispatch", "return", "resolve", "verify_fail", "reopen"})
# Steps that hand the case (back) to its department: a dispatch, a failed verification, a reopening.
_HANDLING_STARTS = frozenset({"dispatch", "verify_fail", "reopen"})
_CLEARS = frozenset({"reject", "verify_pass", "verify_desk"})  # a desk closure closes too (counted apart)


@dataclass
class _Clock:
    stage: str
    deadline: dt.datetime | None


@dataclass
class _Handling:
    """A case's current handling clock: who holds it, until when, and how the last fix went."""

    department: str | None
    started_at: dt.datetime
    deadline: dt.datetime | None = None
    fixed: bool = False
    on_time: bool | None = None


@dataclass
class CaseFacts:
    """What one case's history says about a period: tallies (figure, department, actor, value) and the
    facts the trend charts need."""

    case_id: int
    grid: str | None
    community: str | None
    street: str | None
    reporter: int | None
    tallies: list[tuple[str, str | None, int | None, float | None]] = field(default_factory=list)
    states: list[tuple[dt.datetime, str]] = field(default_factory=list)
    due_at: dt.datetime | None = None
    due_department: str | None = None
    closed: bool = False
    closed_on_time: bool = False


def _met(running: _Clock | None, stage: str, suspended_since: dt.datetime | None, at: dt.datetime) -> bool:
    """Was the stage's deadline kept by an action at `at`? Unknown (no recorded deadline) is not kept."""
    if running is None or running.stage != stage or running.deadline is None:
        return False
    if suspended_since is not None:  # the clock stood still: kept if it was stopped in time
        return suspended_since <= running.deadline
    return at <= running.deadline


def _parse(value) -> dt.datetime | None:
    return dt.datetime.fromisoformat(value) if value else None


def replay(
    case: dict, events: Iterable[tuple], *, start_at: dt.datetime, end_at: dt.datetime, as_of, calendar
) -> CaseFacts:
    """Walk one case's events (action, created_at, data, actor_id, to_state; in order, all before
    `as_of`) and say what they add to the period's figures."""
    facts = CaseFacts(
        case_id=case["id"],
        grid=case["grid__code"],
        community=case["grid__community__code"],
        street=case["grid__community__parent__code"],
        reporter=case["reporter_id"],
    )
    tallies = facts.tallies
    department: str | None = None
    running: _Clock | None = None
    suspended_since: dt.datetime | None = None
    handling: _Handling | None = None
    pauses: list[tuple[dt.datetime, dt.datetime]] = []  # suspensions within the running handling span
    handling_minutes = 0.0  # the department's fixes since the last return
    reported_in_period = rejected = closed = False

    for action, at, data, actor_id, to_state in events:
        data = data or {}
        in_period = at >= start_at
        if to_state and (not facts.states or facts.states[-1][1] != to_state):
            facts.states.append((at, to_state))

        if action == "report":
            reported_in_period = in_period
        elif action == "reject":
            rejected = True
        elif action == "file" and in_period:
            tallies.append(("filed", None, None, None))
        elif action == "dispatch":
            department = data.get("department") or department
            if in_period:
                tallies.append(("dispatched", department, None, None))
        elif action == "return":
            if in_period:
                tallies.append(("returned", data.get("department") or department, None, None))
            department, handling, handling_minutes = None, None, 0.0
        elif action == "resolve":
            if in_period:
                tallies.append(("resolved", department, None, None))
            if handling is not None:
                if suspended_since is not None:
                    pauses.append((suspended_since, at))
                span = working_minutes_between(handling.started_at, at, calendar)
                span -= sum(working_minutes_between(a, b, calendar) for a, b in pauses)
                handling_minutes += max(0.0, span)
                handling.fixed = True
                handling.on_time = _met(running, "handling", suspended_since, at)
        elif action in ("verify_pass", "verify_fail", "verify_desk"):
            if in_period:
                tallies.append(("verified", department, actor_id, None))
                if _met(running, "verification", suspended_since, at):
                    tallies.append(("verified_on_time", department, actor_id, None))
                if action == "verify_fail":
                    tallies.append(("reworked", data.get("department") or department, None, None))
            closed = action in ("verify_pass", "verify_desk")
        elif action == "reopen":  # a closed case back to its department after a rating's review: rework
            if in_period:
                tallies.append(("reworked", data.get("department") or department, None, None))
            closed = False
        elif action == "approve_extension" and in_period:
            tallies.append(("extensions", department, None, None))

        # The clock: after the tallies above, which judge against the clock that ran until this event.
        if action == "suspend":
            suspended_since = at
        elif action == "resume" or action in _STAGE_STARTS or action in _CLEARS:
            if action == "resume" and suspended_since is not None and handling and not handling.fixed:
                pauses.append((suspended_since, at))
            suspended_since = None
        if action in _CLEARS:
            running = None
        elif "deadline" in data:
            running = _Clock(data.get("stage", ""), _parse(data["deadline"]))
        if action in _HANDLING_STARTS:
            handling, pauses = _Handling(department=department, started_at=at), []
        if (
            handling is not None
            and not handling.fixed
            and running is not None
            and running.stage == "handling"
        ):
            handling.deadline = running.deadline

    if reported_in_period:
        tallies.append(("reported", None, None, None))
        if rejected:
            tallies.append(("rejected", None, None, None))

    # The due cohort and the overdue backlog, as of `as_of`.
    stopped = handling is not None and not handling.fixed and suspended_since is not None
    if handling is not None and handling.deadline is not None and not stopped:
        who = handling.department
        if start_at <= handling.deadline < end_at:
            facts.due_at, facts.due_department = handling.deadline, who
            tallies.append(("due", who, None, None))
            if closed:
                facts.closed = True
                tallies.append(("closed", who, None, None))
                tallies.append((_HANDLING, who, None, handling_minutes))
                if handling.on_time:
                    facts.closed_on_time = True
                    tallies.append(("closed_on_time", who, None, None))
        if not handling.fixed and handling.deadline < as_of:
            tallies.append(("overdue_open", who, None, None))
    return facts


# --- all cases of a period ------------------------------------------------------------------------------


@dataclass
class Facts:
    period: Period
    as_of: dt.datetime
    cases: list[CaseFacts]


def facts_collect(period: Period, *, now: dt.datetime | None = None) -> Facts:
    """Replay every case that may matter to the period: reported before as-of, and open or closed no
    earlier than EARLY_CLOSE_LOOKBACK before the start. Two queries, however many cases."""
    as_of = period.as_of(now or clock.now())
    start_at, end_at = period.start_at, period.end_at
    relevant = Case.objects.filter(reported_at__lt=as_of).filter(
        Q(closed_at__isnull=True) | Q(closed_at__gte=start_at - EARLY_CLOSE_LOOKBACK)
    )
    cases = {
        row["id"]: row
        for row in relevant.values(
            "id", "reporter_id", "grid__code", "grid__community__code", "grid__community__parent__code"
        )
    }
    calendar = calendar_resolve(None)  # once: every span below is counted on the same calendar
    events = (
        CaseEvent.objects.filter(case_id__in=relevant.values("id"), created_at__lt=as_of)
        .order_by("case_id", "seq")
        .values_list("case_id", "action", "created_at", "data", "actor_id", "to_state")
        .iterator(chunk_size=5000)
    )
    out = []
    for case_id, case_events in _grouped(events):
        if case_id in cases:
            out.append(
                replay(
                    cases[case_id],
                    case_events,
                    start_at=start_at,
                    end_at=end_at,
                    as_of=as_of,
                    calendar=calendar,
                )
            )
    return Facts(period=period, as_of=as_of, cases=out)


def _grouped(rows: Iterator[tuple]) -> Iterator[tuple[int, list[tuple]]]:
    current, batch = None, []
    for case_id, *rest in rows:
        if case_id != current:
            if batch:
                yield current, batch
            current, batch = case_id, []
        batch.append(tuple(rest))
    if batch:
        yield current, batch


# --- grouping ---------------------------------------------------------------------------------------------


def _labels(kind: str) -> dict[str, str]:
    """Every group of a kind (so a group without cases still gets its row of zeros), key → label."""
    if kind == TOTAL:
        return {TOTAL_KEY: "whole district"}
    if kind == DEPARTMENT:
        return dict(Department.objects.filter(is_active=True).values_list("code", "name"))
    if kind == GRID:
        rows = Grid.objects.values_list("code", "name", "community__name")
        return {code: grid_label(name, community or "") for code, name, community in rows}
    if kind in (COMMUNITY, STREET):
        return dict(Jurisdiction.objects.filter(level=kind).values_list("code", "name"))
    if kind == ADMINISTRATOR:
        admins = get_user_model().objects.filter(groups__name=Role.GRID_ADMIN).distinct()
        return {
            str(pk): display_name_of(username, first, last)
            for pk, username, first, last in admins.values_list("id", "username", "first_name", "last_name")
        }
    raise ValueError(f"unknown grouping {kind!r}")


def _extra_labels(kind: str, keys: set[str]) -> dict[str, str]:
    """Labels for groups with activity that `_labels` does not list (an inactive department)."""
    if kind == DEPARTMENT and keys:
        return dict(Department.objects.filter(code__in=keys).values_list("code", "name"))
    return {}


def _key(kind: str, facts: CaseFacts, figure: str, department: str | None, actor: int | None) -> str | None:
    if kind == TOTAL:
        return TOTAL_KEY
    if kind == DEPARTMENT:
        return department
    if kind == GRID:
        return facts.grid
    if kind == COMMUNITY:
        return facts.community
    if kind == STREET:
        return facts.street
    who = actor if figure in _ACTOR_FIELDS else facts.reporter
    return str(who) if who is not None else None


def indicators(facts: Facts, kind: str) -> list[Figures]:
    """The figures of every group of one kind, best first (see `ranking_key`)."""
    labels = _labels(kind)
    counts: dict[str, Counter] = defaultdict(Counter)
    minutes: dict[str, list[float]] = defaultdict(list)
    for case in facts.cases:
        for figure, department, actor, value in case.tallies:
            key = _key(kind, case, figure, department, actor)
            if key is None or (kind == ADMINISTRATOR and key not in labels):
                continue
            if figure == _HANDLING:
                minutes[key].append(value)
            else:
                counts[key][figure] += 1
    seen = set(counts) | set(minutes)
    labels |= _extra_labels(kind, seen - set(labels))
    labels |= {key: key for key in seen - set(labels)}
    rows = []
    for key, label in labels.items():
        tally = counts.get(key, Counter())
        values = {name: tally[name] for name in COUNT_FIELDS}
        if kind == DEPARTMENT:
            values |= dict.fromkeys(REPORT_FIELDS)
        spent = minutes.get(key, [])
        rows.append(
            Figures(
                kind=kind,
                key=key,
                label=label,
                **values,
                avg_handling_hours=round(sum(spent) / len(spent) / 60, 2) if spent else None,
                p90_handling_hours=round(p90(spent) / 60, 2) if spent else None,
            )
        )
    rows.sort(key=ranking_key)
    return rows


def indicators_all(period: Period, *, kinds: Iterable[str] = KINDS, now=None) -> dict[str, list[Figures]]:
    """Every grouping from one replay of the history."""
    facts = facts_collect(period, now=now)
    return {kind: indicators(facts, kind) for kind in kinds}


def indicators_total(period: Period, *, now=None) -> Figures:
    return indicators_all(period, kinds=[TOTAL], now=now)[TOTAL][0]


def indicators_by_department(period: Period, *, now=None) -> list[Figures]:
    return indicators_all(period, kinds=[DEPARTMENT], now=now)[DEPARTMENT]


def indicators_by_grid(period: Period, *, now=None) -> list[Figures]:
    return indicators_all(period, kinds=[GRID], now=now)[GRID]


def indicators_by_community(period: Period, *, now=None) -> list[Figures]:
    return indicators_all(period, kinds=[COMMUNITY], now=now)[COMMUNITY]


def indicators_by_street(period: Period, *, now=None) -> list[Figures]:
    return indicators_all(period, kinds=[STREET], now=now)[STREET]


def indicators_by_administrator(period: Period, *, now=None) -> list[Figures]:
    return indicators_all(period, kinds=[ADMINISTRATOR], now=now)[ADMINISTRATOR]


# --- tables -----------------------------------------------------------------------------------------------


@dataclass
class Table:
    """A grouping's rows for a period, and where they came from."""

    period: Period
    kind: str
    rows: list[Figures]
    as_of: dt.datetime
    computed_at: dt.datetime | None  # None: computed just now, not stored
    stale: bool = False  # stored before the period's as-of: events since are missing


def table_rows(table: Table) -> Iterator[list]:
    """The table as export rows in COLUMNS order. Rates are percentages by the product's one rule
    (gridmgmt.figures: 2/3 → 66.7, a Decimal), as the dashboard shows them; no denominator → None."""
    for figures in table.rows:
        values = figures.values()
        for name in RATE_FIELDS:
            values[name] = percent_value(values[name])
        yield [
            table.period.start,
            table.period.end,
            table.kind,
            figures.key,
            figures.label,
            *(values[name] for name in COLUMNS[5:-1]),
            table.as_of,
        ]


# --- trends for the dashboard's charts --------------------------------------------------------------------


def _buckets(period: Period) -> list[tuple[dt.date, dt.date]]:
    """Days for a fortnight or less, else weeks (Monday to Sunday, cut at the period's ends): a day holds
    too few closures per department for a rate to say much."""
    day = period.start
    out = []
    step_weekly = period.days > 14
    while day <= period.end:
        last = day + dt.timedelta(days=6 - day.weekday()) if step_weekly else day
        last = min(last, period.end)
        out.append((day, last))
        day = last + dt.timedelta(days=1)
    return out


def trends(facts: Facts) -> dict:
    """Series for the charts, JSON-ready.

    - ``states``: per day, the cases in each open state at the end of the day (at as-of for today; None
      for days after as-of);
    - ``flow``: per day, cases reported and cases closed;
    - ``on_time``: per bucket (day or week) and department, the on-time closure rate of the cases due in
      the bucket, as counted at the period's as-of (None where nothing due was closed).
    """
    period = facts.period
    days = [period.start + dt.timedelta(days=i) for i in range(period.days)]
    starts = [_local_midnight(day) for day in days]
    live = bisect.bisect_left(starts, facts.as_of)  # days begun before as-of
    ends = [min(_local_midnight(day + dt.timedelta(days=1)), facts.as_of) for day in days[:live]]
    states: dict[str, list[int | None]] = {
        str(s): [0] * live + [None] * (len(days) - live) for s in OPEN_STATES
    }
    reported = [0] * live + [None] * (len(days) - live)
    closed = list(reported)
    for case in facts.cases:
        changes = case.states
        for i, (at, state) in enumerate(changes):
            if period.start_at <= at < facts.as_of:
                day = bisect.bisect_right(starts, at) - 1
                if i == 0 and state == CaseState.REPORTED:
                    reported[day] += 1
                elif state == CaseState.CLOSED:
                    closed[day] += 1
            if state not in states:
                continue
            # In `state` from `at` until the next change: count the day ends in between.
            until = changes[i + 1][0] if i + 1 < len(changes) else None
            first = bisect.bisect_left(ends, at)
            last = len(ends) if until is None else bisect.bisect_left(ends, until)
            for index in range(first, last):
                states[state][index] += 1
    buckets = _buckets(period)
    bucket_starts = [_local_midnight(first) for first, _ in buckets]
    on_time: dict[str, list[list[int]]] = defaultdict(lambda: [[0, 0] for _ in buckets])
    for case in facts.cases:
        if case.closed and case.due_department:
            index = bisect.bisect_right(bucket_starts, case.due_at) - 1
            cell = on_time[case.due_department][index]
            cell[0] += case.closed_on_time
            cell[1] += 1
    names = dict(Department.objects.filter(code__in=list(on_time)).values_list("code", "name"))
    return {
        "days": [day.isoformat() for day in days],
        "states": states,
        "flow": {"reported": reported, "closed": closed},
        "buckets": [[first.isoformat(), last.isoformat()] for first, last in buckets],
        "on_time": [
            {
                "department": code,
                "label": names.get(code, code),
                "rates": [ratio(hit, total) for hit, total in cells],
                "closed": [total for _, total in cells],
            }
            for code, cells in sorted(on_time.items(), key=lambda kv: natural_key(names.get(kv[0], kv[0])))
        ],
        "as_of": facts.as_of.isoformat(),
    }
