"""Celery tasks of the public site (thin over its services): forgetting old throttle uses and spent proofs."""

from celery import shared_task

from . import guard


@shared_task(name="public.tasks.throttles_purge_task", soft_time_limit=120, time_limit=150)
def throttles_purge_task() -> int:
    """Delete throttle uses older than the longest window and proofs past their age; how many uses went."""
    return guard.throttles_purge()
