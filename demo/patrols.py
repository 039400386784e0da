"""The demo's week of patrols and home visits: grid administrators walk their grids on the last seven days
(the first few every working day, most on some days, the last few not at all), a few patrols carry the doubts
the plausibility check is there to catch, and the supervisor has decided on two of them; administrators visit
residents who need care and organisations at risk.

Everything goes through patrols.services (start, points in batches, end, compute, review) and
patrols.visits, at the times it "happened": points are sent a few seconds after they were recorded, as a
phone online would, so only the patrols meant to be flagged are. Tracks walk along straight stretches within
the administrator's own grids (streets are mostly straight), at 4–5 km/h with a fix every 5–10 s, each fix
off by a few metres as phones are, so no two walks share a fingerprint unless one is a copy.
"""

from __future__ import annotations

import datetime as dt
import math
import random
from dataclasses import dataclass, field

import shapely
import shapely.ops
from django.contrib.auth import get_user_model
from django.db.models import Count
from django.utils import timezone
from shapely.geometry import LineString, Point
from shapely.geometry.base import BaseGeometry

from cases.models import Category
from dispatch.services import case_route, deadlines_enforce
from gridmgmt import clock
from grids.geometry import M_PER_DEG_LAT, M_PER_DEG_LON_EQUATOR, to_shape
from grids.models import Grid, GridAssignment, Resident
from patrols import services, visits
from patrols.models import Patrol, Visit
from patrols.services import PointIn
from places.models import Organisation

DAYS = 7  # the last seven days, today included when a patrol has already ended
EVERY_S = (8, 10)  # one fix every 8–10 s (a patrol keeps its interval; the doubtful ones 5–8 s)
WALK_KMH = (4.0, 5.0)
ACCURACY_M = (5.0, 20.0)
BATCH_POINTS = 60  # what the page sends at once: a few minutes of fixes
SEND_DELAY_S = (1.0, 4.0)  # online: a batch leaves the phone seconds after its last fix
INSET_M = 15.0  # walk this far inside the grid's edge, so a fix off by its error stays in the grid
MORNING = (8 * 60 + 30, 10 * 60)  # local start, minutes after midnight
AFTERNOON = (14 * 60 + 30, 16 * 60)
MINUTES = (25, 45)  # how long a patrol lasts
# How much each administrator walked this week, so the supervisor's overview shows every state (and the seed
# stays quick: each point costs the services about a millisecond): gridadmin1 … gridadmin{KEEPERS} keep to
# the plan, the last IDLE walked none, the others patrolled on BEHIND_DAYS working days.
KEEPERS = 4
IDLE = 3
BEHIND_DAYS = (1, 3)
CAR_KMH = 35.0  # the ride in a car: faster than anyone walks or cycles
REVIEW_NOTES = {
    "speed": (
        True,
        "与网格员核实：当日乘社区公务车前往辖区另一网格，车上未关闭巡查，其余轨迹为步行，认可本次巡查。",
    ),
    "copied": (False, "轨迹与该网格员此前一次巡查逐点重合，判定为复制轨迹，不予认可，已约谈。"),
}


# Home visits: who was met, what was noted, the needs found (a blocked drain becomes a case).
VISITORS = 8  # gridadmin1 … gridadmin8 visit this week
VISIT_HOURS = (15 * 60 + 30, 17 * 60 + 30)  # after the afternoon patrol
RESIDENT_VISITS = {  # by the resident's first care tag
    "elderly_alone": (
        ("本人", "老人独居，身体尚可，按时服药；叮嘱注意用电用气安全。", ()),
        ("本人", "家中整洁，冰箱有存粮；留下网格员电话，有事随时联系。", ()),
        ("邻居", "本人不在家，邻居称老人去女儿家小住几天，已电话联系确认平安。", ()),
    ),
    "disability": (
        ("本人及其女儿", "女儿每周末回来照看，近期腿脚不便，上下楼吃力。", ("希望楼道加装扶手",)),
    ),
    "low_income": (
        ("本人", "低保待遇按月到账；咨询临时救助申请，已告知所需材料。", ("咨询临时救助申请流程",)),
    ),
}
OTHER_CARE = (("本人", "近况平稳，家中无安全隐患；留下网格员电话，有事随时联系。", ()),)
ORGANISATION_VISITS = (
    ("消防安全管理人", "灭火器在有效期内，疏散通道畅通，安全出口指示灯正常。", ()),
    ("店长", "后厨燃气报警器未通电，已当场要求整改，下次走访复查。", ("燃气报警器整改复查",)),
    ("值班人员", "消防控制室有人值守，检查记录齐全。", ()),
    ("负责人", "门口堆放纸箱杂物堵塞部分通道，已督促清理。", ()),
)
NEED_VISIT = (
    "本人",
    "反映楼下下水道堵塞多日，污水外溢，出门不便。",
    ("楼下下水道堵塞，污水外溢，请尽快疏通",),
)
NEED_CASE_CATEGORY = "2404"  # 下水道堵塞: the blocked drain an elderly resident reported


@dataclass
class PatrolCounts:
    """What the step seeded (seed_demo prints it)."""

    patrols: int = 0
    points: int = 0
    flags: dict[str, int] = field(default_factory=dict)
    reviews: dict[str, int] = field(default_factory=dict)
    visits: int = 0
    visit_cases: int = 0


@dataclass
class _Fix:
    lat: float
    lng: float
    accuracy: float
    at: dt.datetime


@dataclass
class _PatrolPlan:
    user: object
    fixes: list[_Fix]
    kind: str = "walk"  # walk, or the doubt it carries: speed, jump, outside, copied
    copy_of: _PatrolPlan | None = None
    patrol: Patrol | None = None


class _Metres:
    """Degrees ↔ local metres around the district's latitude (equirectangular, as patrols.coverage)."""

    def __init__(self, lat0: float) -> None:
        self.kx = M_PER_DEG_LON_EQUATOR * math.cos(math.radians(lat0))
        self.ky = M_PER_DEG_LAT

    def geometry(self, shape: BaseGeometry) -> BaseGeometry:
        return shapely.transform(shape, lambda xy: xy * (self.kx, self.ky))

    def degrees(self, x: float, y: float) -> tuple[float, float]:
        """(lat, lng) of a point given in metres."""
        return y / self.ky, x / self.kx


class _Walker:
    """Routes and the fixes a phone records along them, in metres, inside an area."""

    def __init__(self, rng: random.Random, metres: _Metres) -> None:
        self.rng, self.metres = rng, metres

    def point_in(self, area: BaseGeometry) -> tuple[float, float]:
        min_x, min_y, max_x, max_y = area.bounds
        for _ in range(200):
            x, y = self.rng.uniform(min_x, max_x), self.rng.uniform(min_y, max_y)
            if area.contains(Point(x, y)):
                return x, y
        p = area.representative_point()
        return p.x, p.y

    def route(
        self, area: BaseGeometry, start: tuple[float, float], length_m: float
    ) -> list[tuple[float, float]]:
        """Straight stretches of 60–250 m along the compass (streets), each inside `area`, `length_m` long."""
        rng = self.rng
        waypoints, walked, heading = [start], 0.0, rng.randrange(4)
        directions = ((1, 0), (0, 1), (-1, 0), (0, -1))
        while walked < length_m:
            x, y = waypoints[-1]
            leg = None
            for attempt in range(24):
                # Mostly on or across, rarely back the way one came.
                turn = rng.choices((0, 1, 3, 2), (4, 3, 3, 1 if attempt > 8 else 0))[0]
                candidate = (heading + turn) % 4
                length = rng.uniform(60, 250) if attempt < 12 else rng.uniform(20, 80)
                dx, dy = directions[candidate]
                end = (x + dx * length, y + dy * length)
                if area.covers(LineString([(x, y), end])):
                    leg, heading = (end, length), candidate
                    break
            if leg is None:  # boxed in (a narrow corner): back to a point inside and on from there
                end = self.point_in(area)
                leg = (end, math.dist((x, y), end))
            waypoints.append(leg[0])
            walked += leg[1]
        return waypoints

    def fixes(
        self,
        waypoints: list[tuple[float, float]],
        *,
        start: dt.datetime,
        kmh: float,
        every_s: float,
        accuracy: tuple[float, float],
    ) -> list[_Fix]:
        """A fix every `every_s` seconds along the legs at `kmh`, each off by a few metres of GPS error."""
        step = kmh / 3.6 * every_s
        fixes, t, carry = [], start, 0.0
        for (x1, y1), (x2, y2) in zip(waypoints, waypoints[1:], strict=False):
            length = math.dist((x1, y1), (x2, y2))
            s = carry
            while s < length:
                f = s / length
                fixes.append(self._fix(x1 + (x2 - x1) * f, y1 + (y2 - y1) * f, t, accuracy))
                t += dt.timedelta(seconds=every_s)
                s += step
            carry = s - length
        fixes.append(self._fix(*waypoints[-1], t, accuracy))
        return fixes

    def _fix(self, x: float, y: float, at: dt.datetime, accuracy: tuple[float, float]) -> _Fix:
        error = self.rng.uniform(*accuracy)
        # A phone's fix is off by some metres (well within the accuracy it reports).
        lat, lng = self.metres.degrees(x + self.rng.gauss(0, 2.5), y + self.rng.gauss(0, 2.5))
        return _Fix(lat=round(lat, 7), lng=round(lng, 7), accuracy=round(error, 1), at=at)


def _local(day: dt.date, minute: int) -> dt.datetime:
    return timezone.make_aware(dt.datetime.combine(day, dt.time(minute // 60, minute % 60)))


class _Week:
    """Plans every patrol of the week, then plays them in time order through the services."""

    def __init__(self, *, now: dt.datetime, seed: int) -> None:
        self.now = now
        self.rng = random.Random(f"demo-patrols-{seed}")
        User = get_user_model()
        admins = User.objects.filter(username__regex=r"^gridadmin[0-9]+$")
        self.admins = sorted(admins, key=lambda u: int(u.username.removeprefix("gridadmin")))
        self.supervisor = User.objects.filter(username="supervisor").first()
        grids = dict(Grid.objects.values_list("id", "boundary"))
        lat0 = Grid.objects.values_list("min_lat", flat=True).first() or 28.68
        self.metres = _Metres(lat0)
        self.walker = _Walker(self.rng, self.metres)
        self.grid_m = {pk: self.metres.geometry(to_shape(boundary)) for pk, boundary in grids.items()}
        held: dict[int, list[int]] = {}
        for user_id, grid_id in GridAssignment.objects.values_list("user_id", "grid_id").order_by("grid_id"):
            held.setdefault(user_id, []).append(grid_id)
        self.areas: dict[int, BaseGeometry] = {}
        self.neighbours: dict[int, BaseGeometry] = {}
        for admin in self.admins:
            own = shapely.union_all([self.grid_m[pk] for pk in held.get(admin.pk, [])])
            area = own.buffer(-INSET_M)
            if area.geom_type == "MultiPolygon":  # grids that do not touch: walk the largest piece
                area = max(area.geoms, key=lambda g: g.area)
            shapely.prepare(area)
            self.areas[admin.pk] = area
            # The neighbouring grid an administrator strays into (the `outside` patrol).
            others = [
                pk
                for pk in sorted(self.grid_m)
                if pk not in held.get(admin.pk, []) and self.grid_m[pk].touches(own)
            ]
            if others:
                neighbour = self.grid_m[self.rng.choice(others)].buffer(-INSET_M)
                shapely.prepare(neighbour)
                self.neighbours[admin.pk] = neighbour

    # planning

    def plans(self) -> list[_PatrolPlan]:
        rng, plans = self.rng, []
        today = timezone.localdate(self.now)
        days = [today - dt.timedelta(days=offset) for offset in range(DAYS - 1, -1, -1)]
        working = [day for day in days if day.weekday() < 5]
        for number, admin in enumerate(self.admins, start=1):
            if number <= KEEPERS:  # a patrol or two every working day, now and then a Saturday
                walks = {day: rng.choices((1, 2), (5, 5))[0] for day in working}
                walks.update({day: 1 for day in days if day.weekday() == 5 and rng.random() < 0.4})
            elif number > len(self.admins) - IDLE:
                walks = {}  # none this week: the overview's "none", the plan warnings' subject
            else:  # behind: a patrol on a few working days
                picked = rng.sample(working, min(len(working), rng.randint(*BEHIND_DAYS)))
                walks = {day: 1 for day in picked}
            for day in days:
                count = walks.get(day, 0)
                slots = [MORNING, AFTERNOON] if count == 2 else [rng.choice((MORNING, AFTERNOON))] * count
                for slot in slots:
                    start = _local(day, rng.randint(*slot)) + dt.timedelta(seconds=rng.randrange(60))
                    minutes = rng.uniform(*MINUTES)
                    if start + dt.timedelta(minutes=minutes + 10) > self.now:
                        continue  # not walked yet
                    plans.append(self._walk(admin, start, minutes))
        self._doubts(plans)
        return sorted(plans, key=lambda p: p.fixes[0].at)

    def _walk(self, admin, start: dt.datetime, minutes: float) -> _PatrolPlan:
        rng, walker = self.rng, self.walker
        kmh, every_s = rng.uniform(*WALK_KMH), rng.choice(range(EVERY_S[0], EVERY_S[1] + 1))
        area = self.areas[admin.pk]
        route = walker.route(area, walker.point_in(area), kmh / 3.6 * minutes * 60)
        return _PatrolPlan(
            user=admin, fixes=walker.fixes(route, start=start, kmh=kmh, every_s=every_s, accuracy=ACCURACY_M)
        )

    def _doubts(self, plans: list[_PatrolPlan]) -> None:
        """The last patrol but one of four administrators carries a doubt each: a ride in a car, a jump, a
        walk mostly in someone else's grid, and a copy of an earlier patrol."""
        for kind, admin in zip(("jump", "speed", "outside", "copied"), self.admins, strict=False):
            own = [p for p in plans if p.user.pk == admin.pk]
            if len(own) < 3:
                continue
            plan = own[-2]
            if kind == "copied":
                plan.kind, plan.copy_of = kind, own[len(own) // 3 - 1] if len(own) >= 6 else own[0]
                shift = plan.fixes[0].at - plan.copy_of.fixes[0].at
                plan.fixes = [_Fix(f.lat, f.lng, f.accuracy, f.at + shift) for f in plan.copy_of.fixes]
                continue
            rebuilt = self._doubtful(kind, admin, plan.fixes[0].at)
            if rebuilt is not None:
                plan.kind, plan.fixes = kind, rebuilt

    def _doubtful(self, kind: str, admin, start: dt.datetime) -> list[_Fix] | None:
        rng, walker = self.rng, self.walker
        area = self.areas[admin.pk]
        kmh, every_s = rng.uniform(*WALK_KMH), rng.choice((5, 6, 8))
        stretch = kmh / 3.6 * 60  # metres walked per minute

        def walked(region, begin, minutes, at):
            route = walker.route(region, begin, stretch * minutes)
            return walker.fixes(route, start=at, kmh=kmh, every_s=every_s, accuracy=ACCURACY_M)

        neighbour = self.neighbours.get(admin.pk)
        if kind == "outside":
            if neighbour is None:
                return None
            # A short walk at home by the border, then over it: three quarters of the patrol next door.
            border = shapely.ops.nearest_points(area, neighbour)[0]
            home = area.intersection(border.buffer(250))
            first = walked(home, walker.point_in(home), rng.uniform(5, 8), start)
        else:
            first = walked(area, walker.point_in(area), 15, start)
        here = self._metres_of(first[-1])
        at = first[-1].at + dt.timedelta(seconds=every_s)
        if kind == "speed":  # into a car for a kilometre, then on foot again
            far = self._far_point(area, here, 700)
            ride = walker.fixes([here, far], start=at, kmh=CAR_KMH, every_s=every_s, accuracy=ACCURACY_M)
            rest = walked(area, far, rng.uniform(15, 20), ride[-1].at + dt.timedelta(seconds=every_s))
            return first + ride[1:] + rest
        if kind == "jump":  # the next fix half a kilometre away: a teleport
            far = self._far_point(area, here, 500)
            return first + walked(area, far, rng.uniform(15, 20), at)
        if kind == "outside":
            target = min((walker.point_in(neighbour) for _ in range(20)), key=lambda p: math.dist(p, here))
            crossing = walker.fixes([here, target], start=at, kmh=kmh, every_s=every_s, accuracy=ACCURACY_M)
            rest = walked(
                neighbour, target, rng.uniform(30, 40), crossing[-1].at + dt.timedelta(seconds=every_s)
            )
            return first + crossing[1:] + rest
        return None

    def _metres_of(self, fix: _Fix) -> tuple[float, float]:
        return fix.lng * self.metres.kx, fix.lat * self.metres.ky

    def _far_point(
        self, area: BaseGeometry, here: tuple[float, float], at_least: float
    ) -> tuple[float, float]:
        best, best_d = here, 0.0
        for _ in range(300):
            p = self.walker.point_in(area)
            d = math.dist(p, here)
            if d >= at_least:
                return p
            if d > best_d:
                best, best_d = p, d
        return best

    # playing

    def play(self, plans: list[_PatrolPlan], counts: PatrolCounts) -> None:
        for plan in plans:
            plan.patrol = self._patrol(plan)
            counts.patrols += 1
            counts.points += len(plan.fixes)
        self._reviews(plans, counts)

    def _patrol(self, plan: _PatrolPlan) -> Patrol:
        rng, user, fixes = self.rng, plan.user, plan.fixes
        started = fixes[0].at - dt.timedelta(seconds=rng.uniform(2, 20))
        patrol, _ = services.patrol_start(actor=user, at=started)
        for n, i in enumerate(range(0, len(fixes), BATCH_POINTS), start=1):
            batch = fixes[i : i + BATCH_POINTS]
            services.patrol_points_add(
                patrol=patrol,
                actor=user,
                batch=f"demo-{patrol.pk}-{n}",
                points=[PointIn(lat=f.lat, lng=f.lng, accuracy=f.accuracy, recorded_at=f.at) for f in batch],
                now=batch[-1].at + dt.timedelta(seconds=rng.uniform(*SEND_DELAY_S)),
            )
        ended = fixes[-1].at + dt.timedelta(seconds=rng.uniform(3, 40))
        services.patrol_end(patrol=patrol, actor=user, at=ended)
        # The task would run right after the end; in the seed it runs at once.
        return services.patrol_compute(patrol_id=patrol.pk)

    def _reviews(self, plans: list[_PatrolPlan], counts: PatrolCounts) -> None:
        if self.supervisor is None:
            return
        for plan in plans:
            decision = REVIEW_NOTES.get(plan.kind)
            if decision is None or plan.patrol.review != Patrol.Review.PENDING:
                continue
            accept, note = decision
            services.patrol_review(patrol=plan.patrol, actor=self.supervisor, accept=accept, note=note)

    # home visits

    def visit(self, counts: PatrolCounts) -> None:
        """Residents who need care and organisations at risk in the first administrators' grids, visited on
        the week's afternoons; the blocked drain an elderly resident shows becomes a case."""
        rng, n = self.rng, 0
        category = Category.objects.filter(code=NEED_CASE_CATEGORY).first()
        for admin in self.admins[:VISITORS]:
            grid_ids = list(GridAssignment.objects.filter(user=admin).values_list("grid_id", flat=True))
            residents = list(
                Resident.objects.filter(grid_id__in=grid_ids, moved_out_on__isnull=True)
                .exclude(care_tags=[])
                .order_by("pk")
            )
            organisations = list(
                Organisation.objects.filter(grid_id__in=grid_ids).exclude(risk_tags=[]).order_by("pk")
            )
            keeper = admin in self.admins[:KEEPERS]  # those who keep to the plan visit more
            targets = [
                {"resident": r} for r in rng.sample(residents, min(2 if keeper else 1, len(residents)))
            ]
            targets += [
                {"organisation": o} for o in rng.sample(organisations, min(int(keeper), len(organisations)))
            ]
            for target in targets:
                lat, lng, accuracy = self._on_site(target)
                # The first resident visited at a house on record shows a blocked drain: reported as a case
                # the same afternoon, at the house.
                with_case = (
                    "resident" in target
                    and lat is not None
                    and not counts.visit_cases
                    and category is not None
                )
                if "organisation" in target:
                    texts = ORGANISATION_VISITS
                else:
                    texts = RESIDENT_VISITS.get(target["resident"].care_tags[0], OTHER_CARE)
                met, notes, needs = NEED_VISIT if with_case else texts[n % len(texts)]
                visited_at = _visit_day(self, -1 if with_case else n)
                with clock.frozen_at(visited_at + dt.timedelta(minutes=rng.uniform(5, 40))):
                    visit = visits.visit_record(
                        actor=admin,
                        visited_at=visited_at,
                        lat=lat,
                        lng=lng,
                        accuracy=accuracy,
                        met=met,
                        notes=notes,
                        needs=needs,
                        **target,
                    )
                counts.visits += 1
                if with_case:
                    counts.visit_cases += self._need_case(visit, admin, category)
                n += 1

    def _on_site(self, target: dict) -> tuple[float | None, float | None, float | None]:
        """Where the phone was: a few metres from the address (none for an address without a point)."""
        point = visits.address_point(
            resident=target.get("resident"), house=None, organisation=target.get("organisation")
        )
        if point is None:
            return None, None, None
        east, north = self.rng.uniform(-12, 12), self.rng.uniform(-12, 12)
        return (
            round(point[0] + north / self.metres.ky, 7),
            round(point[1] + east / self.metres.kx, 7),
            round(self.rng.uniform(*ACCURACY_M), 1),
        )

    def _need_case(self, visit: Visit, admin, category: Category) -> int:
        need = visit.needs.order_by("pk").first()
        if need is None:
            return 0
        # Reported from the doorstep a few minutes later, and routed as the task would at once.
        with clock.frozen_at(visit.created_at + dt.timedelta(minutes=self.rng.uniform(2, 8))):
            case = visits.visit_need_to_case(need=need, actor=admin, category=category)
            case_route(case_id=case.pk)
        # Its deadline alerts that fell due since then fire now, as the beat's next sweep would.
        with clock.frozen_at(self.now):
            deadlines_enforce(now=self.now)
        return 1


def _visit_day(week: _Week, index: int) -> dt.datetime:
    """The afternoon of a recent working day (spread over the week), before now."""
    today = timezone.localdate(week.now)
    days = [today - dt.timedelta(days=offset) for offset in range(DAYS - 1, -1, -1)]
    working = [day for day in days if day.weekday() < 5] or days
    for day in [working[index % len(working)], *reversed(working)]:
        at = _local(day, week.rng.randint(*VISIT_HOURS))
        if at < week.now - dt.timedelta(minutes=30):
            return at
    return week.now - dt.timedelta(hours=week.rng.uniform(2, 20))


def demo_patrols_seed(*, now: dt.datetime, seed: int = 1) -> PatrolCounts:
    """The week of patrols (and visits) of every demo grid administrator, up to `now`."""
    counts = PatrolCounts()
    week = _Week(now=now, seed=seed)
    week.play(week.plans(), counts)
    week.visit(counts)
    counts.flags = _flag_counts()
    counts.reviews = dict(Patrol.objects.values_list("review").annotate(n=Count("id")).order_by())
    return counts


def demo_patrols_summary() -> str:
    """One line for seed_demo's output."""
    flags = _flag_counts()
    reviews = dict(Patrol.objects.values_list("review").annotate(n=Count("id")).order_by())
    points = sum(Patrol.objects.values_list("point_count", flat=True))
    return (
        f"{Patrol.objects.count()} patrols of the last {DAYS} days ({points} points); flagged: "
        + ", ".join(f"{code} {n}" for code, n in sorted(flags.items()))
        + "; review: "
        + ", ".join(f"{review or 'none'} {n}" for review, n in sorted(reviews.items()))
        + f". {Visit.objects.count()} home visits, {Visit.objects.filter(needs__case__isnull=False).count()}"
        " with a need turned into a case."
    )


def _flag_counts() -> dict[str, int]:
    flags: dict[str, int] = {}
    for patrol_flags in Patrol.objects.exclude(flags=[]).values_list("flags", flat=True):
        for code in {f["code"] for f in patrol_flags}:
            flags[code] = flags.get(code, 0) + 1
    return flags
