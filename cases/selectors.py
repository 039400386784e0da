"""Reads of cases for pages, the API and tasks: scoped by policy and query-optimised."""

import datetime as dt

from django.conf import settings
from django.db.models import Case as SqlCase
from django.db.models import (
    Exists,
    F,
    IntegerField,
    OrderBy,
    OuterRef,
    Prefetch,
    Q,
    QuerySet,
    Subquery,
    TextField,
    Value,
    When,
)
from django.http import Http404

from gridmgmt import clock
from gridmgmt.caching import ProcessCache
from gridmgmt.policy import can_view_case, cases_visible_q, role_covers_case, verification_delegated_to
from gridmgmt.roles import Role, user_roles
from grids.geometry import degree_box, distance_m

from .models import OPEN_STATES, Case, CaseCaller, CaseEvent, CasePhoto, CaseState, Category, ExtensionRequest
from .workflow import TRANSITIONS, Action


def cases_visible_to(user) -> QuerySet[Case]:
    return (
        Case.objects.filter(cases_visible_q(user))
        .select_related("category__parent", "grid", "department", "suggested_department", "reporter")
        # A grid's boundary is a polygon of JSON that no list shows; parsing it per row cost more than
        # the query itself (200 rows: ~80 ms of 90).
        .defer("grid__boundary")
        .order_by("-reported_at")
    )


# Urgency ranks, in the order the lists show them (and cases.ui.deadline_clock's statuses).
URGENCY_OVERDUE, URGENCY_DUE_SOON, URGENCY_ON_TIME, URGENCY_SUSPENDED, URGENCY_NO_DEADLINE = 1, 2, 3, 4, 5


def urgency_rank(now) -> SqlCase:
    """The SQL rank of a case's clock at `now`: overdue, due soon, on time, suspended (its clock stands
    still), no deadline (or closed). The same conditions as cases.ui.deadline_clock, so a list sorted by it
    shows its badges in order."""
    return SqlCase(
        When(~Q(state__in=OPEN_STATES) | Q(deadline_at__isnull=True), then=Value(URGENCY_NO_DEADLINE)),
        When(suspended_at__isnull=False, then=Value(URGENCY_SUSPENDED)),
        When(deadline_at__lt=now, then=Value(URGENCY_OVERDUE)),
        When(deadline_warn_at__lte=now, then=Value(URGENCY_DUE_SOON)),
        default=Value(URGENCY_ON_TIME),
        output_field=IntegerField(),
    )


def urgency_order(now) -> list:
    """ORDER BY terms, most urgent first: overdue (longest overdue first), due soon, on time (least time
    left first), suspended (least time left when resumed first), then cases without a running deadline;
    priority, then the report time, break ties. A suspended case keeps the deadline it had when it stopped,
    which must not rank it as overdue."""
    running_deadline = SqlCase(When(suspended_at__isnull=True, then=F("deadline_at")), default=None)
    return [
        urgency_rank(now).asc(),
        OrderBy(running_deadline, nulls_last=True),
        OrderBy(F("suspended_remaining_s"), nulls_last=True),
        F("priority").asc(),
        F("reported_at").asc(),
        F("pk").asc(),
    ]


def with_suspension_reason(cases: QuerySet[Case]) -> QuerySet[Case]:
    """Annotate `suspension_reason`: the reason given when a suspended case was parked (None otherwise), read
    in the same query (the clock badge shows it)."""
    last_suspend = CaseEvent.objects.filter(case=OuterRef("pk"), action=Action.SUSPEND).order_by("-seq")
    reason = SqlCase(
        When(suspended_at__isnull=False, then=Subquery(last_suspend.values("note")[:1])),
        default=None,
        output_field=TextField(),
    )
    return cases.annotate(suspension_reason=reason)


def cases_open_queue(user, *, states=OPEN_STATES, now=None) -> QuerySet[Case]:
    """Open cases in the viewer's scope, most urgent first (urgency_order)."""
    cases = cases_visible_to(user).filter(state__in=states)
    return with_suspension_reason(cases).order_by(*urgency_order(now or clock.now()))


def case_get_for(user, pk: int) -> Case:
    """The case if the user may see it; 404 otherwise, so outsiders cannot probe which ids exist."""
    case = (
        with_suspension_reason(Case.objects.filter(pk=pk))
        .select_related(
            "category__parent",
            "grid__community__parent",
            "department",
            "reporter",
            "facility__facility_class",
        )
        .first()
    )
    if case is None or not can_view_case(user, case):
        raise Http404("No such case")
    return case


def case_events(case: Case) -> QuerySet[CaseEvent]:
    return case.events.select_related("actor").order_by("seq")


# What a grid administrator may do on a case of another grid whose verification was delegated to them.
_DELEGABLE = (Action.VERIFY_PASS, Action.VERIFY_FAIL)


def case_actions_for(user, case: Case) -> list[str]:
    """Exactly the actions this viewer may take on this case now (table, role and scope), leaving out the
    ones its services would refuse anyway: resume when not suspended, suspend when suspended, deciding an
    extension when none is pending, asking for one when one is."""
    roles = user_roles(user)
    actions = []
    for (state, action), transition in TRANSITIONS.items():
        if state != case.state or not state:
            continue
        if any(role_covers_case(user, role, case) for role in roles & transition.roles):
            actions.append(action)
        elif (
            action in _DELEGABLE
            and Role.GRID_ADMIN in transition.roles
            and verification_delegated_to(user, case)
        ):
            actions.append(action)
    suspended = case.suspended_at is not None
    skip = {Action.RESUME} if not suspended else {Action.SUSPEND}
    if {Action.REQUEST_EXTENSION, Action.APPROVE_EXTENSION, Action.DENY_EXTENSION} & set(actions):
        pending = case.extension_requests.filter(state=ExtensionRequest.State.PENDING).exists()
        skip |= {Action.REQUEST_EXTENSION} if pending else {Action.APPROVE_EXTENSION, Action.DENY_EXTENSION}
    if Action.CALLBACK in actions and not CaseCaller.objects.filter(case=case).exists():
        skip.add(Action.CALLBACK)  # only a hotline case has someone to call back
    return [action for action in actions if action not in skip]


def categories_minor() -> QuerySet[Category]:
    return Category.objects.filter(parent__isnull=False, is_active=True).select_related("parent")


# Every report names a category: each process keeps the active minor ones by code for
# settings.CATEGORIES_CACHE_SECONDS (cases.apps forgets them when a category is saved here).
active_minor_categories = ProcessCache(
    lambda: {category.code: category for category in categories_minor()},
    seconds_setting="CATEGORIES_CACHE_SECONDS",
)


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


# --- console pages (queues of each role, the report form's duplicate check) --------------------------------


def duplicate_candidates(case: Case) -> QuerySet[Case]:
    """Open cases of the same category within the configured radius and time window, oldest first."""
    radius = settings.DUPLICATE_RADIUS_M
    window = dt.timedelta(hours=settings.DUPLICATE_WINDOW_HOURS)
    min_lat, min_lng, max_lat, max_lng = degree_box(case.lat, case.lng, radius)
    nearby = (
        Case.objects.filter(
            category_id=case.category_id,
            state__in=OPEN_STATES,
            reported_at__gte=case.reported_at - window,
            reported_at__lte=case.reported_at + window,
            lat__range=(min_lat, max_lat),
            lng__range=(min_lng, max_lng),
        )
        .exclude(pk=case.pk)
        .only("id", "number", "lat", "lng")
    )
    # The box is a cheap indexed prefilter; the exact great-circle distance decides.
    ids = [c.pk for c in nearby if distance_m(case.lat, case.lng, c.lat, c.lng) <= radius]
    return Case.objects.filter(pk__in=ids).order_by("reported_at")


def duplicate_candidates_near(
    *, lat: float, lng: float, category_id: int, now, viewer=None
) -> list[tuple[Case, float]]:
    """Open cases of a category near a point that is not reported yet, nearest first, with their distance in
    metres: duplicate_candidates for a report still on the form (same radius, and the
    window reaches back from now).

    With a `viewer` (the reporter on the form), only the cases they may open or the public may read: one
    filter in the query, so a case that is neither never leaves the database. Without one: every case (the
    dispatch center's own reads)."""
    radius = settings.DUPLICATE_RADIUS_M
    min_lat, min_lng, max_lat, max_lng = degree_box(lat, lng, radius)
    nearby = Case.objects.filter(
        category_id=category_id,
        state__in=OPEN_STATES,
        reported_at__gte=now - dt.timedelta(hours=settings.DUPLICATE_WINDOW_HOURS),
        lat__range=(min_lat, max_lat),
        lng__range=(min_lng, max_lng),
    ).select_related("category__parent", "grid")
    if viewer is not None:
        nearby = nearby.filter(cases_visible_q(viewer) | Q(is_public=True))
    # The box is a cheap indexed prefilter; the exact great-circle distance decides.
    scored = [(case, distance_m(lat, lng, case.lat, case.lng)) for case in nearby]
    return sorted(((c, d) for c, d in scored if d <= radius), key=lambda pair: pair[1])


def cases_reported_by(user) -> QuerySet[Case]:
    """A reporter's own cases ("my reports"), newest first."""
    return (
        Case.objects.filter(reporter_id=user.pk)
        .select_related("category__parent", "grid", "department")
        .order_by("-reported_at")
    )


def cases_to_verify(user, *, now=None) -> QuerySet[Case]:
    """Resolved cases this viewer may verify, most urgent first: a grid administrator's grids; everything for
    a dispatcher. Each carries the fix report (`resolve_note`) and the evidence photos (`evidence`)."""
    roles = user_roles(user)
    cases = Case.objects.filter(state=CaseState.RESOLVED)
    if Role.DISPATCHER not in roles:
        grid_ids = user.grid_assignments.values_list("grid_id", flat=True) if Role.GRID_ADMIN in roles else []
        delegated = user.verifications_delegated.filter(is_active=True).values_list("case_id", flat=True)
        cases = cases.filter(Q(grid_id__in=grid_ids) | Q(pk__in=delegated))
    resolve_note = (
        CaseEvent.objects.filter(case=OuterRef("pk"), action=Action.RESOLVE)
        .order_by("-seq")
        .values("note")[:1]
    )
    return (
        with_suspension_reason(cases.select_related("category__parent", "grid", "department"))
        .annotate(resolve_note=Subquery(resolve_note))
        .prefetch_related(
            Prefetch(
                "photos", queryset=CasePhoto.objects.filter(kind=CasePhoto.Kind.EVIDENCE), to_attr="evidence"
            )
        )
        .order_by(*urgency_order(now or clock.now()))
    )


def cases_department_queue(user, *, now=None) -> QuerySet[Case]:
    """The cases a department's staff hold now (dispatched or in progress), most urgent first."""
    # The ids as values, not a subquery: for the usual member of one department the filter is then an
    # equality served by case_department_queue_idx. Urgency depends on `now`, so no index holds its order:
    # the department's open cases are sorted (a top-N sort of one department's backlog).
    departments = list(user.departments.filter(is_active=True).values_list("id", flat=True))
    in_department = (
        {"department_id": departments[0]} if len(departments) == 1 else {"department_id__in": departments}
    )
    cases = cases_visible_to(user).filter(
        state__in=(CaseState.DISPATCHED, CaseState.IN_PROGRESS), **in_department
    )
    return (
        with_suspension_reason(cases)
        .annotate(
            pending_extension=Exists(
                ExtensionRequest.objects.filter(case=OuterRef("pk"), state=ExtensionRequest.State.PENDING)
            )
        )
        .order_by(*urgency_order(now or clock.now()))
    )


def cases_triage_queue(user, *, now=None) -> QuerySet[Case]:
    """New reports and filed cases waiting for the dispatch center, most urgent first, with the likely
    duplicates routing found."""
    return cases_open_queue(user, states=(CaseState.REPORTED, CaseState.FILED), now=now).prefetch_related(
        Prefetch("duplicate_candidates", queryset=Case.objects.only("id", "number"))
    )


def cases_returned_queue(user, *, now=None) -> QuerySet[Case]:
    """Cases departments handed back, most urgent first, with the reason and the department that returned
    them."""
    last_return = CaseEvent.objects.filter(case=OuterRef("pk"), action=Action.RETURN).order_by("-seq")
    return cases_open_queue(user, states=(CaseState.RETURNED,), now=now).annotate(
        return_reason=Subquery(last_return.values("note")[:1]),
        returned_by=Subquery(last_return.values("data__department")[:1]),
    )


def extension_requests_pending(user) -> QuerySet[ExtensionRequest]:
    """Extension requests waiting for the dispatch center's decision, oldest first."""
    return (
        ExtensionRequest.objects.filter(state=ExtensionRequest.State.PENDING, case__in=cases_visible_to(user))
        .select_related("case__category__parent", "case__grid", "case__department", "requested_by")
        .order_by("created_at")
    )


def cases_overdue(user, *, now) -> QuerySet[Case]:
    """Open cases past their running deadline (a suspended clock does not run), longest overdue first."""
    return cases_filter(cases_visible_to(user), now=now, overdue=True).order_by("deadline_at")


def cases_open_rows(now) -> QuerySet[Case]:
    """Every open case: the workload page's per-grid open count (registered with grids in CasesConfig)."""
    return Case.objects.filter(state__in=OPEN_STATES)


def cases_overdue_rows(now) -> QuerySet[Case]:
    """Open cases past their running deadline: marked overdue, or due before `now` and not suspended."""
    return Case.objects.filter(
        Q(state__in=OPEN_STATES)
        & (Q(overdue_at__isnull=False) | Q(deadline_at__lt=now, suspended_at__isnull=True))
    )


def cases_escalated(user) -> QuerySet[Case]:
    """Open cases whose current stage ran past its escalation point."""
    cases = cases_visible_to(user).filter(state__in=OPEN_STATES, escalated_at__isnull=False)
    return with_suspension_reason(cases).order_by("escalated_at", "pk")


SEARCH_ORDERS = ("newest", "urgent")


def cases_search(user, *, text: str = "", order: str = "newest", **filters) -> QuerySet[Case]:
    """The viewer's cases matching a case number (exact or prefix) or text in the description or address,
    narrowed by cases_filter's codes; newest first, or most urgent first (order="urgent")."""
    cases = with_suspension_reason(cases_visible_to(user))
    text = text.strip()
    if text:
        cases = cases.filter(
            Q(number__startswith=text) | Q(description__icontains=text) | Q(address__icontains=text)
        )
    cases = cases_filter(cases, **filters)
    if order == "urgent":
        cases = cases.order_by(*urgency_order(filters.get("now") or clock.now()))
    return cases
