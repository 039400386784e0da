"""A fast generator of realistic case history for the bench: cases and their events written with COPY.

Runs inside a set-up Django process (bench/run.py) against the seeded demo district: cases fall on points
inside the demo grids, in the minor categories weighted like the demo, reported over the last year. Most
old cases are closed (or rejected); a share of them, all from the last two weeks, are open in every state.
Each case gets the events its state implies (report, route, file, dispatch, accept, resolve, verify_pass
or reject) with the data evaluation replays (stage deadlines, department).

Each case's events form a valid keyed chain (HMAC under the current AUDIT_CHAIN_KEY, through
`cases.audit.event_hash`, ~6 µs an event), so `verify_audit` passes on the generated history.

Not generated: photos, extensions, returns and suspensions.
"""

import datetime as dt
import io
import json
import random
from types import SimpleNamespace

from django.db import connection

from cases.audit import GENESIS_HASH, event_hash
from cases.models import OPEN_STATES, Case, CaseEvent, CaseState, Category
from dispatch.models import RoutingRule
from gridmgmt import chain
from gridmgmt.roles import Role
from grids.models import Grid
from grids.selectors import grid_locate_many

CHUNK = 20_000
# Share of each open state among open cases.
OPEN_MIX = [
    (CaseState.REPORTED, 0.05),
    (CaseState.FILED, 0.05),
    (CaseState.DISPATCHED, 0.25),
    (CaseState.IN_PROGRESS, 0.40),
    (CaseState.RESOLVED, 0.25),
]
STAGE_OF = {
    CaseState.REPORTED: Case.Stage.FILING,
    CaseState.FILED: Case.Stage.DISPATCH,
    CaseState.DISPATCHED: Case.Stage.HANDLING,
    CaseState.IN_PROGRESS: Case.Stage.HANDLING,
    CaseState.RESOLVED: Case.Stage.VERIFICATION,
}


def _copy_value(value) -> str:
    if value is None:
        return "\\N"
    if isinstance(value, dt.datetime):
        return value.isoformat()
    if isinstance(value, bool):
        return "t" if value else "f"
    return str(value).replace("\\", "\\\\").replace("\t", " ").replace("\n", " ")


def _points(rng: random.Random, want: int) -> list[tuple[float, float, int]]:
    """Random points inside the grids (rejection sampling over the layer's bounding box)."""
    boxes = Grid.objects.values_list("min_lat", "min_lng", "max_lat", "max_lng")
    min_lat = min(b[0] for b in boxes)
    min_lng = min(b[1] for b in boxes)
    max_lat = max(b[2] for b in boxes)
    max_lng = max(b[3] for b in boxes)
    found: list[tuple[float, float, int]] = []
    while len(found) < want:
        batch = [(rng.uniform(min_lat, max_lat), rng.uniform(min_lng, max_lng)) for _ in range(want)]
        for (lat, lng), grid_id in zip(batch, grid_locate_many(batch), strict=True):
            if grid_id is not None:
                found.append((round(lat, 6), round(lng, 6), grid_id))
    return found[:want]


def cases_generate(*, n: int, now: dt.datetime, open_share: float, seed: int = 7) -> dict:
    """Append `n` cases (and their events) to the database; returns counts."""
    from django.contrib.auth import get_user_model

    rng = random.Random(seed)
    User = get_user_model()
    grid_codes = dict(Grid.objects.values_list("id", "code"))
    minors = list(Category.objects.filter(parent__isnull=False, is_active=True).select_related("parent"))
    weights = [1.0 + (i % 5) for i in range(len(minors))]
    departments = {}
    for rule in RoutingRule.objects.filter(grid__isnull=True, jurisdiction__isnull=True).select_related(
        "department"
    ):
        departments[rule.category_id] = (rule.department_id, rule.department.code)
    fallback = next(iter(departments.values()))
    dept_of = {c.pk: departments.get(c.pk) or departments.get(c.parent_id) or fallback for c in minors}
    admins = list(User.objects.filter(groups__name=Role.GRID_ADMIN).values_list("id", "username"))
    dispatcher = User.objects.filter(groups__name=Role.DISPATCHER).values_list("id", "username").first()
    staff = list(User.objects.filter(groups__name=Role.DEPARTMENT_STAFF).values_list("id", "username"))
    points = _points(rng, min(n, 50_000))
    open_states = [s for s, _ in OPEN_MIX]
    open_weights = [w for _, w in OPEN_MIX]
    key_id = chain.current_key_id()

    case_cols = [f.column for f in Case._meta.concrete_fields]
    # Columns the generator does not set (added to Case since) take their model default.
    case_defaults = {f.column: f.get_default() for f in Case._meta.concrete_fields}
    event_cols = [f.column for f in CaseEvent._meta.concrete_fields]
    with connection.cursor() as cur:
        cur.execute("SELECT COALESCE(MAX(id), 0) FROM cases_case")
        next_case = cur.fetchone()[0] + 1
        cur.execute("SELECT COALESCE(MAX(id), 0) FROM cases_caseevent")
        next_event = cur.fetchone()[0] + 1

    counts = {"cases": 0, "events": 0, "open": 0}
    minutes = dt.timedelta(minutes=1)
    for start in range(0, n, CHUNK):
        case_buf, event_buf = io.StringIO(), io.StringIO()
        for _ in range(min(CHUNK, n - start)):
            case_id = next_case
            next_case += 1
            lat, lng, grid_id = rng.choice(points)
            category = rng.choices(minors, weights)[0]
            is_open = rng.random() < open_share
            if is_open:
                state = rng.choices(open_states, open_weights)[0]
                reported = now - dt.timedelta(minutes=rng.uniform(30, 14 * 24 * 60))
            else:
                state = CaseState.REJECTED if rng.random() < 0.05 else CaseState.CLOSED
                reported = now - dt.timedelta(minutes=rng.uniform(14 * 24 * 60, 365 * 24 * 60))
            reporter_id, reporter_name = rng.choice(admins)
            dept_id, dept_code = dept_of[category.pk]
            staff_user = rng.choice(staff)
            # The timeline: each step a plausible while after the previous one, never past now.
            t = reported
            steps = [("report", "", CaseState.REPORTED, reporter_id, reporter_name, Role.GRID_ADMIN)]
            route_at = t + dt.timedelta(seconds=rng.uniform(0.05, 2))
            path: list[tuple] = []
            if state == CaseState.REJECTED:
                path = [("reject", CaseState.REJECTED, dispatcher, Role.DISPATCHER, 30)]
            elif state != CaseState.REPORTED:
                path = [("file", CaseState.FILED, dispatcher, Role.DISPATCHER, 40)]
                order = [CaseState.DISPATCHED, CaseState.IN_PROGRESS, CaseState.RESOLVED, CaseState.CLOSED]
                plan = [
                    ("dispatch", CaseState.DISPATCHED, dispatcher, Role.DISPATCHER, 30),
                    ("accept", CaseState.IN_PROGRESS, staff_user, Role.DEPARTMENT_STAFF, 90),
                    ("resolve", CaseState.RESOLVED, staff_user, Role.DEPARTMENT_STAFF, 1200),
                    ("verify_pass", CaseState.CLOSED, (reporter_id, reporter_name), Role.GRID_ADMIN, 600),
                ]
                if state in order:
                    path += plan[: order.index(state) + 1]
            times = [reported, route_at]
            t = route_at
            limit_minutes = {"file": 60, "dispatch": category.handling_minutes, "resolve": 480}
            events = [(steps[0], reported, {})]
            events.append(
                (
                    ("route", CaseState.REPORTED, CaseState.REPORTED, None, "", Role.SYSTEM),
                    route_at,
                    {"grid": grid_codes[grid_id], "suggested_department": dept_code, "duplicates": []},
                )
            )
            stage_start = reported
            stage = Case.Stage.FILING
            limit = 60
            prev_state = CaseState.REPORTED
            for action, to_state, (actor_id, actor_name), role, mean in path:
                t = t + dt.timedelta(minutes=rng.expovariate(1 / mean))
                if t >= now:
                    t = now - dt.timedelta(seconds=rng.uniform(1, 60))
                data: dict = {}
                if action in limit_minutes:
                    stage = {"file": "dispatch", "dispatch": "handling", "resolve": "verification"}[action]
                    limit = limit_minutes[action]
                    stage_start = t
                    data = {"stage": stage, "deadline": (t + limit * minutes).isoformat()}
                if action == "dispatch":
                    data["department"] = dept_code
                events.append(((action, prev_state, to_state, actor_id, actor_name, role), t, data))
                prev_state = to_state
                times.append(t)
            last_at = events[-1][1]
            row = {
                "id": case_id,
                "number": f"{reported:%Y%m%d}{case_id:07d}",
                "source": "patrol",
                "reporter_id": reporter_id,
                "reporter_name": "",
                "reporter_contact": "",
                "lat": lat,
                "lng": lng,
                "address": "",
                "grid_id": grid_id,
                "facility_id": None,
                "category_id": category.pk,
                "description": f"{category.name} (bench)",
                "priority": category.default_priority,
                "state": state,
                "department_id": dept_id if state not in (CaseState.REPORTED, CaseState.FILED) else None,
                "suggested_department_id": dept_id,
                "duplicate_of_id": None,
                "deadline_stage": "",
                "deadline_started_at": None,
                "deadline_warn_at": None,
                "deadline_at": None,
                "deadline_escalate_at": None,
                "warned_at": None,
                "overdue_at": None,
                "escalated_at": None,
                "suspended_at": None,
                "suspended_remaining_s": None,
                "routed_at": route_at,
                "return_count": 0,
                "rework_count": 0,
                "extension_count": 0,
                "version": len(events) - 1,
                "audit_seq": len(events),
                "audit_head": "",
                "reported_at": reported,
                "updated_at": last_at,
                "closed_at": last_at if state == CaseState.CLOSED else None,
            }
            if state in OPEN_STATES:
                counts["open"] += 1
                if state == CaseState.IN_PROGRESS:
                    pass  # accept keeps the handling clock of the dispatch
                row["deadline_stage"] = STAGE_OF[state]
                row["deadline_started_at"] = stage_start
                row["deadline_warn_at"] = stage_start + 0.8 * limit * minutes
                row["deadline_at"] = stage_start + limit * minutes
                row["deadline_escalate_at"] = stage_start + 1.5 * limit * minutes
                # A point already passed was alerted on by an earlier sweep: at `now` nothing is due.
                for point, flag in (
                    ("deadline_warn_at", "warned_at"),
                    ("deadline_at", "overdue_at"),
                    ("deadline_escalate_at", "escalated_at"),
                ):
                    if row[point] <= now:
                        row[flag] = row[point]
            prev_hash = GENESIS_HASH
            for seq, ((action, from_state, to_state, actor_id, actor_name, role), at, data) in enumerate(
                events, start=1
            ):
                # The link exactly as cases.audit makes it (the data as the database will return it).
                link = SimpleNamespace(
                    seq=seq,
                    action=action,
                    from_state=from_state,
                    to_state=to_state,
                    actor_username=actor_name,
                    actor_role=role,
                    note="",
                    data=json.loads(json.dumps(data, sort_keys=True)),
                    created_at=at,
                    prev_hash=prev_hash,
                    key_id=key_id,
                )
                digest = event_hash(link, row["number"])
                event = {
                    "id": next_event,
                    "case_id": case_id,
                    "seq": seq,
                    "action": action,
                    "from_state": from_state,
                    "to_state": to_state,
                    "actor_id": actor_id,
                    "actor_username": actor_name,
                    "actor_role": role,
                    "note": "",
                    "data": json.dumps(data, sort_keys=True, ensure_ascii=False),
                    "created_at": at,
                    "prev_hash": prev_hash,
                    "hash": digest,
                    "key_id": key_id,
                }
                next_event += 1
                prev_hash = digest
                event_buf.write("\t".join(_copy_value(event[c]) for c in event_cols) + "\n")
            row["audit_head"] = prev_hash
            case_buf.write("\t".join(_copy_value(row.get(c, case_defaults[c])) for c in case_cols) + "\n")
            counts["cases"] += 1
            counts["events"] += len(events)
        case_buf.seek(0)
        event_buf.seek(0)
        with connection.cursor() as cur:
            cur.copy_expert(f"COPY cases_case ({', '.join(case_cols)}) FROM STDIN", case_buf)
            cur.copy_expert(f"COPY cases_caseevent ({', '.join(event_cols)}) FROM STDIN", event_buf)
    with connection.cursor() as cur:
        cur.execute(
            "SELECT setval(pg_get_serial_sequence('cases_case', 'id'), (SELECT MAX(id) FROM cases_case))"
        )
        cur.execute(
            "SELECT setval(pg_get_serial_sequence('cases_caseevent', 'id'),"
            " (SELECT MAX(id) FROM cases_caseevent))"
        )
        cur.execute("ANALYZE cases_case")
        cur.execute("ANALYZE cases_caseevent")
    return counts
