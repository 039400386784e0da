"""Sending queued notices: each once, under a lease that expires if its worker dies, in claimed batches."""

import datetime as dt

import pytest
from django.core import mail
from django.core.mail.backends.base import BaseEmailBackend

from gridmgmt import clock
from notifications.models import Notification
from notifications.services import notifications_send

from ..conftest import requires_postgres
from ..support.racing import race

T0 = dt.datetime(2026, 3, 2, 9, 0, tzinfo=dt.UTC)


class FailingBackend(BaseEmailBackend):
    def send_messages(self, email_messages):
        raise ConnectionRefusedError("mail relay unreachable")


def _note(recipient: str, **fields) -> Notification:
    return Notification.objects.create(
        kind="dispatched", recipient=recipient, subject="Case 1", body="…", created_at=T0, **fields
    )


@pytest.mark.django_db
def test_it_sends_each_notification_once():
    first, second = _note("a@example.org"), _note("b@example.org")

    with clock.frozen_at(T0 + dt.timedelta(minutes=1)):
        assert notifications_send() == 2
    assert notifications_send() == 0

    assert sorted(m.to[0] for m in mail.outbox) == ["a@example.org", "b@example.org"]
    for note in (first, second):
        note.refresh_from_db()
        assert note.sent_at == T0 + dt.timedelta(minutes=1) and note.attempts == 1 and note.last_error == ""


@pytest.mark.django_db
def test_it_sends_only_the_notifications_it_is_given():
    wanted, other = _note("a@example.org"), _note("b@example.org")

    assert notifications_send(ids=[wanted.pk]) == 1

    assert [m.to for m in mail.outbox] == [["a@example.org"]]
    other.refresh_from_db()
    assert other.sent_at is None


@pytest.mark.django_db
def test_a_failing_mail_backend_releases_the_claim_for_a_later_try(settings):
    note = _note("a@example.org")
    settings.EMAIL_BACKEND = f"{__name__}.FailingBackend"

    assert notifications_send() == 0

    note.refresh_from_db()
    assert note.sent_at is None and note.attempts == 1 and "mail relay unreachable" in note.last_error

    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    assert notifications_send() == 1
    note.refresh_from_db()
    assert note.sent_at is not None and note.attempts == 2
    assert [m.to for m in mail.outbox] == [["a@example.org"]]


@pytest.mark.django_db
def test_it_gives_up_on_a_notification_after_five_attempts():
    _note("a@example.org", attempts=5, last_error="mail relay unreachable")

    assert notifications_send() == 0
    assert mail.outbox == []


@pytest.mark.django_db
def test_a_notification_claimed_by_a_worker_that_died_is_sent_once_its_lease_expires():
    # A worker claimed it (lease until T0 + 5 min) and was killed before sending.
    note = _note("a@example.org", attempts=1, claimed_until=T0 + dt.timedelta(minutes=5))

    with clock.frozen_at(T0 + dt.timedelta(minutes=4)):
        assert notifications_send() == 0  # the lease still holds: someone may be sending it
    with clock.frozen_at(T0 + dt.timedelta(minutes=6)):
        assert notifications_send() == 1

    note.refresh_from_db()
    assert note.sent_at == T0 + dt.timedelta(minutes=6) and note.claimed_until is None and note.attempts == 2
    assert [m.to for m in mail.outbox] == [["a@example.org"]]


@requires_postgres
@pytest.mark.django_db(transaction=True)
def test_two_senders_at_once_claim_disjoint_batches_and_send_each_notice_once():
    for n in range(40):
        _note(f"p{n}@example.org")
    counts = race(*[lambda: notifications_send(limit=25)] * 2)

    assert sorted(counts) == [15, 25]  # each claims at most 25; the second takes what the first left
    assert sorted(m.to[0] for m in mail.outbox) == sorted(f"p{n}@example.org" for n in range(40))
    assert not Notification.objects.filter(sent_at__isnull=True).exists()
