"""Patrol plans per grid (defaults per community, then the settings), each grid's patrol state this week,
weekly coverage, and the warnings for grids that went unpatrolled past their plan.

A grid's plan is its own `PatrolPlan` row, else its community's, else `PATROL_PLAN_MINUTES_PER_DAY` and
`PATROL_PLAN_WEEKLY_COVERAGE`. Only counted patrols (clean, or flagged and accepted) make figures: a patrol
awaiting a supervisor's decision does not keep a grid on plan. Weeks start on Monday 00:00 in the site's
time zone; working days are the default work calendar's (worktime), so a holiday asks for no patrol time.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from zoneinfo import ZoneInfo

import shapely
from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import Prefetch, Q
from django.utils import formats
from django.utils.functional import lazy
from django.utils.translation import gettext_lazy as _
from django.utils.translation import gettext_noop

from gridmgmt import clock, policy
from gridmgmt.errors import InvalidInput, NotAllowed
from gridmgmt.messages import Message
from gridmgmt.people import display_name
from gridmgmt.roles import Role
from gridmgmt.sorting import natural_key
from grids import selectors as grid_selectors
from grids.models import Grid, GridAssignment, Jurisdiction
from notifications.selectors import role_recipients
from notifications.services import notifications_queue
from worktime.selectors import calendar_resolve

from . import coverage
from .models import Patrol, PatrolPlan, PatrolWarning

ONLY_SUPERVISORS = gettext_noop("only supervisors set patrol plans")
WARNING_KIND = "patrol_plan_warning"

# States of a grid this week (names are contracts: the API sends them).
ON_PLAN, BEHIND, NONE = "on_plan", "behind", "none"
STATE_LABELS = {ON_PLAN: _("on plan"), BEHIND: _("behind plan"), NONE: _("no patrol this week")}
STATES = (ON_PLAN, BEHIND, NONE)

# How far back the overview looks for a grid's last patrol.
LAST_PATROL_WINDOW = dt.timedelta(days=31)
# How far back the warnings look for the previous working day (a long holiday is shorter than this).
WORKING_DAY_LOOKBACK = 21
# Above this many grids, the patrols of a range are not prefiltered by grid in the database (the filter
# would be a long OR of JSON key tests); they are picked in Python instead.
KEY_FILTER_LIMIT = 200


# --- plans --------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class PlanValues:
    minutes_per_day: int
    weekly_coverage: float
    source: str  # "grid" | "community" | "default"


def plan_default() -> PlanValues:
    return PlanValues(
        minutes_per_day=int(settings.PATROL_PLAN_MINUTES_PER_DAY),
        weekly_coverage=float(settings.PATROL_PLAN_WEEKLY_COVERAGE),
        source="default",
    )


def _values(row: PatrolPlan, source: str) -> PlanValues:
    return PlanValues(minutes_per_day=row.minutes_per_day, weekly_coverage=row.weekly_coverage, source=source)


def plans_for(grids: Iterable[Grid]) -> dict[int, PlanValues]:
    """{grid id: its plan} for many grids: one query for the plans (the grids carry their community id)."""
    grids = list(grids)
    if not grids:
        return {}
    grid_ids = {g.pk for g in grids}
    community_ids = {g.community_id for g in grids}
    rows = PatrolPlan.objects.filter(Q(grid_id__in=grid_ids) | Q(community_id__in=community_ids)).only(
        "grid_id", "community_id", "minutes_per_day", "weekly_coverage"
    )
    by_grid: dict[int, PatrolPlan] = {}
    by_community: dict[int, PatrolPlan] = {}
    for row in rows:
        if row.grid_id is not None:
            by_grid[row.grid_id] = row
        else:
            by_community[row.community_id] = row
    default = plan_default()
    plans: dict[int, PlanValues] = {}
    for grid in grids:
        if grid.pk in by_grid:
            plans[grid.pk] = _values(by_grid[grid.pk], "grid")
        elif grid.community_id in by_community:
            plans[grid.pk] = _values(by_community[grid.community_id], "community")
        else:
            plans[grid.pk] = default
    return plans


def plan_for(grid: Grid) -> PlanValues:
    """The plan a grid is held to: its own, else its community's, else the settings'."""
    return plans_for([grid])[grid.pk]


def community_plans(community_ids: Iterable[int]) -> dict[int, PlanValues]:
    """{community id: its default} for the communities that have one set."""
    rows = PatrolPlan.objects.filter(community_id__in=list(community_ids))
    return {row.community_id: _values(row, "community") for row in rows}


def _minutes_checked(raw) -> int:
    if isinstance(raw, bool):
        raw = None
    if isinstance(raw, str):
        raw = raw.strip()
        raw = int(raw) if raw.isascii() and raw.isdigit() and len(raw) <= 6 else None
    if isinstance(raw, float) and raw.is_integer():
        raw = int(raw)
    if not isinstance(raw, int) or not (0 <= raw <= 1440):
        raise InvalidInput(
            gettext_noop("minutes per day must be a whole number from 0 to 1440"), field="minutes_per_day"
        )
    return raw


def _share_checked(raw) -> float:
    value = None
    if not isinstance(raw, bool):
        try:
            value = float(raw) if isinstance(raw, int | float | str) and str(raw).strip() else None
        except ValueError:
            value = None
    if value is None or not math.isfinite(value) or not (0 <= value <= 1):
        raise InvalidInput(
            gettext_noop("weekly coverage must be a share from 0 to 1, such as %(example)s"),
            example="0.6",
            field="weekly_coverage",
        )
    return value


def _target_checked(grid: Grid | None, community: Jurisdiction | None) -> None:
    if (grid is None) == (community is None):
        raise InvalidInput(gettext_noop("name either a grid or a community"), field="grid")
    if community is not None and community.level != Jurisdiction.Level.COMMUNITY:
        raise InvalidInput(
            gettext_noop("%(name)s is not a community: plans are set per community or per grid"),
            name=community.name,
            field="community",
        )


def plan_set(
    *,
    actor,
    grid: Grid | None = None,
    community: Jurisdiction | None = None,
    minutes_per_day,
    weekly_coverage,
) -> PatrolPlan:
    """Set a grid's own plan, or a community's default for its grids without one (supervisors)."""
    if not policy.can_review_patrols(actor):
        raise NotAllowed(ONLY_SUPERVISORS)
    _target_checked(grid, community)
    minutes = _minutes_checked(minutes_per_day)
    share = _share_checked(weekly_coverage)
    target = {"grid": grid} if grid is not None else {"community": community}
    values = {"minutes_per_day": minutes, "weekly_coverage": share, "updated_by": actor}
    try:
        with transaction.atomic():
            plan, _created = PatrolPlan.objects.update_or_create(**target, defaults=values)
    except IntegrityError:  # another supervisor created it between the lookup and the insert
        plan, _created = PatrolPlan.objects.update_or_create(**target, defaults=values)
    return plan


def plan_clear(*, actor, grid: Grid | None = None, community: Jurisdiction | None = None) -> bool:
    """Remove a grid's own plan (it follows its community again) or a community's default (its grids follow
    the settings). True when there was one."""
    if not policy.can_review_patrols(actor):
        raise NotAllowed(ONLY_SUPERVISORS)
    _target_checked(grid, community)
    target = {"grid": grid} if grid is not None else {"community": community}
    deleted, _rows = PatrolPlan.objects.filter(**target).delete()
    return bool(deleted)


# --- patrol figures per grid --------------------------------------------------------------------------------


@dataclass(frozen=True)
class Figures:
    """A grid's patrolling over a range: `minutes` and `coverage` (0–1, the union of the buffered tracks
    intersected with the grid) from counted patrols; `patrols` the computed patrols that reached the grid,
    `flagged` those of them with flags (whatever the decision), `counted` those that count."""

    minutes: float = 0.0
    coverage: float = 0.0
    patrols: int = 0
    flagged: int = 0
    counted: int = 0


def _reached(patrol: Patrol, key: str) -> bool:
    """Did the patrol reach the grid: walked in it, touched it, or covered some of it from beside it?"""
    return (
        patrol.minutes_by_grid.get(key, 0) > 0
        or int(key) in patrol.grid_ids
        or patrol.coverage.get(key, 0) > 0
    )


def _projection_for(geometries: dict[int, object]) -> coverage.Projection:
    lats = [geometry.centroid.y for geometry in geometries.values()]
    return coverage.Projection(sum(lats) / len(lats) if lats else 28.68)


def grid_patrol_figures(
    grid_ids: Iterable[int], *, start: dt.datetime, end: dt.datetime, with_coverage: bool = True
) -> dict[int, Figures]:
    """{grid id: Figures} for the patrols started in [start, end). One query for the patrols; the grids'
    polygons come from the cached grid layer. `with_coverage=False` skips the geometry (minutes only)."""
    grid_ids = list(dict.fromkeys(grid_ids))
    if not grid_ids:
        return {}
    keys = [str(grid_id) for grid_id in grid_ids]
    patrols = Patrol.objects.filter(
        started_at__gte=start, started_at__lt=end, state=Patrol.State.COMPUTED
    ).exclude(review=Patrol.Review.NONE)
    if len(keys) <= KEY_FILTER_LIMIT:
        # `coverage` names every grid the track touched and the patroller's own grids.
        patrols = patrols.filter(coverage__has_any_keys=keys)
    fields = ["id", "review", "grid_ids", "coverage", "minutes_by_grid"]
    if with_coverage:
        fields.append("track")
    rows = list(patrols.only(*fields))

    minutes = dict.fromkeys(grid_ids, 0.0)
    counts = {grid_id: [0, 0, 0] for grid_id in grid_ids}  # patrols, flagged, counted
    tracks: dict[int, list[int]] = {grid_id: [] for grid_id in grid_ids}  # grid → rows' indexes
    for i, patrol in enumerate(rows):
        counted = patrol.review in Patrol.COUNTED
        flagged = patrol.review != Patrol.Review.CLEAN
        for grid_id, key in zip(grid_ids, keys, strict=True):
            if not _reached(patrol, key):
                continue
            tally = counts[grid_id]
            tally[0] += 1
            tally[1] += flagged
            if counted:
                tally[2] += 1
                minutes[grid_id] += float(patrol.minutes_by_grid.get(key, 0))
                if patrol.track:
                    tracks[grid_id].append(i)

    shares = dict.fromkeys(grid_ids, 0.0)
    if with_coverage and any(tracks.values()):
        polygons = grid_selectors.grid_geometries([g for g, found in tracks.items() if found])
        projection = _projection_for(polygons)
        buffers: dict[int, object] = {}  # row index → its buffered track (metres), each buffered once
        for grid_id, polygon in polygons.items():
            parts = []
            for i in tracks[grid_id]:
                if i not in buffers:
                    line = coverage.line_of([rows[i].track])
                    buffers[i] = (
                        coverage.buffered(line, width_m=settings.PATROL_BUFFER_M, projection=projection)
                        if line is not None
                        else None
                    )
                if buffers[i] is not None:
                    parts.append(buffers[i])
            if parts:
                # Walking one street twice covers it once: the union before the intersection.
                area = shapely.union_all(parts)
                shares[grid_id] = coverage.coverage_shares(area, {grid_id: polygon}, projection=projection)[
                    grid_id
                ]
    return {
        grid_id: Figures(
            minutes=round(minutes[grid_id], 2),
            coverage=round(shares[grid_id], 4),
            patrols=counts[grid_id][0],
            flagged=counts[grid_id][1],
            counted=counts[grid_id][2],
        )
        for grid_id in grid_ids
    }


# --- the week -----------------------------------------------------------------------------------------------


def _zone() -> ZoneInfo:
    return ZoneInfo(settings.TIME_ZONE)


def _midnight(day: dt.date) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(), tzinfo=_zone())


def local_day(moment: dt.datetime) -> dt.date:
    return moment.astimezone(_zone()).date()


def week_start(now: dt.datetime) -> dt.datetime:
    """Monday 00:00 (site time zone) of the week holding `now`."""
    today = local_day(now)
    return _midnight(today - dt.timedelta(days=today.weekday()))


def working_days(days: Iterable[dt.date]) -> list[dt.date]:
    """The days among `days` that the default work calendar has working hours on."""
    calendar = calendar_resolve()
    return [day for day in days if calendar.periods_on(day)]


@dataclass(frozen=True)
class WeekProgress:
    """Where `now` stands in its week: the week's working days and those gone by before today."""

    start: dt.datetime
    end: dt.datetime
    working_days: tuple[dt.date, ...]
    elapsed: tuple[dt.date, ...]

    @property
    def share_elapsed(self) -> float:
        return len(self.elapsed) / len(self.working_days) if self.working_days else 0.0


def week_progress(now: dt.datetime) -> WeekProgress:
    start = week_start(now)
    monday = start.date()
    today = local_day(now)
    days = working_days(monday + dt.timedelta(days=i) for i in range(7))
    return WeekProgress(
        start=start,
        end=_midnight(monday + dt.timedelta(days=7)),
        working_days=tuple(days),
        elapsed=tuple(day for day in days if day < today),
    )


@dataclass(frozen=True)
class GridWeekState:
    grid: Grid
    plan: PlanValues
    minutes_week: float
    minutes_required_so_far: int
    coverage_week: float
    state: str  # ON_PLAN | BEHIND | NONE
    coverage_required_so_far: float = 0.0
    patrols_week: int = 0
    last_patrol_at: dt.datetime | None = None
    administrators: list[str] = field(default_factory=list)

    @property
    def state_label(self) -> str:
        return str(STATE_LABELS[self.state])

    @property
    def minutes_short(self) -> bool:
        return self.minutes_week < self.minutes_required_so_far

    @property
    def coverage_short(self) -> bool:
        return self.coverage_week < self.coverage_required_so_far


def _state(
    *, counted: int, minutes: float, minutes_required: int, share: float, share_required: float
) -> str:
    if counted == 0:
        return NONE
    # Figures are rounded when stored (minutes to 0.01, shares to 0.0001): compare with that tolerance.
    if minutes + 0.005 >= minutes_required and share + 0.00005 >= share_required:
        return ON_PLAN
    return BEHIND


def last_patrols(grid_ids: Sequence[int], *, now: dt.datetime) -> dict[int, dt.datetime]:
    """{grid id: start of the last counted patrol that walked in it} over the last month. One query."""
    wanted = {str(grid_id): grid_id for grid_id in grid_ids}
    found: dict[int, dt.datetime] = {}
    rows = (
        Patrol.objects.filter(
            review__in=Patrol.COUNTED, started_at__gte=now - LAST_PATROL_WINDOW, started_at__lte=now
        )
        .order_by("-started_at")
        .values_list("started_at", "minutes_by_grid")
    )
    for started_at, minutes in rows.iterator():
        for key, value in minutes.items():
            grid_id = wanted.get(key)
            if grid_id is not None and value > 0 and grid_id not in found:
                found[grid_id] = started_at
        if len(found) == len(wanted):
            break
    return found


def grid_week_states(
    grids: Iterable[Grid], *, now: dt.datetime | None = None, with_last: bool = False
) -> list[GridWeekState]:
    """This week's patrolling of each grid against its plan, in the grids' order.

    Required so far: the plan's minutes for each working day before today, and its weekly coverage scaled by
    the share of the week's working days gone by. On plan needs both; "none" is a grid without a counted
    patrol this week.
    """
    now = now or clock.now()
    grids = list(grids)
    if not grids:
        return []
    week = week_progress(now)
    plans = plans_for(grids)
    figures = grid_patrol_figures([g.pk for g in grids], start=week.start, end=week.end)
    last = last_patrols([g.pk for g in grids], now=now) if with_last else {}
    states = []
    for grid in grids:
        plan, figure = plans[grid.pk], figures[grid.pk]
        minutes_required = plan.minutes_per_day * len(week.elapsed)
        share_required = round(plan.weekly_coverage * week.share_elapsed, 4)
        administrators = getattr(grid, "administrator_names", [])
        states.append(
            GridWeekState(
                grid=grid,
                plan=plan,
                minutes_week=figure.minutes,
                minutes_required_so_far=minutes_required,
                coverage_week=figure.coverage,
                state=_state(
                    counted=figure.counted,
                    minutes=figure.minutes,
                    minutes_required=minutes_required,
                    share=figure.coverage,
                    share_required=share_required,
                ),
                coverage_required_so_far=share_required,
                patrols_week=figure.counted,
                last_patrol_at=last.get(grid.pk),
                administrators=administrators,
            )
        )
    return states


# --- the overview (supervisors, dispatchers; an administrator's own grids) ----------------------------------


def grids_for_plans(user, *, community: Jurisdiction | None = None):
    """The grids `user` follows the plans of, with their community and administrators, by label: everyone's
    for supervisors, dispatchers and superusers, a grid administrator's own, none for anyone else."""
    scope = policy.patrol_scope(user)
    grids = Grid.objects.select_related("community").only(
        "id", "code", "name", "community__id", "community__name", "community__code",
        "min_lat", "max_lat", "min_lng", "max_lng", "boundary",
    )  # fmt: skip
    if scope is None:
        return []
    if scope == "own":
        grids = grids.filter(pk__in=policy.patrol_grid_ids(user))
    if community is not None:
        grids = grids.filter(community=community)
    assignments = GridAssignment.objects.filter(user__is_active=True).select_related("user")
    grids = list(grids.prefetch_related(Prefetch("assignments", queryset=assignments, to_attr="holders")))
    for grid in grids:
        grid.administrator_names = sorted((display_name(a.user) for a in grid.holders), key=natural_key)
    return sorted(grids, key=lambda g: (natural_key(g.label), g.code))


@dataclass(frozen=True)
class Overview:
    states: list[GridWeekState]
    counts: dict[str, int]
    week: WeekProgress


def patrol_overview(
    user, *, community: Jurisdiction | None = None, now: dt.datetime | None = None
) -> Overview:
    """Every grid `user` follows with this week's state, and how many grids are in each state."""
    now = now or clock.now()
    grids = grids_for_plans(user, community=community)
    states = grid_week_states(grids, now=now, with_last=True)
    counts = dict.fromkeys(STATES, 0)
    for state in states:
        counts[state.state] += 1
    return Overview(states=states, counts=counts, week=week_progress(now))


# --- warnings -----------------------------------------------------------------------------------------------


def _date_text(day: dt.date) -> str:
    return formats.date_format(day, "DATE_FORMAT")


_date_text_lazy = lazy(_date_text, str)


def previous_working_day(now: dt.datetime) -> dt.date | None:
    """The last working day (default work calendar) before today, or None within the lookback."""
    calendar = calendar_resolve()
    today = local_day(now)
    for back in range(1, WORKING_DAY_LOOKBACK + 1):
        day = today - dt.timedelta(days=back)
        if calendar.periods_on(day):
            return day
    return None


def _warning_notice(warning: PatrolWarning, grid: Grid) -> tuple[Message, Message]:
    subject = Message(
        gettext_noop("Grid %(grid)s was patrolled %(done)s of %(required)s minutes on %(day)s"),
        grid=grid.label,
        done=warning.minutes_done,
        required=warning.minutes_required,
        day=_date_text_lazy(warning.day),
    )
    body = Message(
        gettext_noop(
            "The patrol plan of %(grid)s asks for %(required)s minutes on each working day; on %(day)s its "
            "counted patrols took %(done)s minutes. Patrols awaiting a supervisor's decision do not count "
            "until they are accepted."
        ),
        grid=grid.label,
        done=warning.minutes_done,
        required=warning.minutes_required,
        day=_date_text_lazy(warning.day),
    )
    return subject, body


def _created(rows: list[PatrolWarning]) -> list[PatrolWarning]:
    """Insert the warnings; one written meanwhile by another run (same grid and day) is left out."""
    try:
        with transaction.atomic():
            return PatrolWarning.objects.bulk_create(rows)
    except IntegrityError:
        created = []
        for row in rows:
            try:
                with transaction.atomic():
                    row.save(force_insert=True)
                created.append(row)
            except IntegrityError:
                row.pk = None
        return created


def plan_warnings_send(*, now: dt.datetime | None = None) -> list[PatrolWarning]:
    """Warn of every grid with an administrator whose counted patrol minutes on the previous working day fell
    short of its plan: one PatrolWarning per grid and day (a second run sends nothing new), and a notice to
    the grid's administrators and to the supervisors, each in their language."""
    now = now or clock.now()
    day = previous_working_day(now)
    if day is None:
        return []
    warned = set(PatrolWarning.objects.filter(day=day).values_list("grid_id", flat=True))
    assignments = GridAssignment.objects.filter(user__is_active=True).exclude(grid_id__in=warned)
    holders: dict[int, list[str]] = {}
    for grid_id, email in assignments.values_list("grid_id", "user__email"):
        holders.setdefault(grid_id, [])
        if email:
            holders[grid_id].append(email)
    if not holders:
        return []
    grids = list(Grid.objects.filter(pk__in=holders).select_related("community").order_by("code"))
    plans = plans_for(grids)
    start, end = _midnight(day), _midnight(day + dt.timedelta(days=1))
    figures = grid_patrol_figures([g.pk for g in grids], start=start, end=end, with_coverage=False)
    short = []
    for grid in grids:
        required = plans[grid.pk].minutes_per_day
        done = figures[grid.pk].minutes
        if required > 0 and done < required:
            short.append(
                PatrolWarning(
                    grid=grid,
                    day=day,
                    minutes_required=required,
                    minutes_done=int(done),  # whole minutes walked: 119.9 of 120 is still short
                    created_at=now,
                )
            )
    if not short:
        return []
    by_id = {grid.pk: grid for grid in grids}
    supervisors = role_recipients(Role.SUPERVISOR)
    with transaction.atomic():
        created = _created(short)
        notices = []
        for warning in created:
            grid = by_id[warning.grid_id]
            subject, body = _warning_notice(warning, grid)
            notices.append((warning, holders[grid.pk] + supervisors, subject, body))
        notifications_queue(kind=WARNING_KIND, notices=notices)
    return created
