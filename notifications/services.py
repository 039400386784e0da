"""E-mail notices: queued as rows in the transaction of the change that caused them, sent after commit by
a task that claims them in batches (a mail outage delays notices instead of losing them). Each row is
written in its recipient's language; users choose theirs with the page header's language switch."""

import datetime as dt
import logging

from django.conf import settings
from django.core.mail import send_mail
from django.db import connection, transaction
from django.db.models import F, Q
from django.utils import translation
from django.utils.translation import gettext_noop

from gridmgmt import clock, tasking
from gridmgmt.bulk import rows_insert
from gridmgmt.errors import InvalidInput

from .models import LanguagePreference, Notification
from .selectors import recipient_languages
from .sms import sms_send

logger = logging.getLogger(__name__)

SEND_TASK = "notifications.tasks.send_notifications_task"  # published by name: tasks.py imports this module


# The most notices one send task takes (`notifications_send`'s limit): a batch is published in slices of it.
NOTIFICATIONS_PER_TASK = 200


def notification_queue(*, about, kind: str, recipients: list[str], subject, body) -> list[Notification]:
    """Write one row per distinct recipient and publish the send task once the transaction commits.

    `subject` and `body` are text or anything that renders in the active language when turned into text
    (a gridmgmt.messages.Message, a lazy translation): each recipient's row is rendered in their language.
    """
    return notifications_queue(kind=kind, notices=[(about, recipients, subject, body)])


def notifications_queue(
    *, kind: str, notices: list[tuple[object, list[str], object, object]]
) -> list[Notification]:
    """`notification_queue` for many (about, recipients, subject, body) at once: one insert, and the send
    tasks published once the transaction commits. `about` is the model row a notice concerns, or None."""
    now = clock.now()
    languages = recipient_languages(email for _about, recipients, _s, _b in notices for email in recipients)
    rows = []
    for about, recipients, subject, body in notices:
        rendered: dict[str, tuple[str, str]] = {}  # language → (subject, body): rendered once per language
        for email in sorted(set(recipients)):
            language = languages[email]
            if language not in rendered:
                with translation.override(language):
                    rendered[language] = (str(subject)[:200], str(body))
            text_subject, text_body = rendered[language]
            rows.append(
                Notification(
                    about=about,
                    kind=kind,
                    recipient=email,
                    subject=text_subject,
                    body=text_body,
                    created_at=now,
                )
            )
    return _insert_and_publish(rows)


def notifications_queue_rendered(
    *, kind: str, notices: list[tuple[object, str, str, str, str]]
) -> list[Notification]:
    """Notices already written in their reader's language (the public site renders its own templates):
    (about, channel, recipient, subject, body) each; one insert, sent after commit like the others."""
    now = clock.now()
    rows = [
        Notification(
            about=about,
            kind=kind,
            channel=channel,
            recipient=recipient[:254],
            subject=str(subject)[:200],
            body=str(body),
            created_at=now,
        )
        for about, channel, recipient, subject, body in notices
    ]
    return _insert_and_publish(rows)


def _insert_and_publish(rows: list[Notification]) -> list[Notification]:
    """Insert the rows and publish their send tasks once the transaction commits."""
    rows_insert(Notification, rows)
    if rows:
        ids = [row.pk for row in rows]

        def publish():
            for start in range(0, len(ids), NOTIFICATIONS_PER_TASK):
                tasking.enqueue(SEND_TASK, ids[start : start + NOTIFICATIONS_PER_TASK])

        transaction.on_commit(publish)
    return rows


NOTIFICATION_MAX_ATTEMPTS = 5
NOTIFICATION_LEASE = dt.timedelta(minutes=5)


def _claim(*, ids: list[int] | None, limit: int, now: dt.datetime) -> list[Notification]:
    """Take a lease on up to `limit` unsent notices (oldest first) and return them."""
    claimable = Q(claimed_until__isnull=True) | Q(claimed_until__lt=now)
    pending = Notification.objects.filter(
        claimable, sent_at__isnull=True, attempts__lt=NOTIFICATION_MAX_ATTEMPTS
    ).order_by("created_at")
    if ids is not None:
        pending = pending.filter(pk__in=ids)
    lease = {"claimed_until": now + NOTIFICATION_LEASE, "attempts": F("attempts") + 1}
    if connection.features.has_select_for_update_skip_locked:
        # The whole batch in one statement: rows another sender is claiming are skipped, not waited for.
        with transaction.atomic():
            batch = list(pending.select_for_update(skip_locked=True)[:limit])
            Notification.objects.filter(pk__in=[note.pk for note in batch]).update(**lease)
        return batch
    # Without SKIP LOCKED (SQLite, whose writers take turns anyway): row by row, by a conditional UPDATE.
    batch = []
    for note in pending[:limit]:
        if Notification.objects.filter(claimable, pk=note.pk, sent_at__isnull=True).update(**lease) == 1:
            batch.append(note)  # else another worker holds it or has sent it
    return batch


def notifications_send(*, ids: list[int] | None = None, limit: int = NOTIFICATIONS_PER_TASK) -> int:
    """Send unsent notifications, each claimed by a lease so that only one worker sends it at a time.

    A worker that dies mid-send leaves a lease that expires, and the row is sent again later: a notice
    may (rarely) arrive twice, but it is never lost.
    """
    sent = 0
    for note in _claim(ids=ids, limit=limit, now=clock.now()):
        try:
            if note.channel == Notification.Channel.SMS:
                sms_send(note.recipient, note.body)
            else:
                send_mail(note.subject, note.body, settings.DEFAULT_FROM_EMAIL, [note.recipient])
        except Exception as exc:  # noqa: BLE001 - any mail failure: release the claim for a later try
            logger.warning("sending notification %s failed: %s", note.pk, exc)
            Notification.objects.filter(pk=note.pk).update(claimed_until=None, last_error=str(exc)[:500])
            continue
        Notification.objects.filter(pk=note.pk).update(sent_at=clock.now(), claimed_until=None)
        sent += 1
    return sent


def language_preference_set(*, user, language: str) -> LanguagePreference:
    """Record the language `user` reads notices in (one of settings.LANGUAGES)."""
    if language not in dict(settings.LANGUAGES):
        raise InvalidInput(gettext_noop("choose one of the site's languages"), field="language")
    preference, _created = LanguagePreference.objects.update_or_create(
        user=user, defaults={"language": language}
    )
    return preference
