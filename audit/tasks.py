"""Celery tasks of the audit app: the beat's hourly checkpoint (thin over audit.services)."""

from celery import shared_task
from django.db import OperationalError

from . import services
from .log import CheckpointLogError

# A lost database or an unreachable log is retried; the next beat would publish anyway.
_RETRY = {
    "autoretry_for": (OperationalError, CheckpointLogError),
    "retry_backoff": True,
    "retry_kwargs": {"max_retries": 5},
}


@shared_task(name="audit.tasks.checkpoint_publish_task", soft_time_limit=600, time_limit=660, **_RETRY)
def checkpoint_publish_task() -> int | None:
    """Publish the next signed checkpoint; its seq, or None when another publisher was at work."""
    checkpoint = services.checkpoint_publish()
    return checkpoint.seq if checkpoint is not None else None
