"""Hooks: a lower app's announcement reaches the apps above it after commit, each subscriber on its own."""

import logging

import pytest
from django.db import transaction

from cases.hooks import case_reported
from dispatch.tasks import route_case_soon
from gridmgmt.hooks import Hook


@pytest.fixture
def hook() -> Hook[int]:
    return Hook("test_hook")


@pytest.mark.django_db
def test_subscribers_run_after_the_commit_and_not_before(hook, django_capture_on_commit_callbacks):
    heard: list[int] = []
    hook.subscribe(heard.append)
    with django_capture_on_commit_callbacks(execute=True), transaction.atomic():
        hook.fire_on_commit(7)
        assert heard == []
    assert heard == [7]


@pytest.mark.django_db
def test_nothing_is_heard_of_a_rolled_back_write(hook, django_capture_on_commit_callbacks):
    heard: list[int] = []
    hook.subscribe(heard.append)
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        with pytest.raises(RuntimeError), transaction.atomic():
            hook.fire_on_commit(7)
            raise RuntimeError("the write failed")
    assert callbacks == [] and heard == []


def test_a_failing_subscriber_is_logged_and_the_others_still_run(hook, caplog):
    heard: list[int] = []

    def broken(payload: int) -> None:
        raise ValueError("subscriber bug")

    hook.subscribe(broken)
    hook.subscribe(heard.append)
    with caplog.at_level(logging.ERROR, logger="gridmgmt.hooks"):
        hook.fire(3)
    assert heard == [3]
    (record,) = caplog.records
    assert "test_hook" in record.getMessage() and record.exc_info[0] is ValueError


def test_subscribing_twice_runs_a_subscriber_once(hook):
    heard: list[int] = []
    hook.subscribe(heard.append)
    hook.subscribe(heard.append)
    hook.fire(1)
    assert heard == [1]


def test_dispatch_routes_every_reported_case():
    assert route_case_soon in case_reported._subscribers
