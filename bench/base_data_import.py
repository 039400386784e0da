"""Base-data bulk import: time `places.io.importing.base_data_import` on 100,000 houses (goal ≤ 60 s).

Run from the repository root:  .venv/bin/python bench/base_data_import.py  [--houses 100000] [--only csv]

It migrates a throw-away SQLite database in a temporary folder (or the empty database given with
--database-url, e.g. postgres://postgres@127.0.0.1:5432/gridmgmt_io_bench), creates four grids, imports
their buildings from a generated CSV (50 houses to a building: 2 units × 25 floors), then writes the houses
as CSV, XLSX and GeoJSON and imports each through the function behind `manage.py import_base_data` and the
upload task: every row read, its building found by its address, checked with the services' cleaning
functions and keyed, duplicates looked up, then multi-row INSERTs in one transaction. The houses are deleted
between formats.
"""

from __future__ import annotations

import argparse
import csv
import io
import json
import os
import platform
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))  # run as a script from anywhere

from bench.bench_resident_import import GRID_CODES, square  # noqa: E402 - after the path is set

HOUSE_HEADER = ["address", "unit", "room", "floor", "use", "area_m2"]
BUILDING_HEADER = ["grid_code", "road", "number", "building", "use", "floors", "units", "lat", "lng"]
UNITS, FLOORS = 2, 25
USES = ["owner", "owner", "rented", "vacant", "commercial"]


def buildings(n: int) -> list[list]:
    """n buildings, two to a door number, spread over the four grids (a point in the middle of each)."""
    rows = []
    for i in range(n):
        k = i % 4
        lat, lng = 28.68 + 0.01 * (k // 2), 115.89 + 0.01 * (k % 2)
        rows.append(
            [
                GRID_CODES[k],
                "八一大道",
                str(1 + i // 2),
                str(1 + i % 2),
                "residential",
                FLOORS,
                UNITS,
                lat,
                lng,
            ]
        )
    return rows


def houses(n_buildings: int):
    for i in range(n_buildings):
        address = f"八一大道{1 + i // 2}号{1 + i % 2}栋"
        for unit in range(1, UNITS + 1):
            for floor in range(1, FLOORS + 1):
                area = "" if floor % 3 == 0 else f"{60 + floor % 7 * 10}.5"
                yield [address, unit, f"{floor}0{unit}", "", USES[(i + floor) % len(USES)], area]


def csv_file(header: list[str], rows) -> bytes:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(header)
    writer.writerows(rows)
    return out.getvalue().encode("utf-8-sig")


def xlsx_file(header: list[str], rows) -> bytes:
    import openpyxl

    workbook = openpyxl.Workbook(write_only=True)
    sheet = workbook.create_sheet()
    sheet.append(header)
    for r in rows:
        sheet.append(r)
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()


def geojson_file(header: list[str], rows) -> bytes:
    features = [
        {"type": "Feature", "geometry": None, "properties": dict(zip(header, r, strict=True))} for r in rows
    ]
    return json.dumps({"type": "FeatureCollection", "features": features}, ensure_ascii=False).encode()


WRITERS = {"csv": csv_file, "xlsx": xlsx_file, "geojson": geojson_file}


def timed_import(kind: str, data: bytes, filename: str):
    from places.io.importing import base_data_import

    marks: dict[str, float] = {}

    def progress(done: int, total: int) -> None:
        # The first call with every row counted comes when the checks are done, right before the write.
        if total and done >= total and "checked" not in marks:
            marks["checked"], marks["checked_cpu"] = time.perf_counter(), time.process_time()

    started, started_cpu = time.perf_counter(), time.process_time()
    result = base_data_import(kind=kind, data=data, filename=filename, progress=progress)
    finished, finished_cpu = time.perf_counter(), time.process_time()
    assert not result.errors, [str(e) for e in result.errors[:5]]
    checked = marks.get("checked", finished) - started
    checked_cpu = marks.get("checked_cpu", finished_cpu) - started_cpu
    return result, (checked, checked_cpu), (finished - started, finished_cpu - started_cpu)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--houses", type=int, default=100_000, help="rounded down to whole buildings of 50")
    parser.add_argument("--only", choices=list(WRITERS), help="one format only (default: all three)")
    parser.add_argument("--database-url", default="", help="an EMPTY scratch database (default: temp SQLite)")
    args = parser.parse_args()

    workdir = tempfile.mkdtemp(prefix="bench-base-data-")
    os.environ["DATABASE_URL"] = args.database_url or f"sqlite:///{workdir}/bench.sqlite3"
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "gridmgmt.settings")
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection

    from grids import services
    from places.models import Building, House

    call_command("migrate", verbosity=0)
    if Building.objects.exists():
        sys.exit("the database is not empty: give an empty scratch database")
    services.jurisdiction_ensure(code="360102", name="东湖区")
    services.jurisdiction_ensure(code="360102001", name="公园街道")
    services.jurisdiction_ensure(code="360102001001", name="渊明社区")
    services.jurisdiction_ensure(code="360102001002", name="孺子社区")
    for k, code in enumerate(GRID_CODES):
        services.grid_save(
            code=code, name=code, boundary=square(28.675 + 0.01 * (k // 2), 115.885 + 0.01 * (k % 2))
        )

    n_buildings = args.houses // (UNITS * FLOORS)
    n_houses = n_buildings * UNITS * FLOORS
    print(f"python {platform.python_version()} on {platform.machine()}, database {connection.vendor}")
    print(
        f"load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs: wall time grows on a busy machine"
    )
    _, _, (wall, cpu) = timed_import("buildings", csv_file(BUILDING_HEADER, buildings(n_buildings)), "b.csv")
    print(f"\n{n_buildings:,} buildings (CSV): {wall:.1f} s wall, {cpu:.1f} s CPU")

    for fmt in [args.only] if args.only else list(WRITERS):
        started = time.perf_counter()
        data = WRITERS[fmt](HOUSE_HEADER, houses(n_buildings))
        generated = time.perf_counter() - started
        result, (checked, checked_cpu), (total, total_cpu) = timed_import("houses", data, "houses." + fmt)
        assert result.imported == n_houses and House.objects.count() == n_houses
        print()
        print(
            f"{fmt.upper()} of {n_houses:,} houses, {len(data) / 1e6:.1f} MB, generated in {generated:.1f} s"
        )
        print("                                  wall    CPU (this process)")
        print(f"read + find buildings + check:   {checked:6.1f} s {checked_cpu:6.1f} s")
        print(f"insert (one transaction):        {total - checked:6.1f} s {total_cpu - checked_cpu:6.1f} s")
        rate = n_houses / total
        met = "met" if total <= 60 else "NOT met"
        print(f"total:                           {total:6.1f} s {total_cpu:6.1f} s  ({rate:,.0f} rows/s)")
        print(f"goal ≤ 60 s: {met}")
        with connection.cursor() as cursor:  # empty the table for the next format (nothing refers to it)
            cursor.execute(f"DELETE FROM {connection.ops.quote_name(House._meta.db_table)}")


if __name__ == "__main__":
    main()
