"""Celery tasks of the evaluation: thin wrappers around its services (idempotent, acks_late, JSON)."""

import datetime as dt

from celery import shared_task
from django.db import OperationalError

from . import services

# The nightly evaluation replays weeks of history: far beyond the 50 s default limits of quick tasks.
_OPTIONS = {
    "autoretry_for": (OperationalError,),
    "retry_backoff": True,
    "retry_kwargs": {"max_retries": 5},
    "soft_time_limit": 1800,
    "time_limit": 1900,
}


@shared_task(**_OPTIONS)
def materialise_evaluation_task(start: str | None = None, end: str | None = None) -> dict | int:
    """Without dates: the nightly periods (beat, 01:00); with ISO dates: that one period."""
    if start and end:
        return services.evaluation_materialise(
            start=dt.date.fromisoformat(start), end=dt.date.fromisoformat(end)
        )
    return services.evaluation_materialise_nightly()


# The task's old name (from when evaluation lived in dispatch) is registered as an alias, so that
# messages queued before the upgrade still run.
@shared_task(name="dispatch.tasks.materialise_evaluation_task", **_OPTIONS)
def materialise_evaluation_task_old_name(start: str | None = None, end: str | None = None) -> dict | int:
    return materialise_evaluation_task(start, end)
