"""Browser pages of the city facilities (部件): list, detail with its cases, register and edit (see
places/urls.py).

Who sees what is decided in gridmgmt.policy: grid administrators keep their own grids' facilities,
dispatchers and supervisors read all of them, department staff read the facilities their department
maintains; anyone else gets 403. Cases stand above this app: the detail page lists a facility's cases
through the reverse relation with generic fields only, and links to their pages by URL name.
"""

from pathlib import PurePosixPath

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db.models import Q
from django.http import FileResponse, Http404
from django.shortcuts import redirect, render
from django.urls import path
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, pgettext_lazy
from django.views.decorators.http import require_GET, require_http_methods

from departments.models import Department
from gridmgmt import policy
from gridmgmt.errors import DomainError
from gridmgmt.roles import Role, user_roles
from grids.maps import grid_map_features, map_config
from grids.models import Grid

from .. import selectors, services
from ..forms_facilities import FacilityForm
from ..models import Facility, FacilityClass
from .organisations import (
    choice_from_query,
    forbid_unless,
    form_errors,
    grid_from_query,
    grids_in,
    map_point,
    page_of,
    query_without_page,
    refusal_at_field,
    scope_nonempty,
    text_from_query,
)

CASES_SHOWN = 50
# A stored photo is served with the type its name says, and only these (nosniff is on site-wide).
_PHOTO_TYPES = {
    ".jpg": "image/jpeg",
    ".jpeg": "image/jpeg",
    ".png": "image/png",
    ".webp": "image/webp",
    ".gif": "image/gif",
}

FIELD_LABELS = {
    "facility_class": gettext_lazy("Class"),
    "lat": gettext_lazy("Location"),
    "lng": gettext_lazy("Location"),
    "name": pgettext_lazy("of an organisation or a facility", "Name"),
    "address": gettext_lazy("Address"),
    "owner": gettext_lazy("Owning unit"),
    "department": gettext_lazy("Maintaining department"),
    "state": gettext_lazy("State"),
    "code": gettext_lazy("Code"),
    "photo": gettext_lazy("Photo"),
}
_SERVICE_FIELDS = {"location": "lat", "code": None}


def class_label(facility_class: FacilityClass) -> str:
    """The class's name in the page language."""
    return facility_class.label


def _reader_check(user) -> set[int] | None:
    scope = policy.base_data_grid_scope(user)
    forbid_unless(
        scope_nonempty(scope) or Role.DEPARTMENT_STAFF in user_roles(user),
        _("City facilities are for grid administrators, dispatchers, supervisors and their departments."),
    )
    return scope


def _filter_grids(user, scope: set[int] | None):
    """The grids the grid filter offers: the viewer's grids, and for department staff the grids their
    department's facilities lie in."""
    if scope is None or Role.DEPARTMENT_STAFF not in user_roles(user):
        return grids_in(scope)
    facility_grids = selectors.facilities_visible_to(user).values("grid_id")
    return (
        Grid.objects.select_related("community")
        .filter(Q(id__in=scope) | Q(id__in=facility_grids))
        .order_by("code")
    )


def _filter_departments(user, scope: set[int] | None):
    if scope is None or Role.DEPARTMENT_STAFF not in user_roles(user):
        return Department.objects.filter(is_active=True).order_by("name")
    return user.departments.filter(is_active=True).order_by("name")


def _majors() -> list[tuple[str, str]]:
    majors: dict[str, str] = {}
    for minor in selectors.facility_classes():
        majors.setdefault(minor.parent.code, f"{minor.parent.code} {class_label(minor.parent)}")
    return sorted(majors.items())


@login_required
def facility_list(request):
    """Facilities in the viewer's scope, filtered by grid, major class, state, department and text."""
    user = request.user
    scope = _reader_check(user)
    grids = _filter_grids(user, scope)
    grid = grid_from_query(request, grids)
    departments = list(_filter_departments(user, scope))
    problems: list[str] = []
    majors = _majors()
    major = choice_from_query(request, "major", majors, gettext_lazy("Major class"), problems)
    state = choice_from_query(request, "state", Facility.State.choices, gettext_lazy("State"), problems)
    department_code = choice_from_query(
        request,
        "department",
        [(d.code, d.name) for d in departments],
        gettext_lazy("Maintaining department"),
        problems,
    )
    department = next((d for d in departments if d.code == department_code), None)
    q = text_from_query(request, problems)
    rows = selectors.facilities_visible_to(
        user,
        grid_id=grid.pk if grid else None,
        major=major,
        state=state,
        department_id=department.pk if department else None,
        q=q,
    )
    page = page_of(request, rows, problems)
    page.object_list = list(page.object_list)
    for facility in page.object_list:
        facility.class_label = class_label(facility.facility_class)
    context = {
        "page": page,
        "problems": problems,
        "grids": grids,
        "grid": grid,
        "majors": majors,
        "major": major,
        "states": Facility.State.choices,
        "state": state,
        "departments": departments,
        "department": department,
        "q": q,
        "query": query_without_page(request),
        "can_create": scope_nonempty(policy.base_data_editable_grid_ids(user)),
    }
    return render(request, "places/facility_list.html", context, status=400 if problems else 200)


@login_required
def facility_detail(request, pk: int):
    _reader_check(request.user)
    facility = selectors.facility_get_for(request.user, pk)
    minor = facility.facility_class
    # Cases stand above places: read through the reverse relation, generic fields only.
    cases = facility.cases.select_related("category").order_by("-reported_at")[:CASES_SHOWN]
    context = {
        "facility": facility,
        "minor_label": class_label(minor),
        "major_label": class_label(minor.parent) if minor.parent_id else "",
        "cases": cases,
        "cases_shown": CASES_SHOWN,
        "can_edit": policy.can_edit_base_data_in(request.user, facility.grid_id),
        "map_config": map_config(),
        "grid_geojson": grid_map_features([facility.grid]),
        "point": map_point(facility.lat, facility.lng, f"{class_label(minor)} {facility.code}"),
    }
    return render(request, "places/facility_detail.html", context)


@login_required
@require_GET
def facility_photo(request, pk: int):
    """The facility's photo, to those who may see the facility (media files are not served openly)."""
    _reader_check(request.user)
    facility = selectors.facility_get_for(request.user, pk)
    suffix = PurePosixPath(facility.photo.name or "").suffix.lower()
    if not facility.photo or suffix not in _PHOTO_TYPES:
        raise Http404("This facility has no photo")
    try:
        handle = facility.photo.open("rb")
    except (OSError, ValueError) as exc:
        raise Http404("The photo file is missing") from exc
    response = FileResponse(handle, content_type=_PHOTO_TYPES[suffix])
    response["Cache-Control"] = "private, max-age=86400"
    return response


def _class_groups() -> list[tuple[str, list[tuple[str, str]]]]:
    """The minor classes grouped under their major class, for the form's grouped select."""
    groups: dict[str, tuple[str, list]] = {}
    for minor in selectors.facility_classes():
        label = f"{minor.parent.code} {class_label(minor.parent)}"
        groups.setdefault(minor.parent.code, (label, []))[1].append(
            (minor.code, f"{minor.code} {class_label(minor)}")
        )
    return [group for _, group in sorted(groups.items())]


def _form_departments(facility: Facility | None) -> list[Department]:
    rows = Department.objects.filter(is_active=True)
    if facility is not None and facility.department_id:
        rows = Department.objects.filter(Q(is_active=True) | Q(pk=facility.department_id))
    return list(rows.order_by("name"))


def _form_values(form: FacilityForm, facility: Facility | None) -> dict:
    if form.is_bound:
        return {name: form.data.get(name, "") for name in form.fields}
    if facility is None:
        return {"state": Facility.State.INTACT}
    return {
        "facility_class": facility.facility_class.code,
        "lat": f"{facility.lat:.6f}",
        "lng": f"{facility.lng:.6f}",
        "name": facility.name,
        "address": facility.address,
        "owner": facility.owner,
        "department": facility.department.code if facility.department_id else "",
        # The survey's state: what the form changes (an open case decides the state shown meanwhile).
        "state": facility.surveyed_state,
    }


def _form_page(request, *, facility: Facility | None, form: FacilityForm, status: int = 200):
    context = {
        "facility": facility,
        "form": form,
        "values": _form_values(form, facility),
        "errors": form_errors(form, prefix="f", labels=FIELD_LABELS),
        "class_groups": _class_groups() if facility is None else [],
        "class_label": class_label(facility.facility_class) if facility else "",
        "departments": form.departments.values(),
        "states": Facility.State.choices,
        "map_config": map_config(),
        "grid_geojson": grid_map_features(grids_in(policy.base_data_editable_grid_ids(request.user))),
    }
    return render(request, "places/facility_form.html", context, status=status)


def _saved(request, facility: Facility):
    grid = Grid.objects.select_related("community").get(pk=facility.grid_id)
    messages.success(
        request, _("Facility %(code)s saved, in grid %(grid)s.") % {"code": facility.code, "grid": grid.label}
    )
    return redirect("places-facility-detail", pk=facility.pk)


@login_required
@require_http_methods(["GET", "POST"])
def facility_create(request):
    forbid_unless(
        scope_nonempty(policy.base_data_editable_grid_ids(request.user)),
        _("Only grid administrators register city facilities."),
    )
    departments = _form_departments(None)
    if request.method != "POST":
        return _form_page(request, facility=None, form=FacilityForm(departments=departments))
    form = FacilityForm(request.POST, departments=departments)
    if not form.is_valid():
        return _form_page(request, facility=None, form=form, status=400)
    try:
        facility = services.facility_save(
            actor=request.user, photo=request.FILES.get("photo"), **form.save_arguments()
        )
    except DomainError as exc:
        refusal_at_field(form, exc, _SERVICE_FIELDS)
        return _form_page(request, facility=None, form=form, status=exc.status)
    return _saved(request, facility)


@login_required
@require_http_methods(["GET", "POST"])
def facility_edit(request, pk: int):
    _reader_check(request.user)
    facility = selectors.facility_get_for(request.user, pk)
    forbid_unless(
        policy.can_edit_base_data_in(request.user, facility.grid_id),
        _("Only the administrators of its grid edit this facility."),
    )
    departments = _form_departments(facility)
    if request.method != "POST":
        return _form_page(
            request, facility=facility, form=FacilityForm(departments=departments, facility=facility)
        )
    form = FacilityForm(request.POST, departments=departments, facility=facility)
    if not form.is_valid():
        return _form_page(request, facility=facility, form=form, status=400)
    try:
        services.facility_save(
            actor=request.user, facility=facility, photo=request.FILES.get("photo"), **form.save_arguments()
        )
    except DomainError as exc:
        refusal_at_field(form, exc, _SERVICE_FIELDS)
        facility = selectors.facility_get_for(request.user, pk)  # the unsaved changes undone
        return _form_page(request, facility=facility, form=form, status=exc.status)
    return _saved(request, facility)


urlpatterns: list = [
    path("facilities/", facility_list, name="places-facility-list"),
    path("facilities/new/", facility_create, name="places-facility-create"),
    path("facilities/<int:pk>/", facility_detail, name="places-facility-detail"),
    path("facilities/<int:pk>/edit/", facility_edit, name="places-facility-edit"),
    path("facilities/<int:pk>/photo/", facility_photo, name="places-facility-photo"),
]
