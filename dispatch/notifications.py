"""Queueing email notifications: rows written with the change that caused them, sent after commit."""

from django.contrib.auth import get_user_model
from django.db import transaction

from gridmgmt import clock
from gridmgmt.bulk import rows_insert
from gridmgmt.roles import Role
from gridmgmt.tasking import enqueue

from .models import Department, Notification


def _emails(users) -> list[str]:
    return [email for email in users.exclude(email="").values_list("email", flat=True)]


def department_recipients(department: Department | None) -> list[str]:
    if department is None:
        return role_recipients(Role.DISPATCHER)
    emails = _emails(department.members.filter(is_active=True))
    if department.email:
        emails.append(department.email)
    return emails


def role_recipients(role: str) -> list[str]:
    return _emails(get_user_model().objects.filter(is_active=True, groups__name=role))


# The most notices one send task takes (`notifications_send`'s limit): a batch is published in slices of it.
NOTIFICATIONS_PER_TASK = 200


def notification_queue(
    *, case, kind: str, recipients: list[str], subject: str, body: str
) -> list[Notification]:
    """Write one row per distinct recipient and publish the send task once the transaction commits."""
    return notifications_queue(kind=kind, notices=[(case, recipients, subject, body)])


def notifications_queue(
    *, kind: str, notices: list[tuple[object, list[str], str, str]]
) -> list[Notification]:
    """`notification_queue` for many (case, recipients, subject, body) at once: one insert, and the send
    tasks published once the transaction commits."""
    now = clock.now()
    rows = [
        Notification(case=case, kind=kind, recipient=email, subject=subject, body=body, created_at=now)
        for case, recipients, subject, body in notices
        for email in sorted(set(recipients))
    ]
    rows_insert(Notification, rows)
    if rows:
        from .tasks import send_notifications_task

        ids = [row.pk for row in rows]

        def publish():
            for start in range(0, len(ids), NOTIFICATIONS_PER_TASK):
                enqueue(send_notifications_task, ids[start : start + NOTIFICATIONS_PER_TASK])

        transaction.on_commit(publish)
    return rows
