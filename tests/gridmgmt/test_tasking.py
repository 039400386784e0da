"""Publishing tasks: after commit only, never failing the caller, and nothing at all when suppressed."""

import logging

import pytest
from django.db import transaction
from kombu.exceptions import OperationalError as BrokerError

from dispatch.tasks import route_case_task
from gridmgmt import tasking
from gridmgmt.celery import app as celery_app


@pytest.fixture
def published(monkeypatch) -> list[tuple[str, tuple]]:
    """Every message the app would hand to the broker (nothing reaches a real one)."""
    sent: list[tuple[str, tuple]] = []

    def send_task(app, name, args=None, kwargs=None, **options):
        sent.append((name, tuple(args or ())))

    monkeypatch.setattr(type(celery_app), "send_task", send_task)
    return sent


@pytest.fixture
def broker_down(monkeypatch):
    def send_task(app, name, args=None, kwargs=None, **options):
        raise BrokerError("Error 111 connecting to 127.0.0.1:6379. Connection refused.")

    monkeypatch.setattr(type(celery_app), "send_task", send_task)


def test_it_publishes_and_says_so(published):
    assert tasking.enqueue(route_case_task, 7) is True
    assert published == [(route_case_task.name, (7,))]


def test_a_broker_failure_is_logged_and_reported_not_raised(broker_down, caplog):
    with caplog.at_level(logging.WARNING, logger="gridmgmt.tasking"):
        assert tasking.enqueue(route_case_task, 7) is False

    (record,) = caplog.records
    assert record.levelno == logging.WARNING and "reconcile will retry" in record.getMessage()


def test_it_publishes_nothing_while_suppressed_and_restores_afterwards(published):
    with tasking.suppressed():
        with tasking.suppressed():
            assert tasking.enqueue(route_case_task, 1) is False
        assert tasking.enqueue(route_case_task, 2) is False
    assert tasking.enqueue(route_case_task, 3) is True

    assert published == [(route_case_task.name, (3,))]


@pytest.mark.django_db
def test_on_commit_it_publishes_after_the_commit_and_not_before(
    published, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        with transaction.atomic():
            tasking.enqueue_on_commit(route_case_task, 5)
            assert published == []

    assert published == [(route_case_task.name, (5,))]


@pytest.mark.django_db
def test_on_commit_it_publishes_nothing_when_the_transaction_rolls_back(
    published, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        with pytest.raises(RuntimeError), transaction.atomic():
            tasking.enqueue_on_commit(route_case_task, 5)
            raise RuntimeError("the write failed")

    assert callbacks == [] and published == []


def test_it_publishes_a_task_by_its_registered_name(published):
    assert tasking.enqueue("dispatch.tasks.route_case_task", 8) is True
    assert published == [(route_case_task.name, (8,))]


@pytest.mark.django_db
def test_an_unknown_task_name_fails_the_caller_at_once_not_after_commit(published):
    with pytest.raises(LookupError, match="dispatch.tasks.no_such_task"), transaction.atomic():
        tasking.enqueue_on_commit("dispatch.tasks.no_such_task", 1)
    assert published == []


def test_every_task_a_service_publishes_by_name_is_registered():
    """The names in the code (the constants services publish by) name real tasks."""
    from cases import photos
    from dispatch import services as dispatch_services
    from grids import residents_import
    from notifications import services as notification_services

    for name in (
        dispatch_services.ROUTE_TASK,
        residents_import.IMPORT_TASK,
        notification_services.SEND_TASK,
        photos.DERIVATIVES_TASK,
    ):
        assert tasking.task_named(name).name == name
