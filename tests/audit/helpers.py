"""Helpers for the audit tests: publish a checkpoint, read and rewrite the log, forge a case's history."""

import io
import json
from pathlib import Path

from django.conf import settings
from django.core.management import call_command

from audit.services import checkpoint_publish
from cases.audit import event_hash
from cases.models import Case, CaseEvent


def publish():
    """A checkpoint that must be published (no other publisher is at work in a test)."""
    checkpoint = checkpoint_publish()
    assert checkpoint is not None
    return checkpoint


def log_path() -> Path:
    return Path(settings.AUDIT_CHECKPOINT_LOG)


def log_lines() -> list[dict]:
    return [json.loads(line) for line in log_path().read_text().splitlines() if line.strip()]


def log_write(records: list[dict]) -> None:
    log_path().write_text(
        "".join(json.dumps(r, sort_keys=True, separators=(",", ":")) + "\n" for r in records)
    )


def rewrite_history(case: Case, *, seq: int, note: str) -> None:
    """What a forger holding the chain key and the database does: edit event `seq` and re-hash it and every
    later link, and move the case's recorded head, so that the chain itself verifies."""
    prev = None
    for event in CaseEvent.objects.filter(case=case).order_by("seq"):
        if event.seq == seq:
            event.note = note
        if prev is not None:
            event.prev_hash = prev
        event.hash = event_hash(event, case.number)
        event.save(update_fields=["note", "prev_hash", "hash"])
        prev = event.hash
    Case.objects.filter(pk=case.pk).update(audit_head=prev)


def verify_audit(*args) -> tuple[str, str, str | None]:
    """(stdout, stderr, the CommandError's message or None) of verify_audit."""
    from django.core.management import CommandError

    out, err = io.StringIO(), io.StringIO()
    try:
        call_command("verify_audit", *args, stdout=out, stderr=err)
    except CommandError as exc:
        return out.getvalue(), err.getvalue(), str(exc)
    return out.getvalue(), err.getvalue(), None
