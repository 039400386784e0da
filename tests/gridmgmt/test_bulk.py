"""rows_insert: many rows in few statements, read back exactly as bulk_create would have written them."""

import datetime as dt

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from cases.models import CaseEvent
from gridmgmt import clock
from gridmgmt.bulk import rows_insert
from notifications.models import Notification

from ..cases.helpers import report

pytestmark = pytest.mark.django_db


def test_it_inserts_in_few_statements_and_sets_each_id(world):
    case = report(world)
    at = clock.now()
    # More rows than one SQLite statement can carry (999 parameters): several statements, ids in order.
    notes = [
        Notification(
            about=case, kind="test", recipient=f"r{i}@example.org", subject=f"s{i}", body="b", created_at=at
        )
        for i in range(250)
    ]
    with CaptureQueriesContext(connection) as ctx:
        rows_insert(Notification, notes)
    assert 1 <= len(ctx) <= 4
    stored = dict(Notification.objects.filter(kind="test").values_list("pk", "recipient"))
    assert {note.pk: note.recipient for note in notes} == stored
    assert all(not note._state.adding for note in notes)


def test_values_read_back_as_the_orm_writes_them(world):
    case = report(world)
    at = dt.datetime(2026, 3, 1, 8, 30, 15, 123456, tzinfo=dt.UTC)
    event = CaseEvent(
        case=case,
        seq=99,
        action="note",
        from_state="reported",
        to_state="reported",
        actor=world.dispatcher,
        actor_username="dispatcher",
        actor_role="dispatcher",
        note="八一大道",
        data={"nested": {"a": [1, 2]}, "text": "井盖"},
        created_at=at,
        prev_hash="0" * 64,
        hash="f" * 64,
    )
    rows_insert(CaseEvent, [event])
    stored = CaseEvent.objects.get(pk=event.pk)
    assert (stored.data, stored.created_at, stored.actor, stored.note) == (
        event.data,
        at,
        world.dispatcher,
        "八一大道",
    )


def test_nothing_to_insert_sends_nothing(django_assert_num_queries):
    with django_assert_num_queries(0):
        rows_insert(Notification, [])
