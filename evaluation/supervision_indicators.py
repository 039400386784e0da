"""Supervision, desk-closure, call-back and on-site figures (督办、台面结案、回访、现场核查) of departments
and grids for a period of `evaluation.indicators`, read from the cases' events (the hash-chained history).

Figures of a department (the case's department: the one that held it; "" for the dispatch center)
    - ``escalations`` 督办次数: supervision levels reached in the period ("supervise" events), split by level
      (``level_<rank>``). A case that climbs three levels counts three times, once per level. The event
      names the department that held the case when the level was reached (``data["department"]``).
    - ``desk_closures`` 台面结案数: cases closed at the dispatch center's desk, without an on-site check
      ("verify_desk").
    - ``callbacks`` 回访数 and its results (``satisfied``, ``basically``, ``unsatisfied``, ``unreachable``):
      call backs recorded ("callback", ``data["result"]``).
      ``satisfaction_rate`` 满意率 = (satisfied + basically) / (satisfied + basically + unsatisfied): a
      caller who could not be reached gives no answer and is left out.

Figures of a grid (the case's grid)
    - ``verifications`` 核查数: verifications done ("verify_pass" and "verify_fail").
    - ``off_site`` 非现场核查数: of those, the ones whose evidence carries flags
      (``data["evidence"]["flags"]`` non-empty: the position was far from the case, missing or imprecise…).
      ``off_site_share`` 非现场核查占比 = off_site / verifications.

An event counts in the period it happened in, up to the period's as-of, as the case figures do. Rates follow
the product's one rule (``gridmgmt.figures``); None (shown "—", exported empty) when the denominator is 0.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from dataclasses import dataclass, field

from django.utils.translation import gettext_lazy as _

from cases.models import CaseEvent, SupervisionLevel
from cases.workflow import SUPERVISE, Action
from departments.models import Department
from dispatch.supervision import level_name
from gridmgmt import clock
from gridmgmt.figures import percent_of
from gridmgmt.sorting import natural_key
from grids.models import grid_label

from .indicators import DEPARTMENT, GRID, Period, ratio

SUPERVISION_KINDS = (DEPARTMENT, GRID)
DISPATCH_CENTER_KEY = ""  # the department column of cases no department held (filing, dispatch)
CALLBACK_RESULTS = ("satisfied", "basically", "unsatisfied", "unreachable")
_ANSWERED = ("satisfied", "basically", "unsatisfied")
_VERIFICATIONS = (Action.VERIFY_PASS, Action.VERIFY_FAIL)
_ACTIONS = (SUPERVISE, Action.VERIFY_DESK, Action.CALLBACK, *_VERIFICATIONS)

SUPERVISION_FORMULAS: tuple[tuple[str, str, object], ...] = (
    (
        "escalations",
        "督办次数",
        _(
            "supervision levels reached in the period, each level of a case once (level_1, level_2, … by "
            "level), for the department that held the case then"
        ),
    ),
    (
        "desk_closures",
        "台面结案数",
        _("cases closed at the dispatch center's desk, without an on-site check"),
    ),
    ("callbacks", "回访数", _("call backs recorded, whatever their result")),
    (
        "satisfaction_rate",
        "满意率",
        _("(satisfied + basically satisfied) / (satisfied + basically satisfied + unsatisfied)"),
    ),
    ("verifications", "核查数", _("verifications done in the grid, passed or failed")),
    (
        "off_site",
        "非现场核查数",
        _("of those, the ones whose evidence was flagged (position far from the case, missing or imprecise)"),
    ),
    ("off_site_share", "非现场核查占比", _("off_site / verifications")),
)


@dataclass
class DepartmentSupervision:
    key: str  # the department's code; "" for the dispatch center
    label: object = ""
    by_level: dict[int, int] = field(default_factory=dict)
    desk_closures: int = 0
    callbacks: dict[str, int] = field(default_factory=lambda: dict.fromkeys(CALLBACK_RESULTS, 0))

    @property
    def escalations(self) -> int:
        return sum(self.by_level.values())

    @property
    def callbacks_total(self) -> int:
        return sum(self.callbacks.values())

    @property
    def satisfied(self) -> int:
        return self.callbacks["satisfied"] + self.callbacks["basically"]

    @property
    def answered(self) -> int:
        return sum(self.callbacks[result] for result in _ANSWERED)

    @property
    def satisfaction_rate(self) -> float | None:
        return ratio(self.satisfied, self.answered)

    def level(self, rank: int) -> int:
        return self.by_level.get(rank, 0)


@dataclass
class GridVerification:
    key: str  # the grid's code
    label: str = ""
    verifications: int = 0
    off_site: int = 0

    @property
    def off_site_share(self) -> float | None:
        return ratio(self.off_site, self.verifications)


@dataclass
class SupervisionFigures:
    period: Period
    as_of: dt.datetime
    ranks: list[int]  # every level of the ladder, and any rank an event names
    levels: dict[int, SupervisionLevel]
    departments: list[DepartmentSupervision]
    grids: list[GridVerification]
    total: DepartmentSupervision

    @property
    def verifications(self) -> int:
        return sum(row.verifications for row in self.grids)

    @property
    def off_site(self) -> int:
        return sum(row.off_site for row in self.grids)

    @property
    def off_site_share(self) -> float | None:
        return ratio(self.off_site, self.verifications)

    @property
    def level_titles(self) -> list[tuple[int, str]]:
        """(rank, the level's name in the active language) for the table's columns."""
        return [
            (rank, level_name(self.levels[rank]) if rank in self.levels else str(rank)) for rank in self.ranks
        ]

    @property
    def department_table(self) -> list[tuple[DepartmentSupervision, list[int]]]:
        """Each department with its count at each level of `ranks`, for the page's table."""
        return [(row, [row.level(rank) for rank in self.ranks]) for row in self.departments]

    def columns(self, kind: str) -> tuple[str, ...]:
        """The export header of one grouping: stable snake_case names (one level_<rank> per level)."""
        head = ("period_start", "period_end", "kind", "key", "label")
        if kind == GRID:
            return (*head, "verifications", "off_site", "off_site_share", "as_of")
        return (
            *head,
            "escalations",
            *(f"level_{rank}" for rank in self.ranks),
            "desk_closures",
            "callbacks",
            *CALLBACK_RESULTS,
            "satisfaction_rate",
            "as_of",
        )

    def rows(self, kind: str) -> Iterator[list]:
        """The export rows of one grouping, in `columns(kind)` order."""
        head = [self.period.start, self.period.end, kind]
        if kind == GRID:
            for row in self.grids:
                share = percent_of(row.off_site, row.verifications)
                yield [*head, row.key, row.label, row.verifications, row.off_site, share, self.as_of]
            return
        for row in self.departments:
            yield [
                *head,
                row.key,
                row.label,
                row.escalations,
                *(row.level(rank) for rank in self.ranks),
                row.desk_closures,
                row.callbacks_total,
                *(row.callbacks[result] for result in CALLBACK_RESULTS),
                percent_of(row.satisfied, row.answered),
                self.as_of,
            ]


def _flagged(data: dict) -> bool:
    evidence = (data or {}).get("evidence")
    return isinstance(evidence, dict) and bool(evidence.get("flags"))


def supervision_indicators(period: Period, *, now: dt.datetime | None = None) -> SupervisionFigures:
    """The figures of the departments (the dispatch center among them) and grids with events in the period,
    in natural order of their names. Two queries, whatever the number of events."""
    as_of = period.as_of(now or clock.now())
    events = CaseEvent.objects.filter(
        action__in=_ACTIONS, created_at__gte=period.start_at, created_at__lt=as_of
    ).values_list(
        "action",
        "data",
        "case__department__code",
        "case__department__name",
        "case__grid__code",
        "case__grid__name",
        "case__grid__community__name",
    )
    levels = list(SupervisionLevel.objects.order_by("rank"))
    departments: dict[str, DepartmentSupervision] = {}  # the departments with events in the period
    department_names: dict[str, str] = {}
    grids: dict[str, GridVerification] = {}  # the grids with verifications in the period
    total = DepartmentSupervision(key="all", label=_("Whole district"))

    def department(code: str | None) -> DepartmentSupervision:
        code = code or DISPATCH_CENTER_KEY
        if code not in departments:
            departments[code] = DepartmentSupervision(key=code)
        return departments[code]

    rows = events.iterator(chunk_size=2000)
    for action, data, department_code, department_name, grid_code, grid_name, community in rows:
        data = data or {}
        if department_code:
            department_names[department_code] = department_name
        if action == SUPERVISE:
            rank = data.get("level")
            if isinstance(rank, int):
                for row in (department(data.get("department")), total):
                    row.by_level[rank] = row.by_level.get(rank, 0) + 1
        elif action == Action.VERIFY_DESK:
            for row in (department(department_code), total):
                row.desk_closures += 1
        elif action == Action.CALLBACK:
            result = data.get("result")
            if result in CALLBACK_RESULTS:
                for row in (department(department_code), total):
                    row.callbacks[result] += 1
        elif grid_code is not None:  # a verification
            if grid_code not in grids:
                grids[grid_code] = GridVerification(
                    key=grid_code, label=grid_label(grid_name, community or "")
                )
            grids[grid_code].verifications += 1
            grids[grid_code].off_site += _flagged(data)
    # A supervision event names the department that held the case then; one that no longer holds any case
    # of the period is looked up by its code (rare: one query, only then).
    unnamed = set(departments) - set(department_names) - {DISPATCH_CENTER_KEY}
    if unnamed:
        department_names.update(Department.objects.filter(code__in=unnamed).values_list("code", "name"))
    for code, row in departments.items():
        row.label = _("Dispatch center") if code == DISPATCH_CENTER_KEY else department_names.get(code, code)
    ranks = sorted({level.rank for level in levels} | set(total.by_level))
    return SupervisionFigures(
        period=period,
        as_of=as_of,
        ranks=ranks,
        levels={level.rank: level for level in levels},
        departments=sorted(departments.values(), key=lambda r: (natural_key(str(r.label)), r.key)),
        grids=sorted(grids.values(), key=lambda r: (natural_key(str(r.label)), r.key)),
        total=total,
    )
