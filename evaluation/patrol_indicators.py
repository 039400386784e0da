"""Patrol, visit and discovery indicators (巡查、走访、发现率) of grids, communities, grid administrators and
the whole district, for a period of `evaluation.indicators`.

They answer the failure the seed names: problems found late and patrols that exist only on paper. Patrols
count by their review (``patrols.models.Patrol.review``): a clean patrol counts at once, a flagged one only
once a supervisor has accepted it. Unlike the case figures, which replay the history up to the period's
as-of, patrols are read with their review as it stands when the figures are computed: a flagged patrol
accepted later counts in its period from then on (the decision is recorded in the patrol's own chain).

Periods
    The same local-date periods as the case figures. A patrol belongs to the period in which it started
    (a patrol across midnight at the period's end counts in the period it began); only patrols whose
    figures were computed (ended, ``review`` set) are read. Cases are those reported in the period.

Figures
    - ``patrol_hours`` 巡查时长: hours of counted patrols (review clean or accepted). For a grid, the time
      the track spent in the grid (``Patrol.minutes_by_grid``) / 60; for a community, the sum over its
      grids; for the whole district, the sum over every grid (time inside the district's grids); for a grid
      administrator, the whole duration of their own counted patrols (``Patrol.duration_s``) / 3600.
    - ``coverage`` 巡查覆盖率: the share of a grid's area covered by the union of the period's counted
      tracks, buffered by the patrol buffer width (``patrols.plans.grid_patrol_figures``; walking a street
      twice counts once). A community, an administrator (the grids they hold) and the whole district get
      the area-weighted mean of their grids (``Grid.area_m2``): covered m² / area m².
    - ``patrols`` 巡查次数 and ``flagged`` 异常巡查数: patrols with computed figures, and those of them with
      plausibility flags (review pending, accepted or rejected), counted or not.
      ``flagged_share`` 异常巡查占比 = flagged / patrols. A patrol belongs to its patroller and to every grid
      it reached: walked in (``minutes_by_grid``), touched, or covered some of from beside it — the rule of
      ``patrols.plans.grid_patrol_figures``, so the evaluation and the patrol overview agree. A community
      counts it once however many of its grids it reached; the district counts every patrol.
    - ``visits_planned`` 应走访数 and ``visits_done`` 已走访数: visits due in the period under the visit
      plans of the grid's households and units, and those of them done (``patrols.visits.visits_due``);
      ``visit_rate`` 走访完成率 = visits_done / visits_planned. A community, an administrator (the grids they
      hold) and the district sum their grids.
    - ``cases`` 有效上报数: cases reported in the period in the grid and not rejected (invalid or
      duplicate) by the period's as-of. A rejected report is no problem found: leaving it out keeps junk
      reports from raising the rate, and of two reports of one problem only the surviving one counts.
    - ``discovered`` 主动发现数: of those, the cases reported from a patrol (``Case.source`` patrol) by an
      administrator who holds the case's grid — found by the grid's own people, not by residents, the
      hotline or Open311. For a grid administrator: the cases in the grids they hold, and of those the
      ones they reported themselves.
      ``discovery_rate`` 发现率 = discovered / cases: "found late" made measurable.
    Who holds a grid is read from today's assignments (``grids.GridAssignment`` keeps no history).

Rates are percentages by the product's one rule (``gridmgmt.figures``: rounded half-up to one decimal),
``None`` (shown "—", exported empty) when the denominator is 0.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable, Iterator
from dataclasses import dataclass

from django.contrib.auth import get_user_model
from django.db.models import Exists, OuterRef
from django.utils.translation import gettext_lazy as _

from cases.models import Case, CaseEvent
from gridmgmt import clock
from gridmgmt.figures import decimal_value, percent_of, percent_value
from gridmgmt.people import display_name_of
from gridmgmt.roles import Role
from gridmgmt.sorting import natural_key
from grids.models import Grid, GridAssignment, Jurisdiction, grid_label
from patrols import plans, visits
from patrols.models import Patrol

from .indicators import ADMINISTRATOR, COMMUNITY, GRID, TOTAL, TOTAL_KEY, Period, local_today, ratio

PATROL_KINDS = (TOTAL, COMMUNITY, GRID, ADMINISTRATOR)
FLAGGED_REVIEWS = frozenset({Patrol.Review.PENDING, Patrol.Review.ACCEPTED, Patrol.Review.REJECTED})
_REJECT = "reject"  # cases.workflow.Action.REJECT, the event that rejects a report

# The export columns of the patrol set, in order: stable snake_case names, as for the case figures.
PATROL_COLUMNS = (
    "period_start",
    "period_end",
    "kind",
    "key",
    "label",
    "patrol_hours",
    "coverage",
    "covered_km2",
    "area_km2",
    "patrols",
    "flagged",
    "flagged_share",
    "visits_planned",
    "visits_done",
    "visit_rate",
    "cases",
    "discovered",
    "discovery_rate",
    "as_of",
)

# One line per figure, for the formulas page: (name, standard term, formula), as evaluation.indicators.
PATROL_FORMULAS: tuple[tuple[str, str, object], ...] = (
    (
        "patrol_hours",
        "巡查时长",
        _(
            "hours of counted patrols: for a grid, the time their tracks spent in it; for a community or the "
            "district, the sum over its grids; for a grid administrator, the whole duration of their own "
            "counted patrols"
        ),
    ),
    (
        "coverage",
        "巡查覆盖率",
        _(
            "share of the grid's area covered by the period's counted tracks together (a street walked twice "
            "counts once); for a community, an administrator's grids or the district: covered area / area"
        ),
    ),
    (
        "patrols",
        "巡查次数",
        _(
            "patrols started in the period whose figures were computed, counted or not, that reached the "
            "grid (walked in it, or covered some of it); each counts once in a community"
        ),
    ),
    (
        "flagged",
        "异常巡查数",
        _("of those, patrols with plausibility flags (awaiting review, accepted or rejected)"),
    ),
    ("flagged_share", "异常巡查占比", _("flagged / patrols")),
    ("visits_planned", "应走访数", _("home visits due in the period under the visit plans")),
    ("visits_done", "已走访数", _("of those, the visits done")),
    ("visit_rate", "走访完成率", _("visits_done / visits_planned")),
    (
        "cases",
        "有效上报数",
        _("cases reported in the period in the grid, less those rejected as invalid or duplicate"),
    ),
    (
        "discovered",
        "主动发现数",
        _(
            "of those, the cases reported on patrol by an administrator of the grid (for an administrator: "
            "by themselves), rather than by residents, the hotline or Open311"
        ),
    ),
    ("discovery_rate", "发现率", _("discovered / cases")),
)


# --- figures ------------------------------------------------------------------------------------------------


@dataclass
class PatrolFigures:
    """The patrol, visit and discovery figures of one group over one period. Rates are derived."""

    kind: str
    key: str
    label: object = ""  # a str, or a lazy translation for the whole district
    patrol_minutes: float = 0.0
    area_m2: float = 0.0
    covered_m2: float = 0.0
    patrols: int = 0
    flagged: int = 0
    visits_planned: int = 0
    visits_done: int = 0
    cases: int = 0
    discovered: int = 0

    @property
    def patrol_hours(self) -> float:
        return self.patrol_minutes / 60

    @property
    def coverage(self) -> float | None:
        """Covered area / area (the area-weighted mean of the grids' coverage); None without an area."""
        if self.area_m2 <= 0:
            return None
        return min(1.0, self.covered_m2 / self.area_m2)

    @property
    def covered_km2(self) -> float:
        return self.covered_m2 / 1e6

    @property
    def area_km2(self) -> float:
        return self.area_m2 / 1e6

    @property
    def flagged_share(self) -> float | None:
        return ratio(self.flagged, self.patrols)

    @property
    def visit_rate(self) -> float | None:
        return ratio(self.visits_done, self.visits_planned)

    @property
    def discovery_rate(self) -> float | None:
        return ratio(self.discovered, self.cases)


@dataclass
class PatrolTable:
    """One grouping's patrol figures for a period."""

    period: Period
    kind: str
    rows: list[PatrolFigures]
    as_of: dt.datetime


@dataclass(frozen=True)
class _GridRow:
    id: int
    code: str
    label: str
    community_id: int | None
    area_m2: float


def _grids() -> dict[int, _GridRow]:
    rows = Grid.objects.values_list("id", "code", "name", "community_id", "community__name", "area_m2")
    return {
        pk: _GridRow(pk, code, grid_label(name, community or ""), community_id, area or 0.0)
        for pk, code, name, community_id, community, area in rows
    }


def _people() -> tuple[dict[int, str], dict[int, set[int]]]:
    """Holders of the grid administrator role, {user id: name}, and who holds each grid, {grid id: ids of
    its holders} (a grid's own people)."""
    admins = get_user_model().objects.filter(groups__name=Role.GRID_ADMIN).distinct()
    names = {
        pk: display_name_of(username, first, last)
        for pk, username, first, last in admins.values_list("id", "username", "first_name", "last_name")
    }
    holders: dict[int, set[int]] = defaultdict(set)
    for grid_id, user_id in GridAssignment.objects.values_list("grid_id", "user_id"):
        holders[grid_id].add(user_id)
    return names, holders


def _patrols(period: Period, as_of: dt.datetime) -> list[tuple[int, str, int, set[int]]]:
    """(patroller, review, duration_s, ids of the grids it reached) of the computed patrols started in the
    period. A patrol reaches a grid it walked in, touched, or covered some of from beside it: the rule of
    patrols.plans.grid_patrol_figures, so a community counts the patrols its grids count."""
    rows = Patrol.objects.filter(
        state=Patrol.State.COMPUTED, started_at__gte=period.start_at, started_at__lt=as_of
    ).exclude(review=Patrol.Review.NONE)
    out = []
    for patroller, review, duration_s, minutes, touched, shares in rows.values_list(
        "patroller_id", "review", "duration_s", "minutes_by_grid", "grid_ids", "coverage"
    ):
        reached = {int(k) for k, v in (minutes or {}).items() if v > 0}
        reached |= {int(k) for k, v in (shares or {}).items() if v > 0}
        reached |= set(touched or ())
        out.append((patroller, review, duration_s, reached))
    return out


def _cases(period: Period, as_of: dt.datetime) -> list[tuple[int, str, int | None]]:
    """(grid, source, reporter) of the cases reported in the period and not rejected by as-of."""
    rejected = CaseEvent.objects.filter(case_id=OuterRef("pk"), action=_REJECT, created_at__lt=as_of)
    rows = Case.objects.filter(reported_at__gte=period.start_at, reported_at__lt=as_of).exclude(
        Exists(rejected)
    )
    return list(rows.values_list("grid_id", "source", "reporter_id"))


class _Tally:
    """Figures gathered per group key while walking the patrols, cases and grids once."""

    def __init__(self):
        self.rows: dict[str, PatrolFigures] = {}

    def get(self, kind: str, key: str) -> PatrolFigures:
        row = self.rows.get(key)
        if row is None:
            row = self.rows[key] = PatrolFigures(kind=kind, key=key)
        return row


def patrol_indicators(
    period: Period, *, kinds: Iterable[str] = PATROL_KINDS, now: dt.datetime | None = None
) -> dict[str, PatrolTable]:
    """The patrol, visit and discovery figures of every group of each kind (total, community, grid,
    administrator), in natural order of their names. A fixed number of queries, whatever the number of
    grids, patrols or cases (plus those of plans.grid_patrol_figures and visits.visits_due, called once)."""
    kinds = list(kinds)
    for kind in kinds:
        if kind not in PATROL_KINDS:
            raise ValueError(f"no patrol figures by {kind!r}")
    as_of = period.as_of(now or clock.now())
    grids = _grids()
    communities, community_names = {}, {}
    for pk, code, name in Jurisdiction.objects.filter(level=Jurisdiction.Level.COMMUNITY).values_list(
        "id", "code", "name"
    ):
        communities[pk], community_names[code] = code, name
    admin_names, holders = _people()
    patrols = _patrols(period, as_of)
    cases = _cases(period, as_of)
    grid_ids = sorted(grids)
    patrol_figures = plans.grid_patrol_figures(grid_ids, start=period.start_at, end=as_of)
    # Visits due so far: while the period runs, through today.
    last_day = min(period.end, local_today(as_of))
    visit_figures = visits.visits_due(grid_ids=grid_ids, start=period.start, end=last_day)

    by_grid, by_community, by_admin, total = _Tally(), _Tally(), _Tally(), _Tally()
    district = total.get(TOTAL, TOTAL_KEY)

    def community_of(grid_id: int) -> str | None:
        row = grids.get(grid_id)
        return communities.get(row.community_id) if row is not None else None

    # Grids: their patrolling as the patrol plans see it (one answer for the overview and the evaluation),
    # area and visits; communities, administrators and the district sum the time, area and visits.
    for grid_id, row in grids.items():
        cell = by_grid.get(GRID, row.code)
        cell.area_m2 = row.area_m2
        figures = patrol_figures.get(grid_id)
        if figures is not None:
            cell.patrol_minutes = figures.minutes
            cell.covered_m2 = figures.coverage * row.area_m2
            cell.patrols, cell.flagged = figures.patrols, figures.flagged
        cell.visits_planned, cell.visits_done = visit_figures.get(grid_id, (0, 0))
        groups = [district]
        if (community := community_of(grid_id)) is not None:
            groups.append(by_community.get(COMMUNITY, community))
        groups += [
            by_admin.get(ADMINISTRATOR, str(user)) for user in holders.get(grid_id, ()) if user in admin_names
        ]
        for group in groups:
            group.area_m2 += cell.area_m2
            group.covered_m2 += cell.covered_m2
            group.visits_planned += cell.visits_planned
            group.visits_done += cell.visits_done
            if group.kind != ADMINISTRATOR:  # an administrator's hours are their own patrols'
                group.patrol_minutes += cell.patrol_minutes

    # Patrols counted once per community (however many of its grids one crossed), the district, and the
    # patroller.
    for patroller, review, duration_s, reached in patrols:
        counted = review in Patrol.COUNTED
        flagged = review in FLAGGED_REVIEWS
        seen = {community_of(grid_id) for grid_id in reached} - {None}
        for community in seen:
            group = by_community.get(COMMUNITY, community)
            group.patrols += 1
            group.flagged += flagged
        district.patrols += 1
        district.flagged += flagged
        if patroller in admin_names:
            mine = by_admin.get(ADMINISTRATOR, str(patroller))
            mine.patrols += 1
            mine.flagged += flagged
            if counted:
                mine.patrol_minutes += duration_s / 60

    # Cases: found by the grid's own people on patrol, or not.
    for grid_id, source, reporter in cases:
        own = holders.get(grid_id, set())
        found = source == Case.Source.PATROL and reporter in own
        groups = [district]
        if grid_id in grids:
            groups.append(by_grid.get(GRID, grids[grid_id].code))
        if (community := community_of(grid_id)) is not None:
            groups.append(by_community.get(COMMUNITY, community))
        for group in groups:
            group.cases += 1
            group.discovered += found
        for user in own:
            if user in admin_names:
                mine = by_admin.get(ADMINISTRATOR, str(user))
                mine.cases += 1
                mine.discovered += reporter == user and source == Case.Source.PATROL

    labels = {
        TOTAL: {TOTAL_KEY: _("Whole district")},
        GRID: {row.code: row.label for row in grids.values()},
        COMMUNITY: community_names,
        ADMINISTRATOR: {str(pk): name for pk, name in admin_names.items()},
    }
    tallies = {TOTAL: total, GRID: by_grid, COMMUNITY: by_community, ADMINISTRATOR: by_admin}
    out = {}
    for kind in kinds:
        rows = []
        for key, label in labels[kind].items():
            row = tallies[kind].get(kind, key)
            row.label = label
            rows.append(row)
        rows.sort(key=lambda r: (natural_key(str(r.label)), r.key))
        out[kind] = PatrolTable(period=period, kind=kind, rows=rows, as_of=as_of)
    return out


def patrol_table_rows(table: PatrolTable) -> Iterator[list]:
    """The table as export rows in PATROL_COLUMNS order: hours and km² with two decimals, rates as
    percentages by the one rule (66.7, a Decimal), empty where there is no denominator."""
    for row in table.rows:
        yield [
            table.period.start,
            table.period.end,
            table.kind,
            row.key,
            row.label,
            decimal_value(row.patrol_hours, 2),
            percent_value(row.coverage),
            decimal_value(row.covered_km2, 2),
            decimal_value(row.area_km2, 2),
            row.patrols,
            row.flagged,
            percent_of(row.flagged, row.patrols),
            row.visits_planned,
            row.visits_done,
            percent_of(row.visits_done, row.visits_planned),
            row.cases,
            row.discovered,
            percent_of(row.discovered, row.cases),
            table.as_of,
        ]
