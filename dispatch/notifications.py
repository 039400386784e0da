"""Queueing email notifications: rows written with the change that caused them, sent after commit."""

from django.contrib.auth import get_user_model
from django.db import transaction

from gridmgmt import clock
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


def notification_queue(
    *, case, kind: str, recipients: list[str], subject: str, body: str
) -> list[Notification]:
    """Write one row per distinct recipient and publish the send task once the transaction commits."""
    now = clock.now()
    rows = Notification.objects.bulk_create(
        [
            Notification(case=case, kind=kind, recipient=email, subject=subject, body=body, created_at=now)
            for email in sorted(set(recipients))
        ]
    )
    if rows:
        from .tasks import send_notifications_task

        ids = [row.pk for row in rows]
        transaction.on_commit(lambda: enqueue(send_notifications_task, ids))
    return rows
