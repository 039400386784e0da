"""Browser pages of the dispatch center: the live triage queue (and its htmx partial), the returned cases,
the extension requests, the map of all open cases, and the cases under supervision (督办)."""

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.shortcuts import render
from django.utils.translation import gettext as _

from cases.maps import case_points
from cases.models import OPEN_STATES, CaseState, Category, SupervisionLevel
from cases.selectors import (
    cases_filter,
    cases_returned_queue,
    cases_triage_queue,
    cases_visible_to,
    extension_requests_pending,
    urgency_order,
)
from cases.ui import STATE_LABELS
from departments.models import Department
from gridmgmt import clock
from gridmgmt.roles import Role, user_roles
from grids.maps import grid_map_features, map_config
from grids.models import Grid, Jurisdiction

from .selectors import cases_under_supervision, supervision_counts
from .supervision import level_name, supervision_states

QUEUES = ("triage", "returned", "extensions")
QUEUE_LIMIT = 200
MAP_LIMIT = 3000
SUPERVISION_LIMIT = 500


def _require(request, *roles: str) -> None:
    if not (request.user.is_superuser or user_roles(request.user) & set(roles)):
        raise PermissionDenied(_("This page is not part of your role."))


def _queue_context(request) -> dict:
    user, now = request.user, clock.now()
    queue = request.GET.get("queue", "triage")
    if queue not in QUEUES:
        queue = "triage"
    triage = cases_triage_queue(user, now=now)
    returned = cases_returned_queue(user, now=now)
    extensions = extension_requests_pending(user)
    rows = {"triage": triage, "returned": returned, "extensions": extensions}[queue]
    departments = list(Department.objects.filter(is_active=True).order_by("name"))
    return {
        "now": now,
        "queue": queue,
        "rows": list(rows[:QUEUE_LIMIT]),
        "counts": {"triage": triage.count(), "returned": returned.count(), "extensions": extensions.count()},
        "departments": departments,
        "department_names": {d.code: d.name for d in departments},
    }


@login_required
def queue_page(request):
    """The dispatcher's home: a queue that refreshes itself every few seconds."""
    _require(request, Role.DISPATCHER)
    return render(request, "dispatch/queue.html", _queue_context(request))


@login_required
def queue_rows(request):
    """htmx partial of queue_page: the rows, and the tab counts swapped out of band."""
    _require(request, Role.DISPATCHER)
    return render(request, "dispatch/_queue_rows.html", _queue_context(request) | {"partial": True})


@login_required
def case_map(request):
    """Every open case on a map, grouped per grid when zoomed out, filterable by category, state, street
    and department; a table below lists the same cases for keyboard and screen-reader users."""
    _require(request, Role.DISPATCHER, Role.SUPERVISOR)
    user, now = request.user, clock.now()
    params = {key: request.GET.get(key, "").strip() for key in ("category", "state", "street", "department")}
    state = params["state"] if params["state"] in OPEN_STATES else None
    cases = cases_filter(
        cases_visible_to(user).filter(state__in=OPEN_STATES),
        now=now,
        state=state,
        category=params["category"] or None,
        street=params["street"] or None,
        department=params["department"] or None,
    ).order_by(*urgency_order(now))
    found = list(cases[:MAP_LIMIT])
    context = {
        "now": now,
        "params": params,
        "cases": found[:100],
        "total": len(found),
        "limited": len(found) >= MAP_LIMIT,
        "case_points": case_points(found, now),
        "grid_geojson": grid_map_features(Grid.objects.select_related("community").order_by("code")),
        "map_config": map_config(),
        "categories": Category.objects.filter(parent__isnull=True)
        .prefetch_related("children")
        .order_by("code"),
        "states": [(s, STATE_LABELS[s]) for s in OPEN_STATES],
        "streets": Jurisdiction.objects.filter(level=Jurisdiction.Level.STREET).order_by("code"),
        "departments": Department.objects.filter(is_active=True).order_by("name"),
        "returned_state": CaseState.RETURNED,
    }
    return render(request, "dispatch/map.html", context)


@login_required
def supervision_list(request):
    """The cases under supervision, one section per level, highest first: the dispatch center and the
    supervisors see every one, department staff their own departments' (they must act on level 1)."""
    _require(request, Role.DISPATCHER, Role.SUPERVISOR, Role.DEPARTMENT_STAFF)
    user = request.user
    levels = list(SupervisionLevel.objects.order_by("rank"))
    counts = supervision_counts(user)
    states = supervision_states(cases_under_supervision(user)[:SUPERVISION_LIMIT], levels)
    by_rank = {level.rank: level for level in levels}
    # Every active level gets its section (empty ones say so); a deactivated one only while cases stand on it.
    ranks = sorted({level.rank for level in levels if level.is_active} | set(counts), reverse=True)
    sections = [
        {
            "rank": rank,
            "level": by_rank.get(rank),
            "name": level_name(by_rank[rank]) if rank in by_rank else str(rank),
            "count": counts.get(rank, 0),
            "rows": [s for s in states if s.rank == rank],
        }
        for rank in ranks
    ]
    context = {
        "now": clock.now(),
        "sections": sections,
        "total": sum(counts.values()),
        "limited": sum(counts.values()) > SUPERVISION_LIMIT,
        "limit": SUPERVISION_LIMIT,
    }
    return render(request, "dispatch/supervision.html", context)
