"""A Celery worker killed in the middle of a task: the task runs again and its effects happen once.

Routing is `acks_late`: the broker keeps the message as unacknowledged while the task runs. A whole worker
that dies (SIGKILL: no warm shutdown) leaves it there, and Redis hands it to another worker once it has
been unacknowledged for the visibility timeout (an hour in production; a second here). A prefork pool
process that dies is noticed by its worker, which hands the message back at once (reject_on_worker_lost).
Either way the killed attempt is provably mid-flight: blocked inside case_route on a row lock the test holds.
"""

import json
import os
import signal
import time

import pytest

from cases.models import Case
from dispatch.tasks import route_case_task

from .. import factories
from ..conftest import requires_postgres, requires_redis
from ..dispatch.helpers import report
from ..support.celery_worker import child_pids, wait_for
from .conftest import RowLocks

pytestmark = [
    requires_postgres,
    requires_redis,
    pytest.mark.celery_worker,
    pytest.mark.django_db(transaction=True),
]

VISIBILITY_TIMEOUT_S = 1


def _unacked_task_ids(redis_client) -> dict[str, float]:
    """Task id → when it was handed to a worker, for every message delivered but not acknowledged."""
    delivered = dict(redis_client.zrange("unacked_index", 0, -1, withscores=True))
    held = {}
    for tag, payload in redis_client.hgetall("unacked").items():
        message, _exchange, _routing_key = json.loads(payload)
        held[message["headers"]["id"]] = delivered[tag]
    return held


def test_a_route_task_whose_worker_is_killed_mid_flight_runs_again_and_routes_the_case_once(
    world, private_redis, publishing, workers, pg_admin
):
    factories.rule(department=world.sanitation, category=world.cats.waste)
    case = report(world)  # committed, nothing published: the test publishes the route task itself
    options = {"CELERY_VISIBILITY_TIMEOUT": str(VISIBILITY_TIMEOUT_S)}
    first = workers.start("first", queue=publishing, **options)
    redis_client = private_redis.client()

    with RowLocks([case.pk]) as lock:
        task_id = route_case_task.delay(case.pk).id
        # Mid-flight, provably: the worker is inside case_route, its SELECT … FOR UPDATE waiting on our lock.
        (blocked,) = first.wait_until(
            "the worker to block on the case's row lock", lambda: pg_admin.blocked_by(lock.pid)
        )
        assert f"route_case_task[{task_id}] received" in first.log()
        first.kill()
        held = _unacked_task_ids(redis_client)
        assert task_id in held, f"the killed worker's message is not held as unacknowledged: {held}"
    # The lock is gone; the killed worker's transaction never got past its first statement.
    wait_for("the killed worker's backend to end", lambda: blocked not in pg_admin.backends())
    case.refresh_from_db()
    assert case.routed_at is None and list(case.events.values_list("action", flat=True)) == ["report"]
    assert "succeeded" not in first.log()

    # A new worker takes up the message once it has been unacknowledged for the visibility timeout (its
    # startup sweep restores what is older than that, so start it only then).
    wait_for(
        "the visibility timeout to pass",
        lambda: time.time() > held[task_id] + VISIBILITY_TIMEOUT_S + 0.2,
        timeout=VISIBILITY_TIMEOUT_S + 5,
    )
    second = workers.start("second", queue=publishing, **options)
    routed = second.wait_until(
        "the redelivered task to route the case",
        lambda: Case.objects.filter(pk=case.pk, routed_at__isnull=False).first(),
    )

    assert f"route_case_task[{task_id}] received" in second.log()
    second.wait_until(
        "the redelivered task to succeed", lambda: f"route_case_task[{task_id}] succeeded" in second.log()
    )
    assert routed.suggested_department == world.sanitation
    assert list(routed.events.values_list("action", flat=True)) == ["report", "route"]
    assert _unacked_task_ids(redis_client) == {}  # acknowledged at last
    redis_client.close()


def test_a_route_task_whose_pool_process_is_killed_mid_flight_is_requeued_at_once_and_routes_once(
    world, publishing, workers, pg_admin
):
    """`make run`'s prefork worker: the pool process dies, the worker survives and, with
    reject_on_worker_lost, hands the message back at once (no visibility timeout: it is an hour here)."""
    factories.rule(department=world.sanitation, category=world.cats.waste)
    case = report(world)
    worker = workers.start("prefork", queue=publishing, pool="prefork")
    (child,) = child_pids(worker.pid)

    with RowLocks([case.pk]) as lock:
        task_id = route_case_task.delay(case.pk).id
        (blocked,) = worker.wait_until(
            "the pool process to block on the case's row lock", lambda: pg_admin.blocked_by(lock.pid)
        )
        os.kill(child, signal.SIGKILL)
        worker.wait_until(
            "the worker to notice its pool process died", lambda: "WorkerLostError" in worker.log()
        )
        case.refresh_from_db()
        assert case.routed_at is None  # the killed attempt changed nothing

    routed = worker.wait_until(
        "the requeued task to route the case",
        lambda: Case.objects.filter(pk=case.pk, routed_at__isnull=False).first(),
    )
    worker.wait_until("the task to succeed", lambda: f"route_case_task[{task_id}] succeeded" in worker.log())
    assert worker.log().count(f"route_case_task[{task_id}] received") == 2
    assert child not in child_pids(worker.pid)  # the task ran again in a fresh pool process
    assert list(routed.events.values_list("action", flat=True)) == ["report", "route"]
    assert routed.suggested_department == world.sanitation
    wait_for("the killed attempt's backend to end", lambda: blocked not in pg_admin.backends())
