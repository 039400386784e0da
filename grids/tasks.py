"""Celery tasks for grids: thin wrappers that take ids and call services (idempotent, acks_late, JSON)."""

from celery import shared_task
from django.db import OperationalError

from . import residents_import

_RETRY = {"autoretry_for": (OperationalError,), "retry_backoff": True, "retry_kwargs": {"max_retries": 5}}


# A large import outlives the project's default 50/60 s limits; 100,000 rows take seconds, so 15 minutes
# only stops a runaway. The job is claimed atomically, so a redelivered message does not run it twice.
@shared_task(soft_time_limit=900, time_limit=960, **_RETRY)
def import_residents_task(job_id: int) -> str:
    return residents_import.resident_import_job_run(job_id=job_id)


@shared_task(**_RETRY)
def reconcile_resident_imports_task() -> int:
    return len(residents_import.resident_import_jobs_reconcile())
