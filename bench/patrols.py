"""Patrols at a city's size: points through the API, and a one-hour patrol's figures over 100,000 grids.

Run from the repository root (PostgreSQL on 127.0.0.1:5432 user postgres trust, Redis on 127.0.0.1:6379):

    .venv/bin/python bench/patrols.py                       # ~2 min
    .venv/bin/python bench/patrols.py --clients 16 --seconds 30 --batch 100 --grids 10000

Database `gridmgmt_bench` (dropped, created, migrated, as bench/run.py does, with its settings and
environment: DEBUG off, bench.settings, Redis DB 15). Two measures:

1. Ingestion. `--grids` square grids (a regular lattice of ~550 m squares, written with COPY behind the
   services' back, then the layer version bumped so every process sees them) and `--clients × --per-client`
   grid administrators, three grids each. gunicorn (as bench/run.py starts it) serves the API; each of
   `--clients` threads holds keep-alive connections and, for its administrators in turn, posts a batch of
   `--batch` points (a walk at 4.5 km/h, a fix every 5 s) to POST /api/v1/patrols/{id}/points/, one running
   patrol per administrator, for `--seconds`. Reported: points/s (goal ≥ 2,000), p50/p99 ms per batch, CPU ms
   per 1,000 points in gunicorn, PostgreSQL and this process (read from /proc), and the queries one batch
   costs (the same request in-process, counted with CaptureQueriesContext).
2. Coverage. A one-hour patrol (720 fixes at 5 s, 4.5 km through the patroller's three grids along streets,
   fixes a few metres off) and patrols.services.figures_compute over the whole layer: flags, grids touched,
   coverage of the own and touched grids, minutes per grid, outside share, fingerprints. The grid index build
   (reading the layer and the STRtree) is timed apart, before: `--repeat` warm runs, p50/p99 (goal ≤ 200 ms).

A missed goal is followed by a cProfile of the slow part: where the time goes, and the next lever.
Prints a table and writes bench/results-patrols.json (machine, sizes, every figure).
"""

from __future__ import annotations

import argparse
import cProfile
import datetime as dt
import http.client
import io
import json
import math
import os
import pstats
import random
import socket
import sys
import threading
import time
from pathlib import Path

BASE = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(BASE))  # run as a script from anywhere

# bench/run.py's environment (database gridmgmt_bench, bench.settings, DEBUG off, Redis DB 15) and its ways
# to recreate the database, start and stop gunicorn, read CPU time per process and describe the machine.
from bench import run  # noqa: E402
from bench.base_data import Copier  # noqa: E402

INGEST_GOAL = 2000.0  # points/s through the API
COVERAGE_GOAL_MS = 200.0
ORIGIN = (116.20, 28.40)  # (lng, lat) of the lattice's south-west corner: east of Donghu, clear of the demo
CELL_DEG = 0.005  # ~490 m east-west, ~550 m north-south at 28.5°
DISTRICT = ("360112", "基准区")
M_PER_DEG_LAT = 110_540.0

results: dict = {"rows": []}


def log(message: str) -> None:
    print(f"[bench-patrols {time.strftime('%H:%M:%S')}] {message}", flush=True)


def row(measure: str, value: str, target: str = "", met: bool | None = None, note: str = "", **raw) -> None:
    results["rows"].append(
        {"measure": measure, "value": value, "target": target, "met": met, "note": note, "raw": raw}
    )
    log(f"{measure}: {value} {note}")


# --- the layer -------------------------------------------------------------------------------------------


def lattice_shape(n: int) -> tuple[int, int]:
    """Columns × rows of a lattice of at least `n` cells, about twice as wide as tall."""
    rows = max(1, int(math.sqrt(n / 2)))
    return math.ceil(n / rows), rows


def cell_box(i: int, j: int) -> tuple[float, float, float, float]:
    x0, y0 = ORIGIN[0] + i * CELL_DEG, ORIGIN[1] + j * CELL_DEG
    return x0, y0, x0 + CELL_DEG, y0 + CELL_DEG


def layer_create(n: int) -> dict[tuple[int, int], int]:
    """`n` square grids, 99 to a community and 999 communities to a street (the codes' room), written with
    COPY; (column, row) → grid id."""
    from django.db import transaction

    from grids import services as grid_services
    from grids.models import Grid

    cols, _rows = lattice_shape(n)
    code, name = DISTRICT
    cells: dict[tuple[int, int], int] = {}
    now = dt.datetime.now(dt.UTC)
    area = CELL_DEG * 111_320 * math.cos(math.radians(ORIGIN[1])) * CELL_DEG * M_PER_DEG_LAT
    with transaction.atomic():
        grid_services.jurisdiction_ensure(code=code, name=name)
        copier = Copier(Grid)
        for k in range(n):
            c, g = divmod(k, 99)
            street, community = f"{code}{c // 999 + 1:03d}", c % 999 + 1
            if g == 0:
                if community == 1:
                    grid_services.jurisdiction_ensure(code=street, name=f"基准{c // 999 + 1}街道")
                community_id = grid_services.jurisdiction_ensure(
                    code=f"{street}{community:03d}", name=f"基准{c + 1}社区"
                ).pk
            i, j = k % cols, k // cols
            x0, y0, x1, y1 = cell_box(i, j)
            cells[(i, j)] = copier.add(
                code=f"{street}{community:03d}{g + 1:02d}",
                name=f"第{g + 1}网格",
                community_id=community_id,
                boundary={
                    "type": "Polygon",
                    "coordinates": [[[x0, y0], [x1, y0], [x1, y1], [x0, y1], [x0, y0]]],
                },
                min_lng=x0,
                min_lat=y0,
                max_lng=x1,
                max_lat=y1,
                area_m2=area,
                properties={},
                updated_at=now,
            )
        copier.close()
        grid_services.grid_layer_bump()  # every process rebuilds its index from the new layer
    return cells


# --- tracks ----------------------------------------------------------------------------------------------


def block_walk(
    cells: list[tuple[float, float, float, float]],
    *,
    start: dt.datetime,
    count: int,
    every_s: float = 5.0,
    kmh: float = 4.5,
    rng: random.Random,
) -> list[dict]:
    """`count` fixes every `every_s` s at `kmh` along east-west streets 100 m apart through a row of cells
    (back and forth, as a patroller sweeps a block), each fix a few metres off: tests/patrols/factories.walk's
    idea, on a serpentine."""
    x0 = min(c[0] for c in cells) + 0.0002
    x1 = max(c[2] for c in cells) - 0.0002
    y0, y1 = cells[0][1] + 0.0003, cells[0][3] - 0.0003
    kx = 111_320.0 * math.cos(math.radians(y0))
    step_x = kmh / 3.6 * every_s / kx
    lanes = [y0 + (y1 - y0) * f for f in (0.1, 0.3, 0.5, 0.7, 0.9)]
    step_y = kmh / 3.6 * every_s / M_PER_DEG_LAT
    fixes, x, y, lane, direction = [], x0, lanes[0], 0, 1
    error_x = error_y = 0.0
    t = start
    for _ in range(count):
        # A phone's error drifts (it does not jump from fix to fix): a few metres, slowly changing.
        error_x, error_y = 0.9 * error_x + rng.gauss(0, 0.8), 0.9 * error_y + rng.gauss(0, 0.8)
        lat, lng = y + error_y / M_PER_DEG_LAT, x + error_x / kx
        fixes.append(
            {"lat": round(lat, 7), "lng": round(lng, 7), "accuracy": round(rng.uniform(5, 20), 1), "t": t}
        )
        t += dt.timedelta(seconds=every_s)
        target = lanes[lane]
        if abs(y - target) > step_y / 2:  # rounding the corner: up the cross street to the next one
            y += math.copysign(min(step_y, abs(target - y)), target - y)
            continue
        y = target
        x += direction * step_x
        if not x0 <= x <= x1:  # the end of the street: turn into the cross street
            direction, x = -direction, min(max(x, x0), x1)
            lane = (lane + 1) % len(lanes)
    return fixes


def body_of(fixes: list[dict], batch: str) -> bytes:
    points = [
        {"lat": f["lat"], "lng": f["lng"], "accuracy": f["accuracy"], "recorded_at": f["t"].isoformat()}
        for f in fixes
    ]
    return json.dumps({"batch": batch, "points": points}).encode()


# --- ingestion -------------------------------------------------------------------------------------------


def administrators_create(n: int, cells: dict[tuple[int, int], int]) -> list:
    """`n` grid administrators, each holding three neighbouring grids of a row; (user, token, grid boxes)."""
    from django.contrib.auth import get_user_model
    from django.contrib.auth.models import Group
    from rest_framework.authtoken.models import Token

    from gridmgmt.roles import Role
    from grids.models import GridAssignment

    User = get_user_model()
    group = Group.objects.get(name=Role.GRID_ADMIN)
    cols, _ = lattice_shape(len(cells))
    out = []
    for k in range(n):
        user = User.objects.create(username=f"bench_patroller{k + 1}", first_name=f"巡查员{k + 1}")
        user.groups.add(group)
        i0, j = (3 * k) % (cols - 2), 1 + (3 * k) // (cols - 2)
        held = [(i0 + d, j) for d in range(3)]
        GridAssignment.objects.bulk_create([GridAssignment(user=user, grid_id=cells[c]) for c in held])
        out.append((user, Token.objects.create(user=user).key, [cell_box(*c) for c in held]))
    return out


def phase_ingest(args, people: list) -> None:
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    from patrols.models import Patrol, PatrolPoint

    rng = random.Random(17)
    per_user = math.ceil(args.seconds * 4000 / args.batch / len(people)) + 2  # more than the run can send
    start = dt.datetime.now(dt.UTC) - dt.timedelta(seconds=5 * args.batch * (per_user + 2))
    bodies: dict[int, list[bytes]] = {}
    for user, _token, boxes in people:
        fixes = block_walk(boxes, start=start, count=args.batch * per_user, rng=rng)
        bodies[user.pk] = [
            body_of(fixes[i : i + args.batch], f"b{n}")
            for n, i in enumerate(range(0, len(fixes), args.batch))
        ]

    # The queries of one batch, in-process (through the same view) before the server starts.
    user, token, _ = people[0]
    client = Client(HTTP_AUTHORIZATION=f"Token {token}")
    started = client.post("/api/v1/patrols/", data={}, content_type="application/json")
    assert started.status_code in (200, 201), started.content[:300]
    patrol_id = started.json()["id"]
    with CaptureQueriesContext(connection) as ctx:
        answer = client.post(
            f"/api/v1/patrols/{patrol_id}/points/", data=bodies[user.pk][0], content_type="application/json"
        )
    assert answer.status_code == 201, answer.content[:300]
    batch_queries = len(ctx.captured_queries)
    bodies[user.pk] = bodies[user.pk][1:]

    # A port of its own: bench/run.py's (8765) may be taken by a server that is not this bench's.
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        run.PORT = probe.getsockname()[1]
    web = run.start(
        "gunicorn-patrols",
        [
            sys.executable,
            "-m",
            "gunicorn",
            "gridmgmt.wsgi",
            "--bind",
            f"127.0.0.1:{run.PORT}",
            "--workers",
            str(args.web_workers),
            "--threads",
            "1",
            "--timeout",
            "60",
        ],
        run.http_ok,
    )
    try:
        patrols = {}
        conn = http.client.HTTPConnection("127.0.0.1", run.PORT, timeout=30)
        for user, token, _ in people:
            conn.request(
                "POST",
                "/api/v1/patrols/",
                body=b"{}",
                headers={"Content-Type": "application/json", "Authorization": f"Token {token}"},
            )
            response = conn.getresponse()
            payload = response.read()
            assert response.status in (200, 201), payload[:300]
            patrols[user.pk] = json.loads(payload)["id"]
        conn.close()
        # Warm-up: every worker takes a request or two (imports, connections) before the clock starts.
        _load(people[: args.web_workers * 2], patrols, bodies, seconds=2, clients=args.web_workers)
        points_before = PatrolPoint.objects.count()
        cpu_before = run.cpu_by_process()
        sent = _load(people, patrols, bodies, seconds=args.seconds, clients=args.clients)
        cpu = {name: seconds - cpu_before[name] for name, seconds in run.cpu_by_process().items()}
    finally:
        run.stop(web)
    stored = PatrolPoint.objects.count() - points_before
    rate = sent["points"] / sent["elapsed"]
    latencies = sent["latencies"]
    row(
        f"points via the API ({args.batch} a batch, {args.clients} clients, {len(people)} patrols), points/s",
        f"{rate:,.0f}",
        f"≥ {INGEST_GOAL:,.0f}",
        rate >= INGEST_GOAL and sent["bad"] == 0 and stored == sent["points"],
        note=f"{sent['batches']:,} batches in {sent['elapsed']:.1f} s; {sent['bad']} refused; "
        f"{stored:,} points stored of {sent['points']:,} acknowledged",
        points_per_s=rate,
        **{k: v for k, v in sent.items() if k != "latencies"},
        stored=stored,
    )
    row(
        "one batch through the API, p50 / p99 ms",
        f"{run.pct(latencies, 50):.1f} / {run.pct(latencies, 99):.1f}",
        p50=run.pct(latencies, 50),
        p99=run.pct(latencies, 99),
    )
    per_k = {name: s * 1e6 / max(stored, 1) for name, s in cpu.items() if s > 0.005}
    ceiling = os.cpu_count() * 1e6 / sum(per_k.values())
    row(
        "CPU per 1,000 points, ms",
        f"{sum(per_k.values()):.0f} = " + ", ".join(f"{name} {ms:.0f}" for name, ms in per_k.items()),
        note=f"at this cost {os.cpu_count()} CPUs carry at most ~{ceiling:,.0f} points/s",
        **{f"{name}_ms": ms for name, ms in per_k.items()},
    )
    row("queries per batch (in-process, CaptureQueriesContext)", str(batch_queries), queries=batch_queries)
    running = Patrol.objects.filter(pk__in=patrols.values(), state=Patrol.State.RUNNING).count()
    results["ingest_patrols_running"] = running


def _load(people, patrols, bodies, *, seconds: float, clients: int) -> dict:
    """`clients` threads, each taking its administrators in turn and posting their next batch."""
    lock = threading.Lock()
    state = {"batches": 0, "points": 0, "bad": 0, "latencies": []}
    stop_at = time.monotonic() + seconds
    groups = [people[c::clients] for c in range(clients)]

    def client(group):
        conn = http.client.HTTPConnection("127.0.0.1", run.PORT, timeout=30)
        latencies, batches, points, bad = [], 0, 0, 0
        k = 0
        while time.monotonic() < stop_at and group:
            user, token, _ = group[k % len(group)]
            k += 1
            queue = bodies[user.pk]
            if not queue:
                continue
            body = queue.pop(0)
            t0 = time.perf_counter()
            conn.request(
                "POST",
                f"/api/v1/patrols/{patrols[user.pk]}/points/",
                body=body,
                headers={"Content-Type": "application/json", "Authorization": f"Token {token}"},
            )
            response = conn.getresponse()
            payload = response.read()
            latencies.append((time.perf_counter() - t0) * 1000)
            if response.status == 201:
                batches += 1
                points += json.loads(payload)["added"]
            else:
                bad += 1
        conn.close()
        with lock:
            state["latencies"] += latencies
            state["batches"] += batches
            state["points"] += points
            state["bad"] += bad

    started = time.monotonic()
    threads = [threading.Thread(target=client, args=(g,)) for g in groups if g]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    state["elapsed"] = time.monotonic() - started
    return state


# --- coverage --------------------------------------------------------------------------------------------


def phase_coverage(args, people: list) -> None:
    from django.conf import settings

    from gridmgmt import policy
    from grids import selectors as grid_selectors
    from patrols import plausibility
    from patrols.services import figures_compute

    user, _token, boxes = people[-1]
    rng = random.Random(23)
    start = dt.datetime.now(dt.UTC) - dt.timedelta(hours=2)
    fixes = block_walk(boxes, start=start, count=720, rng=rng)
    points = [
        plausibility.Point(
            lat=f["lat"],
            lng=f["lng"],
            accuracy=f["accuracy"],
            recorded_at=f["t"],
            received_at=f["t"] + dt.timedelta(seconds=2),
            batch=1 + n // 50,
            seq=n + 1,
        )
        for n, f in enumerate(fixes)
    ]
    started_at, ended_at = fixes[0]["t"], fixes[-1]["t"] + dt.timedelta(seconds=5)
    own = policy.patrol_grid_ids(user)

    grid_selectors.grid_index_reset()
    t0 = time.perf_counter()
    grid_selectors.grid_locate_many([(points[0].lat, points[0].lng)])  # builds the index: layer + STRtree
    build_ms = (time.perf_counter() - t0) * 1000
    row(
        f"grid index build over {args.grids:,} grids (read the layer, STRtree), ms",
        f"{build_ms:,.0f}",
        note="once per layer change per process; excluded from the figure below",
        ms=build_ms,
    )

    def compute():
        return figures_compute(points, started_at=started_at, ended_at=ended_at, own=own)

    figures = compute()
    times = []
    for _ in range(args.repeat):
        t0 = time.perf_counter()
        compute()
        times.append((time.perf_counter() - t0) * 1000)
    p50, p99 = run.pct(times, 50), run.pct(times, 99)
    distance = figures.checked.distance_m
    shares = ", ".join(f"{figures.coverage[g]:.0%}" for g in sorted(own))
    row(
        f"figures of a one-hour patrol (720 fixes) over {args.grids:,} grids, p50 / p99 ms",
        f"{p50:.1f} / {p99:.1f}",
        f"≤ {COVERAGE_GOAL_MS:.0f}",
        p99 <= COVERAGE_GOAL_MS,
        note=f"{args.repeat} warm runs; {distance / 1000:.1f} km walked,"
        f" {len(figures.grid_ids)} grids touched, own grids covered {shares}"
        f" (buffer {settings.PATROL_BUFFER_M:.0f} m), flags "
        f"{sorted(f['code'] for f in figures.checked.flags) or 'none'}",
        p50=p50,
        p99=p99,
        times=times,
        grids_touched=len(figures.grid_ids),
        coverage={str(k): v for k, v in figures.coverage.items()},
        flags=[f["code"] for f in figures.checked.flags],
    )
    results["coverage_parts"] = parts = _parts(points, started_at, ended_at, own)
    row(
        "where a one-hour patrol's figures go, ms (best of 5)",
        ", ".join(f"{name} {ms:.1f}" for name, ms in parts.items()),
        **parts,
    )
    if p99 > COVERAGE_GOAL_MS:
        results["coverage_profile"] = profile(compute)
        print("\n".join(results["coverage_profile"]))


def _parts(points, started_at, ended_at, own) -> dict[str, float]:
    """figures_compute's steps timed one by one (the same calls, in the same order)."""
    from django.conf import settings
    from shapely.geometry import MultiLineString

    from grids import selectors as grid_selectors
    from patrols import coverage, plausibility

    def best(fn, n=5):
        out, ms = None, float("inf")
        for _ in range(n):
            t0 = time.perf_counter()
            out = fn()
            ms = min(ms, (time.perf_counter() - t0) * 1000)
        return out, ms

    checked, check_ms = best(
        lambda: plausibility.track_check(points, started_at=started_at, ended_at=ended_at)
    )
    line, line_ms = best(lambda: coverage.segments_line(checked.segments))
    touched, touch_ms = best(lambda: dict(grid_selectors.grids_intersecting(line)))
    grids = {**grid_selectors.grid_geometries(own), **touched}
    projection = coverage.Projection(checked.track[0].lat)
    area, buffer_ms = best(
        lambda: coverage.buffered(line, width_m=settings.PATROL_BUFFER_M, projection=projection)
    )
    _, share_ms = best(lambda: coverage.coverage_shares(area, grids, projection=projection))
    mids = [((a.lat + b.lat) / 2, (a.lng + b.lng) / 2) for a, b in checked.segments]
    at_mid, locate_ms = best(lambda: grid_selectors.grid_locate_many(mids))
    _, minutes_ms = best(lambda: coverage.minutes_in(checked.segments, lambda _a, _b: at_mid))
    _, prints_ms = best(lambda: coverage.track_prints(checked.track))
    # The lever: the same walked track buffered as its continuous runs (what track_geojson stores) rather
    # than as one two-point line per segment: GEOS unions far fewer pieces, the area is the same.
    runs = MultiLineString(coverage.track_geojson(checked.segments)["coordinates"])
    runs_area, runs_ms = best(
        lambda: coverage.buffered(runs, width_m=settings.PATROL_BUFFER_M, projection=projection)
    )
    assert abs(runs_area.area - area.area) <= 0.005 * area.area, (runs_area.area, area.area)
    return {
        "track_check": check_ms,
        "segments_line": line_ms,
        "grids_intersecting": touch_ms,
        "buffer": buffer_ms,
        "coverage_shares": share_ms,
        "locate midpoints": locate_ms,
        "minutes_in": minutes_ms,
        "track_prints": prints_ms,
        "lever: buffer of the runs instead": runs_ms,
    }


def profile(fn, top: int = 15) -> list[str]:
    """cProfile of `fn`: the functions that hold the time, by their own time."""
    profiler = cProfile.Profile()
    profiler.enable()
    fn()
    profiler.disable()
    out = io.StringIO()
    pstats.Stats(profiler, stream=out).sort_stats("tottime").print_stats(top)
    return [line for line in out.getvalue().splitlines() if line.strip()]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--grids", type=int, default=100_000, help="grids of the lattice (100000)")
    parser.add_argument("--clients", type=int, default=8, help="concurrent API clients (8)")
    parser.add_argument("--per-client", type=int, default=4, help="administrators (patrols) per client (4)")
    parser.add_argument("--batch", type=int, default=50, help="points per batch (50)")
    parser.add_argument("--seconds", type=float, default=20, help="length of the ingestion run (20)")
    parser.add_argument("--web-workers", type=int, default=run.WEB_WORKERS, help="gunicorn workers (3)")
    parser.add_argument("--repeat", type=int, default=30, help="warm runs of the coverage figure (30)")
    parser.add_argument("--output", default=str(BASE / "bench" / "results-patrols.json"))
    args = parser.parse_args()

    started = time.monotonic()
    # The admin of the in-process request is served as "testserver"; the rest is bench/run.py's environment.
    os.environ["ALLOWED_HOSTS"] = "testserver,127.0.0.1,localhost"
    results["machine"] = run.machine()
    results["load_before"] = os.getloadavg()[0]  # other work on the machine slows every figure
    run.database_recreate()
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection

    log(f"database {run.DB_NAME} recreated; migrating")
    call_command("migrate", run_syncdb=True, verbosity=0)
    with connection.cursor() as cur:
        cur.execute("SELECT version()")
        postgres = cur.fetchone()[0].split(",")[0]
    t0 = time.monotonic()
    cells = layer_create(args.grids)
    layer_s = time.monotonic() - t0
    log(f"{len(cells):,} grids written in {layer_s:.0f} s")
    people = administrators_create(args.clients * args.per_client, cells)
    results["config"] = {**vars(args), "postgres": postgres, "layer_s": layer_s}
    phase_ingest(args, people)
    phase_coverage(args, people)
    results["load_after"] = os.getloadavg()[0]
    results["config_line"] = (
        f"{postgres}; {args.grids:,} square grids (~0.27 km² each, written with COPY in {layer_s:.0f} s);"
        f" gunicorn {args.web_workers} workers × 1 thread, DEBUG off; {args.clients} client threads in this"
        f" process on the same {os.cpu_count()} CPUs; load average {results['load_before']:.1f} before,"
        f" {results['load_after']:.1f} after"
    )
    results["total_s"] = time.monotonic() - started
    run.print_table(results)
    Path(args.output).write_text(json.dumps(results, indent=2, default=str, ensure_ascii=False))
    log(f"done in {results['total_s']:.0f} s; {args.output} written")


if __name__ == "__main__":
    main()
