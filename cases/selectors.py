"""Reads of cases for pages, the API and tasks: scoped by policy and query-optimised."""

from django.db.models import Q, QuerySet
from django.http import Http404

from gridmgmt.policy import can_view_case, cases_visible_q, role_covers_case
from gridmgmt.roles import user_roles

from .models import OPEN_STATES, Case, CaseEvent, Category
from .workflow import TRANSITIONS


def cases_visible_to(user) -> QuerySet[Case]:
    return (
        Case.objects.filter(cases_visible_q(user))
        .select_related("category__parent", "grid", "department", "suggested_department", "reporter")
        .order_by("-reported_at")
    )


def cases_open_queue(user, *, states=OPEN_STATES) -> QuerySet[Case]:
    """Open cases in the viewer's scope, most urgent first: priority, then the nearest deadline."""
    return cases_visible_to(user).filter(state__in=states).order_by("priority", "deadline_at", "reported_at")


def case_get_for(user, pk: int) -> Case:
    """The case if the user may see it; 404 otherwise, so outsiders cannot probe which ids exist."""
    case = (
        Case.objects.select_related("category__parent", "grid__community__parent", "department", "reporter")
        .filter(pk=pk)
        .first()
    )
    if case is None or not can_view_case(user, case):
        raise Http404("No such case")
    return case


def case_events(case: Case) -> QuerySet[CaseEvent]:
    return case.events.select_related("actor").order_by("seq")


def case_actions_for(user, case: Case) -> list[str]:
    """Exactly the actions this viewer may take on this case now (table, role and scope)."""
    roles = user_roles(user)
    actions = []
    for (state, action), transition in TRANSITIONS.items():
        if state != case.state or not state:
            continue
        if any(role_covers_case(user, role, case) for role in roles & transition.roles):
            actions.append(action)
    return actions


def categories_minor() -> QuerySet[Category]:
    return Category.objects.filter(parent__isnull=False, is_active=True).select_related("parent")


def cases_filter(
    cases: QuerySet[Case],
    *,
    now,
    state: str | None = None,
    category: str | None = None,
    grid: str | None = None,
    community: str | None = None,
    street: str | None = None,
    department: str | None = None,
    reported_after=None,
    reported_before=None,
    overdue: bool | None = None,
) -> QuerySet[Case]:
    """Narrow an already scoped queryset by codes, a report window [after, before) and overdue-ness.

    A major category code covers its minor classes. Overdue means open, past the running deadline and not
    suspended (a suspended clock does not run)."""
    if state:
        cases = cases.filter(state=state)
    if category:
        cases = cases.filter(Q(category__code=category) | Q(category__parent__code=category))
    if grid:
        cases = cases.filter(grid__code=grid)
    if community:
        cases = cases.filter(grid__community__code=community)
    if street:
        cases = cases.filter(grid__community__parent__code=street)
    if department:
        cases = cases.filter(department__code=department)
    if reported_after is not None:
        cases = cases.filter(reported_at__gte=reported_after)
    if reported_before is not None:
        cases = cases.filter(reported_at__lt=reported_before)
    if overdue is not None:
        late = Q(state__in=OPEN_STATES, suspended_at__isnull=True, deadline_at__lt=now)
        cases = cases.filter(late) if overdue else cases.exclude(late)
    return cases
