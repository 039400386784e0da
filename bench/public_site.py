"""The public site at a city's size: the public map's data endpoint for a city-wide and a street-level view,
and the public case page, at 1,000,000 cases.

Run from the repository root (PostgreSQL on 127.0.0.1:5432 user postgres trust):

    .venv/bin/python bench/public_site.py                          # 1,000,000 cases (~8 min, 6 generating)
    BENCH_PUBLIC_CASES=20000 .venv/bin/python bench/public_site.py # a quick look (~1 min)
    .venv/bin/python bench/public_site.py --cases 200000 --database bench_public

Database `gridmgmt_public_bench` (dropped, created, migrated, the demo district seeded; `--database` names
another), bench/run.py's environment otherwise (DEBUG off, bench.settings). The cases come from
bench/bulkgen.py (80 % closed over the last year, 5 % of those rejected; 20 % open from the last two
weeks); then 90 % of them are made public (the categories' usual decision) with a few supporters each,
and the table is vacuumed, as autovacuum would have done on a live system.

Measured in-process through Django's test client (the whole view: URL, query, JSON), best of
`--repeat` warm runs and the first (cold) run, with the query count and the features answered:

- the map, city-wide: the demo district's whole bounding box at zoom 12 and 11 (clusters);
- the map, street-level: a 500 m box at zoom 17 around the busiest point (single cases);
- the public case page of an open and of a closed case.

Goals: the map ≤ 100 ms and never more than PUBLIC_MAP_MAX_FEATURES (2,000) features in one answer; the
case page ≤ 50 ms. `--index-sql` adds indexes (a file of CREATE INDEX statements) after a first pass and
measures again. EXPLAIN (ANALYZE, BUFFERS) of each map query is printed and kept in the JSON.
Prints a table and writes bench/results-public.json.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import sys
import time
from pathlib import Path

BASE = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(BASE))  # run as a script from anywhere

from bench import run  # noqa: E402  (sets bench/run.py's environment: DEBUG off, bench.settings)

DEFAULT_DB = "gridmgmt_public_bench"
PUBLIC_SHARE = 0.9
results: dict = {"rows": [], "explain": {}}


def log(message: str) -> None:
    print(f"[bench-public {time.strftime('%H:%M:%S')}] {message}", flush=True)


def row(measure: str, value: str, target: str = "", met: bool | None = None, note: str = "", **raw) -> None:
    results["rows"].append(
        {"measure": measure, "value": value, "target": target, "met": met, "note": note, "raw": raw}
    )
    log(f"{measure}: {value} {note}")


def database_recreate(name: str) -> None:
    import psycopg2

    conn = psycopg2.connect(host="127.0.0.1", user="postgres", dbname="postgres")
    conn.autocommit = True
    with conn.cursor() as cur:
        cur.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        cur.execute(f'CREATE DATABASE "{name}"')
    conn.close()


def publish_most(share: float) -> None:
    """Make `share` of the generated cases public (bulkgen leaves the flag at its default, False), give
    them a few supporters, and vacuum: the map's index-only scans need the visibility map a live
    database's autovacuum keeps."""
    from django.db import connection

    with connection.cursor() as cur:
        cur.execute(
            "UPDATE cases_case SET is_public = (hashint8(id) & 1023) < %s,"
            " supporter_count = (hashint8(id) >> 10) & 7",
            [int(share * 1024)],
        )
    vacuum()


def vacuum() -> None:
    import psycopg2
    from django.conf import settings

    db = settings.DATABASES["default"]
    conn = psycopg2.connect(host=db["HOST"], port=db["PORT"], user=db["USER"], dbname=db["NAME"])
    conn.autocommit = True
    with conn.cursor() as cur:
        cur.execute("VACUUM (ANALYZE) cases_case")
    conn.close()


def explain(sql: str) -> str:
    from django.db import connection

    with connection.cursor() as cur:
        cur.execute("EXPLAIN (ANALYZE, BUFFERS) " + sql)
        return "\n".join(line[0] for line in cur.fetchall())


def measure(label: str, views: list[tuple[str, str, float]], repeat: int) -> None:
    """Each (name, url, goal ms): best warm and cold time, queries, features; the map queries explained."""
    from django.conf import settings
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    client = Client()
    limit = settings.PUBLIC_MAP_MAX_FEATURES
    for name, url, goal in views:
        answers = []

        def fetch(url=url, answers=answers):
            response = client.get(url)
            assert response.status_code == 200, (url, response.status_code, response.content[:300])
            answers.append(response)

        first, best, queries = run.timed(fetch, repeat)
        response = answers[-1]
        note = f"{queries} queries"
        met = best <= goal
        raw = {"first_ms": first, "best_ms": best, "queries": queries}
        if response["Content-Type"].startswith("application/json"):
            body = response.json()
            count = len(body["features"])
            total = body["total"]
            note += f"; {count:,} features ({'clusters' if body['clustered'] else 'cases'}, {total:,} cases)"
            note += "; truncated" if body["truncated"] else ""
            met = met and count <= limit
            raw.update(features=count, cases=total, truncated=body["truncated"])
            with CaptureQueriesContext(connection) as ctx:
                client.get(url)
            results["explain"][f"{label}: {name}"] = [
                {"sql": q["sql"], "plan": explain(q["sql"])} for q in ctx.captured_queries
            ]
        row(
            f"{name} [{label}], ms",
            f"{best:.1f} (cold {first:.1f})",
            f"≤ {goal:.0f} ms" + (f", ≤ {limit:,} features" if "map" in name else ""),
            met,
            note=note,
            **raw,
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--cases", type=int, default=int(os.environ.get("BENCH_PUBLIC_CASES", "1000000")))
    parser.add_argument("--database", default=os.environ.get("BENCH_PUBLIC_DATABASE", DEFAULT_DB))
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--reuse", action="store_true", help="measure the database a previous run left")
    parser.add_argument("--index-sql", help="a file of CREATE INDEX statements to add, then measure again")
    args = parser.parse_args()
    os.environ["DATABASE_URL"] = f"postgres://postgres@127.0.0.1:5432/{args.database}"
    started = time.monotonic()
    results["machine"] = run.machine()
    if not args.reuse:
        database_recreate(args.database)
    import django

    django.setup()
    from django.conf import settings
    from django.core.management import call_command
    from django.db import connection
    from django.test.utils import override_settings
    from django.urls import reverse

    from bench.bulkgen import cases_generate
    from cases.models import Case, CaseState
    from demo.seed import demo_seed
    from gridmgmt import clock
    from grids.models import Grid

    with connection.cursor() as cur:
        cur.execute("SELECT version()")
        pg = cur.fetchone()[0].split(",")[0]
    t0 = time.monotonic()
    if args.reuse:
        call_command("migrate", verbosity=0)  # what landed since (indexes included) reaches the kept data
        counts = {"cases": Case.objects.count(), "reused": True}
        # The --index-sql indexes a previous run added go, so that both passes measure what they say.
        added = re.findall(r"CREATE INDEX (\w+)", Path(args.index_sql).read_text()) if args.index_sql else []
        with connection.cursor() as cur:
            for name in added:
                cur.execute(f'DROP INDEX IF EXISTS "{name}"')
    else:
        call_command("migrate", verbosity=0)
        demo_seed(cases=0)
        log(f"generating {args.cases:,} cases")
        counts = cases_generate(n=args.cases, now=clock.now(), open_share=0.2)
        publish_most(PUBLIC_SHARE)
    generate_s = time.monotonic() - t0
    log(f"cases: {counts} in {generate_s:.0f} s")

    boxes = Grid.objects.values_list("min_lat", "min_lng", "max_lat", "max_lng")
    south, west = min(b[0] for b in boxes), min(b[1] for b in boxes)
    north, east = max(b[2] for b in boxes), max(b[3] for b in boxes)
    city = f"{west:.5f},{south:.5f},{east:.5f},{north:.5f}"
    # The busiest point (bulkgen draws cases from 50,000 points): a street-level view around it.
    with connection.cursor() as cur:
        cur.execute(
            "SELECT lat, lng FROM cases_case WHERE is_public AND state <> 'closed'"
            " GROUP BY lat, lng ORDER BY COUNT(*) DESC LIMIT 1"
        )
        lat, lng = cur.fetchone()
    half_lat, half_lng = 250 / 111_195, 250 / (111_195 * 0.878)  # cos(28.7°)
    street = f"{lng - half_lng:.5f},{lat - half_lat:.5f},{lng + half_lng:.5f},{lat + half_lat:.5f}"
    public = Case.objects.filter(is_public=True, number__isnull=False)
    counts["public"] = public.count()
    counts["shown"] = public.exclude(state__in=[CaseState.CLOSED, CaseState.REJECTED]).count()
    open_number = (
        public.filter(state=CaseState.IN_PROGRESS).order_by("-id").values_list("number", flat=True)[0]
    )
    closed_number = public.filter(state=CaseState.CLOSED).order_by("id").values_list("number", flat=True)[0]
    results["config"] = {
        "cases": counts,
        "generate_s": generate_s,
        "postgres": pg,
        "city": city,
        "street": street,
    }
    results["config_line"] = (
        f"{pg}; {counts['cases']:,} cases ({counts['public']:,} public, {counts['shown']:,} of them open),"
        f" generated in {generate_s:.0f} s; city box {city}; street box {street}"
    )
    data = reverse("public-map-data")
    views = [
        ("public map, city-wide (zoom 12, clusters)", f"{data}?bbox={city}&zoom=12", 100),
        ("public map, city-wide (zoom 11, clusters)", f"{data}?bbox={city}&zoom=11", 100),
        ("public map, city-wide, open only (zoom 12)", f"{data}?bbox={city}&zoom=12&state=open", 100),
        ("public map, street-level (zoom 17, 500 m)", f"{data}?bbox={street}&zoom=17", 100),
        (
            "public map, street-level, one category (zoom 17)",
            f"{data}?bbox={street}&zoom=17&category=01",
            100,
        ),
        ("public case page, open case", reverse("public-case", kwargs={"number": open_number}), 50),
        ("public case page, closed case", reverse("public-case", kwargs={"number": closed_number}), 50),
    ]
    # Pages name their static files: with DEBUG off that is the manifest `collectstatic` writes, which a
    # bench run does not make; plain names cost the same to render.
    static = {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"}
    stack = override_settings(STORAGES={**settings.STORAGES, "staticfiles": static})
    stack.enable()
    measure("indexes of the migrations", views, args.repeat)
    if args.index_sql:
        with connection.cursor() as cur:
            for statement in filter(None, (s.strip() for s in Path(args.index_sql).read_text().split(";"))):
                log(statement)
                cur.execute(statement)
        vacuum()
        measure("with the proposed indexes", views, args.repeat)

    results["total_s"] = time.monotonic() - started
    run.print_table(results)
    for name, queries in results["explain"].items():
        for query in queries:
            print(f"\n-- {name}\n{query['sql']}\n{query['plan']}")
    (BASE / "bench" / "results-public.json").write_text(
        json.dumps(results, indent=2, default=str, ensure_ascii=False)
    )
    log(f"done in {results['total_s']:.0f} s; bench/results-public.json written")


if __name__ == "__main__":
    main()
