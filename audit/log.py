"""The checkpoint log outside the database: signed statements, appended and never overwritten.

AUDIT_CHECKPOINT_LOG is a file path (one JSON line per checkpoint, appended and fsynced) or an http(s) URL
prefix of an object store (one object `checkpoint-<seq:08d>.json` per checkpoint, PUT with
`If-None-Match: *`, so an existing object is never overwritten). The statement is canonical JSON (sorted
keys, no whitespace); its Ed25519 signature and its SHA-256 digest (the next statement's `prev_digest`) are
taken over exactly those bytes.
"""

import hashlib
import json
import os
import urllib.error
import urllib.request
from dataclasses import dataclass
from pathlib import Path

from cryptography.exceptions import InvalidSignature
from django.conf import settings

from . import keys

GENESIS_DIGEST = "0" * 64
STATEMENT_VERSION = 1
HTTP_TIMEOUT_S = 10
# The fields of a statement, as stored on AuditCheckpoint (besides `v`, the statement's format).
FIELDS = (
    "seq",
    "created_at",
    "root",
    "case_event_id",
    "patrol_event_id",
    "cases",
    "patrols",
    "changed",
    "prev_digest",
    "public_key_id",
)


class CheckpointLogError(Exception):
    """The log could not be read or written, or holds something the publisher must not write over."""


class AlreadyPublished(CheckpointLogError):
    """The log already holds a checkpoint of this seq (a retry after the database missed the first try)."""


def canonical(statement: dict) -> bytes:
    return json.dumps(statement, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()


def digest(statement: dict) -> str:
    return hashlib.sha256(canonical(statement)).hexdigest()


def sign(statement: dict) -> str:
    return keys.signing_key().sign(canonical(statement)).hex()


def signature_problem(statement: dict, signature: str) -> str | None:
    """Why the signature does not vouch for the statement, or None."""
    key_id = statement.get("public_key_id", "")
    public = keys.trusted_keys().get(key_id)
    if public is None:
        return (
            f"is signed with key {key_id}, which is neither the current signing key nor in"
            " AUDIT_TRUSTED_PUBLIC_KEYS"
        )
    try:
        public.verify(bytes.fromhex(signature), canonical(statement))
    except (InvalidSignature, ValueError):
        return "has a signature that does not verify: the statement was altered after signing"
    return None


def line(statement: dict, signature: str) -> bytes:
    return canonical({"statement": statement, "signature": signature}) + b"\n"


@dataclass(frozen=True)
class Entry:
    """One checkpoint as read from the log: `where` says where (a line number, an object's name)."""

    where: str
    statement: dict | None
    signature: str
    error: str = ""

    @property
    def seq(self) -> int | None:
        return self.statement.get("seq") if self.statement else None


def _parse(where: str, raw: bytes) -> Entry:
    try:
        record = json.loads(raw)
        statement, signature = record["statement"], record["signature"]
        if not isinstance(statement, dict) or not isinstance(signature, str):
            raise TypeError
    except (ValueError, KeyError, TypeError):
        return Entry(where, None, "", "is not a readable checkpoint")
    return Entry(where, statement, signature)


class FileLog:
    def __init__(self, path: str) -> None:
        self.path = Path(path)

    def __str__(self) -> str:
        return str(self.path)

    def entries(self, *, at_least: int = 0) -> list[Entry]:
        if not self.path.exists():
            return []
        with self.path.open("rb") as handle:
            return [_parse(f"line {n}", raw) for n, raw in enumerate(handle, start=1) if raw.strip()]

    def _last(self) -> Entry | None:
        """The last line, read from the end (a log of years of hourly checkpoints is a few MB)."""
        if not self.path.exists():
            return None
        with self.path.open("rb") as handle:
            handle.seek(0, os.SEEK_END)
            size = handle.tell()
            handle.seek(max(0, size - 64 * 1024))
            lines = [raw for raw in handle.read().splitlines() if raw.strip()]
        return _parse("last line", lines[-1]) if lines else None

    def published(self, seq: int) -> Entry | None:
        """The log's entry for `seq` if the log already runs to it (a retry); None when it ends at seq - 1."""
        last = self._last()
        if last is None or last.seq == seq - 1:
            return None
        if last.seq == seq:
            return last
        raise CheckpointLogError(
            f"{self.path} ends with {last.where} (seq {last.seq}), not checkpoint {seq - 1}"
        )

    def append(self, seq: int, data: bytes) -> None:
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            with self.path.open("ab") as handle:
                handle.write(data)
                handle.flush()
                os.fsync(handle.fileno())
        except OSError as exc:
            raise CheckpointLogError(f"cannot append to {self.path}: {exc}") from exc


class HttpLog:
    """An object store reached with plain GET and PUT (S3-compatible stores, WebDAV, a bucket behind a
    signing proxy): the credentials, if any, belong in the URL's proxy, never in this process."""

    def __init__(self, prefix: str) -> None:
        self.prefix = prefix.rstrip("/")

    def __str__(self) -> str:
        return self.prefix

    def url(self, seq: int) -> str:
        return f"{self.prefix}/checkpoint-{seq:08d}.json"

    def _get(self, seq: int) -> Entry | None:
        try:
            with urllib.request.urlopen(self.url(seq), timeout=HTTP_TIMEOUT_S) as response:
                return _parse(f"checkpoint-{seq:08d}.json", response.read())
        except urllib.error.HTTPError as exc:
            if exc.code == 404:
                return None
            raise CheckpointLogError(f"GET {self.url(seq)}: HTTP {exc.code}") from exc
        except OSError as exc:
            raise CheckpointLogError(f"GET {self.url(seq)}: {exc}") from exc

    def entries(self, *, at_least: int = 0) -> list[Entry]:
        """Objects 1, 2, … up to `at_least` (those missing are left out) and on while they exist."""
        found, seq = [], 1
        while True:
            entry = self._get(seq)
            if entry is None and seq > at_least:
                return found
            if entry is not None:
                found.append(entry)
            seq += 1

    def published(self, seq: int) -> Entry | None:
        return self._get(seq)

    def append(self, seq: int, data: bytes) -> None:
        request = urllib.request.Request(
            self.url(seq),
            data=data,
            method="PUT",
            headers={"Content-Type": "application/json", "If-None-Match": "*"},
        )
        try:
            with urllib.request.urlopen(request, timeout=HTTP_TIMEOUT_S):
                return
        except urllib.error.HTTPError as exc:
            if exc.code == 412:  # the object exists: append-only, so it stays as it is
                raise AlreadyPublished(f"{self.url(seq)} already exists") from exc
            raise CheckpointLogError(f"PUT {self.url(seq)}: HTTP {exc.code}") from exc
        except OSError as exc:
            raise CheckpointLogError(f"PUT {self.url(seq)}: {exc}") from exc


def checkpoint_log(location: str | None = None) -> FileLog | HttpLog:
    location = location or settings.AUDIT_CHECKPOINT_LOG
    if location.startswith(("http://", "https://")):
        return HttpLog(location)
    return FileLog(location)
