"""Browser pages for cases: each role's home, the report form, queues, search, case detail and actions.

Views stay thin: reads come from cases.selectors, every write goes through cases.services, and a refused
action (DomainError) is shown next to the field it concerns with the status the error carries, never a 500.
"""

from collections.abc import Callable

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import get_language, gettext_noop, ngettext
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy as _lazy
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from departments.models import Department
from gridmgmt import clock
from gridmgmt.errors import DomainError, InvalidInput, NotAllowed
from gridmgmt.people import display_name, sees_staff_names
from gridmgmt.policy import base_data_grid_scope, can_view_case, role_covers_grid
from gridmgmt.roles import Role, user_roles
from gridmgmt.sorting import natural_sorted
from grids.geometry import degree_box, distance_m
from grids.maps import grid_map_features, map_config
from grids.models import Grid
from grids.selectors import grid_locate, grids_for_user
from places.models import Facility
from places.selectors import address_locate, facilities_visible_to, located_for

from . import photos as case_photos
from . import services
from .evidence import rule_for
from .forms import (
    STATE_OPEN,
    BulkAcceptForm,
    CaseActionForm,
    CaseSearchForm,
    ReportCheckForm,
    ReportForm,
    delegate_candidates,
    form_error_summary,
)
from .maps import case_points
from .models import (
    OPEN_STATES,
    Case,
    CaseEvent,
    CasePhoto,
    CaseState,
    EvidenceRule,
    ExtensionRequest,
)
from .selectors import (
    active_minor_categories,
    case_actions_for,
    case_events,
    case_get_for,
    cases_department_queue,
    cases_escalated,
    cases_open_queue,
    cases_overdue,
    cases_reported_by,
    cases_search,
    cases_to_verify,
    cases_visible_to,
    categories_minor,
    duplicate_candidates,
    duplicate_candidates_near,
)
from .ui import EVENT_LABELS, category_label, primary_role
from .workflow import REPORTERS, Action

FILE_AND_DISPATCH = "file_dispatch"  # the dispatch center's one-step "file and dispatch" of a new report


def _require(request, *roles: str) -> None:
    if request.user.is_superuser or user_roles(request.user) & set(roles):
        return
    raise PermissionDenied(_("This page is not part of your role."))


def _safe_next(request, default: str) -> str:
    candidate = request.POST.get("next") or request.GET.get("next") or ""
    # A path of this site only: anything else would be taken by redirect() for a view name to look up.
    if candidate.startswith("/") and url_has_allowed_host_and_scheme(
        candidate, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return candidate
    return default


# --- login lands here: one home per role ---------------------------------------------------------------


# Consoles of apps above cases that are a role's home (the dispatch center's queue), registered from their
# AppConfig.ready: cases never imports them.
_role_homes: dict[str, Callable[[HttpRequest], HttpResponse]] = {}


def role_home_register(role: str, view: Callable[[HttpRequest], HttpResponse]) -> None:
    """Serve `view` as the home page (/home/) of users whose primary role is `role`."""
    _role_homes[role] = view


@login_required
def home(request):
    role = primary_role(request.user)
    if role in _role_homes:
        return _role_homes[role](request)
    if role == Role.SUPERVISOR:
        return supervisor_overview(request)
    if role == Role.DEPARTMENT_STAFF:
        return department_queue(request)
    if role == Role.GRID_ADMIN:
        return _grid_admin_home(request)
    if role == Role.RESIDENT:
        return my_reports(request)
    return render(request, "cases/home_norole.html")


def _grid_admin_home(request):
    user, now = request.user, clock.now()
    grids = list(grids_for_user(user).order_by("code"))
    # The map shows the 300 most urgent open cases of the administrator's grids.
    open_cases = list(cases_open_queue(user, now=now).filter(grid__in=grids)[:300])
    to_verify = list(cases_to_verify(user, now=now)[:5])
    mine = list(cases_reported_by(user)[:8])
    context = {
        "now": now,
        "grids": grids,
        "grid_geojson": grid_map_features(grids),
        "case_points": case_points(open_cases, now),
        "map_config": map_config(),
        "to_verify": to_verify,
        "to_verify_count": cases_to_verify(user).count(),
        "mine": mine,
        "mine_open_count": cases_reported_by(user).filter(state__in=OPEN_STATES).count(),
    }
    return render(request, "cases/home_gridadmin.html", context)


# --- reporting (grid administrators, residents; the dispatch center for hotline calls) ---------------------


def _report_source(user) -> str:
    roles = user_roles(user)
    if Role.GRID_ADMIN in roles:
        return Case.Source.PATROL
    if Role.RESIDENT in roles:
        return Case.Source.RESIDENT
    return Case.Source.HOTLINE


def _report_grids(user):
    """The polygons the report map shows: an administrator's own grids, everyone else the whole layer."""
    if Role.GRID_ADMIN in user_roles(user) and not user.is_superuser:
        return grids_for_user(user).order_by("code")
    return Grid.objects.select_related("community").order_by("code")


# services.case_report names the field it refuses; the form shows the message next to that input.
_REPORT_FIELDS = {
    "location": "lat",
    "category": "category",
    "description": "description",
    "photos": "photos",
    "facility": "facility",
}


def _may_pick_facilities(user) -> bool:
    """Whether the report map offers facilities to tap: for readers of the base data (not residents)."""
    return base_data_grid_scope(user) != set()


def _facility_category_id(facility: Facility) -> int | None:
    """The id of the active category a report on this facility takes by default (the form's choice)."""
    code = facility.facility_class.case_category_code
    category = active_minor_categories.get().get(code) if code else None
    return category.pk if category else None


def _report_initial(request) -> dict:
    """What a link brings: ?lat=&lng= (a tap on the home map), ?facility=<code> (a facility's page), whose
    point and category the form starts with when the reader may see it."""
    initial = {k: request.GET[k] for k in ("lat", "lng") if request.GET.get(k)}
    code = request.GET.get("facility", "").strip()[:40]
    if not code:
        return initial
    initial["facility"] = code
    try:
        facility = services.facility_by_code(code)
    except DomainError:
        return initial  # the code stays in its field; sending the form says what is wrong with it
    if facilities_visible_to(request.user).filter(pk=facility.pk).exists():
        initial.update(lat=f"{facility.lat:.6f}", lng=f"{facility.lng:.6f}")
        if facility.address:
            initial["address"] = facility.address
        if (category_id := _facility_category_id(facility)) is not None:
            initial["category"] = category_id
    return initial


@login_required
@require_http_methods(["GET", "POST"])
def case_report(request):
    _require(request, *(set(REPORTERS) - {Role.SYSTEM}))
    categories = list(categories_minor().order_by("code"))
    status = 200
    if request.method == "POST":
        form = ReportForm(request.POST, request.FILES, categories=categories)
        if form.is_valid():
            data = form.cleaned_data
            try:
                facility = services.facility_by_code(data["facility"]) if data["facility"] else None
                case = services.case_report(
                    actor=request.user,
                    source=_report_source(request.user),
                    lat=data["lat"],
                    lng=data["lng"],
                    category=data["category"],
                    description=data["description"],
                    address=data["address"],
                    photos=data["photos"],
                    facility=facility,
                )
            except DomainError as exc:
                # Refusing a reporter's scope is about the place: "not in your grids".
                field = exc.field or ("location" if isinstance(exc, NotAllowed) else "")
                form.add_error(_REPORT_FIELDS.get(field), exc.localized())
                status = exc.status
            else:
                return redirect("case-receipt", pk=case.pk)
        else:
            status = 400
    else:
        form = ReportForm(initial=_report_initial(request), categories=categories)
    grids = list(_report_grids(request.user))
    location = ("#where-help", _("Location"))
    context = {
        "form": form,
        "errors": form_error_summary(form, anchors={"lat": location, "lng": location})
        if form.is_bound
        else [],
        # A browser never sends chosen files back: say so when a refused report had photos.
        "files_dropped": bool(request.FILES),
        "grid_geojson": grid_map_features(grids),
        "map_config": map_config(),
        "pick_facilities": _may_pick_facilities(request.user),
    }
    return render(request, "cases/report.html", context, status=status)


NEARBY_FACILITIES_M = 200
NEARBY_FACILITIES_MAX = 100


def _json_refusal(message: str, *, field: str, status: int = 400) -> JsonResponse:
    return JsonResponse({"error": {"message": message, "field": field}}, status=status)


@login_required
@require_GET
def case_report_facilities(request):
    """The report map's facilities around a point (GeoJSON, within 200 m, nearest first), in the reader's
    scope: tapping one names it in the form, with its point and its class's category."""
    _require(request, *(set(REPORTERS) - {Role.SYSTEM}))
    check = ReportCheckForm(request.GET)
    lat, lng = check.known("lat"), check.known("lng")
    if lat is None or lng is None:
        return _json_refusal(_("Give the point as lat and lng in degrees."), field="location")
    min_lat, min_lng, max_lat, max_lng = degree_box(lat, lng, NEARBY_FACILITIES_M)
    rows = facilities_visible_to(request.user).filter(
        lat__range=(min_lat, max_lat), lng__range=(min_lng, max_lng)
    )
    # The box is the indexed prefilter; the exact distance decides and orders.
    near = sorted(
        (
            (metres, facility)
            for facility in rows[: NEARBY_FACILITIES_MAX * 4]
            if (metres := distance_m(lat, lng, facility.lat, facility.lng)) <= NEARBY_FACILITIES_M
        ),
        key=lambda pair: (pair[0], pair[1].code),
    )[:NEARBY_FACILITIES_MAX]
    language = get_language()
    features = [
        {
            "type": "Feature",
            "geometry": {"type": "Point", "coordinates": [facility.lng, facility.lat]},
            "properties": {
                "code": facility.code,
                "title": f"{category_label(facility.facility_class, language)} {facility.code}",
                "name": facility.name,
                "address": facility.address,
                "state": facility.get_state_display(),
                "category": _facility_category_id(facility),
                "metres": round(metres),
            },
        }
        for metres, facility in near
    ]
    return JsonResponse({"type": "FeatureCollection", "features": features})


@login_required
@require_GET
def case_report_locate(request):
    """The report form's address search: the point of the building or house the typed address names
    (variants normalised by places.addresses), or a 400 saying that nothing matches."""
    _require(request, *(set(REPORTERS) - {Role.SYSTEM}))
    text = request.GET.get("address", "").strip()
    if not text:
        return _json_refusal(_("Type an address to find, e.g. 八一大道123号1栋."), field="address")
    if len(text) > 200:
        return _json_refusal(_("An address has at most 200 characters."), field="address")
    try:
        located = address_locate(text)
    except DomainError as exc:
        return _json_refusal(exc.localized(), field="address", status=exc.status)
    grid = Grid.objects.select_related("community").filter(pk=located.grid_id).first()
    address = located_for(request.user, located).address  # a house on record is told to its grid's readers
    return JsonResponse(
        {
            "lat": located.lat,
            "lng": located.lng,
            "address": address,
            "grid": grid.label if grid else "",
        }
    )


@login_required
@require_GET
def case_report_check(request):
    """htmx: where the chosen point lies (which grid; may this user report there) and likely duplicates."""
    _require(request, *(set(REPORTERS) - {Role.SYSTEM}))  # the report page's helper: its roles only
    user, now = request.user, clock.now()
    check = ReportCheckForm(request.GET)
    lat, lng = check.known("lat"), check.known("lng")
    context: dict = {"now": now, "located": lat is not None and lng is not None}
    if context["located"]:
        grid = grid_locate(lat=lat, lng=lng)
        context["grid"] = grid
        if grid is not None:
            reporter_roles = user_roles(user) & set(REPORTERS)
            context["may_report"] = user.is_superuser or any(
                role_covers_grid(user, role, grid.pk) for role in reporter_roles
            )
        if (category_id := check.known("category")) is not None:
            # Only cases this user may open or the public may read come back (one filter, no query per case);
            # of a public case they cannot open, they read what the public reads, never the description.
            near = duplicate_candidates_near(lat=lat, lng=lng, category_id=category_id, now=now, viewer=user)
            context["duplicates"] = []
            for case, metres in near[:10]:
                visible = can_view_case(user, case)  # grids and departments read once, then cached
                text = case.description if visible else (case.public_description or case.description)
                context["duplicates"].append(
                    {"case": case, "metres": round(metres), "visible": visible, "text": text}
                )
    return render(request, "cases/_report_check.html", context)


@login_required
def case_receipt(request, pk: int):
    case = case_get_for(request.user, pk)
    return render(request, "cases/receipt.html", {"case": case, "now": clock.now()})


@login_required
def my_reports(request):
    show = request.GET.get("show", "open")
    cases = cases_reported_by(request.user)
    if show != "all":
        cases = cases.filter(state__in=OPEN_STATES)
    page = Paginator(cases, 50).get_page(request.GET.get("page"))
    context = {"page": page, "show": show, "now": clock.now()}
    return render(request, "cases/my_reports.html", context)


# --- verification (grid administrators; the dispatch center may verify too) --------------------------------


@login_required
def verification_queue(request):
    _require(request, Role.GRID_ADMIN, Role.DISPATCHER)
    user, now = request.user, clock.now()
    page = Paginator(cases_to_verify(user, now=now), 30).get_page(request.GET.get("page"))
    roles = user_roles(user)
    # What each card offers: a grid administrator verifies on site (pass or fail, with the category's rule);
    # the dispatch center closes at the desk, sends back from the desk, or hands the check to another
    # administrator.
    rules: dict[int, object] = {}
    for case in page:
        if case.category_id not in rules:
            rules[case.category_id] = rule_for(case.category, EvidenceRule.Step.VERIFY)
        case.verify_rule = rules[case.category_id]
    context = {
        "page": page,
        "now": now,
        "on_site": Role.GRID_ADMIN in roles,
        "at_desk": Role.DISPATCHER in roles,
        "delegates": _delegates() if page.object_list else [],
        "on_site_radius": settings.ON_SITE_RADIUS_M,
    }
    return render(request, "cases/verify.html", context)


def _delegates() -> list[dict]:
    """The delegation form's choice: each active grid administrator with the grids they hold, by name."""
    people = delegate_candidates().prefetch_related("grid_assignments__grid")
    rows = [
        {
            "pk": person.pk,
            "name": display_name(person),
            "grids": natural_sorted([a.grid.name for a in person.grid_assignments.all()]),
        }
        for person in people
    ]
    return natural_sorted(rows, key=lambda row: row["name"])


# --- department staff --------------------------------------------------------------------------------------


@login_required
def department_queue(request):
    _require(request, Role.DEPARTMENT_STAFF)
    now = clock.now()
    cases = list(cases_department_queue(request.user, now=now)[:200])
    departments = list(request.user.departments.filter(is_active=True).order_by("name"))
    # The bulk controls appear only when some case can be accepted (a dispatched one: new to the department).
    acceptable_count = sum(1 for case in cases if case.state == CaseState.DISPATCHED)
    context = {"cases": cases, "departments": departments, "now": now, "acceptable_count": acceptable_count}
    return render(request, "cases/home_staff.html", context)


@login_required
@require_POST
def case_bulk_accept(request):
    """Accept several dispatched cases at once (each through case_accept; one refusal stops no other)."""
    _require(request, Role.DEPARTMENT_STAFF)
    form = BulkAcceptForm(request.POST)
    refs = form.refs() if form.is_valid() else []
    for errors in form.errors.values():
        messages.error(request, errors[0])
    if form.is_valid() and not refs:
        messages.error(request, _("Select at least one case to accept."))
    accepted = []
    for pk, version in refs:
        case = Case.objects.select_related("department").filter(pk=pk).first()
        if case is None or not can_view_case(request.user, case):
            messages.error(request, _("Case #%(pk)s is not in your queue.") % {"pk": pk})
            continue
        try:
            services.case_accept(case=case, actor=request.user, expected_version=version)
        except DomainError as exc:
            messages.error(request, f"{case.number}: {exc.localized()}")
        else:
            accepted.append(case.number)
    if accepted:
        messages.success(
            request,
            ngettext(
                "Accepted %(count)d case: %(numbers)s.",
                "Accepted %(count)d cases: %(numbers)s.",
                len(accepted),
            )
            % {"count": len(accepted), "numbers": ", ".join(accepted)},
        )
    return redirect(_safe_next(request, reverse("department-queue")))


# --- supervisor ------------------------------------------------------------------------------------------


@login_required
def supervisor_overview(request):
    _require(request, Role.SUPERVISOR, Role.DISPATCHER)
    user, now = request.user, clock.now()
    open_cases = cases_visible_to(user).filter(state__in=OPEN_STATES)
    context = {
        "now": now,
        "overdue": list(cases_overdue(user, now=now)[:50]),
        "overdue_count": cases_overdue(user, now=now).count(),
        "escalated": list(cases_escalated(user)[:50]),
        "escalated_count": cases_escalated(user).count(),
        "open_count": open_cases.count(),
        "verify_count": open_cases.filter(state=CaseState.RESOLVED).count(),
        "suspended_count": open_cases.filter(suspended_at__isnull=False).count(),
        "pending_extensions": ExtensionRequest.objects.filter(state=ExtensionRequest.State.PENDING).count(),
    }
    return render(request, "cases/home_supervisor.html", context)


@login_required
def case_search(request):
    form = CaseSearchForm(request.GET)
    page = None
    if form.is_valid():
        data = form.cleaned_data
        every_open = data["state"] == STATE_OPEN
        cases = cases_search(
            request.user,
            text=data["q"],
            now=clock.now(),
            state=None if every_open else data["state"] or None,
            street=data["street"] or None,
            grid=data["grid"] or None,
            category=data["category"] or None,
            overdue=True if data["overdue"] else None,
            order=data["order"] or "newest",
        )
        if every_open:
            cases = cases.filter(state__in=OPEN_STATES)
        page = Paginator(cases, 50).get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    context = {"form": form, "page": page, "now": clock.now(), "query": query.urlencode()}
    if form.is_valid() and form.cleaned_data["grid"]:
        # Said above the results, with a way out: a hidden filter nobody can see would narrow silently.
        query.pop("grid", None)
        context["grid_filter"] = (
            Grid.objects.select_related("community").filter(code=form.cleaned_data["grid"]).first()
            or form.cleaned_data["grid"]
        )
        context["query_without_grid"] = query.urlencode()
    return render(request, "cases/search.html", context)


# --- case detail and actions --------------------------------------------------------------------------------


# Shown folded away (a <details>) on the detail page: the side paths, not the next step of the main flow.
_SECONDARY_ACTIONS = {
    Action.REJECT,
    Action.RETURN,
    Action.REQUEST_EXTENSION,
    Action.DENY_EXTENSION,
    Action.SUSPEND,
    Action.VERIFY_FAIL,
    Action.VERIFY_DESK,
    Action.DELEGATE_VERIFICATION,
    Action.PUBLICITY,
    Action.REOPEN,
}
# Actions with pages of their own, not offered on the case page.
_ELSEWHERE = {Action.CALLBACK, Action.REVIEW_KEEP, Action.SUPPORT, Action.RATE}
# The step of the evidence rule each action on the page is held to.
_EVIDENCE_STEPS = {
    Action.RESOLVE: EvidenceRule.Step.RESOLVE,
    Action.VERIFY_PASS: EvidenceRule.Step.VERIFY,
    Action.VERIFY_FAIL: EvidenceRule.Step.VERIFY,
}
EXTENSION_CHOICES = (120, 240, 480, 24 * 60, 2 * 24 * 60, 3 * 24 * 60, 7 * 24 * 60)


def _detail_context(request, case: Case, *, error: dict | None = None) -> dict:
    # The call back is the caller's card's (cases/_caller.html → the hotline's caller page), not a form here.
    # Call backs have the hotline's page; a rating's review has the review queue (public site).
    actions = [a for a in case_actions_for(request.user, case) if a not in _ELSEWHERE]
    departments = list(Department.objects.filter(is_active=True).order_by("name"))
    shown = [a for a in actions if a != Action.FILE]  # "file" lives in the file-and-dispatch form
    events = list(case_events(case))
    staff = sees_staff_names(request.user)
    context = {
        "now": clock.now(),
        "case": case,
        "staff_view": staff,
        # The facility's page is linked only for those who may open it (its grid's people, the centre, its
        # department's staff); the others read its class and code.
        "facility_linked": case.facility_id is not None
        and facilities_visible_to(request.user).filter(pk=case.facility_id).exists(),
        "events": events,
        # Residents read what happened, not how it was proved: the evidence and its flags are the staff's.
        "delegations": _delegations(case, events) if staff else {},
        "closing_notice": _closing_notice(case, events) if staff else None,
        "photos": case.photos.all(),
        "actions": actions,
        "primary_actions": [a for a in shown if a not in _SECONDARY_ACTIONS],
        "secondary_actions": [a for a in shown if a in _SECONDARY_ACTIONS],
        "departments": departments,
        "department_names": {d.code: d.name for d in Department.objects.all()},
        "extension_choices": EXTENSION_CHOICES,
        "error": error or {},
        "map_config": map_config(),
        "show_contact": bool(user_roles(request.user) & {Role.DISPATCHER}),
        "duplicate_visible": bool(case.duplicate_of_id and can_view_case(request.user, case.duplicate_of)),
    }
    if case.grid_id:
        context["grid_geojson"] = grid_map_features([case.grid])
    steps = {_EVIDENCE_STEPS[a] for a in actions if a in _EVIDENCE_STEPS}
    # One query per step offered (resolve for the department, verify for the grid's administrator).
    context["evidence_rules"] = {step: rule_for(case.category, step) for step in steps}
    context["on_site_radius"] = settings.ON_SITE_RADIUS_M
    # Only an on-site verifier is offered "pass"; anyone else failing a fix does so from the desk.
    context["verifies_on_site"] = Action.VERIFY_PASS in actions
    if Action.DELEGATE_VERIFICATION in actions:
        context["delegates"] = _delegates()
        context["delegation"] = (
            case.verifier_delegations.filter(is_active=True).select_related("delegate").first()
        )
    if Action.APPROVE_EXTENSION in actions or Action.DENY_EXTENSION in actions:
        context["pending_extension"] = case.extension_requests.filter(
            state=ExtensionRequest.State.PENDING
        ).first()
    if Action.REJECT in actions:
        # Routing stored its candidates at report time; newer reports nearby count too.
        flagged = {c.pk: c for c in case.duplicate_candidates.select_related("category", "grid")}
        for candidate in duplicate_candidates(case).select_related("category", "grid"):
            flagged.setdefault(candidate.pk, candidate)
        candidates = sorted(flagged.values(), key=lambda c: c.reported_at)
        context["candidates"] = candidates
    case_map = {"case": {"lat": case.lat, "lng": case.lng, "label": case.number or ""}, "others": []}
    case_map["others"] = case_points(context.get("candidates", []), context["now"])
    context["case_map"] = case_map
    return context


def _delegations(case: Case, events: list[CaseEvent]) -> dict:
    """The case's delegations by id and by delegate's username, for the timeline's "delegated" badges; no
    query when no event speaks of one."""
    if not any(e.action == Action.DELEGATE_VERIFICATION or e.data.get("delegated") for e in events):
        return {}
    rows = case.verifier_delegations.select_related("delegate").order_by("created_at")
    found: dict = {}
    for row in rows:
        found[row.pk] = row
        found[row.delegate.get_username()] = row
    return found


def _closing_notice(case: Case, events: list[CaseEvent]) -> dict | None:
    """What the case's state should say about how it was closed: at the desk, or with a flagged check."""
    if case.state != CaseState.CLOSED:
        return None
    closers = (Action.VERIFY_PASS, Action.VERIFY_DESK)
    closing = next((e for e in reversed(events) if e.action in closers), None)
    if closing is None:
        return None
    if closing.action == Action.VERIFY_DESK or closing.data.get("desk"):
        return {"desk": True, "event": closing}
    flags = (closing.data.get("evidence") or {}).get("flags") or []
    return {"desk": False, "flags": flags, "event": closing} if flags else None


@login_required
def case_detail(request, pk: int):
    case = case_get_for(request.user, pk)
    return render(request, "cases/detail.html", _detail_context(request, case))


def _department(fields: dict) -> Department:
    department = fields["department"]
    if department is None:
        raise InvalidInput(gettext_noop("choose a department"), field="department")
    return department


def _file_and_dispatch(request, case: Case, fields: dict) -> Case:
    """One click for the dispatch center: file a new report and send it on. Two services, two events;
    when the dispatch is refused the case stays filed, which is where the dispatcher would be anyway."""
    department = _department(fields)  # refuse a bad choice before anything is written
    filed = services.case_file(
        case=case, actor=request.user, note=fields["note"], expected_version=fields["version"]
    )
    return services.case_dispatch(
        case=filed, actor=request.user, department=department, expected_version=filed.version
    )


_ACTIONS = {
    Action.FILE: lambda r, c, f: services.case_file(
        case=c, actor=r.user, note=f["note"], expected_version=f["version"]
    ),
    FILE_AND_DISPATCH: _file_and_dispatch,
    Action.REJECT: lambda r, c, f: services.case_reject(
        case=c,
        actor=r.user,
        reason=f["reason"],
        duplicate_of=f["duplicate_of"],
        expected_version=f["version"],
    ),
    Action.DISPATCH: lambda r, c, f: services.case_dispatch(
        case=c,
        actor=r.user,
        department=_department(f),
        note=f["note"],
        expected_version=f["version"],
    ),
    Action.ACCEPT: lambda r, c, f: services.case_accept(case=c, actor=r.user, expected_version=f["version"]),
    Action.RETURN: lambda r, c, f: services.case_return(
        case=c, actor=r.user, reason=f["reason"], expected_version=f["version"]
    ),
    Action.REQUEST_EXTENSION: lambda r, c, f: services.case_request_extension(
        case=c,
        actor=r.user,
        minutes=f["minutes"],
        reason=f["reason"],
        expected_version=f["version"],
    ),
    Action.APPROVE_EXTENSION: lambda r, c, f: services.case_approve_extension(
        case=c, actor=r.user, note=f["note"], expected_version=f["version"]
    ),
    Action.DENY_EXTENSION: lambda r, c, f: services.case_deny_extension(
        case=c, actor=r.user, reason=f["reason"], expected_version=f["version"]
    ),
    Action.SUSPEND: lambda r, c, f: services.case_suspend(
        case=c, actor=r.user, reason=f["reason"], expected_version=f["version"]
    ),
    Action.RESUME: lambda r, c, f: services.case_resume(
        case=c, actor=r.user, note=f["note"], expected_version=f["version"]
    ),
    Action.RESOLVE: lambda r, c, f: services.case_resolve(
        case=c,
        actor=r.user,
        notes=f["notes"],
        photos=r.FILES.getlist("photos"),
        position=f["position"],
        taken_at=f["taken_at"],
        expected_version=f["version"],
    ),
    Action.VERIFY_PASS: lambda r, c, f: services.case_verify_pass(
        case=c,
        actor=r.user,
        note=f["note"],
        photos=r.FILES.getlist("photos"),
        position=f["position"],
        taken_at=f["taken_at"],
        expected_version=f["version"],
    ),
    Action.VERIFY_FAIL: lambda r, c, f: services.case_verify_fail(
        case=c,
        actor=r.user,
        reason=f["reason"],
        photos=r.FILES.getlist("photos"),
        position=f["position"],
        taken_at=f["taken_at"],
        expected_version=f["version"],
    ),
    Action.VERIFY_DESK: lambda r, c, f: services.case_verify_desk(
        case=c, actor=r.user, reason=f["reason"], expected_version=f["version"]
    ),
    Action.DELEGATE_VERIFICATION: lambda r, c, f: services.case_delegate_verification(
        case=c, actor=r.user, delegate=f["delegate"], reason=f["reason"], expected_version=f["version"]
    ),
    Action.REOPEN: lambda r, c, f: services.case_reopen(
        case=c, actor=r.user, reason=f["reason"], expected_version=f["version"]
    ),
    Action.PUBLICITY: lambda r, c, f: services.case_publicity_set(
        case=c,
        actor=r.user,
        public=f["public"],
        public_description=f["public_description"],
        reason=f["reason"],
        expected_version=f["version"],
    ),
}


# How the error summary of a refused action names each field.
_ACTION_FIELD_LABELS = {
    "department": _lazy("Department"),
    "reason": _lazy("Reason"),
    "notes": _lazy("What was done?"),
    "note": _lazy("Note (optional)"),
    "minutes": _lazy("More time needed"),
    "duplicate_of": _lazy("Duplicate of case number (optional)"),
    "photos": _lazy("Photos"),
    "position": _lazy("Position of the device"),
    "taken_at": _lazy("Time the photo was taken"),
    "delegate": _lazy("Grid administrator"),
    "public": _lazy("Shown to the public"),
    "public_description": _lazy("Description the public reads"),
}


def _action_refused(
    request, case: Case, action: str, form: CaseActionForm, *, status: int, photos_error: str = ""
):
    """The case page again, with every error of the refused form listed at the top (each linking to its
    field) and shown at its field, and what was typed still in the form (files must be chosen again)."""
    fields = {name: str(errors[0]) for name, errors in form.errors.items() if name in _ACTION_FIELD_LABELS}
    if photos_error:  # no form field (the service checks photos), shown at their input all the same
        fields["photos"] = photos_error
    top = [str(e) for name, errors in form.errors.items() if name not in fields for e in errors]
    error = {
        "action": action,
        "message": " ".join(top),
        "fields": fields,
        "summary": [
            {"name": name, "label": _ACTION_FIELD_LABELS[name], "message": message}
            for name, message in fields.items()
        ],
        "values": {name: request.POST.get(name, "") for name in form.fields if name != "version"},
        "files_dropped": bool(request.FILES),
        "next": _safe_next(request, ""),
    }
    return render(request, "cases/detail.html", _detail_context(request, case, error=error), status=status)


@login_required
@require_POST
def case_action(request, pk: int, action: str):
    case = case_get_for(request.user, pk)
    handler = _ACTIONS.get(action)
    if handler is None:
        error = {
            "action": action,
            "field": None,
            "message": _("Unknown action %(action)s.") % {"action": action},
        }
        return render(request, "cases/detail.html", _detail_context(request, case, error=error), status=404)
    form = CaseActionForm(request.POST, action=action)
    if not form.is_valid():
        return _action_refused(request, case, action, form, status=400)
    try:
        handler(request, case, form.cleaned_data)
    except DomainError as exc:
        # The service's one refusal, after every field passed: next to its field when the form has it.
        case = case_get_for(request.user, pk)  # as it is now, with its suspension
        if exc.field == "photos":
            refusal = exc.localized()
            return _action_refused(request, case, action, form, status=exc.status, photos_error=refusal)
        form.add_error(exc.field if exc.field in form.fields else None, exc.localized())
        return _action_refused(request, case, action, form, status=exc.status)
    case.refresh_from_db()
    done = EVENT_LABELS.get(Action.DISPATCH if action == FILE_AND_DISPATCH else action, action)
    messages.success(request, _("Case %(number)s: %(done)s.") % {"number": case.number, "done": done})
    # A department that returned a case no longer sees it: back to its queue rather than to a 404.
    default = reverse("case-detail", args=[case.pk]) if can_view_case(request.user, case) else reverse("home")
    return redirect(_safe_next(request, default))


# --- photos: only the EXIF-free copies leave the server ---------------------------------------------------


@login_required
@require_GET
def case_photo(request, pk: int, photo_pk: int, variant: str):
    case = case_get_for(request.user, pk)
    photo = get_object_or_404(CasePhoto, pk=photo_pk, case=case)
    return case_photos.photo_copy_response(photo, variant, cache="private")
