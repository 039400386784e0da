"""Dispatch-side writes: routing a reported case, enforcing deadlines, reconciling unrouted reports.

All of them are idempotent, so a task that runs twice (acks_late, retries, reconcile) changes nothing twice.
"""

import datetime as dt
import logging
import time

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils.translation import gettext_noop

from cases import services as case_services
from cases.audit import events_append_system
from cases.models import OPEN_STATES, Case, CaseState
from cases.selectors import duplicate_candidates
from cases.words import ALERT_WORDS, STAGE_WORDS, category_name
from departments.selectors import department_recipients
from gridmgmt import clock, tasking
from gridmgmt.messages import Message, local_datetime
from gridmgmt.roles import Role
from grids.selectors import grid_get, grid_index_invalidate, grid_locate
from notifications.selectors import role_recipients
from notifications.services import notifications_queue

from .selectors import active_rules, cases_due, cases_unrouted, routing_rule_for
from .sweeping import SWEEP_BUDGET_SECONDS, sweep_due

logger = logging.getLogger(__name__)

ROUTE_TASK = "dispatch.tasks.route_case_task"  # published by name: tasks.py imports this module


def case_route(*, case_id: int) -> Case | None:
    """Locate, suggest a department, flag likely duplicates, and auto-dispatch where a rule says so.

    Runs once per case: a second call (retry, reconcile) finds `routed_at` set and does nothing.
    """
    try:
        return _route(case_id)
    except IntegrityError:
        # A rule's department or the case's grid came from this process's caches and was deleted elsewhere
        # within their interval: nothing was written. Forget them; the task's retry routes afresh.
        active_rules.forget()
        grid_index_invalidate()
        raise


def _route(case_id: int) -> Case | None:
    auto_department = None
    with transaction.atomic():
        # of=("self",): lock the case only, not its category row (shared by every case of that category).
        case = (
            Case.objects.select_for_update(of=("self",))
            .select_related("category", "facility__department")
            .filter(pk=case_id)
            .first()
        )
        if case is None or case.routed_at is not None:
            return case
        now = clock.now()
        data: dict = {}
        case.grid = (
            grid_locate(lat=case.lat, lng=case.lng) if case.grid_id is None else grid_get(case.grid_id)
        )
        data["grid"] = case.grid.code if case.grid_id else None
        rule = routing_rule_for(category=case.category, grid=case.grid)
        # A named facility's maintaining department comes before any rule: the rule says who handles such
        # cases in this area, the facility who looks after this very thing.
        maintainer = _facility_department(case)
        department = maintainer or (rule.department if rule else None)
        case.suggested_department = department
        data["suggested_department"] = department.code if department else None
        data["rule"] = rule.pk if rule else None
        if case.facility_id:
            data["facility"] = case.facility.code
        duplicates = list(duplicate_candidates(case))
        if duplicates:  # a new case has none recorded yet: nothing to replace
            case.duplicate_candidates.set(duplicates)
        data["duplicates"] = [d.number for d in duplicates]
        case.routed_at = now
        # Auto-dispatch only a clean, still untouched report: a likely duplicate needs a person's eye.
        if rule and rule.auto_dispatch and not duplicates and case.state == CaseState.REPORTED:
            auto_department = department
        # One write for the lot: the route event and, for an auto-dispatch rule, filing and dispatch.
        return case_services.case_routing_record(
            case=case, data=data, now=now, auto_department=auto_department
        )


def _facility_department(case: Case):
    """The active maintaining department of the facility the case names, if any."""
    if not case.facility_id or case.facility.department_id is None:
        return None
    department = case.facility.department
    return department if department.is_active else None


_ALERTS = (
    # (point field, flag field, event action, who hears of it)
    ("deadline_warn_at", "warned_at", "deadline_warning", "department"),
    ("deadline_at", "overdue_at", "deadline_overdue", "department+dispatch"),
    ("deadline_escalate_at", "escalated_at", "escalated", "supervisors"),
)


def deadlines_enforce(*, now: dt.datetime | None = None) -> dict[str, int]:
    """Fire each due warning, overdue mark and escalation exactly once per running deadline."""
    now = now or clock.now()
    # A burst (a storm, a holiday's end) can bring thousands due at once: keep taking batches until the
    # backlog is gone, within a budget under the task's time limit; the next beat picks up any rest.
    budget_ends = time.monotonic() + SWEEP_BUDGET_SECONDS
    fired = {}
    for field, flag, action, audience in _ALERTS:
        recipients = _AlertRecipients(audience)  # looked up once per sweep, not per batch
        fired[action] = sweep_due(
            lambda limit, field=field, flag=flag: cases_due(field=field, flag=flag, now=now, limit=limit),
            lambda ids, field=field, flag=flag, action=action, recipients=recipients: _alerts_fire(
                case_ids=ids, field=field, flag=flag, action=action, recipients=recipients, now=now
            ),
            budget_ends=budget_ends,
        )
    return fired


def _alerts_fire(
    *,
    case_ids: list[int],
    field: str,
    flag: str,
    action: str,
    recipients: "_AlertRecipients",
    now: dt.datetime,
) -> int:
    """Fire one alert on those of `case_ids` still due once locked; returns how many fired."""
    with transaction.atomic():
        # Lock in id order so that two sweepers over the same cases wait for each other instead of
        # deadlocking. The due condition is in the WHERE clause, which PostgreSQL re-checks on a row it
        # had to wait for: a case another sweeper has just fired (or that moved on) drops out here.
        # of=("self",): PostgreSQL refuses FOR UPDATE on the nullable side of the outer join to department.
        cases = list(
            Case.objects.select_for_update(of=("self",))
            .select_related("department", "category")
            .filter(
                pk__in=case_ids,
                state__in=OPEN_STATES,
                suspended_at__isnull=True,
                **{f"{field}__lte": now, f"{flag}__isnull": True},
            )
            .order_by("pk")
        )
        if not cases:
            return 0
        for case in cases:
            setattr(case, flag, now)
        # The flag is written with the chain heads: one UPDATE of the locked rows.
        events_append_system(
            cases=cases,
            action=action,
            at=now,
            data_for=lambda case: {
                "stage": case.deadline_stage,
                "deadline": case.deadline_at.isoformat(),
                "point": getattr(case, field).isoformat(),
            },
            also={flag: now},
        )
        notifications_queue(
            kind=action,
            notices=[
                (
                    case,
                    recipients.of(case),
                    Message(
                        gettext_noop("Case %(number)s: %(alert)s (%(stage)s due %(due)s)"),
                        number=case.number,
                        alert=ALERT_WORDS[action],
                        stage=STAGE_WORDS.get(case.deadline_stage, case.deadline_stage),
                        due=local_datetime(case.deadline_at),
                    ),
                    Message(
                        gettext_noop("%(category)s: %(description)s"),
                        category=category_name(case.category),
                        description=case.description,
                    ),
                )
                for case in cases
            ],
        )
    return len(cases)


class _AlertRecipients:
    """Who hears of an alert to `audience`, looked up once per department (and role) per sweep."""

    def __init__(self, audience: str):
        self.audience = audience
        self._roles: dict[str, list[str]] = {}
        self._departments: dict[int | None, list[str]] = {}

    def _role(self, role: str) -> list[str]:
        if role not in self._roles:
            self._roles[role] = role_recipients(role)
        return self._roles[role]

    def of(self, case: Case) -> list[str]:
        if self.audience == "supervisors":
            return self._role(Role.SUPERVISOR)
        if case.department_id not in self._departments:
            self._departments[case.department_id] = department_recipients(case.department)
        recipients = self._departments[case.department_id]
        if self.audience == "department+dispatch":
            recipients = recipients + self._role(Role.DISPATCHER)
        return recipients


def cases_reconcile(*, now: dt.datetime | None = None) -> list[int]:
    """Re-publish routing for reports that were never routed (e.g. the broker was down at report time)."""
    now = now or clock.now()
    stale = cases_unrouted(older_than=now - dt.timedelta(seconds=settings.RECONCILE_GRACE_SECONDS))
    return [case_id for case_id in stale if tasking.enqueue(ROUTE_TASK, case_id)]
