"""Celery tasks for patrols: thin wrappers that take ids and call services (idempotent, JSON)."""

from celery import shared_task
from django.db import OperationalError

from gridmgmt.tasking import enqueue

from . import plans, services

_RETRY = {"autoretry_for": (OperationalError,), "retry_backoff": True, "retry_kwargs": {"max_retries": 5}}


@shared_task(soft_time_limit=120, time_limit=150, **_RETRY)
def patrol_compute_task(patrol_id: int) -> str:
    patrol = services.patrol_compute(patrol_id=patrol_id)
    return patrol.review if patrol is not None else "missing"


@shared_task(**_RETRY)
def reconcile_patrols_task() -> int:
    """Compute the patrols whose end was not followed by their computation (the broker was down)."""
    ids = services.patrols_uncomputed()
    for patrol_id in ids:
        enqueue(patrol_compute_task, patrol_id)
    return len(ids)


@shared_task(soft_time_limit=300, time_limit=330, **_RETRY)
def patrol_plan_warnings_task() -> int:
    """Warn administrators and supervisors of grids that went unpatrolled past their plan."""
    return len(plans.plan_warnings_send())
