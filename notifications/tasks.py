"""Celery tasks of notifications: thin wrappers around its services (idempotent, acks_late, JSON)."""

from celery import shared_task
from django.db import OperationalError

from . import services

_RETRY = {"autoretry_for": (OperationalError,), "retry_backoff": True, "retry_kwargs": {"max_retries": 5}}


@shared_task(**_RETRY)
def send_notifications_task(ids: list[int]) -> int:
    return services.notifications_send(ids=ids)


@shared_task(**_RETRY)
def send_pending_notifications_task() -> int:
    return services.notifications_send()


# The tasks' old names (from when notifications lived in dispatch) stay registered as aliases, so that
# messages queued before the upgrade still run.
@shared_task(name="dispatch.tasks.send_notifications_task", **_RETRY)
def send_notifications_task_old_name(ids: list[int]) -> int:
    return services.notifications_send(ids=ids)


@shared_task(name="dispatch.tasks.send_pending_notifications_task", **_RETRY)
def send_pending_notifications_task_old_name() -> int:
    return services.notifications_send()
