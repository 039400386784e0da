"""Builders for test data: a tiny district of four square grids, categories, departments and personas."""

import datetime as dt
import itertools
from types import SimpleNamespace

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group

from cases.models import Category
from departments.models import Department
from dispatch.models import RoutingRule
from gridmgmt.roles import Role
from grids import services as grid_services
from places.models import FacilityClass
from places.taxonomy import facility_classes_ensure
from worktime.models import CalendarDay, WorkCalendar, WorkingHours
from worktime.services import STANDARD_HOURS, calendar_make_default, calendar_touch

_counter = itertools.count(1)

# Four 0.01° × 0.01° grids (about 1 km²) around the demo point (28.68, 115.89), in two communities.
ORIGIN_LAT, ORIGIN_LNG, STEP = 28.675, 115.885, 0.01


def square(lat0: float, lng0: float, step: float = STEP) -> dict:
    ring = [[lng0, lat0], [lng0 + step, lat0], [lng0 + step, lat0 + step], [lng0, lat0 + step], [lng0, lat0]]
    return {"type": "Polygon", "coordinates": [ring]}


def district() -> dict:
    """Returns {"district", "street", "communities": [a, b], "grids": [g1..g4]} (g1, g2 in community a)."""
    d = grid_services.jurisdiction_ensure(code="360102", name="东湖区")
    s = grid_services.jurisdiction_ensure(code="360102001", name="公园街道")
    a = grid_services.jurisdiction_ensure(code="360102001001", name="渊明社区")
    b = grid_services.jurisdiction_ensure(code="360102001002", name="孺子社区")
    grids = [
        grid_services.grid_save(
            code="36010200100101", name="渊明第一网格", boundary=square(ORIGIN_LAT, ORIGIN_LNG)
        ),
        grid_services.grid_save(
            code="36010200100102", name="渊明第二网格", boundary=square(ORIGIN_LAT, ORIGIN_LNG + STEP)
        ),
        grid_services.grid_save(
            code="36010200100201", name="孺子第一网格", boundary=square(ORIGIN_LAT + STEP, ORIGIN_LNG)
        ),
        grid_services.grid_save(
            code="36010200100202", name="孺子第二网格", boundary=square(ORIGIN_LAT + STEP, ORIGIN_LNG + STEP)
        ),
    ]
    return {"district": d, "street": s, "communities": [a, b], "grids": grids}


def centre(grid) -> tuple[float, float]:
    """(lat, lng) of the middle of a test grid."""
    return (grid.min_lat + grid.max_lat) / 2, (grid.min_lng + grid.max_lng) / 2


def user(
    username: str | None = None, *, roles: tuple[str, ...] = (), grids=(), departments=(), email: str = ""
):
    username = username or f"user{next(_counter)}"
    u = get_user_model().objects.create_user(
        username=username, password="pw", email=email or f"{username}@example.org"
    )
    for role in roles:
        u.groups.add(Group.objects.get_or_create(name=role)[0])
    for grid in grids:
        grid_services.grid_assign(grid=grid, user=u)
    for department in departments:
        department.members.add(u)
    return u


def department(code: str = "", name: str = "") -> Department:
    n = next(_counter)
    return Department.objects.create(
        code=code or f"dept{n}", name=name or f"Department {n}", email=f"dept{n}@example.org"
    )


def categories() -> dict:
    """A major class with two minor classes, and an around-the-clock hazard class."""
    major = Category.objects.create(code="01", name="市容环境", kind=Category.Kind.EVENT)
    waste = Category.objects.create(
        code="0101",
        name="暴露垃圾",
        kind=Category.Kind.EVENT,
        parent=major,
        filing_minutes=30,
        dispatch_minutes=30,
        handling_minutes=240,
        verification_minutes=120,
    )
    ads = Category.objects.create(code="0102", name="非法小广告", kind=Category.Kind.EVENT, parent=major)
    facilities = Category.objects.create(code="02", name="公用设施", kind=Category.Kind.COMPONENT)
    manhole = Category.objects.create(
        code="0201",
        name="井盖破损",
        kind=Category.Kind.COMPONENT,
        parent=facilities,
        around_the_clock=True,
        default_priority=1,
        handling_minutes=60,
    )
    return {"major": major, "waste": waste, "ads": ads, "facilities": facilities, "manhole": manhole}


def rule(*, department, category=None, jurisdiction=None, grid=None, auto_dispatch=False) -> RoutingRule:
    return RoutingRule.objects.create(
        department=department,
        category=category,
        jurisdiction=jurisdiction,
        grid=grid,
        auto_dispatch=auto_dispatch,
    )


# Work calendars: {weekday: [(start, end), ...]}; an end of 00:00 is midnight at the end of the day.
ROUND_THE_CLOCK = {day: [(dt.time(0), dt.time(0))] for day in range(7)}
OFFICE_HOURS = {day: list(STANDARD_HOURS) for day in range(5)}  # Mon–Fri 08:30–12:00, 14:00–17:30


def work_calendar(
    name: str = "",
    *,
    hours: dict | None = None,
    holidays=(),
    workdays=(),
    default: bool = True,
    timezone: str = "Asia/Shanghai",
) -> WorkCalendar:
    """A work calendar (office hours unless told), made the default unless `default=False`."""
    calendar = WorkCalendar.objects.create(name=name or f"calendar {next(_counter)}", timezone=timezone)
    WorkingHours.objects.bulk_create(
        WorkingHours(calendar=calendar, weekday=day, start=start, end=end)
        for day, periods in (OFFICE_HOURS if hours is None else hours).items()
        for start, end in periods
    )
    CalendarDay.objects.bulk_create(
        [CalendarDay(calendar=calendar, date=d, kind=CalendarDay.Kind.HOLIDAY) for d in holidays]
        + [CalendarDay(calendar=calendar, date=d, kind=CalendarDay.Kind.WORKDAY) for d in workdays]
    )
    if default:
        calendar_make_default(calendar)
    calendar_touch(calendar)
    calendar.refresh_from_db()
    return calendar


def world_build() -> SimpleNamespace:
    """A district with four grids, two departments, categories, and the personas:
    gridadmin (grids 1–2), other_gridadmin (grid 3), dispatcher, staff (sanitation), other_staff (roads),
    supervisor, resident, outsider (no role). The `world` fixture; modules build it once for wider scopes.

    Its default work calendar runs around the clock, so deadlines read as wall-clock arithmetic in tests
    about something else; tests of working time make an office-hours calendar the default
    (`work_calendar()`)."""
    work_calendar("round the clock", hours=ROUND_THE_CLOCK)
    # The facility classes come with a migration; a transactional test that ran before on this database
    # (in any order under pytest-xdist) emptied every table, them included.
    if not FacilityClass.objects.exists():
        facility_classes_ensure()
    area = district()
    g1, g2, g3, g4 = area["grids"]
    sanitation = department("sanitation", "环卫局")
    roads = department("roads", "市政局")
    return SimpleNamespace(
        **area,
        g1=g1,
        g2=g2,
        g3=g3,
        g4=g4,
        cats=SimpleNamespace(**categories()),
        sanitation=sanitation,
        roads=roads,
        gridadmin=user("gridadmin", roles=(Role.GRID_ADMIN,), grids=(g1, g2)),
        other_gridadmin=user("gridadmin_b", roles=(Role.GRID_ADMIN,), grids=(g3,)),
        dispatcher=user("dispatcher", roles=(Role.DISPATCHER,)),
        staff=user("staff", roles=(Role.DEPARTMENT_STAFF,), departments=(sanitation,)),
        other_staff=user("staff_roads", roles=(Role.DEPARTMENT_STAFF,), departments=(roads,)),
        supervisor=user("supervisor", roles=(Role.SUPERVISOR,)),
        resident=user("resident", roles=(Role.RESIDENT,)),
        outsider=user("outsider"),
    )
