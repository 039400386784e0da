"""Base data at a city's size: the grid profile and the base-data search on PostgreSQL.

Run from the repository root (needs PostgreSQL on 127.0.0.1:5432, user postgres, trust):

    .venv/bin/python bench/base_data.py                    # 1M residents, 200k houses, … (~6–10 min)
    .venv/bin/python bench/base_data.py --residents 100000 --houses 20000 --facilities 5000 \\
        --organisations 2000 --grids 100 --cases 20000          # a quick look (~1 min)

Database `gridmgmt_bench_base` is dropped, created, migrated and seeded with the demo district (60 grids,
departments, users, the demo's own base data; no case history). Beside it, a generated district (青山湖区,
360111) of `--grids` grids (default 1,000: about a thousand residents each, what a city grid holds) gets the
bulk rows, written with COPY behind the services' back: buildings of 20 houses, residents (name, ID number
and phone encrypted once and reused; each ID number hashed, so the hashes are unique) who mostly live in
those houses (registered, permanent and floating, tenants with landlords, some moved house, some moved out),
the rest listed as unmatched addresses; organisations with valid credit codes; facilities with 16-digit
codes; and `--cases` cases (bench/bulkgen.py) so the profile's case counts and layer have rows.

Measured in-process, best of nothing: each figure is the median and 95th percentile of `--repeat` warm runs
(the first, cold run reported beside them), with its query count:
- `places.selectors.grid_profile` and the grid profile page (GET /places/grids/<code>/ through Django's
  test Client), as the grid's administrator and as a supervisor;
- `places.selectors.base_data_search` and the search page (/places/search/?q=) with two-character Chinese
  terms (one that matches a few rows, one that matches ~2 % of addresses, one that matches nothing) and a
  facility code prefix.
Prints a table and writes bench/results-base-data.json (machine, sizes, every figure). Goal: ≤ 200 ms.
"""

from __future__ import annotations

import argparse
import datetime as dt
import io
import json
import os
import random
import statistics
import sys
import time
from pathlib import Path

BASE = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(BASE))  # run as a script from anywhere

DB_NAME = "gridmgmt_bench_base"
DISTRICT = ("360111", "青山湖区")
ORIGIN_SHIFT = (0.30, 0.0)  # degrees (lng, lat): the generated layer lies east of Donghu, not on it
HOUSES_PER_BUILDING = 20
GOAL_MS = 200.0
ENV = {
    "DJANGO_SETTINGS_MODULE": "gridmgmt.settings",
    "DATABASE_URL": f"postgres://postgres@127.0.0.1:5432/{DB_NAME}",
    # As a deployment runs: DEBUG off (no query log kept, templates cached), so its secrets are given here.
    "DEBUG": "0",
    "SECRET_KEY": "bench-only-secret-key-0123456789abcdefghijklmnopqrstuvwxyz",
    "FIELD_ENCRYPTION_KEY": "YmVuY2gtb25seS1maWVsZC1rZXktMDEyMzQ1Njc4OWE=",
    "FIELD_HASH_KEY": "bench-only-hash-key",
    "SECURE_SSL_REDIRECT": "0",
    "SESSION_COOKIE_SECURE": "0",
    "CSRF_COOKIE_SECURE": "0",
    "ALLOWED_HOSTS": "testserver,127.0.0.1,localhost",
    "CELERY_TASK_ALWAYS_EAGER": "1",
    "LOG_LEVEL": "WARNING",
    "EMAIL_URL": "consolemail://",
}

ROAD_STEMS = (
    "青山", "湖滨", "洪都", "北京", "上海", "南京", "民强", "顺化", "京东", "罗家", "塘山", "湖坊", "昌东",
    "蛟桥", "解放", "紫阳", "高新", "火炬", "艾溪", "瑶湖", "天祥", "麻丘", "尤口", "燕鸣", "金沙", "国威",
    "江大", "青云", "东方", "贤湖", "桃苑", "胡家", "岗上", "湾里", "长春", "大院", "广阳", "濠上", "幸福",
    "昌南", "华安", "佳园", "徐坊", "施尧", "新溪", "昌北", "建设", "民安", "富山", "金盘",
)  # fmt: skip
ROAD_SUFFIXES = ("路", "大道", "街", "巷")
SHOP_WORDS = ("便利店", "拌粉店", "瓦罐汤", "水果店", "药房", "五金店", "美发店", "烧烤", "早点铺", "超市")
# Two-character terms: in a few names only, in ~2 % of addresses (a road stem), in nothing at all.
RARE_NAME = "鑫瑞"
RARE_SHARE = 0.002


from bench.run import machine, pct  # noqa: E402 - one way to measure and describe the machine

results: dict = {"rows": []}


def log(message: str) -> None:
    print(f"[bench-base {time.strftime('%H:%M:%S')}] {message}", flush=True)


def database_recreate() -> None:
    import psycopg2

    conn = psycopg2.connect(host="127.0.0.1", user="postgres", dbname="postgres")
    conn.autocommit = True
    with conn.cursor() as cur:
        cur.execute(f"DROP DATABASE IF EXISTS {DB_NAME} WITH (FORCE)")
        cur.execute(f"CREATE DATABASE {DB_NAME}")
    conn.close()


# --- writing rows with COPY -----------------------------------------------------------------------------


def _copy_value(value) -> str:
    if value is None:
        return "\\N"
    if isinstance(value, dt.datetime | dt.date):
        return value.isoformat()
    if isinstance(value, bool):
        return "t" if value else "f"
    if isinstance(value, dict | list):
        value = json.dumps(value, ensure_ascii=False, separators=(",", ":"))
    return str(value).replace("\\", "\\\\").replace("\t", " ").replace("\n", " ")


class Copier:
    """Rows of one model appended as dicts and sent with COPY every `chunk` rows; ids handed out here.
    The rows of `parent` (the table this one refers to) are sent first, so every foreign key is there."""

    def __init__(self, model, chunk: int = 50_000, parent: Copier | None = None) -> None:
        from django.db import connection

        self.model, self.chunk, self.parent = model, chunk, parent
        self.table = model._meta.db_table
        self.columns = [f.column for f in model._meta.concrete_fields]
        with connection.cursor() as cur:
            cur.execute(f"SELECT COALESCE(MAX(id), 0) FROM {self.table}")
            self.next_id = cur.fetchone()[0] + 1
        self.buffer = io.StringIO()
        self.pending = self.count = 0

    def add(self, **row) -> int:
        row_id = row.setdefault("id", self.next_id)
        self.next_id = max(self.next_id, row_id + 1)
        self.buffer.write("\t".join(_copy_value(row.get(c)) for c in self.columns) + "\n")
        self.pending += 1
        self.count += 1
        if self.pending >= self.chunk:
            self.flush()
        return row_id

    def flush(self) -> None:
        from django.db import connection

        if not self.pending:
            return
        if self.parent is not None:
            self.parent.flush()
        self.buffer.seek(0)
        with connection.cursor() as cur:
            cur.copy_expert(f"COPY {self.table} ({', '.join(self.columns)}) FROM STDIN", self.buffer)
        self.buffer, self.pending = io.StringIO(), 0

    def close(self) -> None:
        from django.db import connection

        self.flush()
        with connection.cursor() as cur:
            cur.execute(
                f"SELECT setval(pg_get_serial_sequence('{self.table}', 'id'),"
                f" (SELECT COALESCE(MAX(id), 1) FROM {self.table}))"
            )


# --- the generated district -------------------------------------------------------------------------------


def layer_create(n_grids: int) -> list:
    """A district of `n_grids` irregular grids (bench_locate's generated layer, moved east of Donghu), in
    streets of up to 20 communities of 10 grids, through the grid services (the index sees them)."""
    import shapely

    from bench.bench_locate import generated_layer
    from grids import services as grid_services
    from grids.models import Grid

    cells = shapely.transform(generated_layer(n_grids, seed=5), lambda c: c + ORIGIN_SHIFT)
    code, name = DISTRICT
    grid_services.jurisdiction_ensure(code=code, name=name)
    grids = []
    for k, cell in enumerate(cells):
        street, community, grid = k // 200 + 1, (k // 10) % 20 + 1, k % 10 + 1
        street_code, community_code = f"{code}{street:03d}", f"{code}{street:03d}{community:03d}"
        if k % 200 == 0:
            grid_services.jurisdiction_ensure(code=street_code, name=f"{ROAD_STEMS[street % 50]}街道")
        if k % 10 == 0:
            grid_services.jurisdiction_ensure(
                code=community_code, name=f"{ROAD_STEMS[(street * 7 + community) % 50]}社区"
            )
        geometry = json.loads(shapely.to_geojson(shapely.set_precision(cell, 1e-7)))
        grid_services.grid_save(code=f"{community_code}{grid:02d}", name=f"第{grid}网格", boundary=geometry)
    grids = list(Grid.objects.filter(code__startswith=code).order_by("code"))
    return grids


def _points_in(shape, count: int, rng: random.Random) -> list[tuple[float, float]]:
    import shapely

    min_lng, min_lat, max_lng, max_lat = shape.bounds
    inner = shape.buffer(-3e-5)
    shapely.prepare(inner)
    points = []
    while len(points) < count:
        lng, lat = rng.uniform(min_lng, max_lng), rng.uniform(min_lat, max_lat)
        if shapely.contains_xy(inner, lng, lat):
            points.append((round(lat, 6), round(lng, 6)))
    return points


def _credit_code(i: int, prefix: str) -> str:
    from places.codes import CREDIT_CODE_CHARACTERS, credit_code_complete

    body, n = "", i
    for _ in range(9):
        n, digit = divmod(n, len(CREDIT_CODE_CHARACTERS))
        body = CREDIT_CODE_CHARACTERS[digit] + body
    return credit_code_complete(f"{prefix}{DISTRICT[0]}{body}")


def _id_number(i: int) -> str:
    """The i-th of ~30 million distinct valid ID numbers (as bench_resident_import makes them)."""
    from grids import pii

    birth = dt.date(1935, 1, 1) + dt.timedelta(days=i // 1000 % 30_000)
    first17 = f"{DISTRICT[0]}{birth:%Y%m%d}{i % 1000:03d}"
    return first17 + pii.id_check_character(first17)


def base_data_generate(grids: list, args, rng: random.Random) -> dict:
    """Every bulk row of the generated district; returns counts and seconds per kind."""
    from django.db import connection
    from django.utils import timezone

    from departments.models import Department
    from grids import pii
    from grids.geometry import to_shape
    from grids.models import Jurisdiction, Resident
    from places import addresses
    from places.models import (
        Building,
        Facility,
        FacilityClass,
        House,
        Occupancy,
        Organisation,
        Road,
        UnmatchedAddress,
    )

    now = timezone.now()
    today = timezone.localdate()
    seconds: dict[str, float] = {}
    district = Jurisdiction.objects.get(code=DISTRICT[0])

    started = time.monotonic()
    road_names = [f"{stem}{suffix}" for suffix in ROAD_SUFFIXES for stem in ROAD_STEMS]
    roads = Road.objects.bulk_create(
        [Road(district=district, name=name, key=addresses.road_key(name)) for name in road_names]
    )
    # Each grid lies along three roads; door numbers climb along each road, so every address is distinct.
    next_number = {road.pk: 1 for road in roads}
    buildings = Copier(Building)
    houses = Copier(House, parent=buildings)
    grid_houses: dict[int, list[tuple[int, str]]] = {}
    grid_buildings: dict[int, list[str]] = {}
    n_buildings = max(len(grids), args.houses // HOUSES_PER_BUILDING)
    per_grid = _spread(n_buildings, len(grids))
    for grid, count in zip(grids, per_grid, strict=True):
        shape = to_shape(grid.boundary)
        grid_roads = rng.sample(roads, 3)
        grid_houses[grid.pk], grid_buildings[grid.pk] = [], []
        for lat, lng in _points_in(shape, count, rng):
            road = rng.choice(grid_roads)
            number = str(next_number[road.pk])
            next_number[road.pk] += rng.choice((2, 2, 4, 6))
            name = str(rng.randint(1, 9))
            key = addresses.building_key(road.key, number, name)
            address = addresses.building_address(road.name, number, name)
            grid_buildings[grid.pk].append(address)
            building_id = buildings.add(
                grid_id=grid.pk,
                road_id=road.pk,
                number=number,
                name=name,
                address=address,
                address_key=key,
                use=rng.choices(Building.Use.values, (80, 8, 8, 3, 1))[0],
                floors=6,
                units=2,
                lat=lat,
                lng=lng,
                footprint=None,
                created_at=now,
                updated_at=now,
            )
            for k in range(HOUSES_PER_BUILDING):
                unit, floor, room = k // 10 + 1, k % 10 // 2 + 1, k % 2 + 1
                room_text = f"{floor}{room:02d}"
                house_id = houses.add(
                    building_id=building_id,
                    grid_id=grid.pk,
                    unit=unit,
                    floor=floor,
                    room=room_text,
                    address=addresses.house_address(address, unit, room_text),
                    address_key=addresses.house_key(key, unit, room_text),
                    use=rng.choices(House.Use.values, (60, 25, 10, 5))[0],
                    area_m2=rng.randrange(40, 140),
                    created_at=now,
                    updated_at=now,
                )
                grid_houses[grid.pk].append((house_id, addresses.house_address(address, unit, room_text)))
    buildings.close()
    houses.close()
    seconds["buildings and houses"] = time.monotonic() - started

    # Residents: a handful of names, ID numbers and phones encrypted once (Fernet costs ~20 µs a value);
    # each ID number hashed, so the unique hash index is written as for real rows.
    started = time.monotonic()
    names = [pii.encrypt(s + g) for s in "王李张刘陈杨黄赵" for g in ("伟", "芳", "敏", "强")]
    ids = [pii.encrypt(_id_number(i)) for i in range(16)]
    phones = [pii.encrypt(f"1390000{i:04d}") for i in range(16)]
    residents = Copier(Resident)
    occupancies = Copier(Occupancy, parent=residents)
    unmatched = Copier(UnmatchedAddress, parent=residents)
    per_grid = _spread(args.residents, len(grids))
    serial = 0
    for grid, count in zip(grids, per_grid, strict=True):
        homes = grid_houses[grid.pk]
        landlords: list[int] = []
        for _ in range(count):
            serial += 1
            birth = dt.date(1940, 1, 1) + dt.timedelta(days=rng.randrange(365 * 80))
            house_id, address = rng.choice(homes)
            linked = rng.random() < 0.95
            moved_out = rng.random() < 0.03
            if not linked:
                address = address.replace("室", "") + "号附近"  # names no house
            since = max(birth, today - dt.timedelta(days=rng.randrange(30, 365 * 30)))
            resident_id = residents.add(
                grid_id=grid.pk,
                household_no=f"H{serial // 3:07d}",
                address=address,
                name_encrypted=rng.choice(names),
                id_number_encrypted=rng.choice(ids),
                id_number_hash=pii.hash_id_number(_id_number(serial)),
                phone_encrypted=rng.choice(phones),
                gender=rng.choice("MF"),
                birth_date=birth,
                moved_in_on=since,
                moved_out_on=today - dt.timedelta(days=rng.randrange(1, 300)) if moved_out else None,
                care_tags=["elderly_alone"] if rng.random() < 0.03 else [],
                created_at=now,
                updated_at=now,
            )
            if not linked:
                unmatched.add(
                    resident_id=resident_id,
                    grid_id=grid.pk,
                    address=address,
                    reason="no_match",
                    created_at=now,
                )
                continue
            population = rng.choices(Occupancy.Population.values, (70, 20, 10))[0]
            tenant = population == Occupancy.Population.FLOATING
            if rng.random() < 0.1:  # moved house within the grid: the earlier home stays in the history
                before, _ = rng.choice(homes)
                occupancies.add(
                    resident_id=resident_id,
                    house_id=before,
                    relation=Occupancy.Relation.HEAD,
                    population=population,
                    is_tenant=False,
                    landlord_id=None,
                    since=since,
                    until=since + dt.timedelta(days=1),
                    created_by_id=None,
                    created_at=now,
                )
                since += dt.timedelta(days=2)
            occupancies.add(
                resident_id=resident_id,
                house_id=house_id,
                relation=Occupancy.Relation.TENANT if tenant else rng.choice(Occupancy.Relation.values[:5]),
                population=population,
                is_tenant=tenant,
                landlord_id=rng.choice(landlords) if tenant and landlords else None,
                since=min(since, today),
                until=None,
                created_by_id=None,
                created_at=now,
            )
            if not tenant and len(landlords) < 50:
                landlords.append(resident_id)
    residents.close()
    occupancies.close()
    unmatched.close()
    seconds["residents, occupancies, unmatched"] = time.monotonic() - started

    started = time.monotonic()
    organisations = Copier(Organisation)
    legal, contact, phone = pii.encrypt("王伟"), pii.encrypt("李娜"), pii.encrypt("13700001234")
    kinds = Organisation.Kind.values
    per_grid = _spread(args.organisations, len(grids))
    k = 0
    for grid, count in zip(grids, per_grid, strict=True):
        for house_id, address in rng.sample(grid_houses[grid.pk], min(count, len(grid_houses[grid.pk]))):
            k += 1
            word = RARE_NAME if rng.random() < RARE_SHARE else rng.choice(ROAD_STEMS)
            risk = rng.choices(
                ([], ["fire_safety"], ["crowded", "fire_safety"], ["hazardous"]), (70, 20, 8, 2)
            )[0]
            organisations.add(
                name=f"{word}{rng.choice(SHOP_WORDS)}{k}",
                credit_code=_credit_code(k, "92"),
                kind=rng.choices(kinds, (10, 70, 3, 2, 5, 2, 8))[0],
                grid_id=grid.pk,
                building_id=None,
                house_id=house_id,
                address=address,
                lat=grid.min_lat + (grid.max_lat - grid.min_lat) / 2,
                lng=grid.min_lng + (grid.max_lng - grid.min_lng) / 2,
                legal_representative_encrypted=legal,
                contact_name_encrypted=contact,
                contact_phone_encrypted=phone,
                employees=rng.randint(1, 200),
                risk_tags=risk,
                next_inspection_on=today + dt.timedelta(days=rng.randint(-30, 300)) if risk else None,
                created_at=now,
                updated_at=now,
            )
    organisations.close()
    seconds["organisations"] = time.monotonic() - started

    started = time.monotonic()
    facilities = Copier(Facility)
    classes = list(FacilityClass.objects.filter(parent__isnull=False).order_by("code"))
    weights = [12 if c.code in ("0116", "0303", "0102", "0103") else 1 for c in classes]
    departments = list(Department.objects.values_list("pk", flat=True))
    serials: dict[str, int] = {}
    per_grid = _spread(args.facilities, len(grids))
    for grid, count in zip(grids, per_grid, strict=True):
        for lat, lng in _points_in(to_shape(grid.boundary), count, rng):
            cls = rng.choices(classes, weights)[0]
            serials[cls.code] = serials.get(cls.code, 0) + 1
            state = rng.choices(Facility.State.values, (93, 5, 1, 1))[0]
            facilities.add(
                code=f"{DISTRICT[0]}{cls.code}{serials[cls.code]:06d}",
                facility_class_id=cls.pk,
                name="",
                grid_id=grid.pk,
                lat=lat,
                lng=lng,
                address=rng.choice(grid_buildings[grid.pk]) + rng.choice(("旁", "门前", "对面")),
                owner="",
                department_id=rng.choice(departments),
                state=state,
                surveyed_state=state,
                photo="",
                created_at=now,
                updated_at=now,
            )
    facilities.close()
    seconds["facilities"] = time.monotonic() - started

    started = time.monotonic()
    with connection.cursor() as cur:
        for model in (Building, House, Resident, Occupancy, UnmatchedAddress, Organisation, Facility, Road):
            cur.execute(f"ANALYZE {model._meta.db_table}")
    seconds["analyze"] = time.monotonic() - started
    counts = {
        "buildings": buildings.count,
        "houses": houses.count,
        "residents": residents.count,
        "occupancies": occupancies.count,
        "unmatched": unmatched.count,
        "organisations": organisations.count,
        "facilities": facilities.count,
    }
    return {"counts": counts, "seconds": seconds}


def _spread(total: int, parts: int) -> list[int]:
    return [total // parts + (1 if i < total % parts else 0) for i in range(parts)]


# --- measuring ------------------------------------------------------------------------------------------


def measure(fn, repeat: int) -> dict:
    """Cold (first) run, then `repeat` warm runs: median, p95 and the query count of the last run."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    times = []
    queries = 0
    for _ in range(repeat + 1):
        with CaptureQueriesContext(connection) as ctx:
            started = time.perf_counter()
            fn()
            times.append((time.perf_counter() - started) * 1000)
        queries = len(ctx.captured_queries)
    warm = times[1:]
    return {
        "cold_ms": times[0],
        "median_ms": statistics.median(warm),
        "p95_ms": pct(warm, 95),
        "queries": queries,
    }


def row(measure_name: str, figures: dict, note: str = "") -> None:
    met = figures["p95_ms"] <= GOAL_MS
    results["rows"].append({"measure": measure_name, "note": note, "met": met, **figures})
    log(
        f"{measure_name}: median {figures['median_ms']:.1f} ms, p95 {figures['p95_ms']:.1f} ms"
        f" (cold {figures['cold_ms']:.1f}), {figures['queries']} queries {note}"
    )


def phase_measure(grids: list, args) -> None:
    from django.contrib.auth import get_user_model
    from django.contrib.auth.models import Group
    from django.test import Client
    from django.urls import NoReverseMatch, reverse

    from gridmgmt.roles import Role
    from grids import services as grid_services
    from places import selectors
    from places.models import Building, Facility, House

    User = get_user_model()
    admin, _ = User.objects.get_or_create(username="bench_gridadmin", defaults={"first_name": "网格员"})
    admin.groups.add(Group.objects.get(name=Role.GRID_ADMIN))
    held = grids[len(grids) // 2 : len(grids) // 2 + 3]
    for grid in held:
        grid_services.grid_assign(grid=grid, user=admin)
    supervisor = User.objects.get(username="supervisor")
    grid = held[0]
    # A road of the administrator's grid: about fifteen grids lie along each, ~1.5 % of all addresses.
    common = Building.objects.filter(grid=grid).order_by("pk").values_list("road__name", flat=True)[0][:2]
    share = House.objects.filter(address__contains=common).count() / max(1, House.objects.count())
    lamps = list(
        Facility.objects.filter(code__startswith=DISTRICT[0] + "0116").values_list("code", flat=True)
    )
    code_prefix = sorted(lamps)[len(lamps) // 2][:14]  # up to a hundred lamps share 14 digits
    terms = [
        (f"2 characters, a few names ({RARE_NAME})", RARE_NAME),
        (f"2 characters, {share:.1%} of addresses ({common})", common),
        ("2 characters, no match (无此)", "无此"),
        (f"facility code prefix ({code_prefix})", code_prefix),
    ]

    for who, user in (("grid administrator", admin), ("supervisor", supervisor)):
        row(
            f"grid_profile selector ({who}'s grid)",
            measure(lambda: selectors.grid_profile(grid), args.repeat),
        )
        client = Client()
        client.force_login(user)
        try:
            url = reverse("places-grid-profile", args=[grid.code])
        except NoReverseMatch:
            url = None
        if url:

            def page(url=url, client=client):
                response = client.get(url)
                assert response.status_code == 200, (response.status_code, response.content[:300])

            row(f"grid profile page, as {who}", measure(page, args.repeat), url)
        for label, q in terms:
            hits = len(selectors.base_data_search(user, q))
            row(
                f"base_data_search, {label}, as {who}",
                measure(lambda user=user, q=q: selectors.base_data_search(user, q), args.repeat),
                f"{hits} hits",
            )
        try:
            search_url = reverse("places-search")
        except NoReverseMatch:
            continue
        for label, q in terms:

            def search(q=q, client=client, url=search_url):
                response = client.get(url, {"q": q})
                assert response.status_code == 200, (response.status_code, response.content[:300])

            row(f"search page, {label}, as {who}", measure(search, args.repeat))
    # Where the time goes: the slowest queries of the heaviest cases, with their plans.
    results["explain"] = {
        f"search {q!r} as supervisor": where_time_goes(lambda q=q: selectors.base_data_search(supervisor, q))[
            :4
        ]
        for _, q in terms
    }
    results["explain"]["grid_profile"] = where_time_goes(lambda: selectors.grid_profile(grid))[:4]


def where_time_goes(fn) -> list[dict]:
    """The queries `fn` runs, slowest first, each with its EXPLAIN ANALYZE (execution time and plan)."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as ctx:
        fn()
    queries = []
    for query in ctx.captured_queries:
        sql = query["sql"]
        if not sql.lstrip().upper().startswith("SELECT"):
            continue
        with connection.cursor() as cur:
            cur.execute("EXPLAIN (ANALYZE, BUFFERS) " + sql)
            plan = [line for (line,) in cur.fetchall()]
        executed = next((line for line in plan if line.startswith("Execution Time")), "")
        queries.append(
            {
                "ms": float(executed.split(":")[1].split()[0]) if executed else float(query["time"]) * 1000,
                "sql": sql[:300],
                "plan": plan,
            }
        )
    return sorted(queries, key=lambda q: -q["ms"])


def print_table() -> None:
    lines = [
        "| measure | median ms | p95 ms | cold ms | queries | p95 ≤ 200 ms |",
        "|---|---:|---:|---:|---:|---|",
    ]
    for r in results["rows"]:
        note = f" — {r['note']}" if r["note"] else ""
        lines.append(
            f"| {r['measure']}{note} | {r['median_ms']:.1f} | {r['p95_ms']:.1f} | {r['cold_ms']:.1f} |"
            f" {r['queries']} | {'yes' if r['met'] else '**no**'} |"
        )
    print("\n" + results["machine"] + "\n" + results["config_line"] + "\n")
    print("\n".join(lines))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--residents", type=int, default=1_000_000)
    parser.add_argument("--houses", type=int, default=200_000)
    parser.add_argument("--facilities", type=int, default=50_000)
    parser.add_argument("--organisations", type=int, default=20_000)
    parser.add_argument("--grids", type=int, default=1_000, help="grids of the generated district")
    parser.add_argument("--cases", type=int, default=200_000, help="case history (bench/bulkgen.py)")
    parser.add_argument("--repeat", type=int, default=20, help="warm runs per figure")
    parser.add_argument("--output", default=str(BASE / "bench" / "results-base-data.json"))
    parser.add_argument(
        "--reuse", action="store_true", help="measure the database a previous run left (no generating)"
    )
    args = parser.parse_args()

    started = time.monotonic()
    os.environ.update(ENV)
    results["machine"] = machine()
    results["load_before"] = os.getloadavg()[0]  # other work on the machine slows every figure
    if not args.reuse:
        database_recreate()
    import django

    django.setup()
    from django.db import connection
    from django.test.utils import override_settings

    # Pages render {% static %} names; the deployment's manifest needs collectstatic, which the bench
    # leaves alone (var/static is the running demo's): plain storage costs a page the same.
    override_settings(
        STORAGES={
            "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
            "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
        }
    ).enable()
    with connection.cursor() as cur:
        cur.execute("SELECT version()")
        postgres = cur.fetchone()[0].split(",")[0]
    if args.reuse:
        grids, generated, cases = _existing()
        layer_s = 0.0
    else:
        grids, generated, cases, layer_s = _generate(args)

    counts = generated["counts"]
    results["config"] = {**vars(args), "postgres": postgres, "layer_s": layer_s, **generated, "cases": cases}
    results["config_line"] = (
        f"{postgres}; {counts['residents']:,} residents ({counts['occupancies']:,} occupancies,"
        f" {counts['unmatched']:,} unmatched), {counts['houses']:,} houses in"
        f" {counts['buildings']:,} buildings,"
        f" {counts['facilities']:,} facilities, {counts['organisations']:,} organisations in {len(grids):,}"
        f" generated grids (+ the 60 demo grids); {cases.get('cases', 0):,} cases; generated in"
        f" {sum(generated['seconds'].values()):.0f} s; {args.repeat} warm runs per figure"
    )
    results["load_measuring"] = os.getloadavg()[0]
    phase_measure(grids, args)
    results["load_after"] = os.getloadavg()[0]
    results["config_line"] += (
        f"; load average {results['load_measuring']:.1f} before measuring, {results['load_after']:.1f} after"
    )
    results["total_s"] = time.monotonic() - started
    print_table()
    Path(args.output).write_text(json.dumps(results, indent=2, default=str, ensure_ascii=False))
    log(f"done in {results['total_s']:.0f} s; {args.output} written")


def _generate(args):
    from django.core.management import call_command

    from demo.seed import demo_seed
    from gridmgmt import clock

    log(f"database {DB_NAME} recreated; migrating and seeding the demo district")
    call_command("migrate", verbosity=0)
    demo_seed(cases=0)
    t0 = time.monotonic()
    grids = layer_create(args.grids)
    layer_s = time.monotonic() - t0
    log(f"{len(grids):,} grids in {layer_s:.0f} s; generating the base data")
    generated = base_data_generate(grids, args, random.Random(7))
    log(f"generated {generated['counts']} in {sum(generated['seconds'].values()):.0f} s")
    cases = {}
    if args.cases:
        from bench.bulkgen import cases_generate

        t0 = time.monotonic()
        try:
            cases = cases_generate(n=args.cases, now=clock.now(), open_share=0.2)
        except KeyError as exc:  # a Case column bulkgen does not write yet: measure without cases
            log(f"no cases: bench/bulkgen.py writes no {exc} column")
            cases = {"cases": 0, "error": f"bulkgen lacks {exc}"}
        generated["seconds"]["cases"] = time.monotonic() - t0
        log(f"generated {cases} in {generated['seconds']['cases']:.0f} s")
    return grids, generated, cases, layer_s


def _existing():
    """What an earlier run left in the database (--reuse)."""
    from cases.models import Case
    from grids.models import Grid, Resident
    from places.models import Building, Facility, House, Occupancy, Organisation, UnmatchedAddress

    grids = list(Grid.objects.filter(code__startswith=DISTRICT[0]).order_by("code"))
    counts = {
        "buildings": Building.objects.count(),
        "houses": House.objects.count(),
        "residents": Resident.objects.count(),
        "occupancies": Occupancy.objects.count(),
        "unmatched": UnmatchedAddress.objects.count(),
        "organisations": Organisation.objects.count(),
        "facilities": Facility.objects.count(),
    }
    return grids, {"counts": counts, "seconds": {}}, {"cases": Case.objects.count()}


if __name__ == "__main__":
    main()
