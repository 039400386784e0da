"""Base-data bulk import: time `places.io.importing.base_data_import` on 100,000 houses (goal ≤ 60 s).

Run from the repository root:  .venv/bin/python bench/base_data_import.py  [--houses 100000]
    .venv/bin/python bench/base_data_import.py --database-url postgres://postgres@127.0.0.1:5432/SCRATCH

It migrates a throw-away SQLite database in a temporary folder (or the empty database given with
--database-url), creates four grids and imports their buildings (50 houses to a building: 2 units × 25
floors). Then the houses: a CSV of them is imported through the function behind `manage.py
import_base_data` and the upload task (every row read, its building found by its address, checked with the
services' cleaning functions and keyed, duplicates looked up, multi-row INSERTs in one transaction); the
houses are exported as XLSX and as GeoJSON, deleted, and each export imported again. Files are written by
the export's own writers (places.io.exporting), so the bench also shows what an export costs.
"""

from __future__ import annotations

import argparse
import os
import platform
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))  # run as a script from anywhere

from bench.bench_resident_import import GRID_CODES, square  # noqa: E402 - after the path is set

UNITS, FLOORS = 2, 25
USES = ["owner", "owner", "rented", "vacant", "commercial"]
PLACES = [
    ("360102", "东湖区"),
    ("360102001", "公园街道"),
    ("360102001001", "渊明社区"),
    ("360102001002", "孺子社区"),
]


def building_values(n: int):
    """n buildings, two to a door number, spread over the four grids (a point in the middle of each)."""
    for i in range(n):
        k = i % 4
        yield {
            "grid_code": GRID_CODES[k],
            "road": "八一大道",
            "number": str(1 + i // 2),
            "building": str(1 + i % 2),
            "use": "residential",
            "floors": FLOORS,
            "units": UNITS,
            "lat": 28.68 + 0.01 * (k // 2),
            "lng": 115.89 + 0.01 * (k % 2),
            "footprint": None,
        }


def house_values(n_buildings: int):
    for i in range(n_buildings):
        for unit in range(1, UNITS + 1):
            for floor in range(1, FLOORS + 1):
                yield {
                    "address": f"八一大道{1 + i // 2}号{1 + i % 2}栋",
                    "unit": unit,
                    "room": f"{floor}0{unit}",
                    "floor": "",
                    "use": USES[(i + floor) % len(USES)],
                    "area_m2": "" if floor % 3 == 0 else f"{60 + floor % 7 * 10}.5",
                }


def file_of(kind: str, fmt: str, values) -> bytes:
    from places.io.columns import LAYOUTS
    from places.io.exporting import WRITERS, Row

    return WRITERS[fmt](LAYOUTS[kind], (Row(v, None) for v in values))


def clocks() -> tuple[float, float]:
    return time.perf_counter(), time.process_time()


def timed_import(kind: str, data: bytes, filename: str) -> dict:
    """Import the file; the wall and CPU seconds of the checks (until the last progress call, right before
    the write) and of the whole import."""
    from places.io.importing import base_data_import

    marks: dict[str, tuple[float, float]] = {}

    def progress(done: int, total: int) -> None:
        if total and done >= total and "checked" not in marks:
            marks["checked"] = clocks()

    started = clocks()
    result = base_data_import(kind=kind, data=data, filename=filename, progress=progress)
    finished = clocks()
    assert not result.errors, [str(e) for e in result.errors[:5]]
    checked = marks.get("checked", finished)
    return {
        "rows": result.imported,
        "check": (checked[0] - started[0], checked[1] - started[1]),
        "total": (finished[0] - started[0], finished[1] - started[1]),
    }


def line(what: str, size: int, run: dict) -> str:
    (check, check_cpu), (total, total_cpu) = run["check"], run["total"]
    insert, insert_cpu = total - check, total_cpu - check_cpu
    return (
        f"| {what} | {size / 1e6:.1f} | {check:.1f} / {check_cpu:.1f} | {insert:.1f} / {insert_cpu:.1f} "
        f"| **{total:.1f}** / {total_cpu:.1f} | {run['rows'] / total:,.0f} |"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--houses", type=int, default=100_000, help="rounded down to whole buildings of 50")
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
    from places.io.exporting import base_data_export
    from places.models import Building, House

    call_command("migrate", verbosity=0)
    if Building.objects.exists():
        sys.exit("the database is not empty: give an empty scratch database")
    for code, name in PLACES:
        services.jurisdiction_ensure(code=code, name=name)
    for k, code in enumerate(GRID_CODES):
        boundary = square(28.675 + 0.01 * (k // 2), 115.885 + 0.01 * (k % 2))
        services.grid_save(code=code, name=code, boundary=boundary)

    n_buildings = args.houses // (UNITS * FLOORS)
    print(f"python {platform.python_version()} on {platform.machine()}, database {connection.vendor}")
    print(
        f"load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs: wall time grows on a busy machine"
    )
    print("\n| import | MB | checks, s wall / CPU | insert, s | total, s | rows/s |")
    print("|---|---:|---:|---:|---:|---:|")
    data = file_of("buildings", "csv", building_values(n_buildings))
    print(line(f"{n_buildings:,} buildings, CSV", len(data), timed_import("buildings", data, "b.csv")))
    data = file_of("houses", "csv", house_values(n_buildings))
    run = timed_import("houses", data, "houses.csv")
    print(line(f"{run['rows']:,} houses, CSV", len(data), run))
    worst = run["total"][0]
    exports = []
    for fmt in ("xlsx", "geojson"):
        started = clocks()
        export = base_data_export(kind="houses", fmt=fmt)
        exports.append((fmt, clocks()[0] - started[0], clocks()[1] - started[1]))
        with connection.cursor() as cursor:  # empty the table for the next import (nothing refers to it)
            cursor.execute(f"DELETE FROM {connection.ops.quote_name(House._meta.db_table)}")
        run = timed_import("houses", export.content, export.filename)
        print(line(f"the same, exported as {fmt.upper()}", len(export.content), run))
        worst = max(worst, run["total"][0])
    print()
    for fmt, wall, cpu in exports:
        print(f"export of the houses as {fmt.upper()}: {wall:.1f} s wall, {cpu:.1f} s CPU")
    verdict = "met" if worst <= 60 else "NOT met"
    print(f"goal: 100,000 houses imported in ≤ 60 s; the slowest import here took {worst:.1f} s: {verdict}")


if __name__ == "__main__":
    main()
