"""Publishing audit checkpoints: the Merkle root over every chain's head, signed and written outside the
database before the database records it.

A checkpoint is "the heads of all case and patrol chains as of events up to these ids". Only the buckets of
chains that grew since the last checkpoint (events with a higher id) are rehashed; the root is then taken
over the stored bucket hashes (a few thousand at a million cases).
"""

import datetime as dt
import logging
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

from django.db import connection, transaction
from django.db.models import Max

from cases.models import Case, CaseEvent
from gridmgmt import clock
from patrols.models import Patrol, PatrolEvent

from . import keys
from .log import (
    GENESIS_DIGEST,
    STATEMENT_VERSION,
    AlreadyPublished,
    CheckpointLogError,
    checkpoint_log,
    digest,
    line,
    sign,
    signature_problem,
)
from .merkle import BUCKET_SIZE, CASE, PATROL, bucket_hash, checkpoint_root
from .models import AuditBucket, AuditCheckpoint

logger = logging.getLogger(__name__)

HEADS_KEPT = 10_000  # at most this many changed heads are kept on a checkpoint row, for naming a mismatch
# PostgreSQL advisory lock key of the publisher ("audit-ck" as 8 bytes), so two beats never overlap.
_LOCK_KEY = int.from_bytes(b"audit-ck", "big") >> 1
_CHAINS = {CASE: (Case, CaseEvent, "case_id"), PATROL: (Patrol, PatrolEvent, "patrol_id")}


def statement_of(checkpoint: AuditCheckpoint) -> dict:
    """The canonical statement a checkpoint row stands for (what was signed and published)."""
    return {
        "v": STATEMENT_VERSION,
        "seq": checkpoint.seq,
        "created_at": checkpoint.created_at.astimezone(dt.UTC).isoformat(timespec="microseconds"),
        "root": checkpoint.root,
        "case_event_id": checkpoint.case_event_id,
        "patrol_event_id": checkpoint.patrol_event_id,
        "cases": checkpoint.cases,
        "patrols": checkpoint.patrols,
        "changed": checkpoint.changed,
        "prev_digest": checkpoint.prev_digest,
        "public_key_id": checkpoint.public_key_id,
    }


def checkpoint_from_statement(statement: dict, signature: str) -> AuditCheckpoint:
    fields = {name: statement[name] for name in statement if name != "v"}
    fields["created_at"] = dt.datetime.fromisoformat(statement["created_at"])
    return AuditCheckpoint(**fields, signature=signature)


@contextmanager
def _publisher_lock() -> Iterator[bool]:
    """One publisher at a time. On PostgreSQL a session advisory lock: a second beat arriving while one is
    at work yields True only to the first (the second publishes nothing). SQLite writes one at a time anyway
    and the unique seq stops a duplicate."""
    if connection.vendor != "postgresql":
        yield True
        return
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_try_advisory_lock(%s)", [_LOCK_KEY])
        got = cursor.fetchone()[0]
    try:
        yield got
    finally:
        if got:
            with connection.cursor() as cursor:
                cursor.execute("SELECT pg_advisory_unlock(%s)", [_LOCK_KEY])


def _freeze_chain_writers() -> None:
    """Wait for every transaction writing chain events to end, and hold new ones off until we commit.

    Event ids come from a sequence when the row is inserted, not when it commits: without this, an event
    with a lower id could commit after we read the highest id, and neither this checkpoint nor the next
    ("ids above the last one's") would cover it. Held only while the changed buckets are read and rehashed.
    """
    if connection.vendor != "postgresql":
        return  # SQLite: writers are serialised, ids are taken and committed in order
    tables = ", ".join(connection.ops.quote_name(model._meta.db_table) for model in (CaseEvent, PatrolEvent))
    with connection.cursor() as cursor:
        cursor.execute("SET LOCAL lock_timeout = '5s'")
        cursor.execute(f"LOCK TABLE {tables} IN SHARE MODE")


def _ranges(numbers: set[int]) -> list[tuple[int, int]]:
    """Runs of consecutive bucket numbers as (first, last)."""
    runs: list[tuple[int, int]] = []
    for number in sorted(numbers):
        if runs and runs[-1][1] == number - 1:
            runs[-1] = (runs[-1][0], number)
        else:
            runs.append((number, number))
    return runs


def _leaves(kind: str, numbers: set[int]) -> dict[int, list[tuple[int, str, int, str]]]:
    """The (pk, name, seq, head) of every chain with a history in the given buckets (one query per run)."""
    model = _CHAINS[kind][0]
    found: dict[int, list[tuple[int, str, int, str]]] = {number: [] for number in numbers}
    for first, last in _ranges(numbers):
        rows = model.objects.filter(
            id__gte=first * BUCKET_SIZE, id__lt=(last + 1) * BUCKET_SIZE, audit_seq__gt=0
        ).values_list("id", *(["number"] if kind == CASE else []), "audit_seq", "audit_head")
        for row in rows.order_by("id").iterator(chunk_size=10_000):
            pk, seq, head = row[0], row[-2], row[-1]
            found[pk // BUCKET_SIZE].append((pk, row[1] if kind == CASE else str(pk), seq, head))
    return found


@dataclass
class _Tree:
    root: str
    case_event_id: int
    patrol_event_id: int
    cases: int
    patrols: int
    changed: int
    buckets_recomputed: int
    heads: dict


def _tree_update(last: AuditCheckpoint | None) -> _Tree:
    """Rehash the buckets whose chains grew since `last` and take the root over all buckets (committed
    with the bucket rows; rehashing is idempotent, so a publish that fails later leaves nothing wrong)."""
    with transaction.atomic():
        _freeze_chain_writers()
        upto, changed, heads, recomputed = {}, 0, {}, 0
        for kind, (_, event_model, fk) in _CHAINS.items():
            since = getattr(last, f"{kind}_event_id", 0) if last else 0
            upto[kind] = max(since, event_model.objects.aggregate(m=Max("id"))["m"] or 0)
            grown = set(
                event_model.objects.filter(id__gt=since, id__lte=upto[kind])
                .values_list(fk, flat=True)
                .distinct()
            )
            changed += len(grown)
            numbers = {pk // BUCKET_SIZE for pk in grown}
            recomputed += len(numbers)
            leaves = _leaves(kind, numbers)
            kept = [
                AuditBucket(kind=kind, number=number, hash=bucket_hash(kind, rows), leaves=len(rows))
                for number, rows in leaves.items()
                if rows
            ]
            AuditBucket.objects.bulk_create(
                kept,
                batch_size=1000,
                update_conflicts=True,
                unique_fields=["kind", "number"],
                update_fields=["hash", "leaves"],
            )
            if emptied := [number for number, rows in leaves.items() if not rows]:
                AuditBucket.objects.filter(kind=kind, number__in=emptied).delete()
            if len(grown) <= HEADS_KEPT:
                heads |= {
                    f"{kind}:{pk}": [seq, head]
                    for rows in leaves.values()
                    for pk, _, seq, head in rows
                    if pk in grown
                }
        buckets = list(AuditBucket.objects.values_list("kind", "number", "hash", "leaves"))
    counts = {CASE: 0, PATROL: 0}
    for kind, _, _, leaves in buckets:
        counts[kind] += leaves
    return _Tree(
        root=checkpoint_root((kind, number, digest_) for kind, number, digest_, _ in buckets),
        case_event_id=upto[CASE],
        patrol_event_id=upto[PATROL],
        cases=counts[CASE],
        patrols=counts[PATROL],
        changed=changed,
        buckets_recomputed=recomputed,
        heads=heads if changed <= HEADS_KEPT else {},
    )


def _adopt_published(last: AuditCheckpoint | None, log) -> AuditCheckpoint | None:
    """If the log already holds the next checkpoint (written, then the database missed the row: a crash,
    a lost connection), record it from the log, after checking it is ours and follows `last`."""
    seq = (last.seq if last else 0) + 1
    entry = log.published(seq)
    if entry is None:
        return last
    prev = digest(statement_of(last)) if last else GENESIS_DIGEST
    problem = entry.error or signature_problem(entry.statement, entry.signature)
    if problem is None and entry.statement.get("prev_digest") != prev:
        problem = f"does not follow checkpoint {seq - 1}"
    if problem:
        raise CheckpointLogError(f"{log} already holds checkpoint {seq}, which {problem}; nothing published")
    checkpoint = checkpoint_from_statement(entry.statement, entry.signature)
    checkpoint.save()
    logger.warning("checkpoint %s was in %s but not in the database: recorded from the log", seq, log)
    return checkpoint


def checkpoint_publish() -> AuditCheckpoint | None:
    """Publish the next checkpoint: rehash what changed, sign, append to the log, then record the row.

    Published even when nothing changed: a checkpoint costs little and shows the publisher is alive (a gap
    in the hourly series is then itself a finding). Returns None when another publisher holds the lock.
    The log is written before the row, so no row claims a checkpoint the log lacks; if the row is then
    lost, the next call finds the checkpoint in the log and records it (`_adopt_published`).
    """
    log = checkpoint_log()
    with _publisher_lock() as got:
        if not got:
            logger.info("another checkpoint publisher is at work; this one stands down")
            return None
        last = AuditCheckpoint.objects.order_by("-seq").first()
        last = _adopt_published(last, log)
        tree = _tree_update(last)
        checkpoint = AuditCheckpoint(
            seq=(last.seq if last else 0) + 1,
            created_at=clock.now(),
            root=tree.root,
            case_event_id=tree.case_event_id,
            patrol_event_id=tree.patrol_event_id,
            cases=tree.cases,
            patrols=tree.patrols,
            changed=tree.changed,
            prev_digest=digest(statement_of(last)) if last else GENESIS_DIGEST,
            public_key_id=keys.key_id(keys.public_key()),
            heads=tree.heads,
        )
        statement = statement_of(checkpoint)
        checkpoint.signature = sign(statement)
        try:
            log.append(checkpoint.seq, line(statement, checkpoint.signature))
        except AlreadyPublished:
            # Another writer got this seq into the log between our check and our write: leave it to the
            # next run, which adopts it (or refuses it, naming it, if it is not ours).
            logger.warning("checkpoint %s appeared in %s meanwhile; not published", checkpoint.seq, log)
            return None
        checkpoint.save()
        checkpoint.buckets_recomputed = tree.buckets_recomputed
        return checkpoint
