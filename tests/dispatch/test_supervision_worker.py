"""The real thing: a Celery worker on Redis and PostgreSQL takes an overdue case up each level of the ladder.

The sweeps are published as beat would, but with the moment to sweep as of (`now`), so the worker needs no
frozen clock. See test_worker.py for how the worker is run.
"""

import datetime as dt

import pytest

from cases.models import Case
from dispatch.tasks import enforce_deadlines_task, supervision_sweep_task
from notifications.models import Notification

from ..conftest import requires_postgres, requires_redis
from ..support.celery_worker import worker_log_print_on_failure, worker_on_own_queue
from .helpers import T0
from .test_supervision import DUE, LEVEL_1_HOURS, LEVEL_2_HOURS, dispatched, ladder_ensure

pytestmark = [requires_postgres, requires_redis, pytest.mark.celery_worker]


@pytest.fixture(scope="module")
def worker(django_db_setup, tmp_path_factory):
    with worker_on_own_queue(tmp_path_factory.mktemp("celery")) as running:
        yield running


@pytest.fixture(autouse=True)
def _worker_log_on_failure(request, worker):
    yield
    worker_log_print_on_failure(request, worker)


def _at_level(case_id: int, level: int) -> Case | None:
    return Case.objects.filter(pk=case_id, supervision_level=level).first()


@pytest.mark.django_db(transaction=True)
def test_a_worker_takes_an_overdue_case_up_every_level(world, worker):
    ladder_ensure()
    case = dispatched(world)  # commits: the worker sees it
    overdue = T0 + dt.timedelta(minutes=DUE)
    to_2 = overdue + dt.timedelta(hours=LEVEL_1_HOURS)
    to_3 = to_2 + dt.timedelta(hours=LEVEL_2_HOURS)

    enforce_deadlines_task.delay(now=overdue.isoformat())
    worker.wait_until("the overdue mark", lambda: Case.objects.filter(pk=case.pk, overdue_at=overdue).first())
    for level, at in ((1, overdue), (2, to_2), (3, to_3)):
        supervision_sweep_task.delay(now=at.isoformat())
        reached = worker.wait_until(f"level {level}", lambda level=level: _at_level(case.pk, level))
        assert reached.supervised_at == at

    # A sweep long after the top changes nothing: one event per level.
    supervision_sweep_task.delay(now=(to_3 + dt.timedelta(days=7)).isoformat())
    worker.wait_until("the last sweep to finish", lambda: worker.log().count("supervision_sweep_task") >= 8)
    events = list(Case.objects.get(pk=case.pk).events.filter(action="supervise").order_by("seq"))
    assert [e.data["level"] for e in events] == [1, 2, 3]
    assert events[-1].data["next_at"] is None
    # The worker queued each level's notices and sent them.
    worker.wait_until(
        "the notices to be sent",
        lambda: (
            Notification.objects.filter(case=case, kind="supervise").count() == 4
            and not Notification.objects.filter(case=case, kind="supervise", sent_at__isnull=True).exists()
        ),
    )
