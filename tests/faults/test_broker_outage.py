"""Redis dies during a burst of reports: every report is still accepted and committed, and every case is
routed exactly once after Redis comes back (reconcile re-publishes what the dead broker took with it).

The broker is a redis-server of the test's own, killed with SIGKILL and restarted empty on the same port;
reports go through the real API (token login, POST /api/v1/cases/), routing through a real worker.
"""

import logging
import threading
import time
from collections import Counter

import pytest
from django.db.models import Count
from rest_framework.test import APIClient

from cases.audit import chain_verify
from cases.models import Case, CaseEvent
from dispatch.tasks import reconcile_task
from gridmgmt import tasking

from .. import factories
from ..conftest import requires_postgres, requires_redis
from ..factories import centre

pytestmark = [
    requires_postgres,
    requires_redis,
    pytest.mark.celery_worker,
    pytest.mark.django_db(transaction=True),
]

BEFORE, DURING, AFTER = 15, 15, 10


@pytest.fixture
def publishes(monkeypatch) -> list[bool]:
    """What each `tasking.enqueue` call in this process returned: True = on the broker."""
    results: list[bool] = []
    real = tasking.enqueue

    def spy(task, *args):
        results.append(real(task, *args))
        return results[-1]

    monkeypatch.setattr(tasking, "enqueue", spy)
    return results


def _token_client(username: str) -> APIClient:
    client = APIClient()
    response = client.post("/api/v1/auth/token/", {"username": username, "password": "pw"}, format="json")
    assert response.status_code == 200, response.content
    client.credentials(HTTP_AUTHORIZATION=f"Token {response.json()['token']}")
    return client


def test_reports_during_a_redis_outage_are_all_accepted_and_all_routed_once_it_returns(
    world, private_redis, publishing, workers, publishes, caplog, settings
):
    settings.BROKER_DOWN_COOLDOWN_SECONDS = 60  # longer than the outage, however slow the machine
    caplog.set_level(logging.INFO, logger="gridmgmt.tasking")
    factories.rule(department=world.sanitation, category=world.cats.waste)
    worker = workers.start("worker", queue=publishing)
    client = _token_client(world.gridadmin.username)
    lat, lng = centre(world.g1)
    statuses: Counter = Counter()
    accepted: list[str] = []
    timings: list[float] = []

    def report(i: int) -> None:
        body = {"lat": lat, "lng": lng, "category": world.cats.waste.code, "description": f"垃圾堆放 #{i}"}
        started = time.monotonic()
        response = client.post("/api/v1/cases/", body, format="json")
        timings.append(time.monotonic() - started)
        statuses[response.status_code] += 1
        if response.status_code == 201:
            accepted.append(response.json()["number"])
        else:
            # Refused is allowed only as a clear, retryable error, never a 500 (the client would raise).
            assert response.status_code == 503, response.content
            assert response.json()["error"]["code"]

    for i in range(BEFORE):
        report(i)
    # The broker dies while the burst goes on: killed from another thread during the next request.
    killer = threading.Thread(target=private_redis.kill)
    killer.start()
    for i in range(BEFORE, BEFORE + DURING):
        report(i)
    killer.join()
    outage_timings = timings[BEFORE:]

    private_redis.start()  # same port, empty: whatever was queued went down with it
    worker.wait_until(
        "the worker to reconnect to the restarted broker",
        lambda: worker.log(tail=10_000).count("Connected to redis://") >= 2,
    )
    tasking.broker_cooldown_reset()  # as if the publish cooldown had run out
    for i in range(BEFORE + DURING, BEFORE + DURING + AFTER):
        report(i)
    total = BEFORE + DURING + AFTER

    # Accepted, all of them: a broker outage delays routing, it never refuses (nor loses) a report.
    assert statuses == {201: total}
    assert sorted(Case.objects.values_list("number", flat=True)) == sorted(accepted)
    assert publishes[:BEFORE] == [True] * BEFORE
    assert not any(publishes[BEFORE + 1 : BEFORE + DURING]), publishes  # the broker was down for these
    assert publishes[BEFORE + DURING :] == [True] * AFTER
    # No request hangs on the dead broker, and only one of them even tried it: after a failed publish the
    # cooldown skips publishing (reconcile covers what is skipped).
    assert max(outage_timings) < 5, outage_timings
    failed = [
        r for r in caplog.records if r.name == "gridmgmt.tasking" and "could not publish" in r.getMessage()
    ]
    assert len(failed) == 1, [r.getMessage() for r in failed]
    unrouted = Case.objects.filter(routed_at__isnull=True).count()
    assert unrouted >= DURING - 1  # not published, and anything queued before the crash was lost with Redis

    reconcile_task.delay()  # what beat sends every two minutes; the worker's grace period is 0
    worker.wait_until(
        "reconcile to route every case",
        lambda: not Case.objects.filter(routed_at__isnull=True).exists(),
        timeout=45,
    )

    routes = CaseEvent.objects.filter(action="route").values("case").annotate(n=Count("id"))
    assert len(routes) == total and {row["n"] for row in routes} == {1}
    assert set(Case.objects.values_list("suggested_department", flat=True)) == {world.sanitation.pk}
    for case in Case.objects.all():
        assert (
            chain_verify(case.number, case.events.order_by("seq"), head=(case.audit_seq, case.audit_head))
            is None
        )
