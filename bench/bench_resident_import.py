"""Resident bulk import: time `grids.residents_import.residents_import` on a generated file of valid rows.

Run from the repository root:  .venv/bin/python bench/bench_resident_import.py  [--rows 100000] [--only csv]

It migrates a throw-away SQLite database in a temporary folder (or the empty database given with
--database-url, e.g. a scratch PostgreSQL one), creates four grids, writes a CSV and an XLSX file of `--rows`
residents with valid, unique GB 11643 ID numbers and phones, and imports each through the same function the
`import_residents` command and the Celery task use: every row validated, name/ID/phone Fernet-encrypted,
ID number HMAC-hashed, then multi-row INSERTs inside one transaction. The table is emptied between the two.
"""

from __future__ import annotations

import argparse
import csv
import io
import os
import platform
import sys
import tempfile
import time
from datetime import date, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))  # run as a script from anywhere

WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
GRID_CODES = ["36010200100101", "36010200100102", "36010200100201", "36010200100202"]
HEADER = ["grid_code", "name", "id_number", "phone", "address", "household", "moved_in_on", "care_tags"]


def id_number(i: int) -> str:
    """The i-th of ~30 million distinct valid ID numbers: birth day from i // 1000, sequence i % 1000."""
    birth = date(1930, 1, 1) + timedelta(days=i // 1000)
    first17 = f"360102{birth:%Y%m%d}{i % 1000:03d}"
    return first17 + "10X98765432"[sum(int(d) * w for d, w in zip(first17, WEIGHTS, strict=True)) % 11]


def rows(n: int):
    tags = ["", "", "", "elderly_alone", "disability", "low_income;veteran"]
    for i in range(n):
        yield [
            GRID_CODES[i % 4],
            "居民" + str(i),
            id_number(i),
            f"13{i % 7 + 3}{i:08d}",
            f"八一大道 {i % 500} 号",
            f"H{i // 3:06d}",
            "2015-06-01",
            tags[i % len(tags)],
        ]


def csv_file(n: int) -> bytes:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(HEADER)
    writer.writerows(rows(n))
    return out.getvalue().encode()


def xlsx_file(n: int) -> bytes:
    import openpyxl

    workbook = openpyxl.Workbook(write_only=True)
    sheet = workbook.create_sheet()
    sheet.append(HEADER)
    for r in rows(n):
        sheet.append(r)
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()


def square(lat0: float, lng0: float, step: float = 0.01) -> dict:
    ring = [[lng0, lat0], [lng0 + step, lat0], [lng0 + step, lat0 + step], [lng0, lat0 + step], [lng0, lat0]]
    return {"type": "Polygon", "coordinates": [ring]}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--only", choices=["csv", "xlsx"], help="one format only (default: both)")
    parser.add_argument("--database-url", default="", help="an EMPTY scratch database (default: temp SQLite)")
    args = parser.parse_args()

    workdir = tempfile.mkdtemp(prefix="bench-residents-")
    os.environ["DATABASE_URL"] = args.database_url or f"sqlite:///{workdir}/bench.sqlite3"
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "gridmgmt.settings")
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection

    from grids import services
    from grids.models import Resident
    from grids.residents_import import residents_import

    call_command("migrate", verbosity=0)
    if Resident.objects.exists():
        sys.exit("the database is not empty: give an empty scratch database")
    services.jurisdiction_ensure(code="360102", name="东湖区")
    services.jurisdiction_ensure(code="360102001", name="公园街道")
    services.jurisdiction_ensure(code="360102001001", name="渊明社区")
    services.jurisdiction_ensure(code="360102001002", name="孺子社区")
    for k, code in enumerate(GRID_CODES):
        services.grid_save(
            code=code, name=code, boundary=square(28.675 + 0.01 * (k // 2), 115.885 + 0.01 * (k % 2))
        )

    print(f"python {platform.python_version()} on {platform.machine()}, database {connection.vendor}")
    print(
        f"load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs: wall time grows on a busy machine"
    )
    for kind in [args.only] if args.only else ["csv", "xlsx"]:
        started = time.perf_counter()
        data = xlsx_file(args.rows) if kind == "xlsx" else csv_file(args.rows)
        generated = time.perf_counter() - started
        marks: dict[str, float] = {}

        def progress(done: int, total: int, marks=marks) -> None:
            # The last call comes after every row is checked, right before the write.
            marks["checked"] = time.perf_counter()
            marks["checked_cpu"] = time.process_time()

        started, started_cpu = time.perf_counter(), time.process_time()
        result = residents_import(data=data, filename="bench." + kind, progress=progress)
        finished, finished_cpu = time.perf_counter(), time.process_time()
        assert not result.errors, result.errors[:5]
        assert Resident.objects.count() == args.rows
        checked = marks.get("checked", finished) - started
        checked_cpu = marks.get("checked_cpu", finished_cpu) - started_cpu
        total, total_cpu = finished - started, finished_cpu - started_cpu

        print()
        print(
            f"{kind.upper()} of {args.rows:,} rows, {len(data) / 1e6:.1f} MB, generated in {generated:.1f} s"
        )
        print("                                  wall    CPU (this process)")
        print(f"read + validate + encrypt + hash: {checked:6.1f} s {checked_cpu:6.1f} s")
        print(f"insert (one transaction):        {total - checked:6.1f} s {total_cpu - checked_cpu:6.1f} s")
        rate = args.rows / total
        print(f"total:                           {total:6.1f} s {total_cpu:6.1f} s  ({rate:,.0f} rows/s)")
        with connection.cursor() as cursor:  # empty the table for the next format (nothing refers to it)
            cursor.execute(f"DELETE FROM {connection.ops.quote_name(Resident._meta.db_table)}")


if __name__ == "__main__":
    main()
