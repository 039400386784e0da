"""The audit trail at a city's size: verify_audit over every chain and checkpoint, and what a checkpoint
costs per changed case.

Run from the repository root (PostgreSQL on 127.0.0.1:5432 user postgres trust):

    .venv/bin/python bench/audit.py                      # 100,000 cases (~3 min)
    .venv/bin/python bench/audit.py --cases 1000000      # the full size (~15 min, 6 of them generating)

Database `gridmgmt_audit_bench` (dropped, created, migrated, the demo district seeded), bench/run.py's
environment otherwise (DEBUG off, bench.settings) with keys of its own and the checkpoint log in
var/bench/audit-checkpoints.jsonl. `--cases` cases are generated with valid keyed chains (bench/bulkgen.py).
Measured:

1. The first checkpoint (every bucket hashed) and then, for each of `--changes` (1, 10, 100, 1000 cases
   changed: one system event appended to each, as a deadline sweep does), the next checkpoint: wall ms,
   buckets rehashed, ms per changed case.
2. verify_audit's parts at that size: every case chain (cases.audit.chains_verify), the checkpoints
   (audit.verify.checkpoints_verify: the log read and every root recomputed from the events in one pass),
   and the whole command (`verify_audit --skip-photos`, no photos are generated): seconds and µs per case.

Prints a table and writes bench/results-audit.json.
"""

from __future__ import annotations

import argparse
import io
import json
import os
import random
import sys
import time
from pathlib import Path

BASE = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(BASE))  # run as a script from anywhere

from bench import run  # noqa: E402  (sets bench/run.py's environment: DEBUG off, bench.settings)

DB_NAME = "gridmgmt_audit_bench"
LOG = BASE / "var" / "bench" / "audit-checkpoints.jsonl"
os.environ.update(
    {
        "DATABASE_URL": f"postgres://postgres@127.0.0.1:5432/{DB_NAME}",
        "AUDIT_CHAIN_KEY": "bench-only-audit-chain-key",
        "AUDIT_SIGNING_KEY": "5e" * 32,
        "AUDIT_CHECKPOINT_LOG": str(LOG),
    }
)
results: dict = {"rows": []}


def log(message: str) -> None:
    print(f"[bench-audit {time.strftime('%H:%M:%S')}] {message}", flush=True)


def row(measure: str, value: str, note: str = "", **raw) -> None:
    results["rows"].append(
        {"measure": measure, "value": value, "target": "", "met": None, "note": note, "raw": raw}
    )
    log(f"{measure}: {value} {note}")


def database_recreate() -> None:
    import psycopg2

    conn = psycopg2.connect(host="127.0.0.1", user="postgres", dbname="postgres")
    conn.autocommit = True
    with conn.cursor() as cur:
        cur.execute(f"DROP DATABASE IF EXISTS {DB_NAME} WITH (FORCE)")
        cur.execute(f"CREATE DATABASE {DB_NAME}")
    conn.close()


def cases_touch(ids: list[int]) -> None:
    """Append one system event to each case, as the deadline sweep does (one INSERT, one UPDATE)."""
    from django.db import transaction

    from cases.audit import events_append_system
    from cases.models import Case
    from gridmgmt import clock

    with transaction.atomic():
        cases = list(Case.objects.select_for_update().filter(pk__in=ids).order_by("pk"))
        events_append_system(
            cases=cases, action="bench_touch", at=clock.now(), data_for=lambda c: {"bench": 1}
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--cases", type=int, default=100_000)
    parser.add_argument("--changes", default="1,10,100,1000")
    args = parser.parse_args()
    started = time.monotonic()
    results["machine"] = run.machine()
    database_recreate()
    LOG.parent.mkdir(parents=True, exist_ok=True)
    LOG.unlink(missing_ok=True)
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection

    from audit.log import checkpoint_log
    from audit.services import checkpoint_publish
    from audit.verify import checkpoints_verify
    from bench.bulkgen import cases_generate
    from cases.audit import chains_verify
    from cases.models import Case
    from demo.seed import demo_seed
    from gridmgmt import clock

    call_command("migrate", verbosity=0)
    demo_seed(cases=0)
    with connection.cursor() as cur:
        cur.execute("SELECT version()")
        pg = cur.fetchone()[0].split(",")[0]
    log(f"generating {args.cases:,} cases with keyed chains")
    t0 = time.monotonic()
    counts = cases_generate(n=args.cases, now=clock.now(), open_share=0.2)
    generate_s = time.monotonic() - t0
    log(f"generated {counts} in {generate_s:.0f} s")
    results["config"] = {"cases": counts, "generate_s": generate_s, "postgres": pg}
    results["config_line"] = (
        f"{pg}; {counts['cases']:,} cases, {counts['events']:,} events (keyed chains, generated with COPY in"
        f" {generate_s:.0f} s)"
    )

    t0 = time.perf_counter()
    first = checkpoint_publish()
    ms = (time.perf_counter() - t0) * 1000
    row(
        "first checkpoint (every bucket)",
        f"{ms / 1000:.1f} s",
        f"{first.buckets_recomputed:,} buckets, {ms * 1000 / first.cases:.1f} µs per case",
        ms=ms,
        buckets=first.buckets_recomputed,
    )
    ids = list(Case.objects.values_list("id", flat=True))
    rng = random.Random(3)
    for k in [int(x) for x in args.changes.split(",") if x]:
        cases_touch(rng.sample(ids, k))
        t0 = time.perf_counter()
        checkpoint = checkpoint_publish()
        ms = (time.perf_counter() - t0) * 1000
        row(
            f"checkpoint after {k:,} changed cases",
            f"{ms:.0f} ms",
            f"{checkpoint.buckets_recomputed:,} buckets rehashed, {ms / k:.2f} ms per changed case",
            ms=ms,
            changed=k,
            buckets=checkpoint.buckets_recomputed,
        )

    t0 = time.perf_counter()
    checked, broken = chains_verify()
    s = time.perf_counter() - t0
    assert not broken, broken[:5]
    row("verify: every case chain", f"{s:.1f} s", f"{s * 1e6 / checked:.0f} µs per case", s=s, cases=checked)
    t0 = time.perf_counter()
    report = checkpoints_verify(checkpoint_log())
    s = time.perf_counter() - t0
    assert not report.problems, report.problems
    row(
        f"verify: {report.checked} checkpoints, roots recomputed from the events",
        f"{s:.1f} s",
        f"{s * 1e6 / checked:.1f} µs per case",
        s=s,
    )
    out = io.StringIO()
    t0 = time.perf_counter()
    call_command("verify_audit", "--skip-photos", stdout=out, stderr=io.StringIO())
    s = time.perf_counter() - t0
    row("verify_audit --skip-photos (all of it)", f"{s:.1f} s", f"{s * 1e6 / checked:.0f} µs per case", s=s)
    results["total_s"] = time.monotonic() - started
    run.print_table(results)
    (BASE / "bench" / "results-audit.json").write_text(
        json.dumps(results, indent=2, default=str, ensure_ascii=False)
    )
    log(f"done in {results['total_s']:.0f} s; bench/results-audit.json written")


if __name__ == "__main__":
    main()
