"""The demo seed: the Donghu District layout, taxonomy, departments, people and two months of case history.

Every case is driven through the real services at the time it "happened" (gridmgmt.clock.frozen_at), in
chronological order across all cases, with deadline enforcement fired at each alert point as the beat
would have, so the history, deadlines, alerts and audit chains are exactly what live use would produce.
"""

from __future__ import annotations

import datetime as dt
import heapq
import math
import random
from dataclasses import dataclass, field

import shapely
from django.contrib.auth import get_user_model
from django.contrib.auth.hashers import make_password
from django.contrib.auth.models import Group
from django.db import transaction
from django.db.models import Count, Min, Q
from django.utils import timezone

from cases import services as case_services
from cases.models import OPEN_STATES, Case, CaseEvent, CaseState, Category
from departments.models import Department
from dispatch.models import RoutingRule
from dispatch.services import case_route, deadlines_enforce
from gridmgmt import clock, tasking
from gridmgmt.errors import DomainError
from gridmgmt.roles import Role
from grids import pii
from grids import services as grid_services
from grids.geometry import M_PER_DEG_LAT, M_PER_DEG_LON_EQUATOR, to_shape
from grids.models import Grid, Jurisdiction, Resident
from notifications.models import Notification
from places.models import Facility
from places.taxonomy import facility_classes_ensure
from worktime.services import calendar_china_2026, calendar_default

from . import reference as data
from .base_data import Plan as BasePlan
from .base_data import base_data_counts, base_data_plan, base_data_residents, base_data_write, grid_areas
from .evidence import demo_photo, demo_position
from .hotline import demo_callbacks_seed, demo_callers, demo_hotline_report
from .layout import build_layout
from .patrols import demo_patrols_seed
from .public import demo_public_seed
from .questions import demo_questions_ensure
from .supervision import demo_supervision_seed

HISTORY_DAYS = 60
DEMO_POINT = (28.6800, 115.8900)  # (lat, lng): the map's centre; gridadmin1 holds the grid around it
FACILITY_EVERY = 8  # one report in eight names a city facility (部件)

# --- how reports spread over time: weekday daytime patrols, fewer at weekends, usage growing ---
HOUR_WEIGHTS = (
    0.05, 0.02, 0.02, 0.02, 0.03, 0.1, 0.3, 0.8, 1.6, 2.0, 2.0, 1.6,
    0.8, 0.9, 1.6, 1.8, 1.7, 1.3, 0.9, 0.7, 0.5, 0.35, 0.2, 0.1,
)  # fmt: skip
WEEKDAY_WEIGHTS = (1.0, 1.0, 1.0, 1.0, 1.0, 0.6, 0.45)

# --- the lives cases lead: the steps after the report (and routing), by scenario ---
_HAPPY = "file dispatch accept resolve verify_pass"
SCRIPTS: dict[str, tuple[str, ...]] = {
    name: tuple(steps.split())
    for name, steps in {
        # the eight states, in the order the round-robin hands them out
        "closed": _HAPPY,
        "rejected": "reject",
        "reported": "",
        "filed": "file",
        "dispatched": "file dispatch",
        "in_progress": "file dispatch accept",
        "returned": "file dispatch_wrong return",
        "resolved": "file dispatch accept resolve",
        # the side paths
        "closed_late": _HAPPY,
        "closed_returned": "file dispatch_wrong return redispatch accept resolve verify_pass",
        "closed_rework": "file dispatch accept resolve verify_fail accept resolve verify_pass",
        "closed_extended": "file dispatch accept request_extension approve_extension resolve verify_pass",
        "closed_ext_denied": "file dispatch accept request_extension deny_extension resolve verify_pass",
        "closed_suspended": "file dispatch accept suspend resume resolve verify_pass",
        "rejected_duplicate": "reject_duplicate",
        "suspended": "file dispatch accept suspend",
        "extension_pending": "file dispatch accept request_extension",
    }.items()
}
# Round-robin first, so even a small seed holds every state and every side path at least once.
FORCED_ORDER = tuple(SCRIPTS)
# Then a floor under the live queues (share of all cases), so the dispatcher's inbox is never near-empty.
OPEN_FLOOR = {"reported": 0.012, "filed": 0.01, "dispatched": 0.012, "returned": 0.006}
# Scenarios that need a person at the dispatch center, so never a category the routing auto-dispatches.
MANUAL = {"rejected", "rejected_duplicate", "reported", "filed", "returned", "closed_returned"}
# Report age (hours) of the round-robin cases, so each reaches its state and looks plausible there.
FORCED_AGE_HOURS = {
    "reported": (0.2, 2.5),
    "filed": (0.5, 4),
    "dispatched": (1, 30),
    "in_progress": (2, 72),
    "returned": (1, 24),
    "resolved": (2, 48),
    "suspended": (24, 20 * 24),
    "extension_pending": (4, 48),
    "rejected": (2, 58 * 24),
}
CLOSED_FAMILY = {
    "closed": 70,
    "closed_late": 11,
    "closed_returned": 5,
    "closed_rework": 6,
    "closed_extended": 4,
    "closed_ext_denied": 2,
    "closed_suspended": 2,
}
# (maximum report age in hours, scenario weights): what a case of that age is doing now.
AGE_BUCKETS: tuple[tuple[float, dict[str, float]], ...] = (
    (3, {"reported": 30, "filed": 20, "dispatched": 30, "in_progress": 10, "rejected": 10}),
    (
        12,
        {
            "reported": 3,
            "filed": 5,
            "dispatched": 20,
            "in_progress": 35,
            "resolved": 15,
            "returned": 5,
            "rejected": 7,
            "closed": 10,
        },
    ),
    (
        48,
        {
            "dispatched": 5,
            "in_progress": 20,
            "extension_pending": 3,
            "resolved": 17,
            "returned": 3,
            "closed": 42,
            "rejected": 6,
            "rejected_duplicate": 4,
        },
    ),
    (
        120,
        {
            "in_progress": 6,
            "resolved": 4,
            "extension_pending": 2,
            "suspended": 2,
            "closed": 78,
            "rejected": 5,
            "rejected_duplicate": 3,
        },
    ),
    (math.inf, {"closed": 90, "rejected": 5, "rejected_duplicate": 4, "suspended": 1}),
)
# Departments a dispatcher plausibly mixes up (the first dispatch of a case that gets returned).
CONFUSED_WITH = {
    "municipal": "water",
    "water": "municipal",
    "sanitation": "greening",
    "greening": "sanitation",
    "enforcement": "market",
    "market": "enforcement",
    "housing": "enforcement",
    "power": "municipal",
    "traffic": "municipal",
}
# Late handling for scenarios that show the deadline machinery: fractions of the handling limit.
LATENESS = {"warned": (0.82, 0.98), "overdue": (1.03, 1.45), "escalated": (1.55, 2.2)}


class DemoRefused(Exception):
    """The database is not empty: the demo never mixes with or overwrites real data."""


@dataclass
class Summary:
    grids: int = 0
    streets: int = 0
    communities: int = 0
    categories: int = 0
    departments: int = 0
    routing_rules: int = 0
    users: int = 0
    cases_by_state: dict[str, int] = field(default_factory=dict)
    events_by_action: dict[str, int] = field(default_factory=dict)
    notifications: int = 0
    residents: int = 0
    base_data: dict[str, int] = field(default_factory=dict)  # buildings, houses, … (demo.base_data.Counts)
    step_errors: list[str] = field(default_factory=list)


@dataclass
class _People:
    admin: object
    dispatcher: object
    supervisor: object
    resident: object
    grid_admins: dict[int, list]  # grid id → its administrators
    staff: dict[int, object]  # department id → its staff account


@dataclass
class _Plan:
    """One case: what happens to it (scenario → script) and, while it runs, where it stands."""

    index: int
    scenario: str
    reported_at: dt.datetime
    grid: Grid | None = None
    category: Category | None = None
    point: tuple[float, float] = (0.0, 0.0)
    source: str = Case.Source.PATROL
    reporter: object = None
    lateness: str = ""
    duplicate_of: _Plan | None = None
    facility: Facility | None = None
    steps: tuple[str, ...] = ()
    pos: int = 0
    prev: dt.datetime | None = None
    case: Case | None = None


# --- entry points -----------------------------------------------------------------------------------


def demo_present() -> bool:
    return Grid.objects.exists()


def demo_logins() -> list[str]:
    """The accounts a visitor logs in with, in the order the README lists them (only those that exist)."""
    names = ["admin", "dispatcher", "supervisor", "gridadmin1", "gridadmin2"]
    names += [f"staff_{code}" for code in Department.objects.order_by("code").values_list("code", flat=True)]
    names += ["resident1", "resident2"]
    existing = set(get_user_model().objects.filter(username__in=names).values_list("username", flat=True))
    return [name for name in names if name in existing]


def demo_grid_administrators() -> list[str]:
    """gridadmin1 … gridadminN, in number order."""
    names = (
        get_user_model()
        .objects.filter(username__regex=r"^gridadmin[0-9]+$")
        .values_list("username", flat=True)
    )
    return sorted(names, key=lambda name: int(name.removeprefix("gridadmin")))


def demo_seed(*, cases: int = 360, seed: int = 1, now: dt.datetime | None = None) -> Summary:
    """Fill an empty database with the whole demo in one transaction; nothing is published to Celery."""
    _refuse_unless_empty()
    now = (now or timezone.now()).replace(second=0, microsecond=0)
    rng = random.Random(seed)
    summary = Summary()
    with tasking.suppressed(), transaction.atomic():
        grids, streets = _seed_layout(summary)
        categories = _seed_categories(summary)
        demo_questions_ensure()  # Open311 clients meet services that ask extra questions
        calendar_china_2026(calendar_default())  # deadlines count working time: 2026 holidays, 调休 days
        departments = _seed_departments(summary, categories, streets)
        people = _seed_people(summary, grids, departments, rng)
        # The base data first, so residents write the addresses of real houses (most of them) and link.
        facility_classes_ensure()  # the standard's classes: migrated, but a flushed test database lacks them
        plan = base_data_plan(grid_areas(grids), seed=seed, residents_per_grid=RESIDENTS_PER_GRID)
        written = base_data_write(plan, grids, departments)
        _seed_residents(summary, grids, rng, plan)
        base_data_residents(written, grids)
        _History(rng=rng, now=now, grids=grids, categories=categories, people=people, summary=summary).run(
            cases
        )
        demo_callbacks_seed(rng=random.Random("callbacks"), now=now, dispatcher=people.dispatcher)
        demo_patrols_seed(now=now, seed=seed)  # the administrators' last week: patrols and home visits
        demo_supervision_seed(now=now)  # overdue open cases climb the supervision ladder (督办)
        # The public site: work phones, resident accounts, reports with supporters, ratings.
        demo_public_seed(now=now, home=_grid_at(grids, *DEMO_POINT), seed=seed)
        # History, not news: nobody should be emailed about things that "happened" weeks ago.
        Notification.objects.filter(sent_at__isnull=True).update(sent_at=now)
        summary.notifications = Notification.objects.count()
        summary.residents = Resident.objects.count()
        summary.base_data = vars(base_data_counts())
        summary.cases_by_state = dict(Case.objects.values_list("state").annotate(n=Count("id")).order_by())
        summary.events_by_action = dict(
            CaseEvent.objects.values_list("action").annotate(n=Count("id")).order_by()
        )
    # The hooks ran when the transaction committed (the public site's notices of every seeded step): history
    # too, so nobody is told of them either.
    Notification.objects.filter(sent_at__isnull=True).update(sent_at=now)
    return summary


def _refuse_unless_empty() -> None:
    User = get_user_model()
    present = [
        label
        for label, model in (
            ("grids", Grid),
            ("jurisdictions", Jurisdiction),
            ("categories", Category),
            ("departments", Department),
            ("cases", Case),
        )
        if model.objects.exists()
    ]
    taken = sorted(
        User.objects.filter(
            Q(username__in=["admin", "dispatcher", "supervisor", "resident1", "resident2"])
            | Q(username__startswith="gridadmin")
            | Q(username__startswith="staff_")
        ).values_list("username", flat=True)
    )
    if taken:
        present.append("users " + ", ".join(taken[:5]) + (" …" if len(taken) > 5 else ""))
    if present:
        raise DemoRefused(
            "the database is not empty (it already has " + "; ".join(present) + "): the demo only fills "
            "an empty database and never overwrites data. Use --if-empty to skip quietly, or start from "
            "a fresh database."
        )


# --- reference data ---------------------------------------------------------------------------------


def _seed_layout(summary: Summary) -> tuple[list[Grid], list[Jurisdiction]]:
    layout = build_layout()
    grid_services.jurisdiction_ensure(
        code=layout.district.code, name=layout.district.name, boundary=layout.district.geometry
    )
    streets = [
        grid_services.jurisdiction_ensure(code=a.code, name=a.name, boundary=a.geometry)
        for a in layout.streets
    ]
    for area in layout.communities:
        grid_services.jurisdiction_ensure(code=area.code, name=area.name, boundary=area.geometry)
    grids = [grid_services.grid_save(code=a.code, name=a.name, boundary=a.geometry) for a in layout.grids]
    summary.streets, summary.communities, summary.grids = len(streets), len(layout.communities), len(grids)
    return grids, streets


def _seed_categories(summary: Summary) -> dict[str, Category]:
    by_code: dict[str, Category] = {}
    for major in data.TAXONOMY:
        # A major class carries the limits of its most common minor class: the default for new ones.
        typical = max(major.minors, key=lambda m: m.weight)
        parent = Category.objects.create(
            code=major.code, name=major.name, name_en=major.name_en, kind=major.kind, **_limits(typical)
        )
        by_code[major.code] = parent
        for minor in major.minors:
            by_code[minor.code] = Category.objects.create(
                code=minor.code,
                name=minor.name,
                name_en=minor.name_en,
                kind=major.kind,
                parent=parent,
                publicity=minor.publicity,
                **_limits(minor),
            )
    summary.categories = len(by_code)
    return by_code


def _limits(minor: data.Minor) -> dict:
    return {
        "filing_minutes": minor.filing,
        "dispatch_minutes": minor.dispatch,
        "handling_minutes": minor.handling,
        "verification_minutes": minor.verification,
        "around_the_clock": minor.urgent,
        "default_priority": minor.priority,
    }


def _seed_departments(
    summary: Summary, categories: dict[str, Category], streets: list[Jurisdiction]
) -> dict[str, Department]:
    departments = {
        spec.code: Department.objects.create(
            code=spec.code, name=spec.name, email=f"{spec.code}@{data.EMAIL_DOMAIN}"
        )
        for spec in data.DEPARTMENTS
    }
    rules = [
        RoutingRule(category=categories[major.code], department=departments[major.department])
        for major in data.TAXONOMY
    ]
    minor_routes = dict(data.MINOR_ROUTES)
    for code in data.AUTO_DISPATCH:  # an auto-dispatch rule needs its own minor-class rule
        minor_routes.setdefault(code, _major_of(code).department)
    rules += [
        RoutingRule(
            category=categories[code],
            department=departments[department],
            auto_dispatch=code in data.AUTO_DISPATCH,
        )
        for code, department in minor_routes.items()
    ]
    rules += [
        RoutingRule(
            category=categories[code],
            jurisdiction=streets[min(street_index, len(streets) - 1)],
            department=departments[department],
        )
        for code, street_index, department in data.STREET_ROUTES
    ]
    RoutingRule.objects.bulk_create(rules)
    summary.departments, summary.routing_rules = len(departments), len(rules)
    return departments


def _major_of(minor_code: str) -> data.Major:
    return next(major for major in data.TAXONOMY if major.code == minor_code[:2])


# --- people -----------------------------------------------------------------------------------------


RESIDENTS_PER_GRID = 12


def _seed_residents(summary: Summary, grids: list[Grid], rng, plan: BasePlan) -> None:
    """A dozen registered residents per grid, through the registry service (encrypted, hashed, validated),
    three to a household, each writing their address as the base-data plan says (most name its houses)."""
    today = timezone.localdate()
    used: set[str] = set()
    for grid in grids:
        addresses = plan.for_grid(grid.code).resident_addresses
        for n in range(RESIDENTS_PER_GRID):
            birth = dt.date(1940, 1, 1) + dt.timedelta(days=rng.randrange(365 * 75))
            first17 = f"{data.DISTRICT_ID_PREFIX}{birth:%Y%m%d}{rng.randrange(1000):03d}"
            while first17 in used:
                first17 = first17[:14] + f"{(int(first17[14:]) + 1) % 1000:03d}"
            used.add(first17)
            age = (today - birth).days // 365
            tags = ["elderly_alone"] if age >= 70 and rng.random() < 0.3 else []
            if rng.random() < 0.04:
                tags.append("disability")
            if rng.random() < 0.05:
                tags.append("low_income")
            grid_services.resident_create(
                actor=None,
                grid=grid,
                name=rng.choice(data.SURNAMES) + rng.choice(data.GIVEN_NAMES),
                id_number=first17 + pii.id_check_character(first17),
                address=addresses[n],
                moved_in_on=max(birth, today - dt.timedelta(days=rng.randrange(30, 365 * 30))),
                phone=f"1{rng.choice('3456789')}{rng.randrange(10**9):09d}",
                household_no=f"H{grid.code[-6:]}{n // 3:02d}",
                care_tags=tags,
            )


def _seed_people(summary: Summary, grids: list[Grid], departments: dict[str, Department], rng) -> _People:
    User = get_user_model()
    # Hashed once and shared: the hasher is deliberately slow, and these are public demo passwords anyway.
    password = make_password(data.PASSWORD)
    groups = {name: Group.objects.get_or_create(name=name)[0] for name in Role.GROUPS}
    names = iter(rng.sample([s + g for s in data.SURNAMES for g in data.GIVEN_NAMES], 200))

    def user(username: str, role: str | None = None, **extra):
        u = User.objects.create(
            username=username,
            email=f"{username}@{data.EMAIL_DOMAIN}",
            password=password,
            first_name=next(names),
            **extra,
        )
        if role:
            u.groups.add(groups[role])
        return u

    admin = user("admin", is_superuser=True, is_staff=True)
    dispatcher = user("dispatcher", Role.DISPATCHER)
    supervisor = user("supervisor", Role.SUPERVISOR)
    resident = user("resident1", Role.RESIDENT)
    staff = {}
    for code, department in departments.items():
        staff[department.pk] = user(f"staff_{code}", Role.DEPARTMENT_STAFF)
        department.members.add(staff[department.pk])

    grid_admins: dict[int, list] = {grid.pk: [] for grid in grids}
    holdings = _holdings(grids, rng)
    admins = []
    for number, held in enumerate(holdings, start=1):
        admin_user = user(f"gridadmin{number}", Role.GRID_ADMIN)
        admins.append(admin_user)
        for grid in held:
            grid_services.grid_assign(grid=grid, user=admin_user)
            grid_admins[grid.pk].append(admin_user)
    # A few grids are shared: a neighbouring administrator covers them as well (busy markets, schools).
    for number in range(2, len(holdings), 6):
        grid = holdings[number][0]
        grid_services.grid_assign(grid=grid, user=admins[number - 1])
        grid_admins[grid.pk].append(admins[number - 1])
    summary.users = User.objects.count()
    return _People(admin, dispatcher, supervisor, resident, grid_admins, staff)


def _holdings(grids: list[Grid], rng) -> list[list[Grid]]:
    """Split the grids among administrators, 2–4 neighbouring grids each (gridadmin1 and 2 hold 3).

    The demo point's community comes first, so gridadmin1 patrols the grid the map opens on.
    """
    home = _grid_at(grids, *DEMO_POINT)
    ordered = sorted(grids, key=lambda g: (home is None or g.community_id != home.community_id, g.code))
    holdings, start = [], 0
    while start < len(ordered):
        size = 3 if len(holdings) < 2 else rng.choice((2, 3, 3, 3, 4))
        holdings.append(ordered[start : start + size])
        start += size
    if len(holdings) > 1 and len(holdings[-1]) == 1:  # nobody holds a single leftover grid alone
        holdings[-2].extend(holdings.pop())
    return holdings


def _grid_at(grids: list[Grid], lat: float, lng: float) -> Grid | None:
    point = shapely.Point(lng, lat)
    return next((g for g in sorted(grids, key=lambda g: g.code) if to_shape(g.boundary).covers(point)), None)


# --- history ----------------------------------------------------------------------------------------


class _History:
    """Plans the cases, then plays every step and every deadline alert in time order."""

    def __init__(self, *, rng, now, grids, categories, people: _People, summary: Summary) -> None:
        self.rng, self.now, self.people, self.summary = rng, now, people, summary
        self.start = now - dt.timedelta(days=HISTORY_DAYS)
        self.grids = grids
        self.shapes = {g.pk: to_shape(g.boundary) for g in grids}
        # Points are drawn ~2 m inside the boundary, so locating them finds this grid and no neighbour.
        self.interiors = {pk: shape.buffer(-2e-5) for pk, shape in self.shapes.items()}
        for geom in self.interiors.values():
            shapely.prepare(geom)
        self.minors = [c for c in categories.values() if not c.is_major]
        self.weights = {minor.code: minor.weight for major in data.TAXONOMY for minor in major.minors}
        self.auto = set(data.AUTO_DISPATCH)
        self.departments = {d.code: d for d in Department.objects.all()}
        self.resolutions = {spec.code: spec.resolutions for spec in data.DEPARTMENTS}
        self.alert_floor = self.start - dt.timedelta(days=1)
        # Facilities a report may name: intact ones whose class says which case category a report takes.
        self.by_code = {minor.code: minor for minor in self.minors}
        self.grid_by_id = {grid.pk: grid for grid in grids}
        self.hotline_rng = random.Random("hotline")
        self.callers = demo_callers(self.hotline_rng)
        self.facilities = [
            facility
            for facility in Facility.objects.select_related("facility_class").order_by("code")
            if facility.facility_class.case_category_code in self.by_code
            and facility.surveyed_state == Facility.State.INTACT
        ]

    # planning

    def run(self, count: int) -> None:
        extra = [name for name, share in OPEN_FLOOR.items() for _ in range(round(count * share) - 1)]
        forced = [*FORCED_ORDER, *extra][:count]
        plans = [self._plan(i, forced[i] if i < len(forced) else None) for i in range(count)]
        for plan in plans:
            if plan.scenario == "rejected_duplicate":
                self._link_duplicate(plan, plans)
        self._play(plans)

    def _plan(self, index: int, scenario: str | None) -> _Plan:
        """A case of the given scenario, reported at a time that suits it; or a random one by its age."""
        rng = self.rng
        if scenario is not None:
            low, high = FORCED_AGE_HOURS.get(scenario, (6 * 24, 58 * 24))
            reported_at = self._report_time(
                self.now - dt.timedelta(hours=high), self.now - dt.timedelta(hours=low)
            )
        else:
            reported_at = self._report_time(self.start, self.now - dt.timedelta(minutes=10))
            age_h = (self.now - reported_at).total_seconds() / 3600
            weights = next(w for limit, w in AGE_BUCKETS if age_h < limit)
            scenario = rng.choices(list(weights), list(weights.values()))[0]
            if scenario == "closed":
                scenario = rng.choices(list(CLOSED_FAMILY), list(CLOSED_FAMILY.values()))[0]
        plan = _Plan(index=index, scenario=scenario, reported_at=reported_at, steps=SCRIPTS[scenario])
        candidates = [c for c in self.minors if scenario not in MANUAL or c.code not in self.auto]
        plan.category = rng.choices(candidates, [self.weights[c.code] for c in candidates])[0]
        plan.grid = rng.choice(self.grids)
        plan.point = self._point_in(plan.grid)
        if scenario == "closed_late":
            plan.lateness = rng.choices(list(LATENESS), (5, 4, 1))[0]
        if index % FACILITY_EVERY == FACILITY_EVERY // 2:
            self._on_facility(plan)
        self._choose_reporter(plan)
        return plan

    def _on_facility(self, plan: _Plan) -> None:
        """The report names a city facility (a cover, a lamp, a bin): the case takes its place, its grid and
        its class's category, and the facility shows the case's state while it is open."""
        candidates = [
            facility
            for facility in self.facilities
            if plan.scenario not in MANUAL or facility.facility_class.case_category_code not in self.auto
        ]
        if not candidates:
            return
        plan.facility = self.rng.choice(candidates)
        plan.category = self.by_code[plan.facility.facility_class.case_category_code]
        plan.grid = self.grid_by_id[plan.facility.grid_id]
        plan.point = (plan.facility.lat, plan.facility.lng)

    def _report_time(self, low: dt.datetime, high: dt.datetime) -> dt.datetime:
        """A time in [low, high] drawn by the daily and weekly rhythm of reporting (rejection sampling)."""
        span = (high - low).total_seconds()
        peak = max(HOUR_WEIGHTS) * 1.3
        t = low
        for _ in range(500):
            t = low + dt.timedelta(seconds=self.rng.uniform(0, span))
            local = timezone.localtime(t)
            trend = 0.7 + 0.6 * (t - self.start) / (self.now - self.start)  # more use as the weeks go by
            weight = HOUR_WEIGHTS[local.hour] * WEEKDAY_WEIGHTS[local.weekday()] * trend
            if self.rng.uniform(0, peak) < weight:
                break
        return t.replace(microsecond=0)

    def _point_in(self, grid: Grid) -> tuple[float, float]:
        area = self.interiors[grid.pk]
        if area.is_empty:
            area = self.shapes[grid.pk]
        min_lng, min_lat, max_lng, max_lat = area.bounds
        for _ in range(1000):
            lng, lat = self.rng.uniform(min_lng, max_lng), self.rng.uniform(min_lat, max_lat)
            if area.contains(shapely.Point(lng, lat)):
                return round(lat, 6), round(lng, 6)
        point = area.representative_point()
        return round(point.y, 6), round(point.x, 6)

    def _choose_reporter(self, plan: _Plan) -> None:
        local = timezone.localtime(plan.reported_at)
        daytime = 8 <= local.hour < 19 and local.weekday() < 5
        plan.source = self.rng.choices(
            (Case.Source.PATROL, Case.Source.RESIDENT, Case.Source.HOTLINE),
            (78, 10, 12) if daytime else (35, 25, 40),
        )[0]
        plan.reporter = {
            Case.Source.PATROL: self.rng.choice(self.people.grid_admins[plan.grid.pk]),
            Case.Source.RESIDENT: self.people.resident,
            Case.Source.HOTLINE: self.people.dispatcher,
        }[plan.source]

    def _link_duplicate(self, plan: _Plan, plans: list[_Plan]) -> None:
        """A second report of a case already in hand: same class, a few metres away, hours later."""
        originals = [
            p
            for p in plans
            if p.scenario in CLOSED_FAMILY
            and p.duplicate_of is None
            and p.category.code not in self.auto
            and p.reported_at < self.now - dt.timedelta(hours=3)
        ]
        if not originals:
            plan.scenario, plan.steps = "rejected", SCRIPTS["rejected"]
            return
        original = min(originals, key=lambda p: abs((p.reported_at - plan.reported_at).total_seconds()))
        plan.duplicate_of, plan.category, plan.grid = original, original.category, original.grid
        plan.facility = original.facility
        later = dt.timedelta(minutes=self.rng.uniform(60, 20 * 60))
        plan.reported_at = min(original.reported_at + later, self.now - dt.timedelta(minutes=30))
        plan.reported_at = max(plan.reported_at, original.reported_at + dt.timedelta(minutes=5))
        plan.point = self._near(original)
        self._choose_reporter(plan)

    def _near(self, original: _Plan) -> tuple[float, float]:
        lat0, lng0 = original.point
        area = self.interiors[original.grid.pk]
        for _ in range(50):
            dist, angle = self.rng.uniform(3, 25), self.rng.uniform(0, 2 * math.pi)
            lat = lat0 + dist * math.sin(angle) / M_PER_DEG_LAT
            lng = lng0 + dist * math.cos(angle) / (M_PER_DEG_LON_EQUATOR * math.cos(math.radians(lat0)))
            if area.contains(shapely.Point(lng, lat)):
                return round(lat, 6), round(lng, 6)
        return original.point

    # playing

    def _play(self, plans: list[_Plan]) -> None:
        """Steps and alerts in time order; an alert fires at the first beat (whole minute) after its point."""
        queue = [(plan.reported_at, plan.index, plan) for plan in plans]
        heapq.heapify(queue)
        beat = self._next_beat()
        while queue:
            at, _, plan = queue[0]
            if beat is not None and beat <= at:
                self._enforce(beat)
                beat = self._next_beat()
                continue
            heapq.heappop(queue)
            following = self._step(plan, at)
            if following is not None:
                heapq.heappush(queue, (following, plan.index, plan))
            # Only this case's clock moved, so the next beat is the earlier of the known one and its own.
            beat = min(filter(None, (beat, self._case_beat(plan.case))), default=None)
        while beat is not None:
            self._enforce(beat)
            beat = self._next_beat()

    def _next_beat(self) -> dt.datetime | None:
        """The first beat at which some open case has an alert due (one query over all cases)."""
        floor = self.alert_floor
        points = Case.objects.filter(state__in=OPEN_STATES, suspended_at__isnull=True).aggregate(
            warn=Min("deadline_warn_at", filter=Q(warned_at__isnull=True, deadline_warn_at__gt=floor)),
            due=Min("deadline_at", filter=Q(overdue_at__isnull=True, deadline_at__gt=floor)),
            escalate=Min(
                "deadline_escalate_at", filter=Q(escalated_at__isnull=True, deadline_escalate_at__gt=floor)
            ),
        )
        return self._beat_after(points.values())

    def _case_beat(self, case: Case | None) -> dt.datetime | None:
        """The same as _next_beat, for one case as the last service call left it."""
        if case is None or not case.is_open or case.suspended_at is not None:
            return None
        return self._beat_after(
            point
            for point, flag in (
                (case.deadline_warn_at, case.warned_at),
                (case.deadline_at, case.overdue_at),
                (case.deadline_escalate_at, case.escalated_at),
            )
            if flag is None and point is not None and point > self.alert_floor
        )

    def _beat_after(self, points) -> dt.datetime | None:
        pending = [p for p in points if p is not None]
        if not pending:
            return None
        point = min(pending)
        beat = point.replace(second=0, microsecond=0)
        beat = beat if beat == point else beat + dt.timedelta(minutes=1)
        return beat if beat <= self.now else None

    def _enforce(self, beat: dt.datetime) -> None:
        with clock.frozen_at(beat):
            deadlines_enforce(now=beat)
        # Every point up to the beat has fired (or its case moved on); any new point lies after a later step.
        self.alert_floor = beat

    def _step(self, plan: _Plan, at: dt.datetime) -> dt.datetime | None:
        """Play the plan's next step at `at`; return when the one after it happens (None: the case rests)."""
        with clock.frozen_at(at):
            try:
                if plan.case is None:
                    self._report(plan)
                else:
                    self._act(plan, plan.steps[plan.pos])
                    plan.pos += 1
            except DomainError as exc:
                self.summary.step_errors.append(f"case {plan.index} ({plan.scenario}) step {plan.pos}: {exc}")
                return None
        plan.prev = at
        while plan.pos < len(plan.steps) and self._already_done(plan, plan.steps[plan.pos]):
            plan.pos += 1
        if plan.pos >= len(plan.steps):
            return None
        return self._when(plan, plan.steps[plan.pos])

    def _report(self, plan: _Plan) -> None:
        hotline = plan.source == Case.Source.HOTLINE
        road = self.rng.choice(data.ROADS)
        address = f"{road}{self.rng.randint(1, 399)}{self.rng.choice(data.PLACES)}"
        report = {
            "actor": plan.reporter,
            "lat": plan.point[0],
            "lng": plan.point[1],
            "category": plan.category,
            "description": self.rng.choice(_minor_spec(plan.category.code).descriptions),
            # A facility's case is at the facility's address (case_report takes it when none is given).
            "address": "" if plan.facility else address,
            "facility": plan.facility,
        }
        if hotline:
            # The caller comes from the hotline's own generator (regulars ring again and again), kept
            # encrypted on the case; these two draws only keep the rest of the demo as it always was.
            self.rng.choice(data.HOTLINE_CALLERS), self.rng.randint(0, 9999)
            case = demo_hotline_report(self.hotline_rng, self.callers, **report)
        else:
            case = case_services.case_report(source=plan.source, **report)
        # The route task would run right after commit; in the seed it runs at the same moment.
        plan.case = case_route(case_id=case.pk) or case

    def _already_done(self, plan: _Plan, step: str) -> bool:
        """The routing rule auto-filed and auto-dispatched the case: the dispatcher has nothing to do."""
        state = plan.case.state
        return (step == "file" and state != CaseState.REPORTED) or (
            step == "dispatch" and state == CaseState.DISPATCHED and plan.pos <= 1
        )

    def _act(self, plan: _Plan, step: str) -> None:
        people, case, rng = self.people, plan.case, self.rng
        staff = people.staff.get(case.department_id)
        verifier = rng.choice(people.grid_admins[case.grid_id])
        if step == "file":
            plan.case = case_services.case_file(case=case, actor=people.dispatcher)
        elif step == "reject":
            plan.case = case_services.case_reject(
                case=case, actor=people.dispatcher, reason=rng.choice(data.REJECT_REASONS)
            )
        elif step == "reject_duplicate":
            plan.case = case_services.case_reject(
                case=case,
                actor=people.dispatcher,
                reason=data.DUPLICATE_REASON,
                duplicate_of=plan.duplicate_of.case,
            )
        elif step in ("dispatch", "redispatch", "dispatch_wrong"):
            department = (
                case.suggested_department or self.departments[_major_of(case.category.code).department]
            )
            if step == "dispatch_wrong":
                department = self.departments[CONFUSED_WITH[department.code]]
            plan.case = case_services.case_dispatch(case=case, actor=people.dispatcher, department=department)
        elif step == "accept":
            plan.case = case_services.case_accept(case=case, actor=staff)
        elif step == "return":
            plan.case = case_services.case_return(
                case=case, actor=staff, reason=rng.choice(data.RETURN_REASONS)
            )
        elif step == "request_extension":
            minutes = max(60, round(case.category.handling_minutes * rng.uniform(0.5, 1.5) / 60) * 60)
            case_services.case_request_extension(
                case=case, actor=staff, minutes=minutes, reason=rng.choice(data.EXTENSION_REASONS)
            )
            plan.case = Case.objects.select_related("category", "department").get(pk=case.pk)
        elif step == "approve_extension":
            plan.case = case_services.case_approve_extension(
                case=case, actor=people.dispatcher, note=rng.choice(data.EXTENSION_APPROVALS)
            )
        elif step == "deny_extension":
            plan.case = case_services.case_deny_extension(
                case=case, actor=people.dispatcher, reason=rng.choice(data.EXTENSION_DENIALS)
            )
        elif step == "suspend":
            plan.case = case_services.case_suspend(
                case=case, actor=people.dispatcher, reason=rng.choice(data.SUSPEND_REASONS)
            )
        elif step == "resume":
            plan.case = case_services.case_resume(
                case=case, actor=people.dispatcher, note=rng.choice(data.RESUME_NOTES)
            )
        elif step == "resolve":
            notes = rng.choice(self.resolutions[case.department.code])
            plan.case = case_services.case_resolve(
                case=case, actor=staff, notes=notes, photos=[demo_photo("evidence", clock.now(), rng)]
            )
        elif step == "verify_pass":
            plan.case = case_services.case_verify_pass(
                case=case,
                actor=verifier,
                note=rng.choice(data.VERIFY_PASS_NOTES),
                photos=[demo_photo("verification", clock.now(), rng)],
                position=demo_position(case, rng),
            )
        elif step == "verify_fail":
            plan.case = case_services.case_verify_fail(
                case=case,
                actor=verifier,
                reason=rng.choice(data.VERIFY_FAIL_REASONS),
                photos=[demo_photo("verification", clock.now(), rng)],
                position=demo_position(case, rng),
            )
        else:  # pragma: no cover - a typo in SCRIPTS
            raise ValueError(f"unknown demo step {step!r}")

    def _when(self, plan: _Plan, step: str) -> dt.datetime:
        """When the next step happens: mostly a share of the running stage's limit, sometimes late."""
        rng, case, prev = self.rng, plan.case, plan.prev
        within = self._within
        if step in ("file", "dispatch", "redispatch"):
            at = within(case, *((0.1, 0.7) if rng.random() < 0.93 else (0.85, 1.5)))
        elif step in ("dispatch_wrong", "reject", "reject_duplicate"):
            at = within(case, 0.1, 0.7)
        elif step == "accept":
            at = min(prev + dt.timedelta(minutes=rng.uniform(5, 90)), within(case, 0.25, 0.3))
        elif step == "return":
            at = within(case, 0.05, 0.3)
        elif step == "request_extension":
            at = within(case, 0.5, 0.75)
        elif step in ("approve_extension", "deny_extension"):
            at = prev + dt.timedelta(minutes=rng.uniform(10, 90))
        elif step == "suspend":
            at = within(case, 0.2, 0.5)
        elif step == "resume":
            at = prev + dt.timedelta(days=rng.uniform(1, 4))
        elif step == "resolve":
            at = self._resolve_time(plan)
        elif step == "verify_pass":
            at = within(case, *((0.1, 0.7) if rng.random() < 0.95 else (0.9, 1.6)))
        else:  # verify_fail
            at = within(case, 0.1, 0.6)
        at = max(at, prev + dt.timedelta(minutes=rng.uniform(1, 3)))
        if at >= self.now - dt.timedelta(minutes=1):
            # The plan runs past "now": squeeze the rest in, so every case reaches its planned state.
            at = prev + (self.now - prev) * rng.uniform(0.3, 0.9)
        return at.replace(microsecond=0) if at.replace(microsecond=0) > prev else at

    def _resolve_time(self, plan: _Plan) -> dt.datetime:
        case, rng = plan.case, self.rng
        if case.extension_count:
            return self._within(case, 0.6, 0.95)  # the extended limit
        if plan.scenario == "closed_ext_denied":
            return self._within(case, 0.85, 1.3)
        if plan.lateness and not case.rework_count:
            return self._within(case, *LATENESS[plan.lateness])
        return self._within(case, *((0.3, 0.78) if rng.random() < 0.92 else (0.82, 1.2)))

    def _within(self, case: Case, low: float, high: float) -> dt.datetime:
        """A point at a share of the running deadline (from its start, suspension already shifted)."""
        start, due = case.deadline_started_at, case.deadline_at
        return start + (due - start) * self.rng.uniform(low, high)


def _minor_spec(code: str) -> data.Minor:
    return next(minor for minor in _major_of(code).minors if minor.code == code)
