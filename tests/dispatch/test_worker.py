"""The real thing: a Celery worker process on Redis and PostgreSQL routes, dispatches and reconciles cases.

The worker is a subprocess started once for this module, consuming a queue no other run uses and
publishing its own follow-up tasks to it (CELERY_TASK_DEFAULT_QUEUE), so parallel runs and a `make run`
worker on the same Redis can't steal each other's tasks. Tests are transactional: the worker, on its own
connection, sees only committed rows.
"""

import pytest

from cases import services as case_services
from cases.models import Case, CaseState
from dispatch.tasks import reconcile_task
from gridmgmt.celery import app as celery_app
from gridmgmt.roles import Role
from notifications.models import Notification

from .. import factories
from ..conftest import requires_postgres, requires_redis
from ..factories import centre
from ..support.celery_worker import worker_log_print_on_failure, worker_on_own_queue

pytestmark = [requires_postgres, requires_redis, pytest.mark.celery_worker]


@pytest.fixture(scope="module")
def worker(django_db_setup, tmp_path_factory):
    with worker_on_own_queue(tmp_path_factory.mktemp("celery")) as running:
        yield running


@pytest.fixture(autouse=True)
def _worker_log_on_failure(request, worker):
    yield
    worker_log_print_on_failure(request, worker)


def _report(world) -> Case:
    lat, lng = centre(world.g1)
    return case_services.case_report(
        actor=world.gridadmin,
        source="patrol",
        lat=lat,
        lng=lng,
        category=world.cats.waste,
        description="垃圾堆放",
    )


def _routed(case_id: int) -> Case | None:
    return Case.objects.filter(pk=case_id, routed_at__isnull=False).first()


@pytest.mark.django_db(transaction=True)
def test_a_worker_routes_a_reported_case(world, worker):
    factories.rule(department=world.sanitation, category=world.cats.waste)

    case = _report(world)  # commits; the on-commit hook publishes route_case_task to the real broker

    routed = worker.wait_until("the case to be routed", lambda: _routed(case.pk))
    assert routed.suggested_department == world.sanitation and routed.state == CaseState.REPORTED
    assert list(routed.events.values_list("action", flat=True)) == ["report", "route"]


@pytest.mark.django_db(transaction=True)
def test_a_worker_dispatches_under_an_auto_dispatch_rule_and_sends_the_notice(world, worker):
    factories.rule(department=world.roads, category=world.cats.waste, auto_dispatch=True)

    case = _report(world)

    dispatched = worker.wait_until(
        "the case to be dispatched",
        lambda: Case.objects.filter(pk=case.pk, state=CaseState.DISPATCHED).first(),
    )
    assert dispatched.department == world.roads and dispatched.deadline_stage == Case.Stage.HANDLING
    events = list(dispatched.events.order_by("seq"))
    assert [e.action for e in events] == ["report", "route", "file", "dispatch"]
    assert {e.actor_role for e in events[1:]} == {Role.SYSTEM}
    # The worker published the notice task to its own queue and then sent it.
    worker.wait_until(
        "the dispatch notice to be sent",
        lambda: (
            Notification.objects.filter(case=case, kind="dispatched").exists()
            and not Notification.objects.filter(case=case, kind="dispatched", sent_at__isnull=True).exists()
        ),
    )
    assert sorted(Notification.objects.filter(case=case).values_list("recipient", flat=True)) == sorted(
        [world.other_staff.email, world.roads.email]
    )


@pytest.mark.django_db(transaction=True)
def test_reconcile_on_a_worker_routes_a_case_reported_while_the_broker_was_down(world, worker, monkeypatch):
    factories.rule(department=world.sanitation, category=world.cats.waste)
    real_send_task = type(celery_app).send_task
    broker_down = True

    def send_task(app, *args, **kwargs):
        if broker_down:
            from kombu.exceptions import OperationalError

            raise OperationalError("Error 111 connecting to the broker. Connection refused.")
        return real_send_task(app, *args, **kwargs)

    monkeypatch.setattr(type(celery_app), "send_task", send_task)

    case = _report(world)  # commits; the publish fails and is only logged
    assert Case.objects.get(pk=case.pk).routed_at is None

    broker_down = False
    reconcile_task.delay()  # what beat sends every two minutes

    routed = worker.wait_until("reconcile to route the case", lambda: _routed(case.pk))
    assert routed.suggested_department == world.sanitation
    assert routed.events.filter(action="route").count() == 1
