"""Celery tasks: thin wrappers that take ids and call services (all idempotent, acks_late, JSON)."""

import datetime as dt

from celery import shared_task
from django.db import IntegrityError, OperationalError

from gridmgmt import tasking

from . import services, supervision

_RETRY = {"autoretry_for": (OperationalError,), "retry_backoff": True, "retry_kwargs": {"max_retries": 5}}


# IntegrityError too: a configuration row deleted behind a process cache's back (see case_route).
@shared_task(**{**_RETRY, "autoretry_for": (OperationalError, IntegrityError)})
def route_case_task(case_id: int) -> None:
    services.case_route(case_id=case_id)


def route_case_soon(case_id: int) -> None:
    """Publish the routing of a case that was just reported (cases' `case_reported` hook, after commit)."""
    tasking.enqueue(route_case_task, case_id)


@shared_task(**_RETRY)
def enforce_deadlines_task(now: str | None = None) -> dict:
    """Beat sends it without arguments; an aware ISO date-time `now` sweeps as of that moment (tests, ops
    replaying a missed sweep)."""
    return services.deadlines_enforce(now=_moment(now))


@shared_task(**_RETRY)
def supervision_sweep_task(now: str | None = None) -> dict:
    """Beat sends it every minute without arguments; `now` as for enforce_deadlines_task."""
    return supervision.supervision_sweep(now=_moment(now))


def _moment(now: str | None) -> dt.datetime | None:
    moment = dt.datetime.fromisoformat(now) if now else None
    if moment is not None and moment.tzinfo is None:
        raise ValueError(f"now must carry a UTC offset: {now!r}")
    return moment


@shared_task(**_RETRY)
def reconcile_task() -> int:
    return len(services.cases_reconcile())
