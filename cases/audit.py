"""The tamper-evident history: appending hash-chained case events and verifying the chains.

Each link's hash is an HMAC under a key of `gridmgmt.chain` (the key's id is on the link): a database writer
without the key cannot forge a link that verifies. Rewriting a whole chain with the key is caught by the
signed checkpoints (the `audit` app), which hold every chain's head outside the database.
"""

import datetime as dt
import json
from collections.abc import Callable, Iterable
from dataclasses import dataclass

from django.db import connection

from gridmgmt import chain
from gridmgmt.bulk import rows_insert
from gridmgmt.roles import Role

from .models import Case, CaseEvent

GENESIS_HASH = "0" * 64


def _canonical(event: CaseEvent, case_number: str) -> bytes:
    """The exact bytes hashed for an event: sorted keys, no whitespace, UTC timestamps to the microsecond."""
    payload = {
        "case": case_number,
        "seq": event.seq,
        "action": event.action,
        "from": event.from_state,
        "to": event.to_state,
        "actor": event.actor_username,
        "role": event.actor_role,
        "note": event.note,
        "data": event.data,
        "at": event.created_at.astimezone(dt.UTC).isoformat(timespec="microseconds"),
    }
    return json.dumps(payload, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()


def event_hash(event: CaseEvent, case_number: str) -> str:
    """The link's hash under the key it names (KeyError when that key is not in the ring)."""
    return chain.link_hash(event.key_id, event.prev_hash, _canonical(event, case_number))


def _event_link(event: CaseEvent, case: Case, *, seq: int, prev_hash: str) -> CaseEvent:
    """Make `event` the link after (seq - 1, prev_hash) of the case's chain: set seq, prev_hash and hash."""
    event.seq, event.prev_hash, event.key_id = seq, prev_hash, chain.current_key_id()
    # Round-trip the data through JSON so the hash covers exactly what the database will return.
    event.data = json.loads(json.dumps(event.data or {}, sort_keys=True))
    event.hash = event_hash(event, case.number)
    return event


def event_next(
    *,
    case: Case,
    action: str,
    from_state: str,
    to_state: str,
    actor,
    role: str,
    at: dt.datetime,
    note: str = "",
    data: dict | None = None,
) -> CaseEvent:
    """The next link of the case's chain, built from its recorded head (audit_seq, audit_head); not saved.

    The caller holds the case's row lock and loaded the case under it (or has just created it), so the
    recorded head is current and the next seq is free: no query. The head moves on `case` in memory; the
    caller writes the events and the new head in its transaction (`events_save`).
    """
    event = CaseEvent(
        case=case,
        action=action,
        from_state=from_state,
        to_state=to_state,
        actor=actor,
        actor_username=actor.get_username() if actor is not None else "",
        actor_role=role,
        note=note,
        data=data,
        created_at=at,
    )
    _event_link(
        event, case, seq=case.audit_seq + 1, prev_hash=case.audit_head if case.audit_seq else GENESIS_HASH
    )
    case.audit_seq, case.audit_head = event.seq, event.hash
    return event


def system_event_next(*, case: Case, action: str, at: dt.datetime, data: dict) -> CaseEvent:
    """`event_next` for what the system records on its own (routing, deadline alerts): no state change."""
    return event_next(
        case=case,
        action=action,
        from_state=case.state,
        to_state=case.state,
        actor=None,
        role=Role.SYSTEM,
        at=at,
        data=data,
    )


def events_save(events: list[CaseEvent]) -> None:
    """Insert links made by `event_next` (one INSERT); the caller writes the new head with its UPDATE."""
    rows_insert(CaseEvent, events)


def events_append_system(
    *,
    cases: list[Case],
    action: str,
    at: dt.datetime,
    data_for: Callable[[Case], dict],
    also: dict | None = None,
) -> list[CaseEvent]:
    """Append one system event (no state change) to each of many cases: one INSERT and one UPDATE, which
    also sets the fields of `also` on every case (a deadline alert's flag).

    The caller holds every case's row lock and loaded the cases under it, so each case's recorded chain
    head (audit_seq, audit_head) is current and the next seq is free.
    """
    events = [system_event_next(case=case, action=action, at=at, data=data_for(case)) for case in cases]
    events_save(events)
    _heads_write(cases, also or {})
    return events


def _heads_write(cases: list[Case], also: dict) -> None:
    """UPDATE … FROM (VALUES …): each case's own new head, and `also` on all, in one statement.

    Written out because the ORM's form of it (a CASE WHEN per case) took longer to compile than the
    database took to run it (a sweep of 2,000 alerts: ~0.5 s of Python), and a separate UPDATE for the
    flag rewrote every row, and every index entry of it, twice. Portable: PostgreSQL and SQLite (3.33+)
    both take UPDATE … FROM and name the columns of a VALUES list column1, column2, ….
    """
    table = connection.ops.quote_name(Case._meta.db_table)
    fields = [Case._meta.get_field(name) for name in also]
    assignments = ["audit_seq = v.column2", "audit_head = v.column3"] + [
        f"{connection.ops.quote_name(field.column)} = %s" for field in fields
    ]
    rows = ", ".join(["(CAST(%s AS BIGINT), CAST(%s AS INTEGER), %s)"] * len(cases))
    params = [field.get_db_prep_save(also[field.name], connection) for field in fields]
    params += [value for case in cases for value in (case.pk, case.audit_seq, case.audit_head)]
    sql = (
        f"UPDATE {table} SET {', '.join(assignments)} FROM (VALUES {rows}) AS v WHERE {table}.id = v.column1"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, params)


def key_problem(key_id: str, *, keyed: bool) -> str | None:
    """Why a link's key cannot be trusted, or None. Unkeyed links (from before keying) may only open a
    chain: one after a keyed link was written by someone without the key."""
    if key_id == chain.UNKEYED:
        return "is unkeyed after keyed events: it was not written by this system" if keyed else None
    if not chain.known_key(key_id):
        return (
            f"was keyed with key {key_id}, which is not in AUDIT_CHAIN_KEY (a retired key dropped too early,"
            " or a forgery)"
        )
    return None


@dataclass(frozen=True)
class BrokenLink:
    case_number: str
    seq: int
    reason: str

    def __str__(self) -> str:
        return f"case {self.case_number}: event #{self.seq} {self.reason}"


def chain_verify(
    case_number: str, events: Iterable[CaseEvent], *, head: tuple[int, str] | None = None
) -> BrokenLink | None:
    """The first broken link of one case's chain (events in seq order), or None when it is intact.

    `head` is the case's recorded (audit_seq, audit_head): the chain must end exactly there.
    """
    expected_prev = GENESIS_HASH
    expected_seq = 1
    keyed = False
    for event in events:
        if event.seq != expected_seq:
            return BrokenLink(case_number, expected_seq, f"is missing (found #{event.seq} next)")
        if event.prev_hash != expected_prev:
            return BrokenLink(case_number, event.seq, "does not link to the previous event's hash")
        if problem := key_problem(event.key_id, keyed=keyed):
            return BrokenLink(case_number, event.seq, problem)
        keyed = keyed or event.key_id != chain.UNKEYED
        if not chain.hashes_equal(event_hash(event, case_number), event.hash):
            return BrokenLink(case_number, event.seq, "was altered: its content no longer matches its hash")
        expected_prev = event.hash
        expected_seq += 1
    if expected_seq == 1:
        return BrokenLink(case_number, 1, "is missing: the case has no history at all")
    if head is not None:
        head_seq, head_hash = head
        if expected_seq - 1 < head_seq:
            return BrokenLink(case_number, expected_seq, f"is missing: the history should run to #{head_seq}")
        if expected_seq - 1 == head_seq and expected_prev != head_hash:
            return BrokenLink(case_number, head_seq, "does not match the case's recorded chain head")
    return None


def chains_verify(*, batch_size: int = 500) -> tuple[int, list[BrokenLink]]:
    """Verify every case's chain; returns (cases checked, first broken link of each broken case)."""
    broken: list[BrokenLink] = []
    checked = 0
    rows = Case.objects.order_by("id").values_list("id", "number", "audit_seq", "audit_head")
    case_ids = [(pk, (number, (seq, head))) for pk, number, seq, head in rows]
    for start in range(0, len(case_ids), batch_size):
        chunk = dict(case_ids[start : start + batch_size])
        events_by_case: dict[int, list[CaseEvent]] = {case_id: [] for case_id in chunk}
        for event in CaseEvent.objects.filter(case_id__in=chunk).order_by("case_id", "seq"):
            events_by_case[event.case_id].append(event)
        for case_id, events in events_by_case.items():
            checked += 1
            number, head = chunk[case_id]
            link = chain_verify(number, events, head=head)
            if link is not None:
                broken.append(link)
    return checked, broken
