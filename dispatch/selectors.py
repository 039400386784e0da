"""Reads for dispatch: the routing rule that applies to a case, duplicate candidates, due deadlines, and the
supervision ladder (its levels, the cases due to enter or climb it, the list of supervised cases)."""

import datetime as dt

from django.db.models import Count, F, Q, QuerySet

from cases.models import OPEN_STATES, Case, SupervisionLevel
from cases.selectors import cases_visible_to
from gridmgmt.caching import ProcessCache
from gridmgmt.policy import cases_visible_q
from grids.models import Grid
from grids.selectors import jurisdiction_ancestor_ids

from .models import RoutingRule


def _active_rules_load() -> list[RoutingRule]:
    return list(
        RoutingRule.objects.filter(is_active=True, department__is_active=True).select_related("department")
    )


# The active rules (a few dozen) are read by every routing: each process keeps them for
# settings.ROUTING_RULES_CACHE_SECONDS (dispatch.apps forgets them when a rule or department is saved here).
active_rules = ProcessCache(_active_rules_load, seconds_setting="ROUTING_RULES_CACHE_SECONDS")


def routing_rule_for(*, category, grid: Grid | None) -> RoutingRule | None:
    """The most specific active rule: category specificity first (minor > major > any), then area
    (grid > community > street > district > anywhere); the oldest rule breaks a tie."""
    category_rank = {category.pk: 2}
    if category.parent_id:
        category_rank[category.parent_id] = 1
    area_rank: dict[int, int] = {}
    if grid is not None:
        # nearest jurisdiction first: community 3, street 2, district 1
        for depth, jid in enumerate(jurisdiction_ancestor_ids(grid)):
            area_rank[jid] = 3 - depth
    best: tuple | None = None
    best_rule = None
    for rule in active_rules.get():
        if rule.category_id is not None and rule.category_id not in category_rank:
            continue
        if rule.grid_id is not None:
            if grid is None or rule.grid_id != grid.pk:
                continue
            a_rank = 4
        elif rule.jurisdiction_id is not None:
            if rule.jurisdiction_id not in area_rank:
                continue
            a_rank = area_rank[rule.jurisdiction_id]
        else:
            a_rank = 0
        c_rank = category_rank.get(rule.category_id, 0) if rule.category_id else 0
        key = (c_rank, a_rank, -rule.pk)
        if best is None or key > best:
            best, best_rule = key, rule
    return best_rule


def cases_due(*, field: str, flag: str, now: dt.datetime, limit: int = 500) -> list[int]:
    """Ids of open, running (not suspended) cases whose `field` point has passed and `flag` is unset."""
    return list(
        Case.objects.filter(
            state__in=OPEN_STATES,
            suspended_at__isnull=True,
            **{f"{field}__lte": now, f"{flag}__isnull": True},
        )
        .order_by(field)
        .values_list("id", flat=True)[:limit]
    )


def cases_unrouted(*, older_than: dt.datetime, limit: int = 500) -> list[int]:
    return list(
        Case.objects.filter(routed_at__isnull=True, reported_at__lte=older_than)
        .order_by("reported_at")
        .values_list("id", flat=True)[:limit]
    )


# --- supervision (督办) -------------------------------------------------------------------------------------


def supervision_levels() -> list[SupervisionLevel]:
    """The active rungs of the supervision ladder, lowest rank first (a handful of rows)."""
    return list(SupervisionLevel.objects.filter(is_active=True).order_by("rank"))


def _supervisable() -> Q:
    """Open, running (not suspended) cases whose current stage is overdue: the only ones that may enter or
    climb the ladder."""
    return Q(state__in=OPEN_STATES, suspended_at__isnull=True, overdue_at__isnull=False)


def supervision_entering_q(now: dt.datetime) -> Q:
    """Overdue cases not under supervision yet (the overdue mark has fired, no level reached)."""
    # deadline_at <= now adds nothing to the meaning (an overdue mark implies it) but lets the planner read
    # only the overdue part of case_state_deadline_idx instead of every open case.
    return _supervisable() & Q(supervision_level=0, deadline_at__lte=now)


def supervision_due_q(now: dt.datetime) -> Q:
    """Supervised cases whose time at their level has run out (case_supervision_due_idx)."""
    return _supervisable() & Q(supervision_level__gt=0, supervision_next_at__lte=now)


def cases_supervision_entering(
    *, now: dt.datetime, limit: int = 500, case_ids: list[int] | None = None
) -> list[int]:
    q = supervision_entering_q(now) & (Q(pk__in=case_ids) if case_ids is not None else Q())
    return list(Case.objects.filter(q).order_by("deadline_at", "pk").values_list("id", flat=True)[:limit])


def cases_supervision_due(
    *, now: dt.datetime, limit: int = 500, case_ids: list[int] | None = None
) -> list[int]:
    q = supervision_due_q(now) & (Q(pk__in=case_ids) if case_ids is not None else Q())
    return list(
        Case.objects.filter(q).order_by("supervision_next_at", "pk").values_list("id", flat=True)[:limit]
    )


def cases_under_supervision(user) -> QuerySet[Case]:
    """Open cases under supervision that `user` may see (department staff: their departments' own), highest
    level first, then the ones whose next level comes soonest."""
    return (
        cases_visible_to(user)
        .filter(state__in=OPEN_STATES, supervision_level__gt=0)
        .order_by("-supervision_level", F("supervision_next_at").asc(nulls_last=True), "overdue_at", "pk")
    )


def supervision_counts(user) -> dict[int, int]:
    """{level rank: open supervised cases `user` may see}."""
    rows = (
        Case.objects.filter(cases_visible_q(user), state__in=OPEN_STATES, supervision_level__gt=0)
        .values_list("supervision_level")
        .annotate(n=Count("id"))
        .order_by()
    )
    return dict(rows)
