"""Browser pages of home visits (走访), under /patrols/: the list, recording a visit, one visit with its needs
(each may become a case), the overdue visits, and the visit plans.

Who sees what is gridmgmt.policy's: grid administrators record visits in their grids and read the visits
there; supervisors and the dispatch centre read every visit; supervisors set the plans. Department staff,
residents and anyone else get 403. Residents appear by masked name only; their registry page (which reveals
more, logged) is linked for readers of it.
"""

from dataclasses import dataclass

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import NON_FIELD_ERRORS, PermissionDenied
from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import path, reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop
from django.views.decorators.http import require_http_methods, require_POST

from gridmgmt import clock, policy
from gridmgmt.errors import DomainError, InvalidInput
from gridmgmt.ids import id_from
from gridmgmt.messages import Message
from grids import pii
from grids.maps import grid_map_features, map_config
from grids.models import Grid, Jurisdiction, Resident
from places import selectors as place_selectors
from places.models import House, Occupancy, Organisation

from .. import visits
from ..forms_visits import FIELD_LABELS, NeedCaseForm, VisitForm, VisitPlanForm, local_input, plan_tag_choices
from ..models import Visit, VisitNeed, VisitPlan

PER_PAGE = 50
SEARCH_MAX = 100


def _reader_check(user) -> str:
    scope = policy.patrol_scope(user)
    if scope is None:
        raise PermissionDenied(_("Visits are for grid administrators, dispatchers and supervisors."))
    return scope


def _visitor_check(user) -> None:
    if not policy.can_patrol(user):
        raise PermissionDenied(_("Only grid administrators with a grid record visits."))


def _grids_of(user, scope: str):
    grids = Grid.objects.select_related("community").order_by("code")
    return grids if scope == "all" else grids.filter(pk__in=policy.patrol_grid_ids(user))


def _grid_from_query(request, grids) -> Grid | None:
    code = request.GET.get("grid", "").strip()
    if not code:
        return None
    grid = grids.filter(code=code[:14]).first()
    if grid is None:
        raise Http404("No such grid, or not yours to see")
    return grid


def form_errors(form, *, prefix: str = "v") -> list[dict]:
    """Every error of a refused form for the summary at its top, each linking to its field."""
    anchors = {"lat": "position", "lng": "position", "accuracy": "position"}
    out = []
    for name, errors in form.errors.items():
        for message in errors:
            if name == NON_FIELD_ERRORS:
                out.append({"href": "", "text": message})
            else:
                label = FIELD_LABELS.get(name, name)
                out.append(
                    {
                        "href": f"#{prefix}-{anchors.get(name, name)}",
                        "text": _("%(field)s: %(message)s") % {"field": label, "message": message},
                    }
                )
    return out


# --- the list -----------------------------------------------------------------------------------------------


@dataclass
class VisitRow:
    visit: Visit
    whom: str
    kind: str


def _rows(page) -> list[VisitRow]:
    return [
        VisitRow(visit=v, whom=visits.visit_target_label(v), kind=visits.visit_target_kind(v)) for v in page
    ]


@login_required
def visit_list(request):
    """Visits in the reader's scope, newest first: an administrator's grids (and their own visits), or all."""
    scope = _reader_check(request.user)
    grids = _grids_of(request.user, scope)
    grid = _grid_from_query(request, grids)
    mine = request.GET.get("mine") == "1"
    rows = visits.visits_visible_to(
        request.user, grid_id=grid.pk if grid else None, visitor_id=request.user.pk if mine else None
    )
    page = Paginator(rows, PER_PAGE).get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    context = {
        "page": page,
        "rows": _rows(page),
        "grids": grids,
        "grid": grid,
        "mine": mine,
        "query": query.urlencode(),
        "can_record": policy.can_patrol(request.user),
        "radius": int(settings.VISIT_RADIUS_M),
        "tab": "list",
    }
    return render(request, "patrols/visit_list.html", context)


# --- recording ----------------------------------------------------------------------------------------------


@dataclass
class Target:
    """Whom the visit is to, as the form shows it: at most a resident and their house, or an organisation."""

    resident: Resident | None = None
    house: House | None = None
    organisation: Organisation | None = None

    @property
    def chosen(self) -> bool:
        return any((self.resident, self.house, self.organisation))

    @property
    def resident_name(self) -> str:
        return pii.mask_name(self.resident.name) if self.resident else ""


@dataclass
class Occupant:
    resident: Resident
    name: str
    tags: list[str]


def _target_from(user, data) -> Target:
    """The target named by ids in the query string or the form (404 for one the user may not see)."""
    target = Target()
    if (pk := id_from(data.get("organisation"))) is not None:
        target.organisation = place_selectors.organisation_get_for(user, pk)
        return target
    if (pk := id_from(data.get("resident"))) is not None:
        resident = (
            Resident.objects.filter(policy.residents_visible_q(user), pk=pk, moved_out_on__isnull=True)
            .select_related("grid")
            .first()
        )
        if resident is None:
            raise Http404("No such resident, or not yours to see")
        target.resident = resident
    if (pk := id_from(data.get("house"))) is not None:
        target.house = place_selectors.house_get_for(user, pk)
    elif target.resident is not None:
        target.house = visits.current_home(target.resident)
    return target


def _occupants(house: House | None) -> list[Occupant]:
    if house is None:
        return []
    rows = Occupancy.objects.filter(house=house, until__isnull=True, resident__moved_out_on__isnull=True)
    return [
        Occupant(resident=o.resident, name=pii.mask_name(o.resident.name), tags=o.resident.care_tag_labels)
        for o in rows.select_related("resident").order_by("since", "id")
    ]


@dataclass
class Found:
    """What a search for a target found in the administrator's grids."""

    houses: list
    organisations: list
    problem: str = ""


def _search(user, q: str) -> Found:
    own = policy.patrol_grid_ids(user)
    found = Found(houses=[], organisations=[])
    if len(q) > SEARCH_MAX or "\x00" in q:
        found.problem = str(
            Message(gettext_noop("the search text has at most %(n)s characters"), n=SEARCH_MAX)
        )
        return found
    try:
        located = place_selectors.located_for(user, place_selectors.address_locate(q))
    except InvalidInput:
        located = None
    if located is not None and located.grid_id in own:
        if located.house is not None:
            found.houses = [located.house]
        elif located.building is not None:
            found.houses = list(place_selectors.houses_visible_to(user, building_id=located.building.pk)[:60])
    found.organisations = list(
        place_selectors.organisations_visible_to(user, q=q).filter(grid_id__in=own).order_by("name")[:20]
    )
    return found


def _initial_values(request) -> dict:
    return {"visited_at": local_input(clock.now()), "met": "", "notes": "", "needs": ""}


@login_required
@require_http_methods(["GET", "POST"])
def visit_new(request):
    """Record a visit: pick whom (by address or organisation name, or from a link carrying ?resident=,
    ?house= or ?organisation=), then when, the position (the phone's, by a button), who was met, notes and
    needs, one per line."""
    _visitor_check(request.user)
    data = request.POST if request.method == "POST" else request.GET
    target = _target_from(request.user, data)
    q = request.GET.get("q", "").strip() if not target.chosen else ""
    found = _search(request.user, q) if q else None
    errors: list[dict] = []
    values = _initial_values(request)
    status = 200
    if request.method == "POST":
        form = VisitForm(request.POST)
        values = request.POST.dict()
        if not target.chosen:
            form.add_error(None, _("Choose whom you visited first."))
        if form.is_valid():
            lat, lng, accuracy = form.cleaned_data["position"]
            try:
                visit = visits.visit_record(
                    actor=request.user,
                    resident=target.resident,
                    house=target.house,
                    organisation=target.organisation,
                    visited_at=form.cleaned_data["visited_at"],
                    lat=lat,
                    lng=lng,
                    accuracy=accuracy,
                    met=form.cleaned_data["met"],
                    notes=form.cleaned_data["notes"],
                    needs=form.cleaned_data["needs"],
                )
            except DomainError as exc:
                if exc.status == 403:
                    raise PermissionDenied(exc.localized()) from None
                field = {"target": None, "resident": None, "house": None}.get(exc.field or "", exc.field)
                form.add_error(field if field in form.fields else None, exc.localized())
            else:
                messages.success(request, _("The visit is recorded."))
                return redirect("visit-detail", pk=visit.pk)
        errors = form_errors(form)
        status = 400
    else:
        form = VisitForm()
    context = {
        "form": form,
        "values": values,
        "errors": errors,
        "target": target,
        "occupants": _occupants(target.house) if target.house and not target.resident else [],
        "q": q,
        "found": found,
        "radius": int(settings.VISIT_RADIUS_M),
        "tab": "new",
    }
    return render(request, "patrols/visit_form.html", context, status=status)


# --- one visit ----------------------------------------------------------------------------------------------


@dataclass
class NeedRow:
    need: VisitNeed
    form: NeedCaseForm | None
    errors: list[str]


def _need_rows(user, visit: Visit, refused: dict | None = None) -> list[NeedRow]:
    may_act = policy.can_visit_in(user, visit.grid_id)
    refused = refused or {}
    rows = []
    for need in visits.visit_needs(visit):
        form = None
        if may_act and need.case_id is None:
            form = refused.get(need.pk, (None, []))[0] or NeedCaseForm(prefix=f"n{need.pk}", auto_id="%s")
        rows.append(NeedRow(need=need, form=form, errors=refused.get(need.pk, (None, []))[1]))
    return rows


def _detail_context(request, visit: Visit, refused: dict | None = None) -> dict:
    user = request.user
    point = visits.address_point(resident=visit.resident, house=visit.house, organisation=visit.organisation)
    whom = visits.visit_target_label(visit)
    map_data = None
    if point is not None or visit.lat is not None:
        main = point or (visit.lat, visit.lng)
        others = []
        if point is not None and visit.lat is not None:
            others.append(
                {
                    "lat": visit.lat,
                    "lng": visit.lng,
                    "status": "none",
                    "label": _("Where the visit was recorded"),
                    "url": "",
                }
            )
        map_data = {
            "case": {
                "lat": main[0],
                "lng": main[1],
                "label": whom if point else _("Where the visit was recorded"),
            },
            "others": others,
        }
    home = visit.house or (visits.current_home(visit.resident) if visit.resident_id else None)
    return {
        "visit": visit,
        "whom": whom,
        "kind": visits.visit_target_kind(visit),
        "home": home,
        "resident_url": reverse("resident-detail", args=[visit.resident_id])
        if visit.resident_id and policy.can_view_resident(user, visit.resident)
        else "",
        "needs": _need_rows(user, visit, refused),
        "address_point": point,
        "map_data": map_data,
        "map_config": map_config(),
        "grid_geojson": grid_map_features([visit.grid]),
        "radius": int(settings.VISIT_RADIUS_M),
        "can_record": policy.can_patrol(user),
    }


@login_required
def visit_detail(request, pk: int):
    _reader_check(request.user)
    visit = visits.visit_get_for(request.user, pk)
    return render(request, "patrols/visit_detail.html", _detail_context(request, visit))


@login_required
@require_POST
def visit_need_case(request, pk: int):
    """Make a need found on a visit a case: the category chosen here, the rest from the visit."""
    _reader_check(request.user)
    need = visits.visit_need_get_for(request.user, pk)
    visit = visits.visit_get_for(request.user, need.visit_id)
    if not policy.can_visit_in(request.user, visit.grid_id):
        raise PermissionDenied(_("Only an administrator of the visit's grid makes its needs cases."))
    form = NeedCaseForm(request.POST, prefix=f"n{need.pk}", auto_id="%s")
    problems: list[str] = []
    if form.is_valid():
        try:
            case = visits.visit_need_to_case(
                need=need, actor=request.user, category=form.cleaned_data["category"]
            )
        except DomainError as exc:
            problems.append(exc.localized())
        else:
            messages.success(
                request, _("Case %(number)s is reported from this need.") % {"number": case.number or case.pk}
            )
            return redirect("visit-detail", pk=visit.pk)
    else:
        problems.extend(str(e) for errors in form.errors.values() for e in errors)
    context = _detail_context(request, visit, refused={need.pk: (form, problems)})
    return render(request, "patrols/visit_detail.html", context, status=409 if need.case_id else 400)


# --- overdue ------------------------------------------------------------------------------------------------


@login_required
def visits_overdue(request):
    """Who is due a visit by the plans and has not had one in time, most overdue first."""
    scope = _reader_check(request.user)
    grids = _grids_of(request.user, scope)
    grid = _grid_from_query(request, grids)
    rows = visits.visits_overdue_for(request.user, grid_id=grid.pk if grid else None)
    context = {
        "rows": rows,
        "grids": grids,
        "grid": grid,
        "can_record": policy.can_patrol(request.user),
        "tab": "overdue",
    }
    return render(request, "patrols/visit_overdue.html", context)


# --- plans --------------------------------------------------------------------------------------------------


@login_required
@require_http_methods(["GET", "POST"])
def visit_plans(request):
    """Every tag's interval: the default, the district-wide plan and each community's own. Supervisors set
    them; everyone else who reads visits reads them."""
    _reader_check(request.user)
    can_edit = policy.can_review_patrols(request.user)
    form = VisitPlanForm()
    errors: list[dict] = []
    values: dict = {}
    status = 200
    if request.method == "POST":
        if not can_edit:
            raise PermissionDenied(_("Only supervisors set the visit plans."))
        remove = id_from(request.POST.get("remove"))
        if remove is not None:
            plan = VisitPlan.objects.filter(pk=remove).first()
            if plan is None:
                raise Http404("No such plan")
            visits.visit_plan_remove(actor=request.user, plan=plan)
            messages.success(request, _("The plan is removed."))
            return redirect("visit-plans")
        form = VisitPlanForm(request.POST)
        values = request.POST.dict()
        if form.is_valid():
            target, tag = form.cleaned_data["tag"]
            try:
                visits.visit_plan_set(
                    actor=request.user,
                    target=target,
                    tag=tag,
                    every_days=form.cleaned_data["every_days"],
                    community=form.cleaned_data["community"],
                )
            except DomainError as exc:
                form.add_error(exc.field if exc.field in form.fields else None, exc.localized())
            else:
                messages.success(request, _("The plan is saved."))
                return redirect("visit-plans")
        errors = form_errors(form, prefix="p")
        status = 400
    context = {
        "plans": visits.visit_plans_overview(),
        "can_edit": can_edit,
        "form": form,
        "values": values,
        "errors": errors,
        "tag_choices": plan_tag_choices(),
        "communities": Jurisdiction.objects.filter(level=Jurisdiction.Level.COMMUNITY).order_by("code"),
        "can_record": policy.can_patrol(request.user),
        "tab": "plans",
    }
    return render(request, "patrols/visit_plans.html", context, status=status)


urlpatterns: list = [
    path("visits/", visit_list, name="visits-list"),
    path("visits/new/", visit_new, name="visit-new"),
    path("visits/overdue/", visits_overdue, name="visits-overdue"),
    path("visits/<int:pk>/", visit_detail, name="visit-detail"),
    path("visits/needs/<int:pk>/case/", visit_need_case, name="visit-need-case"),
    path("visit-plans/", visit_plans, name="visit-plans"),
]
