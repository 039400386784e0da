"""The demo's base data (一标三实 and 部件): buildings and houses on Nanchang's roads, the residents' homes,
tenants and their landlords, organisations and city facilities in every demo grid.

It is planned first, as plain data from the grid outlines and a seed (`base_data_plan`: deterministic, no
database), then entered as a survey team would (`base_data_write`, `base_data_residents`): buildings and
houses as a file through the base-data import (places.io, checked row by row, written in bulk), the rest
through places.services, so every address key, grid check, code and encryption is the real one.

Sizes are kept modest (about eleven buildings with ninety houses, a dozen organisations and fifteen
facilities a grid) so that `make run` seeds in seconds; `bench/base_data.py` measures the pages at a city's
size.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
import math
import random
from dataclasses import dataclass, field

import shapely
from django.utils import timezone
from shapely.geometry import LineString

from departments.models import Department
from grids import pii
from grids import services as grid_services
from grids.geometry import M_PER_DEG_LAT, M_PER_DEG_LON_EQUATOR, to_shape
from grids.models import Grid, Resident
from places import addresses, codes
from places import services as place_services
from places.io.importing import base_data_import
from places.models import (
    BaseDataImportJob,
    Building,
    Facility,
    House,
    Occupancy,
    Organisation,
    UnmatchedAddress,
)
from places.taxonomy import FACILITY_CLASSES

from . import reference as data

# Lanes (巷, 街) off the main roads: a compound's second gate, a street of small shops. Two characters or
# more before 巷/街, so a "东湖区" written before one is read as the district (places.addresses).
LANES = ("松柏巷", "嘉言巷", "棕帽巷", "翠花街", "羊子巷", "合同巷", "筷子巷", "书院街", "香平巷")
# Compound (小区) names people add to an address; the standard address drops them.
COMPOUND_STEMS = ("恒茂", "豫章", "东湖", "百花", "锦绣", "翠林", "紫阳", "洪都", "青山", "湖滨", "省建")
COMPOUND_WORDS = ("花园", "小区", "新村", "公寓", "家园", "大院")

# Per grid: one residential compound and a row of buildings along the grid's main street.
COMPOUND_BUILDINGS = (4, 5)  # residential buildings (楼栋) of the compound
STREET_BUILDINGS = (6, 7)  # shops below, some with flats above
ROOMS_PER_FLOOR = 2  # per unit
HOUSEHOLD_SIZE = 3  # the seed registers residents three to a household (household_no = n // 3)

# Inside the grid by this much (degrees, ~15 m), so a building and its footprint lie in its own grid.
INSET_DEG = 1.5e-4
MIN_SPACING_M = 22.0


# --- the plan -------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class HousePlan:
    unit: int | None
    room: str
    use: str
    area_m2: int


@dataclass(frozen=True)
class BuildingPlan:
    road: str
    number: str
    name: str  # building number (楼栋); "" for a building known by its door number alone
    use: str
    floors: int
    units: int
    lat: float
    lng: float
    footprint: dict
    houses: tuple[HousePlan, ...]


@dataclass(frozen=True)
class OrganisationPlan:
    name: str
    kind: str
    credit_code: str
    building: int  # index into the grid's buildings
    house: int | None  # index into that building's houses; None: the whole building
    legal_representative: str
    contact_name: str
    contact_phone: str
    employees: int
    risk_tags: tuple[str, ...]
    inspection_in_days: int | None  # the next inspection, from the day of seeding (negative: overdue)


@dataclass(frozen=True)
class FacilityPlan:
    code: str  # the 16 digits, as a survey numbers them: district, class, serial in grid order
    class_code: str
    lat: float
    lng: float
    name: str
    address: str
    owner: str
    department: str  # department code
    state: str


@dataclass(frozen=True)
class NewcomerPlan:
    """A resident the registry does not have yet, who moves into a house of the grid: a tenant (floating
    population, renting from the owner of the grid's first household) or a relative living in."""

    name: str
    id_number: str
    phone: str
    homes: tuple[tuple[int, int, int], ...]  # (building, house, days ago moved in): a move keeps history
    relation: str
    population: str
    is_tenant: bool


@dataclass(frozen=True)
class GridPlan:
    code: str
    buildings: tuple[BuildingPlan, ...]
    organisations: tuple[OrganisationPlan, ...]
    facilities: tuple[FacilityPlan, ...]
    # What the seed's n-th registered resident of the grid writes as their address: most name a house of
    # the plan (in the many ways people write one), a few name none (the unmatched list has something).
    resident_addresses: tuple[str, ...]
    unmatched: tuple[int, ...]  # which of them name no house
    homes: tuple[tuple[int, int], ...]  # household k's house: (building, house)
    rented: tuple[int, int]  # the house household 0 owns and lets
    newcomers: tuple[NewcomerPlan, ...]

    def house(self, ref: tuple[int, int]) -> HousePlan:
        return self.buildings[ref[0]].houses[ref[1]]


@dataclass(frozen=True)
class GridArea:
    """What planning needs of a grid: its code, outline and the names of its community and street."""

    code: str
    boundary: dict
    community: str
    street: str


@dataclass(frozen=True)
class Plan:
    grids: tuple[GridPlan, ...]

    def for_grid(self, code: str) -> GridPlan:
        return next(grid for grid in self.grids if grid.code == code)


def grid_areas(grids: list[Grid]) -> list[GridArea]:
    """The planning input of the seeded grids."""
    rows = Grid.objects.filter(pk__in=[g.pk for g in grids]).select_related("community__parent")
    return [
        GridArea(g.code, g.boundary, g.community.name, g.community.parent.name if g.community.parent else "")
        for g in sorted(rows, key=lambda g: g.code)
    ]


def base_data_plan(areas: list[GridArea], *, seed: int, residents_per_grid: int) -> Plan:
    """The whole demo's base data as plain values: the same areas and seed give an equal plan."""
    rng = random.Random(f"demo-base-data-{seed}")
    planner = _Planner(rng, residents_per_grid)
    return Plan(tuple(planner.grid(index, area) for index, area in enumerate(sorted(areas, key=_code))))


def _code(area: GridArea) -> str:
    return area.code


# --- planning -------------------------------------------------------------------------------------------


def _metres_to_degrees(lat: float) -> tuple[float, float]:
    """(degrees latitude per metre north, degrees longitude per metre east) at `lat`."""
    return 1 / M_PER_DEG_LAT, 1 / (M_PER_DEG_LON_EQUATOR * math.cos(math.radians(lat)))


def _moved(lat: float, lng: float, east_m: float, north_m: float) -> tuple[float, float]:
    per_north, per_east = _metres_to_degrees(lat)
    return lat + north_m * per_north, lng + east_m * per_east


def _rectangle(lat: float, lng: float, length_m: float, width_m: float, angle: float) -> dict:
    """A building's footprint: a length × width rectangle around the point, turned by `angle`."""
    cos, sin = math.cos(angle), math.sin(angle)
    ring = []
    for x, y in ((-1, -1), (1, -1), (1, 1), (-1, 1), (-1, -1)):
        east, north = x * length_m / 2, y * width_m / 2
        corner = _moved(lat, lng, east * cos - north * sin, east * sin + north * cos)
        ring.append([round(corner[1], 7), round(corner[0], 7)])
    return {"type": "Polygon", "coordinates": [ring]}


def _distance_m(a: tuple[float, float], b: tuple[float, float]) -> float:
    per_north, per_east = _metres_to_degrees(a[0])
    return math.hypot((a[0] - b[0]) / per_north, (a[1] - b[1]) / per_east)


@dataclass
class _GridDraft:
    area: GridArea
    inside: object  # the grid shrunk by INSET_DEG (prepared shapely geometry)
    street: LineString | None
    main_road: str
    side_road: str
    taken: list[tuple[float, float]] = field(default_factory=list)
    buildings: list[BuildingPlan] = field(default_factory=list)


class _Planner:
    def __init__(self, rng: random.Random, residents_per_grid: int) -> None:
        self.rng = rng
        self.residents_per_grid = residents_per_grid
        self.next_number: dict[str, int] = {}  # road → the next free door number (odd side)
        self.credit_codes: set[str] = set()
        self.id_numbers: set[str] = set()
        self.phones = iter(range(10_000))
        self.community_roads: dict[str, str] = {}
        self.serials: dict[str, int] = {}  # facility class → the last serial handed out

    def grid(self, index: int, area: GridArea) -> GridPlan:
        rng = self.rng
        shape = to_shape(area.boundary)
        inside = shape.buffer(-INSET_DEG)
        if inside.is_empty or inside.area < shape.area * 0.2:  # a thin grid: stay just inside
            inside = shape.buffer(-2e-5)
        shapely.prepare(inside)
        # A community's grids lie along one main road; each grid has a lane of its own as well.
        community = area.code[:12]
        main_road = self.community_roads.setdefault(
            community, data.ROADS[len(self.community_roads) % len(data.ROADS)]
        )
        draft = _GridDraft(area, inside, self._street(inside), main_road, rng.choice(LANES))
        compound = self._compound(draft)
        street_buildings = self._street_buildings(draft)
        public = self._public_building(draft, index)
        buildings = tuple(draft.buildings)
        homes, rented, newcomers = self._homes(draft, compound)
        unmatched = (HOUSEHOLD_SIZE + 1,) if index % 2 == 1 else ()  # never household 0: it lets a house
        return GridPlan(
            code=area.code,
            buildings=buildings,
            organisations=tuple(self._organisations(draft, index, compound, street_buildings, public)),
            facilities=tuple(self._facilities(draft, index)),
            resident_addresses=tuple(self._resident_addresses(draft, index, homes, unmatched)),
            unmatched=unmatched,
            homes=homes,
            rented=rented,
            newcomers=newcomers,
        )

    # places

    def _street(self, inside) -> LineString | None:
        """The grid's main street: the longest chord through its middle at a random bearing."""
        if inside.is_empty:
            return None
        middle = inside.representative_point()
        angle = self.rng.uniform(0, math.pi)
        reach = 0.05  # degrees: longer than any demo grid
        line = LineString(
            [
                (middle.x - reach * math.cos(angle), middle.y - reach * math.sin(angle)),
                (middle.x + reach * math.cos(angle), middle.y + reach * math.sin(angle)),
            ]
        )
        pieces = inside.intersection(line)
        parts = list(getattr(pieces, "geoms", [pieces]))
        parts = [p for p in parts if p.geom_type == "LineString" and not p.is_empty]
        return max(parts, key=lambda p: p.length) if parts else None

    def _free(self, draft: _GridDraft, point: tuple[float, float], spacing: float = MIN_SPACING_M) -> bool:
        lat, lng = point
        if not draft.inside.contains(shapely.Point(lng, lat)):
            return False
        return all(_distance_m(point, other) >= spacing for other in draft.taken)

    def _somewhere(self, draft: _GridDraft, spacing: float = MIN_SPACING_M) -> tuple[float, float]:
        min_lng, min_lat, max_lng, max_lat = draft.inside.bounds
        for _ in range(300):
            point = (
                round(self.rng.uniform(min_lat, max_lat), 6),
                round(self.rng.uniform(min_lng, max_lng), 6),
            )
            if self._free(draft, point, spacing):
                return point
        middle = draft.inside.representative_point()
        return round(middle.y, 6), round(middle.x, 6)

    def _door(self, road: str) -> str:
        number = self.next_number.get(road, 1 + 2 * self.rng.randrange(5))
        self.next_number[road] = number + 2 * self.rng.randint(1, 4)
        return str(number)

    def _add(self, draft: _GridDraft, building: BuildingPlan) -> int:
        draft.buildings.append(building)
        draft.taken.append((building.lat, building.lng))
        return len(draft.buildings) - 1

    # buildings

    def _compound(self, draft: _GridDraft) -> list[int]:
        """A residential compound (小区) behind one gate: rows of 5–7 storey buildings (楼栋)."""
        rng = self.rng
        road = draft.main_road if rng.random() < 0.6 else draft.side_road
        number = self._door(road)
        centre = self._somewhere(draft, spacing=60)
        angle = rng.uniform(0, math.pi / 2)
        indices = []
        for k in range(rng.randint(*COMPOUND_BUILDINGS)):
            row, col = divmod(k, 2)
            east, north = (col - 0.5) * 45, (row - 0.5) * 32
            east, north = (
                east * math.cos(angle) - north * math.sin(angle),
                east * math.sin(angle) + north * math.cos(angle),
            )
            lat, lng = _moved(*centre, east, north)
            point = (round(lat, 6), round(lng, 6))
            if not self._free(draft, point):
                point = self._somewhere(draft)
            floors, units = rng.choice((5, 6, 6, 7)), rng.choice((1, 1, 2))
            houses = tuple(
                HousePlan(
                    unit=unit,
                    room=f"{floor}{room:02d}",
                    use=rng.choices(_HOME_USES, (7, 2, 1))[0],
                    area_m2=rng.randrange(48, 126),
                )
                for unit in range(1, units + 1)
                for floor in range(1, floors + 1)
                for room in range(1, ROOMS_PER_FLOOR + 1)
            )
            indices.append(
                self._add(
                    draft,
                    BuildingPlan(
                        road=road,
                        number=number,
                        name=str(k + 1),
                        use=Building.Use.RESIDENTIAL,
                        floors=floors,
                        units=units,
                        lat=point[0],
                        lng=point[1],
                        footprint=_rectangle(*point, 14 + 14 * units, 11, angle),
                        houses=houses,
                    ),
                )
            )
        return indices

    def _street_points(self, draft: _GridDraft, count: int, offset_m: float) -> list[tuple[float, float]]:
        """`count` points spread along the main street, alternately `offset_m` to either side of it."""
        street = draft.street
        if street is None:
            return [self._somewhere(draft) for _ in range(count)]
        (x0, y0), (x1, y1) = street.coords[0], street.coords[-1]
        angle = math.atan2(y1 - y0, x1 - x0)
        points = []
        for k in range(count):
            at = street.interpolate((k + 0.5 + self.rng.uniform(-0.3, 0.3)) / count, normalized=True)
            side = offset_m if k % 2 == 0 else -offset_m
            lat, lng = _moved(at.y, at.x, -side * math.sin(angle), side * math.cos(angle))
            if not draft.inside.contains(shapely.Point(lng, lat)):  # the street runs near the edge here
                lat, lng = at.y, at.x
            points.append((round(lat, 6), round(lng, 6)))
        return points

    def _street_buildings(self, draft: _GridDraft) -> list[int]:
        """Two- to four-storey buildings along the main street: shops below, some with flats above."""
        rng = self.rng
        indices = []
        street_angle = 0.0
        if draft.street is not None:
            (x0, y0), (x1, y1) = draft.street.coords[0], draft.street.coords[-1]
            street_angle = math.atan2(y1 - y0, x1 - x0)
        for point in self._street_points(draft, rng.randint(*STREET_BUILDINGS), 18):
            if not self._free(draft, point, spacing=15):
                point = self._somewhere(draft)
            mixed = rng.random() < 0.4
            shops = rng.choice((2, 2, 3))
            houses = [
                HousePlan(None, f"1{k:02d}", House.Use.COMMERCIAL, rng.randrange(18, 90))
                for k in range(1, shops + 1)
            ]
            if mixed:
                houses += [
                    HousePlan(None, f"2{k:02d}", rng.choice((House.Use.RENTED, House.Use.OWNER_OCCUPIED)), 60)
                    for k in range(1, 3)
                ]
            indices.append(
                self._add(
                    draft,
                    BuildingPlan(
                        road=draft.main_road,
                        number=self._door(draft.main_road),
                        name="",
                        use=Building.Use.MIXED if mixed else Building.Use.COMMERCIAL,
                        floors=rng.choice((3, 4)) if mixed else rng.choice((1, 2)),
                        units=1,
                        lat=point[0],
                        lng=point[1],
                        footprint=_rectangle(*point, 16, 12, street_angle),
                        houses=tuple(houses),
                    ),
                )
            )
        return indices

    def _public_building(self, draft: _GridDraft, index: int) -> int | None:
        """A school, a clinic or an office building in some grids."""
        if index % 3 != 0:
            return None
        point = self._somewhere(draft, spacing=40)
        return self._add(
            draft,
            BuildingPlan(
                road=draft.side_road,
                number=self._door(draft.side_road),
                name="",
                use=Building.Use.PUBLIC,
                floors=self.rng.choice((3, 4, 5)),
                units=1,
                lat=point[0],
                lng=point[1],
                footprint=_rectangle(*point, 50, 18, self.rng.uniform(0, math.pi)),
                houses=(),
            ),
        )

    # people

    def _homes(self, draft: _GridDraft, compound: list[int]):
        """Each household's home, the house household 0 lets, and who moves in besides the registry."""
        rng = self.rng
        owned = [
            (b, h)
            for b in compound
            for h, house in enumerate(draft.buildings[b].houses)
            if house.use == House.Use.OWNER_OCCUPIED
        ]
        let = [
            (b, h)
            for b in compound
            for h, house in enumerate(draft.buildings[b].houses)
            if house.use == House.Use.RENTED
        ]
        households = math.ceil(self.residents_per_grid / HOUSEHOLD_SIZE)
        homes = tuple(rng.sample(owned, min(households, len(owned))))
        rented = let[0] if let else next(ref for ref in owned if ref not in homes)
        earlier = next((ref for ref in reversed(let) if ref != rented), rented)
        newcomers = [
            self._newcomer(homes=((*earlier, 3 * 365), (*rented, rng.randrange(60, 300)))),
            self._newcomer(homes=((*rented, rng.randrange(20, 300)),)),
        ]
        if int(draft.area.code[-2:]) % 2 == 1 and homes:  # some households have a relative living in
            newcomers.append(
                self._newcomer(
                    homes=((*homes[-1], rng.randrange(200, 2000)),),
                    relation=Occupancy.Relation.RELATIVE,
                    population=Occupancy.Population.PERMANENT,
                    is_tenant=False,
                )
            )
        return homes, rented, tuple(newcomers)

    def _newcomer(
        self,
        *,
        homes,
        relation: str = Occupancy.Relation.TENANT,
        population: str = Occupancy.Population.FLOATING,
        is_tenant: bool = True,
    ) -> NewcomerPlan:
        rng = self.rng
        # Floating population is registered elsewhere: the ID number says where (Jiangxi and its neighbours).
        place = rng.choice(("360121", "360124", "360403", "360502", "362201", "362502", "430102", "350102"))
        while True:
            birth = dt.date(1965, 1, 1) + dt.timedelta(days=rng.randrange(365 * 38))
            first17 = f"{place}{birth:%Y%m%d}{rng.randrange(1000):03d}"
            if first17 not in self.id_numbers:
                break
        self.id_numbers.add(first17)
        return NewcomerPlan(
            name=rng.choice(data.SURNAMES) + rng.choice(data.GIVEN_NAMES),
            id_number=first17 + pii.id_check_character(first17),
            phone=f"1{rng.choice('3578')}{rng.randrange(10**9):09d}",
            homes=homes,
            relation=relation,
            population=population,
            is_tenant=is_tenant,
        )

    def _resident_addresses(self, draft: _GridDraft, index: int, homes, unmatched) -> list[str]:
        """How each registered resident writes their address: their household's house in one of the ways
        people write it; the `unmatched` ones write something that names no house."""
        texts = []
        for n in range(self.residents_per_grid):
            household = n // HOUSEHOLD_SIZE
            if n in unmatched or household >= len(homes):
                texts.append(self._unmatched_address(draft, index))
                continue
            building = draft.buildings[homes[household][0]]
            house = building.houses[homes[household][1]]
            texts.append(self._written(building, house))
        return texts

    def _written(self, building: BuildingPlan, house: HousePlan) -> str:
        rng = self.rng
        road, number, name, unit, room = building.road, building.number, building.name, house.unit, house.room
        compound = rng.choice(COMPOUND_STEMS) + rng.choice(COMPOUND_WORDS)
        ways = (
            f"{road}{number}号{name}栋{unit}单元{room}室",
            f"东湖区{road}{number}号{name}栋{unit}单元{room}",
            f"南昌市东湖区{road}{number}号{name}栋{unit}单元{room}室",
            f"{road}{number}号{name}-{unit}-{room}",
            f"{road}{number}号{compound}{name}幢{unit}单元{room}",
            f"{road}{number}号{_CHINESE[int(name)]}栋{_CHINESE[unit]}单元{room}室",
            f"江西省南昌市{road} {number}号 {name}#楼{unit}单元{room}",
        )
        return rng.choice(ways)

    def _unmatched_address(self, draft: _GridDraft, index: int) -> str:
        """Texts that name no house of the base data: an old door number, a building's room that is not
        there, words without a door number."""
        rng = self.rng
        road = draft.main_road
        kind = index % 3
        if kind == 0:  # a door number the road does not have (yet)
            number = 901 + 2 * rng.randrange(50)
            return f"{road}{number}号{rng.randint(1, 3)}栋1单元{rng.randint(2, 5)}02室"
        if kind == 1:  # a floor above the building's top
            building = draft.buildings[0]
            return f"{building.road}{building.number}号{building.name or 1}栋1单元{building.floors + 2}01室"
        return f"{draft.side_road}菜市场后面平房"  # no door number at all

    # organisations

    def _credit_code(self, prefix: str) -> str:
        """A unified social credit code: authority and type (2), the district (6), an organisation code of
        eight characters and its GB 11714 check character (9), and the GB 32100 check character."""
        while True:
            body = "".join(self.rng.choice(_ORGANISATION_CODE_CHARACTERS) for _ in range(8))
            code = codes.credit_code_complete(f"{prefix}360102{body}{_gb11714_check(body)}")
            if code not in self.credit_codes:
                self.credit_codes.add(code)
                return code

    def _person(self) -> str:
        return self.rng.choice(data.SURNAMES) + self.rng.choice(data.GIVEN_NAMES)

    def _phone(self) -> str:
        # 1370000xxxx: made-up numbers, so the demo never shows a real person's phone
        return f"1370000{next(self.phones):04d}"

    def _organisation(
        self,
        *,
        name: str,
        kind: str,
        authority: str,
        building: int,
        house: int | None,
        employees: int,
        risk_tags: tuple[str, ...] = (),
    ) -> OrganisationPlan:
        rng = self.rng
        inspection = None
        if risk_tags:
            # Key units are inspected on a schedule; about one in five is past due.
            inspection = -rng.randint(3, 45) if rng.random() < 0.2 else rng.randint(5, 180)
        return OrganisationPlan(
            name=name,
            kind=kind,
            credit_code=self._credit_code(authority),
            building=building,
            house=house,
            legal_representative=self._person(),
            contact_name=self._person(),
            contact_phone=self._phone(),
            employees=employees,
            risk_tags=risk_tags,
            inspection_in_days=inspection,
        )

    def _organisations(self, draft, index: int, compound, street_buildings, public) -> list[OrganisationPlan]:
        rng = self.rng
        road_stem = draft.main_road.removesuffix("大道").removesuffix("路")
        rows = []
        used_names: set[str] = set()
        for b in street_buildings:
            building = draft.buildings[b]
            for h, house in enumerate(building.houses):
                if house.use != House.Use.COMMERCIAL or rng.random() < 0.3:  # some shops stand empty
                    continue
                shop = rng.choice(_SHOPS)
                name = shop.name.format(road=road_stem, surname=rng.choice(data.SURNAMES))
                if name in used_names:
                    name = f"{name}（{building.number}号店）"
                used_names.add(name)
                risk = tuple(tag for tag, share in shop.risks if rng.random() < share)
                rows.append(
                    self._organisation(
                        name=name,
                        kind=Organisation.Kind.SHOP,
                        authority="92",  # market regulation, individual business
                        building=b,
                        house=h,
                        employees=rng.randint(*shop.employees),
                        risk_tags=risk,
                    )
                )
        stem = rng.choice(COMPOUND_STEMS)
        rows.append(
            self._organisation(
                name=f"南昌{stem}{rng.choice(_ENTERPRISE_WORDS)}有限公司",
                kind=Organisation.Kind.ENTERPRISE,
                authority="91",  # market regulation, enterprise
                building=compound[0],
                house=None,
                employees=rng.randint(12, 260),
                risk_tags=(Organisation.Risk.FIRE_SAFETY,) if rng.random() < 0.3 else (),
            )
        )
        if public is not None:
            rows.append(self._public_organisation(draft, index, public))
        if index % 4 == 2:
            rows.append(
                self._organisation(
                    name=f"{draft.area.community}{rng.choice(_SOCIAL)}",
                    kind=Organisation.Kind.SOCIAL,
                    authority="51",  # civil affairs, social organisation
                    building=compound[-1],
                    house=None,
                    employees=rng.randint(0, 6),
                )
            )
        return rows

    def _public_organisation(self, draft, index: int, building: int) -> OrganisationPlan:
        stem = draft.side_road.removesuffix("巷").removesuffix("街")
        crowded = (Organisation.Risk.CROWDED, Organisation.Risk.FIRE_SAFETY)
        if index % 9 == 0:
            return self._organisation(
                name=f"东湖区{draft.area.street.removesuffix('街道').removesuffix('镇')}社区卫生服务中心",
                kind=Organisation.Kind.HOSPITAL,
                authority="12",  # public institution
                building=building,
                house=None,
                employees=self.rng.randint(40, 160),
                risk_tags=crowded,
            )
        if index % 9 == 6:
            return self._organisation(
                name=f"{draft.area.street}办事处",
                kind=Organisation.Kind.GOVERNMENT,
                authority="11",  # government organ
                building=building,
                house=None,
                employees=self.rng.randint(30, 80),
            )
        return self._organisation(
            name=f"南昌市{stem}{self.rng.choice(('小学', '小学', '幼儿园', '中学'))}",
            kind=Organisation.Kind.SCHOOL,
            authority="12",
            building=building,
            house=None,
            employees=self.rng.randint(40, 140),
            risk_tags=crowded,
        )

    # facilities

    def _facilities(self, draft: _GridDraft, index: int) -> list[FacilityPlan]:
        rng = self.rng
        plans: list[FacilityPlan] = []

        def add(class_code: str, point: tuple[float, float], name: str = "") -> None:
            spec = FACILITIES[class_code]
            state = rng.choices(spec.states, spec.state_weights)[0]
            serial = self.serials[class_code] = self.serials.get(class_code, 0) + 1
            plans.append(
                FacilityPlan(
                    code=codes.facility_code_compose(draft.area.code[:6], class_code, serial),
                    class_code=class_code,
                    lat=point[0],
                    lng=point[1],
                    name=name,
                    address=self._near(draft, point),
                    owner=spec.owner,
                    department=facility_department(class_code),
                    state=state,
                )
            )

        lamps = self._street_points(draft, rng.randint(3, 5), 9)
        for k, point in enumerate(lamps, start=1):
            add("0116", point, f"{draft.main_road}{index + 1:02d}-{k:02d}号灯杆")
        for point in self._street_points(draft, rng.randint(2, 3), 6):
            add("0303", point)
        for point in self._street_points(draft, rng.randint(3, 5), 3):
            add(rng.choice(_COVERS), point)
        add("0114", self._street_points(draft, 1, 7)[0])
        for point in self._street_points(draft, rng.randint(1, 2), 5):
            add("0402", point, "香樟")
        extras = rng.sample(_EXTRAS, 2)
        for class_code in extras:
            add(class_code, self._somewhere(draft, spacing=8))
        if index % 7 == 3:
            add("0401", self._somewhere(draft, spacing=8), "古樟树（二级保护）")
        return plans

    def _near(self, draft: _GridDraft, point: tuple[float, float]) -> str:
        nearest = min(draft.buildings, key=lambda b: _distance_m(point, (b.lat, b.lng)))
        return f"{nearest.road}{nearest.number}号{self.rng.choice(('旁', '门前', '对面', '东侧', '西侧'))}"


_HOME_USES = (House.Use.OWNER_OCCUPIED, House.Use.RENTED, House.Use.VACANT)
_CHINESE = ("〇", "一", "二", "三", "四", "五", "六", "七", "八", "九", "十")
_ORGANISATION_CODE_CHARACTERS = "0123456789ABCDEFGHJKLMNPQRTUWXY"
_GB11714_WEIGHTS = (3, 7, 9, 10, 5, 8, 4, 2)


def _gb11714_check(body: str) -> str:
    """The check character of an organisation code (GB 11714): what an old code's ninth character is."""
    total = sum(int(c, 36) * w for c, w in zip(body, _GB11714_WEIGHTS, strict=True))
    check = 11 - total % 11
    return "X" if check == 10 else "0" if check == 11 else str(check)


@dataclass(frozen=True)
class _Shop:
    name: str
    employees: tuple[int, int]
    risks: tuple[tuple[str, float], ...] = ()


_FIRE = Organisation.Risk.FIRE_SAFETY
_SHOPS = (
    _Shop("{road}便民超市", (2, 8), ((Organisation.Risk.CROWDED, 0.2),)),
    _Shop("{surname}记南昌拌粉", (2, 5), ((_FIRE, 0.5),)),
    _Shop("{road}瓦罐汤馆", (3, 8), ((_FIRE, 0.5),)),
    _Shop("{surname}氏水果店", (1, 3)),
    _Shop("百姓大药房（{road}店）", (3, 6)),
    _Shop("{road}五金建材店", (1, 4), ((_FIRE, 0.3),)),
    _Shop("丽人美发店", (2, 6)),
    _Shop("{road}液化气供应点", (2, 4), ((Organisation.Risk.HAZARDOUS, 1.0), (_FIRE, 1.0))),
    _Shop("{surname}家烧烤", (3, 9), ((_FIRE, 0.6),)),
    _Shop("{road}网吧", (2, 6), ((Organisation.Risk.CROWDED, 1.0), (_FIRE, 0.8))),
    _Shop("{surname}记早点铺", (2, 4)),
    _Shop("{road}电动车维修部", (1, 3), ((_FIRE, 0.3),)),
)
_ENTERPRISE_WORDS = ("物业管理", "商贸", "信息科技", "建筑装饰工程", "文化传媒", "餐饮管理")
_SOCIAL = ("老年人协会", "志愿者服务队", "文体协会", "书画协会")


@dataclass(frozen=True)
class _FacilitySpec:
    owner: str
    states: tuple[str, ...] = (
        Facility.State.INTACT,
        Facility.State.DAMAGED,
        Facility.State.MISSING,
        Facility.State.OCCUPIED,
    )
    state_weights: tuple[float, ...] = (93, 5, 1, 1)


_MUNICIPAL = "东湖区市政公用设施管理所"
FACILITIES = {
    "0101": _FacilitySpec("南昌市供水公司", state_weights=(92, 5, 3, 0)),
    "0102": _FacilitySpec(_MUNICIPAL, state_weights=(92, 5, 3, 0)),
    "0103": _FacilitySpec(_MUNICIPAL, state_weights=(92, 5, 3, 0)),
    "0104": _FacilitySpec(_MUNICIPAL, state_weights=(90, 8, 0, 2)),
    "0105": _FacilitySpec("国网南昌供电公司", state_weights=(94, 4, 2, 0)),
    "0107": _FacilitySpec("电信南昌分公司", state_weights=(93, 4, 3, 0)),
    "0114": _FacilitySpec("东湖区消防救援大队", state_weights=(94, 4, 0, 2)),
    "0116": _FacilitySpec("南昌市路灯管理所", state_weights=(93, 7, 0, 0)),
    "0202": _FacilitySpec("南昌市公交运输集团"),
    "0203": _FacilitySpec("交警东湖大队", state_weights=(95, 5, 0, 0)),
    "0301": _FacilitySpec("东湖区环境卫生管理所", state_weights=(95, 5, 0, 0)),
    "0303": _FacilitySpec("东湖区环境卫生管理所", state_weights=(88, 7, 3, 2)),
    "0401": _FacilitySpec("东湖区园林绿化管理所", state_weights=(100, 0, 0, 0)),
    "0402": _FacilitySpec("东湖区园林绿化管理所", state_weights=(95, 5, 0, 0)),
    "0501": _FacilitySpec("社区居民委员会", state_weights=(94, 6, 0, 0)),
    "0601": _FacilitySpec("东湖区文化广电新闻出版旅游局", state_weights=(90, 10, 0, 0)),
    "0602": _FacilitySpec("南昌市公安局东湖分局", state_weights=(96, 4, 0, 0)),
}
_COVERS = ("0101", "0102", "0102", "0103", "0103", "0104", "0105", "0107")
_EXTRAS = ("0202", "0203", "0301", "0501", "0601", "0602")

# Facilities whose owner maintains them, whatever the category's routing says: a water-supply cover is the
# water bureau's, a power cover the power company's (a case on one goes there first: places' precedence).
_OWNER_DEPARTMENTS = {"0101": "water", "0105": "power"}


def facility_department(class_code: str) -> str:
    """The department that maintains a facility of the class: as the demo routes a report of the class's
    case category (demo/reference.py MINOR_ROUTES, else the category's major class), unless its owner
    maintains it (_OWNER_DEPARTMENTS)."""
    if class_code in _OWNER_DEPARTMENTS:
        return _OWNER_DEPARTMENTS[class_code]
    minor = next(m for major in FACILITY_CLASSES for m in major.minors if m.code == class_code)
    category = minor.case_category_code or class_code
    if category in data.MINOR_ROUTES:
        return data.MINOR_ROUTES[category]
    return next(major.department for major in data.TAXONOMY if major.code == category[:2])


# --- writing --------------------------------------------------------------------------------------------


@dataclass
class Written:
    """The rows written for a plan: per grid code, its buildings and each building's houses in plan order."""

    plan: Plan
    buildings: dict[str, list[Building]] = field(default_factory=dict)
    houses: dict[str, list[list[House]]] = field(default_factory=dict)

    def house(self, code: str, ref: tuple[int, int]) -> House:
        return self.houses[code][ref[0]][ref[1]]


def base_data_write(plan: Plan, grids: list[Grid], departments: dict[str, Department]) -> Written:
    """The plan's buildings and houses through the base-data import (checked like any file, written in
    bulk), then its organisations and facilities, each through its service."""
    _import(
        BaseDataImportJob.Kind.BUILDINGS,
        ("grid_code", "road", "number", "building", "use", "floors", "units", "lat", "lng", "footprint"),
        [
            (g.code, b.road, b.number, b.name, b.use, b.floors, b.units, b.lat, b.lng, _json(b.footprint))
            for g in plan.grids
            for b in g.buildings
        ],
    )
    _import(
        BaseDataImportJob.Kind.HOUSES,
        ("address", "unit", "room", "use", "area_m2"),
        [
            (_building_address(b), h.unit or "", h.room, h.use, h.area_m2)
            for g in plan.grids
            for b in g.buildings
            for h in b.houses
        ],
    )
    written = _written(plan)
    classes = {code: place_services.facility_class_get(code) for code in FACILITIES}
    today = timezone.localdate()
    for grid_plan in plan.grids:
        buildings, houses = written.buildings[grid_plan.code], written.houses[grid_plan.code]
        for org in grid_plan.organisations:
            place_services.organisation_save(
                actor=None,
                name=org.name,
                credit_code=org.credit_code,
                kind=org.kind,
                building=buildings[org.building],
                house=houses[org.building][org.house] if org.house is not None else None,
                legal_representative=org.legal_representative,
                contact_name=org.contact_name,
                contact_phone=org.contact_phone,
                employees=org.employees,
                risk_tags=org.risk_tags,
                next_inspection_on=(
                    today + dt.timedelta(days=org.inspection_in_days)
                    if org.inspection_in_days is not None
                    else None
                ),
            )
        for facility in grid_plan.facilities:
            place_services.facility_save(
                actor=None,
                facility_class=classes[facility.class_code],
                lat=facility.lat,
                lng=facility.lng,
                name=facility.name,
                address=facility.address,
                owner=facility.owner,
                department=departments[facility.department],
                state=facility.state,
                code=facility.code,
            )
    return written


class DemoImportRefused(Exception):
    """The base-data import refused the demo's own rows: a bug in the plan."""


def _import(kind: str, header: tuple[str, ...], rows: list[tuple]) -> None:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(header)
    writer.writerows(rows)
    result = base_data_import(kind=kind, data=out.getvalue().encode(), filename=f"demo-{kind}.csv")
    if result.errors or result.imported != len(rows):
        errors = "; ".join(f"row {e.row} {e.column}: {e.message}" for e in result.errors[:5])
        raise DemoImportRefused(f"{kind}: {result.imported} of {len(rows)} imported; {errors}")


def _json(value) -> str:
    return json.dumps(value, separators=(",", ":"))


def _building_address(building: BuildingPlan) -> str:
    return f"{building.road}{building.number}号" + (f"{building.name}栋" if building.name else "")


def _written(plan: Plan) -> Written:
    """The rows the import wrote, in plan order (found by their address keys)."""
    buildings = {b.address_key: b for b in Building.objects.all()}
    houses = {(h.building_id, h.address_key): h for h in House.objects.all()}
    written = Written(plan)
    for grid_plan in plan.grids:
        rows = []
        for spec in grid_plan.buildings:
            key = addresses.building_key(spec.road, spec.number, spec.name)
            building = buildings[key]
            its_houses = [houses[building.pk, addresses.house_key(key, h.unit, h.room)] for h in spec.houses]
            for house in its_houses:
                house.building = building  # organisation_save reads it: no query per organisation
            rows.append((building, its_houses))
        written.buildings[grid_plan.code] = [building for building, _ in rows]
        written.houses[grid_plan.code] = [houses for _, houses in rows]
    return written


def base_data_residents(written: Written, grids: list[Grid]) -> None:
    """Link the registered residents to the houses their addresses name (the rest are listed for their
    grid administrators), then move in the tenants and relatives the registry did not have yet."""
    place_services.residents_link_addresses(grid_ids=[grid.pk for grid in grids])
    by_code = {grid.code: grid for grid in grids}
    today = timezone.localdate()
    for grid_plan in written.plan.grids:
        grid = by_code[grid_plan.code]
        owner_house = written.house(grid.code, grid_plan.homes[0]) if grid_plan.homes else None
        landlord = (
            Resident.objects.filter(occupancies__house=owner_house, occupancies__until__isnull=True)
            .order_by("pk")
            .first()
        )
        for k, newcomer in enumerate(grid_plan.newcomers):
            first_home = grid_plan.buildings[newcomer.homes[0][0]]
            resident = grid_services.resident_create(
                actor=None,
                grid=grid,
                name=newcomer.name,
                id_number=newcomer.id_number,
                address=f"{first_home.road}{first_home.number}号",
                moved_in_on=today - dt.timedelta(days=newcomer.homes[0][2]),
                phone=newcomer.phone,
                household_no=f"L{grid.code[-6:]}{k:02d}" if newcomer.is_tenant else "",
            )
            for building, house, days_ago in newcomer.homes:
                # The landlord is known for the house household 0 lets; an earlier lodging's is not.
                lets = newcomer.is_tenant and (building, house) == grid_plan.rented
                place_services.occupancy_start(
                    actor=None,
                    resident=resident,
                    house=written.house(grid.code, (building, house)),
                    since=today - dt.timedelta(days=days_ago),
                    relation=newcomer.relation,
                    population=newcomer.population,
                    is_tenant=newcomer.is_tenant,
                    landlord=landlord if lets else None,
                )


@dataclass
class Counts:
    buildings: int
    houses: int
    occupancies: int
    organisations: int
    facilities: int
    unmatched_addresses: int


def base_data_counts() -> Counts:
    return Counts(
        buildings=Building.objects.count(),
        houses=House.objects.count(),
        occupancies=Occupancy.objects.filter(until__isnull=True).count(),
        organisations=Organisation.objects.count(),
        facilities=Facility.objects.count(),
        unmatched_addresses=UnmatchedAddress.objects.count(),
    )
