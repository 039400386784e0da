"""Racing publishers on PostgreSQL: beats firing together never publish two checkpoints of one seq, and the
log and the database agree afterwards."""

import pytest

from audit.models import AuditCheckpoint
from audit.services import checkpoint_publish
from cases.models import CaseState
from tests.conftest import requires_postgres
from tests.support.racing import race

from ..cases.helpers import drive
from .helpers import log_lines, verify_audit

pytestmark = [requires_postgres, pytest.mark.django_db(transaction=True)]


def test_publishers_racing_never_share_a_seq(world):
    for _ in range(4):
        drive(world, CaseState.FILED)
        results = race(*(checkpoint_publish for _ in range(3)))
        assert not [r for r in results if isinstance(r, Exception)], results
        published = [r.seq for r in results if r is not None]
        assert published and len(published) == len(set(published)), results
    seqs = list(AuditCheckpoint.objects.order_by("seq").values_list("seq", flat=True))
    assert seqs == list(range(1, len(seqs) + 1))
    assert [r["statement"]["seq"] for r in log_lines()] == seqs
    out, _, error = verify_audit()
    assert error is None, out


def test_a_publisher_waits_for_a_case_written_meanwhile(world):
    """Cases changing while checkpoints are taken: every checkpoint still matches the events it names."""
    from cases import services

    cases = [drive(world, CaseState.REPORTED) for _ in range(4)]

    def file(case):
        return lambda: services.case_file(case=case, actor=world.dispatcher)

    results = race(checkpoint_publish, *(file(case) for case in cases), checkpoint_publish)
    assert not [r for r in results if isinstance(r, Exception)], results
    checkpoint_publish()
    out, _, error = verify_audit()
    assert error is None, out
