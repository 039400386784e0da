"""Nothing lost: a report made while the broker is down commits, and reconcile routes it once it is back."""

import datetime as dt
import logging

import pytest
from kombu.exceptions import OperationalError as BrokerError

from cases import services as case_services
from cases.models import Case
from dispatch.services import cases_reconcile
from dispatch.tasks import reconcile_task, route_case_task
from gridmgmt import clock, tasking
from gridmgmt.celery import app as celery_app

from .. import factories
from ..factories import centre
from .helpers import T0

GRACE = 60
_WATCHED_CONF = ("broker_url", "task_always_eager", "task_default_queue", "broker_transport_options")


class Broker:
    """Stands in for the broker behind `app.send_task`, the one door every `apply_async` goes through.

    Down: each publish fails the way kombu reports a refused connection. Up: the message is recorded and
    the task runs at once in this process, as a worker would run it.
    """

    def __init__(self, monkeypatch):
        self._up = True
        self.attempts = 0
        self.published: list[tuple[str, tuple]] = []
        broker = self

        def send_task(app, name, args=None, kwargs=None, **options):
            broker.attempts += 1
            if not broker.is_up:
                raise BrokerError("Error 111 connecting to 127.0.0.1:6379. Connection refused.")
            broker.published.append((name, tuple(args or ())))
            return app.tasks[name].apply(args=args, kwargs=kwargs)

        monkeypatch.setattr(type(celery_app), "send_task", send_task)

    @property
    def is_up(self) -> bool:
        return self._up

    @is_up.setter
    def is_up(self, value: bool) -> None:
        # Coming back stands for "a while later": the publisher's cooldown after a failure has run out.
        if value and not self._up:
            tasking.broker_cooldown_reset()
        self._up = value

    def published_routes(self) -> list[int]:
        return [args[0] for name, args in self.published if name == route_case_task.name]


@pytest.fixture
def broker(monkeypatch, settings):
    settings.RECONCILE_GRACE_SECONDS = GRACE
    before = {key: celery_app.conf[key] for key in _WATCHED_CONF}
    yield Broker(monkeypatch)
    # The fake lives on the class attribute monkeypatch restores; the app's configuration is never touched.
    assert {key: celery_app.conf[key] for key in _WATCHED_CONF} == before


@pytest.fixture
def enqueued(monkeypatch) -> list[bool]:
    """What each `tasking.enqueue` call returned (the on-commit callback itself drops the value)."""
    results: list[bool] = []
    real = tasking.enqueue

    def spy(task, *args):
        results.append(real(task, *args))
        return results[-1]

    monkeypatch.setattr(tasking, "enqueue", spy)
    return results


def _report(world, capture) -> Case:
    lat, lng = centre(world.g1)
    with clock.frozen_at(T0), capture(execute=True) as callbacks:
        case = case_services.case_report(
            actor=world.gridadmin,
            source="patrol",
            lat=lat,
            lng=lng,
            category=world.cats.waste,
            description="垃圾堆放",
        )
    assert len(callbacks) == 1  # routing is published after commit, nowhere else
    return case


def _reconcile(seconds: int) -> list[int]:
    with clock.frozen_at(T0 + dt.timedelta(seconds=seconds)):
        return cases_reconcile()


def test_a_report_commits_and_waits_unrouted_while_the_broker_is_down(
    world, broker, enqueued, caplog, django_capture_on_commit_callbacks
):
    factories.rule(department=world.sanitation, category=world.cats.waste)
    broker.is_up = False

    with caplog.at_level(logging.WARNING, logger="gridmgmt.tasking"):
        case = _report(world, django_capture_on_commit_callbacks)

    case = Case.objects.get(pk=case.pk)
    assert case.routed_at is None and case.suggested_department is None
    assert list(case.events.values_list("action", flat=True)) == ["report"]
    assert enqueued == [False]
    (record,) = [r for r in caplog.records if r.name == "gridmgmt.tasking"]
    assert record.levelno == logging.WARNING
    assert f"could not publish {route_case_task.name}({case.pk},)" in record.getMessage()
    assert record.exc_info and isinstance(record.exc_info[1], BrokerError)


def test_a_report_is_routed_right_after_commit_when_the_broker_is_up(
    world, broker, enqueued, django_capture_on_commit_callbacks
):
    factories.rule(department=world.sanitation, category=world.cats.waste)

    case = _report(world, django_capture_on_commit_callbacks)

    case.refresh_from_db()
    assert enqueued == [True] and broker.published_routes() == [case.pk]
    assert case.routed_at is not None and case.suggested_department == world.sanitation


def test_reconcile_routes_a_missed_report_once_the_broker_is_back_and_the_grace_period_has_passed(
    world, broker, django_capture_on_commit_callbacks
):
    factories.rule(department=world.sanitation, category=world.cats.waste)
    broker.is_up = False
    case = _report(world, django_capture_on_commit_callbacks)

    # Still down: nothing is published, nothing is lost.
    assert _reconcile(GRACE + 1) == []
    broker.is_up = True
    # Back, but within the grace period the first publish may still be on its way: leave it alone.
    assert _reconcile(GRACE - 1) == []
    case.refresh_from_db()
    assert case.routed_at is None and broker.published == []

    assert _reconcile(GRACE + 1) == [case.pk]

    case.refresh_from_db()
    assert broker.published_routes() == [case.pk]
    assert case.routed_at == T0 + dt.timedelta(seconds=GRACE + 1)
    assert case.suggested_department == world.sanitation
    # Routed now, so a later reconcile leaves it alone.
    assert _reconcile(GRACE * 10) == []
    assert broker.published_routes() == [case.pk]
    assert list(case.events.values_list("action", flat=True)) == ["report", "route"]


def test_reconcile_leaves_routed_cases_alone(world, broker, django_capture_on_commit_callbacks):
    case = _report(world, django_capture_on_commit_callbacks)
    case.refresh_from_db()
    assert case.routed_at is not None
    broker.published.clear()

    assert _reconcile(GRACE * 10) == []
    assert broker.published == []


def test_the_periodic_reconcile_task_routes_what_was_missed(
    world, broker, django_capture_on_commit_callbacks
):
    broker.is_up = False
    first = _report(world, django_capture_on_commit_callbacks)
    second = _report(world, django_capture_on_commit_callbacks)
    broker.is_up = True

    with clock.frozen_at(T0 + dt.timedelta(seconds=GRACE + 1)):
        assert reconcile_task.apply().get() == 2

    assert sorted(broker.published_routes()) == sorted([first.pk, second.pk])
    assert not Case.objects.filter(routed_at__isnull=True).exists()


def test_after_a_failed_publish_it_stops_trying_for_the_cooldown(world, broker, settings):
    """With the broker down each publish blocks for seconds; a report must not pay that every time."""
    settings.BROKER_DOWN_COOLDOWN_SECONDS = 30
    broker.is_up = False
    assert tasking.enqueue(route_case_task, 1) is False
    assert tasking.enqueue(route_case_task, 2) is False
    assert broker.attempts == 1  # the second call did not touch the broker
    broker.is_up = True  # (resets the cooldown, as if 30 s had passed)
    assert tasking.enqueue(route_case_task, 3) is True
