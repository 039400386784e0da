"""Celery tasks for the base data: thin wrappers that take ids and call services (idempotent, JSON)."""

from celery import shared_task
from django.db import OperationalError

from .io import jobs

_RETRY = {"autoretry_for": (OperationalError,), "retry_backoff": True, "retry_kwargs": {"max_retries": 5}}


# Like the resident import: 100,000 houses take seconds to a minute, so 15 minutes only stops a runaway. The
# job is claimed atomically, so a redelivered message does not run it twice.
@shared_task(soft_time_limit=900, time_limit=960, **_RETRY)
def import_base_data_task(job_id: int) -> str:
    return jobs.import_job_run(job_id=job_id)


@shared_task(**_RETRY)
def reconcile_base_data_imports_task() -> int:
    return len(jobs.import_jobs_reconcile())
