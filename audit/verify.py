"""Verifying what the checkpoints vouch for: photos against their chains, and every checkpoint against the
log outside the database (signature, order, the database's copy) and against the events themselves.

The case and patrol chains are verified by their own apps (`cases.audit.chains_verify`,
`patrols.audit.patrols_verify`); `verify_audit` runs all of these.
"""

import hashlib
from collections.abc import Iterator
from dataclasses import dataclass, field

from django.core.files.storage import default_storage

from cases.models import Case, CaseEvent, CasePhoto
from patrols.models import PatrolEvent

from .log import FIELDS, GENESIS_DIGEST, Entry, digest, signature_problem
from .merkle import BUCKET_SIZE, CASE, PATROL, bucket_hash, checkpoint_root
from .models import AuditCheckpoint
from .services import statement_of

PAGE = 50_000  # events read per query in the recomputing pass


# --- photos -------------------------------------------------------------------------------------------


@dataclass
class PhotoReport:
    checked: int = 0
    unhashed: int = 0  # photos from before hashing: counted, not checked
    problems: list[str] = field(default_factory=list)


def _file_sha256(name: str) -> str | None:
    digest_ = hashlib.sha256()
    try:
        with default_storage.open(name, "rb") as handle:
            for chunk in iter(lambda: handle.read(1024 * 1024), b""):
                digest_.update(chunk)
    except (FileNotFoundError, OSError):
        return None
    return digest_.hexdigest()


def photos_verify(*, case: Case | None = None) -> PhotoReport:
    """Each hashed photo's stored original must hash to its `sha256`, and that hash must be vouched for by
    an event of its case's chain (`data["photo_hashes"]` of the event that added it)."""
    report = PhotoReport()
    events = CaseEvent.objects.filter(data__has_key="photo_hashes")
    photos = CasePhoto.objects.select_related("case").only("id", "image", "sha256", "case__number")
    if case is not None:
        events, photos = events.filter(case=case), photos.filter(case=case)
    vouched: dict[int, set[str]] = {}
    for case_id, data in events.values_list("case_id", "data").iterator(chunk_size=2000):
        hashes = data.get("photo_hashes") if isinstance(data, dict) else None
        if isinstance(hashes, list):
            vouched.setdefault(case_id, set()).update(h for h in hashes if isinstance(h, str))
    for photo in photos.order_by("id").iterator(chunk_size=2000):
        if not photo.sha256:
            report.unhashed += 1
            continue
        report.checked += 1
        where = f"photo {photo.pk} of case {photo.case.number}"
        actual = _file_sha256(photo.image.name) if photo.image else None
        if actual is None:
            report.problems.append(f"{where}: the stored original {photo.image.name!r} is missing")
        elif actual != photo.sha256:
            report.problems.append(
                f"{where}: the stored original {photo.image.name!r} is not the photo that was uploaded"
                f" (SHA-256 {actual[:12]}…, recorded {photo.sha256[:12]}…)"
            )
        if photo.sha256 not in vouched.get(photo.case_id, ()):
            report.problems.append(f"{where}: its hash is in no event of the case's chain")
    return report


# --- checkpoints --------------------------------------------------------------------------------------


@dataclass
class CheckpointReport:
    checked: int = 0
    problems: list[str] = field(default_factory=list)


def _log_problems(entries: list[Entry], db: dict[int, AuditCheckpoint]) -> tuple[list[str], list[dict]]:
    """Read the log in order: each entry signed by a trusted key, numbered in turn, following the one before,
    and equal to the database's row. Returns the problems and the statements that are trustworthy."""
    problems, trusted = [], []
    prev_digest, expected = GENESIS_DIGEST, 1
    seen: set[int] = set()
    for entry in entries:
        if entry.error:
            problems.append(f"checkpoint log {entry.where} {entry.error}")
            continue
        statement, seq = entry.statement, entry.seq
        name = f"checkpoint {seq}"
        if problem := signature_problem(statement, entry.signature):
            problems.append(f"{name} ({entry.where} of the log) {problem}")
            expected, prev_digest = (seq + 1 if isinstance(seq, int) else expected), digest(statement)
            continue
        if seq != expected:
            problems.append(
                f"{name} stands at {entry.where} of the log where checkpoint {expected} belongs"
                " (a checkpoint deleted, repeated or moved)"
            )
        elif statement.get("prev_digest") != prev_digest:
            problems.append(f"{name} does not follow the checkpoint before it in the log (prev_digest)")
        seen.add(seq)
        trusted.append(statement)
        row = db.get(seq)
        if row is None:
            problems.append(f"{name} is in the log but not in the database")
        else:
            ours = statement_of(row)
            differing = [f for f in FIELDS if ours.get(f) != statement.get(f)]
            if row.signature != entry.signature:
                differing.append("signature")
            if differing:
                problems.append(f"{name}: the database's copy differs from the log ({', '.join(differing)})")
        prev_digest = digest(statement)
        expected = seq + 1 if isinstance(seq, int) else expected + 1
    for seq in sorted(db.keys() - seen):
        problems.append(f"checkpoint {seq} is in the database but missing from the log")
    return problems, trusted


def _events(model, fk: str, after: int, upto: int) -> Iterator[tuple[int, int, int, str]]:
    """(id, chain id, seq, hash) of the events with after < id <= upto, by id, a page per query."""
    while after < upto:
        page = list(
            model.objects.filter(id__gt=after, id__lte=upto)
            .order_by("id")
            .values_list("id", fk, "seq", "hash")[:PAGE]
        )
        if not page:
            return
        yield from page
        after = page[-1][0]


def _roots_problems(statements: list[dict]) -> list[str]:
    """Replay the events in id order, keeping each chain's head, and recompute each checkpoint's root as of
    its event ids (only the buckets that changed since the one before). Names the first checkpoint whose
    signed root the events no longer give, and where it can, the chain whose head differs."""
    numbers = dict(Case.objects.values_list("id", "number").iterator(chunk_size=20_000))
    heads: dict[str, dict[int, dict[int, tuple[int, str]]]] = {CASE: {}, PATROL: {}}
    bucket_hashes: dict[tuple[str, int], str] = {}
    sources = {
        CASE: (CaseEvent, "case_id", "case_event_id"),
        PATROL: (PatrolEvent, "patrol_id", "patrol_event_id"),
    }
    position = {CASE: 0, PATROL: 0}
    by_seq = {s["seq"]: s for s in statements}
    for seq in sorted(by_seq):
        statement = by_seq[seq]
        grown: dict[str, set[int]] = {CASE: set(), PATROL: set()}
        for kind, (model, fk, upto_field) in sources.items():
            upto = statement.get(upto_field, 0)
            for _, pk, event_seq, event_hash in _events(model, fk, position[kind], upto):
                chains = heads[kind].setdefault(pk // BUCKET_SIZE, {})
                current = chains.get(pk)
                if current is None or event_seq > current[0]:
                    chains[pk] = (event_seq, event_hash)
                grown[kind].add(pk)
            position[kind] = max(position[kind], upto)
            for number in {pk // BUCKET_SIZE for pk in grown[kind]}:
                leaves = [
                    (pk, numbers.get(pk, str(pk)) if kind == CASE else str(pk), s, h)
                    for pk, (s, h) in heads[kind][number].items()
                ]
                bucket_hashes[(kind, number)] = bucket_hash(kind, leaves)
        root = checkpoint_root((kind, number, h) for (kind, number), h in bucket_hashes.items())
        if root == statement.get("root"):
            continue
        later = sum(1 for s in by_seq if s > seq)
        return [
            f"checkpoint {seq}: its root does not match the chains as of case event"
            f" {statement.get('case_event_id')} and patrol event {statement.get('patrol_event_id')}:"
            f" {_culprit(seq, grown, heads, numbers)}"
            + (f" (and every later checkpoint, {later}, carries the difference)" if later else "")
        ]
    return []


def _culprit(seq: int, grown: dict[str, set[int]], heads, numbers: dict[int, str]) -> str:
    """Which chain's head differs: from the heads the publisher kept on the row when it has them, else the
    chains that changed since the previous checkpoint."""
    row = AuditCheckpoint.objects.filter(seq=seq).only("heads").first()
    kept = row.heads if row is not None and isinstance(row.heads, dict) else {}

    def name(kind: str, pk: int) -> str:
        return f"case {numbers[pk]}" if kind == CASE and pk in numbers else f"{kind} id {pk}"

    for key in sorted(kept):
        kind, _, pk_text = key.partition(":")
        if kind not in heads or not pk_text.isdigit():
            continue
        pk, then = int(pk_text), kept[key]
        now = heads[kind].get(int(pk_text) // BUCKET_SIZE, {}).get(pk)
        if now is None:
            return f"{name(kind, pk)} had head #{then[0]} at the checkpoint; its events up to then are gone"
        if tuple(then) != now:
            return (
                f"{name(kind, pk)} had head #{then[0]} {then[1][:12]}… at the checkpoint; the events now give"
                f" #{now[0]} {now[1][:12]}…"
            )
    suspects = [name(kind, pk) for kind in (CASE, PATROL) for pk in sorted(grown[kind])]
    if not suspects:
        return "no chain grew since the checkpoint before, yet the root differs"
    if len(suspects) == 1:
        return f"{suspects[0]}'s history differs from what was signed"
    shown = ", ".join(suspects[:5]) + (f" and {len(suspects) - 5} more" if len(suspects) > 5 else "")
    return f"one of the chains that grew since the checkpoint before differs: {shown}"


def checkpoints_verify(log) -> CheckpointReport:
    """Every checkpoint: its log entry signed by a trusted key and chained to the one before, the database's
    copy equal to it, and its root recomputed from the events."""
    db = {row.seq: row for row in AuditCheckpoint.objects.order_by("seq")}
    entries = log.entries(at_least=max(db, default=0))
    problems, trusted = _log_problems(entries, db)
    problems += _roots_problems(trusted)
    return CheckpointReport(checked=len(entries), problems=problems)
