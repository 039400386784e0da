"""A patrol's tamper-evident record: its events chained by hash, and the points each batch event vouches for.

Each event's hash is an HMAC (a key of gridmgmt.chain, named on the event) over the previous hash and the
canonical JSON of the event, as a case's events are (see cases.audit). The event of a batch of points
carries the SHA-256 of the points as stored (`points_digest`), so a point moved, re-timed or deleted in the
database no longer matches its batch, and a batch rewritten with a new digest no longer matches the chain.
"""

import datetime as dt
import hashlib
import json
from collections.abc import Iterable, Iterator
from dataclasses import dataclass

from cases.audit import key_problem
from gridmgmt import chain

from .models import Patrol, PatrolBatch, PatrolEvent, PatrolPoint

GENESIS_HASH = "0" * 64


def _at(value: dt.datetime) -> str:
    return value.astimezone(dt.UTC).isoformat(timespec="microseconds")


def points_digest(points: Iterable[PatrolPoint]) -> str:
    """SHA-256 over the points in arrival order: position, accuracy and both times, as stored."""
    digest = hashlib.sha256()
    for p in points:
        digest.update(
            f"{p.seq}|{p.lat!r}|{p.lng!r}|{p.accuracy!r}|{_at(p.recorded_at)}|{_at(p.received_at)}\n".encode()
        )
    return digest.hexdigest()


def _canonical(event: PatrolEvent) -> bytes:
    payload = {
        "patrol": event.patrol_id,
        "seq": event.seq,
        "action": event.action,
        "actor": event.actor_username,
        "data": event.data,
        "at": _at(event.created_at),
    }
    return json.dumps(payload, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()


def event_hash(event: PatrolEvent) -> str:
    return chain.link_hash(event.key_id, event.prev_hash, _canonical(event))


def event_append(
    *, patrol: Patrol, action: str, actor, at: dt.datetime, data: dict | None = None
) -> PatrolEvent:
    """Save the next link of the patrol's chain and move the head on `patrol` (the caller saves the patrol's
    `audit_seq`/`audit_head` in the same transaction, under the patrol's row lock)."""
    event = PatrolEvent(
        patrol=patrol,
        seq=patrol.audit_seq + 1,
        action=action,
        actor=actor,
        actor_username=actor.get_username() if actor is not None else "",
        # Round-tripped through JSON so the hash covers exactly what the database returns.
        data=json.loads(json.dumps(data or {}, sort_keys=True)),
        created_at=at,
        prev_hash=patrol.audit_head if patrol.audit_seq else GENESIS_HASH,
        key_id=chain.current_key_id(),
    )
    event.hash = event_hash(event)
    event.save()
    patrol.audit_seq, patrol.audit_head = event.seq, event.hash
    return event


@dataclass(frozen=True)
class Break:
    patrol_id: int
    seq: int | None
    problem: str

    def __str__(self) -> str:
        where = f"patrol {self.patrol_id}" + (f" event {self.seq}" if self.seq is not None else "")
        return f"{where}: {self.problem}"


def _chain_breaks(patrol: Patrol, events: list[PatrolEvent]) -> Iterator[Break]:
    prev = GENESIS_HASH
    keyed = False
    for expected_seq, event in enumerate(events, start=1):
        if event.seq != expected_seq:
            yield Break(patrol.pk, expected_seq, "event missing")
            return
        if event.prev_hash != prev:
            yield Break(patrol.pk, event.seq, "does not follow the previous event")
            return
        if problem := key_problem(event.key_id, keyed=keyed):
            yield Break(patrol.pk, event.seq, problem)
            return
        keyed = keyed or event.key_id != chain.UNKEYED
        if not chain.hashes_equal(event_hash(event), event.hash):
            yield Break(patrol.pk, event.seq, "altered: its hash does not match its content")
            return
        prev = event.hash
    if (patrol.audit_seq, patrol.audit_head) != (len(events), prev if events else ""):
        yield Break(patrol.pk, None, "the recorded head does not match the last event")


def _batch_breaks(patrol: Patrol, events: list[PatrolEvent]) -> Iterator[Break]:
    vouched = {e.data.get("batch"): (e.seq, e.data) for e in events if e.action == PatrolEvent.Action.POINTS}
    batches = {b.key: b for b in PatrolBatch.objects.filter(patrol=patrol)}
    points: dict[int, list[PatrolPoint]] = {}
    for point in PatrolPoint.objects.filter(patrol=patrol).order_by("seq"):
        points.setdefault(point.batch_id, []).append(point)
    for key, batch in batches.items():
        if key not in vouched:
            yield Break(patrol.pk, None, f"batch {key!r} has no event in the chain")
            continue
        seq, data = vouched[key]
        stored = points.get(batch.pk, [])
        if points_digest(stored) != data.get("digest") or len(stored) != data.get("count"):
            yield Break(patrol.pk, seq, f"the points of batch {key!r} were changed after they were received")
    for key in vouched.keys() - batches.keys():
        yield Break(patrol.pk, vouched[key][0], f"batch {key!r} was deleted")
    if sum(len(v) for v in points.values()) != sum(b.point_count for b in batches.values()):
        yield Break(patrol.pk, None, "points were added outside any batch")


def patrol_verify(patrol: Patrol) -> list[Break]:
    """Every way in which the patrol's stored record disagrees with its chain (empty: intact)."""
    events = list(PatrolEvent.objects.filter(patrol=patrol).order_by("seq"))
    breaks = list(_chain_breaks(patrol, events))
    return breaks + list(_batch_breaks(patrol, events))


def patrols_verify(patrols: Iterable[Patrol] | None = None) -> Iterator[Break]:
    """The first break of each patrol whose record does not verify."""
    for patrol in patrols if patrols is not None else Patrol.objects.order_by("pk").iterator():
        breaks = patrol_verify(patrol)
        if breaks:
            yield breaks[0]
