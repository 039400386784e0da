"""The verify_audit command's contract (moved here with the command from cases): one line per broken case,
exit 1 with "<n> of <m> cases have a broken event chain", the success line, --case; and the real exit
status from manage.py, with checkpoints in a log of the test's own."""

import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.conf import settings
from django.db import connection

from cases.models import CaseEvent, CaseState

from ..cases.helpers import drive
from .helpers import publish, rewrite_history, verify_audit

S = CaseState
ROOT = Path(__file__).resolve().parents[2]


def test_the_command_reports_all_chains_intact(world):
    drive(world, S.CLOSED)
    drive(world, S.REJECTED)
    publish()
    out, _, error = verify_audit()
    assert error is None and out.strip() == "2 cases checked, all chains intact"


def test_the_command_names_each_broken_case_and_fails(world):
    intact = drive(world, S.CLOSED)
    tampered = drive(world, S.IN_PROGRESS)
    CaseEvent.objects.filter(case=tampered, seq=3).update(note="改")
    out, _, error = verify_audit("--skip-checkpoints")
    assert error == "1 of 2 cases have a broken event chain"
    assert out.strip().splitlines() == [
        f"case {tampered.number}: event #3 was altered: its content no longer matches its hash"
    ]
    assert intact.number not in out


def test_the_command_checks_one_case(world):
    intact = drive(world, S.CLOSED)
    tampered = drive(world, S.IN_PROGRESS)
    CaseEvent.objects.filter(case=tampered, seq=2).delete()
    out, _, error = verify_audit("--case", intact.number)
    assert error is None and out.strip() == "1 case checked, all chains intact"
    out, _, error = verify_audit("--case", tampered.number)
    assert error == "1 of 1 case have a broken event chain"
    assert f"case {tampered.number}: event #2 is missing" in out
    assert verify_audit("--case", "19990101000000")[2] == "there is no case 19990101000000"


def test_every_kind_of_problem_is_counted_in_the_exit_message(world):
    tampered = drive(world, S.DISPATCHED)
    forged = drive(world, S.FILED)
    publish()
    CaseEvent.objects.filter(case=tampered, seq=2).update(note="改")
    rewrite_history(forged, seq=1, note="改")
    out, _, error = verify_audit()
    assert error == "1 of 2 cases have a broken event chain; 1 checkpoint problems"
    assert out.splitlines()[0].startswith(f"case {tampered.number}: event #2")


def _database_url() -> str:
    db = connection.settings_dict
    if db["ENGINE"] == "django.db.backends.sqlite3":
        return f"sqlite:///{db['NAME']}"
    auth = db["USER"] + (f":{db['PASSWORD']}" if db["PASSWORD"] else "")
    return f"postgres://{auth}@{db['HOST'] or 'localhost'}:{db['PORT'] or 5432}/{db['NAME']}"


@pytest.mark.django_db(transaction=True)
def test_manage_py_verify_audit_exits_0_when_clean_and_1_when_broken(world):
    """The real exit status, from a separate process reading the (committed) test database and log."""
    case = drive(world, S.RESOLVED)
    publish()
    env = {
        **os.environ,
        "DATABASE_URL": _database_url(),
        "DJANGO_SETTINGS_MODULE": "gridmgmt.settings",
        "AUDIT_CHECKPOINT_LOG": settings.AUDIT_CHECKPOINT_LOG,
        "MEDIA_ROOT": str(settings.MEDIA_ROOT),
    }
    env.pop("PYTHONPATH", None)

    def run(*args) -> subprocess.CompletedProcess:
        return subprocess.run(
            [sys.executable, "manage.py", "verify_audit", *args],
            cwd=ROOT,
            env=env,
            capture_output=True,
            text=True,
            timeout=60,
        )

    clean = run("--skip-photos")
    assert clean.returncode == 0, clean.stderr
    assert clean.stdout.strip() == "1 case checked, all chains intact"
    rewrite_history(case, seq=2, note="改")
    broken = run("--skip-photos")
    assert broken.returncode == 1
    assert "checkpoint 1: its root does not match" in broken.stdout
    assert "checkpoint problems" in broken.stderr
