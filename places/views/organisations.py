"""Browser pages of the organisations (实有单位): list, detail, register and edit (see places/urls.py).

Who sees what is decided in gridmgmt.policy: grid administrators keep their own grids' organisations,
dispatchers and supervisors read all of them, anyone else gets 403. The legal representative and the contact
are shown masked on every page and never put back into a form.
"""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import NON_FIELD_ERRORS, PermissionDenied
from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import path
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, gettext_noop, pgettext_lazy
from django.views.decorators.debug import sensitive_post_parameters
from django.views.decorators.http import require_http_methods

from gridmgmt import policy
from gridmgmt.errors import DomainError
from gridmgmt.messages import Message
from grids.maps import grid_map_features, map_config
from grids.models import Grid
from grids.services import is_grid_code

from .. import selectors, services
from ..forms_organisations import PII_FIELDS, OrganisationForm
from ..models import Organisation

PER_PAGE = 50
QUERY_MAX = 100

# --- shared by the base-data list and form pages (places.views.facilities uses them too) -----------------


def forbid_unless(allowed: bool, why: str) -> None:
    if not allowed:
        raise PermissionDenied(why)


def scope_nonempty(scope: set[int] | None) -> bool:
    return scope is None or bool(scope)


def grids_in(scope: set[int] | None):
    """The grids of a scope (None: every grid), with their community for the label, by code."""
    grids = Grid.objects.select_related("community").order_by("code")
    return grids if scope is None else grids.filter(id__in=scope)


def grid_from_query(request, grids) -> Grid | None:
    """The grid the list is filtered on (?grid=<14-digit code>): one of `grids`, else 404, as the resident
    list answers, so another grid's code cannot be probed."""
    code = request.GET.get("grid", "").strip()
    if not code:
        return None
    grid = grids.filter(code=code).first() if is_grid_code(code) else None
    if grid is None:
        raise Http404("No such grid, or not yours to see")
    return grid


def choice_from_query(request, name: str, choices, label, problems: list[str]) -> str:
    """A filter value that must be one of `choices` ("" for none); an unknown one is named in `problems`."""
    value = request.GET.get(name, "").strip()
    if value and value not in dict(choices):
        problems.append(
            str(
                Message(
                    gettext_noop("%(what)s: %(value)s is not one of the choices"),
                    what=label,
                    value=value[:20],
                )
            )
        )
        return ""
    return value


def text_from_query(request, problems: list[str]) -> str:
    q = request.GET.get("q", "").strip()
    if len(q) > QUERY_MAX or "\x00" in q:
        problems.append(
            str(Message(gettext_noop("the search text has at most %(n)s characters"), n=QUERY_MAX))
        )
        return ""
    return q


def page_of(request, rows, problems: list[str]):
    """The rows' page (a refused filter shows none: a list that ignored it would mislead)."""
    return Paginator(rows if not problems else rows.none(), PER_PAGE).get_page(request.GET.get("page"))


def query_without_page(request) -> str:
    query = request.GET.copy()
    query.pop("page", None)
    return query.urlencode()


def form_errors(form, *, prefix: str, labels: dict) -> list[dict]:
    """Every error of a refused form for the summary at its top, each linking to its field."""
    anchors = {"lat": "location", "lng": "location"}
    return [
        {
            "href": f"#{prefix}-{anchors.get(name, name)}" if name != NON_FIELD_ERRORS else "",
            "text": message
            if name == NON_FIELD_ERRORS
            else _("%(field)s: %(message)s") % {"field": labels.get(name, name), "message": message},
        }
        for name, messages_ in form.errors.items()
        for message in messages_
    ]


def refusal_at_field(form, exc: DomainError, fields: dict[str, str]) -> None:
    """The service's refusal after the form passed: at its field when the form has it, else on top."""
    field = fields.get(exc.field or "", exc.field)
    form.add_error(field if field in form.fields else None, exc.localized())


def map_point(lat: float, lng: float, label: str) -> dict:
    # static/js/maps.js draws this as its "case" map (one pin in its grid): the shape it reads.
    return {"case": {"lat": lat, "lng": lng, "label": label}, "others": []}


# --- organisations ---------------------------------------------------------------------------------------

FIELD_LABELS = {
    "name": pgettext_lazy("of an organisation or a facility", "Name"),
    "credit_code": gettext_lazy("Unified social credit code"),
    "kind": gettext_lazy("Type"),
    "address": gettext_lazy("Address"),
    "lat": gettext_lazy("Location"),
    "lng": gettext_lazy("Location"),
    "legal_representative": gettext_lazy("Legal representative"),
    "contact_name": gettext_lazy("Contact"),
    "contact_phone": gettext_lazy("Contact phone"),
    "employees": gettext_lazy("Employees"),
    "risk_tags": gettext_lazy("Risk tags"),
    "next_inspection_on": gettext_lazy("Next inspection"),
}
# The services' field names where the form calls them otherwise.
_SERVICE_FIELDS = {"location": "lat", "house": "address", "building": "address"}


def _reader_check(user) -> set[int] | None:
    scope = policy.base_data_grid_scope(user)
    forbid_unless(
        scope_nonempty(scope),
        _("Organisations are for grid administrators, dispatchers and supervisors."),
    )
    return scope


@login_required
def organisation_list(request):
    """Organisations in the viewer's grids, filtered by grid, type, risk tag and name or credit code."""
    scope = _reader_check(request.user)
    grids = grids_in(scope)
    grid = grid_from_query(request, grids)
    problems: list[str] = []
    kind = choice_from_query(request, "kind", Organisation.Kind.choices, gettext_lazy("Type"), problems)
    risk = choice_from_query(request, "risk", Organisation.Risk.choices, gettext_lazy("Risk"), problems)
    q = text_from_query(request, problems)
    rows = selectors.organisations_visible_to(
        request.user, grid_id=grid.pk if grid else None, kind=kind, risk=risk, q=q
    )
    context = {
        "page": page_of(request, rows, problems),
        "problems": problems,
        "grids": grids,
        "grid": grid,
        "kind": kind,
        "risk": risk,
        "q": q,
        "kinds": Organisation.Kind.choices,
        "risks": Organisation.Risk.choices,
        "query": query_without_page(request),
        "today": timezone.localdate(),
        "can_create": scope_nonempty(policy.base_data_editable_grid_ids(request.user)),
    }
    return render(request, "places/organisation_list.html", context, status=400 if problems else 200)


@login_required
def organisation_detail(request, pk: int):
    _reader_check(request.user)
    organisation = selectors.organisation_get_for(request.user, pk)
    context = {
        "organisation": organisation,
        "can_edit": policy.can_edit_base_data_in(request.user, organisation.grid_id),
        "today": timezone.localdate(),
        "map_config": map_config(),
        "grid_geojson": grid_map_features([organisation.grid]),
        "point": map_point(organisation.lat, organisation.lng, organisation.name),
    }
    return render(request, "places/organisation_detail.html", context)


def _form_values(form: OrganisationForm, organisation: Organisation | None) -> dict:
    """What the form's inputs hold: as typed when it comes back refused, else the stored values (never the
    personal ones)."""
    if form.is_bound:
        values = {name: form.data.get(name, "") for name in form.fields if name != "risk_tags"}
        values["risk_tags"] = form.data.getlist("risk_tags")
        return values
    if organisation is None:
        return {"risk_tags": []}
    return {
        "name": organisation.name,
        "credit_code": organisation.credit_code,
        "kind": organisation.kind,
        "address": organisation.address,
        "lat": f"{organisation.lat:.6f}",
        "lng": f"{organisation.lng:.6f}",
        "employees": str(organisation.employees),
        "risk_tags": list(organisation.risk_tags),
        "next_inspection_on": organisation.next_inspection_on.isoformat()
        if organisation.next_inspection_on
        else "",
    }


def _form_page(request, *, organisation: Organisation | None, form: OrganisationForm, status: int = 200):
    context = {
        "organisation": organisation,
        "form": form,
        "values": _form_values(form, organisation),
        "errors": form_errors(form, prefix="o", labels=FIELD_LABELS),
        "kinds": Organisation.Kind.choices,
        "risks": Organisation.Risk.choices,
        "map_config": map_config(),
        "grid_geojson": grid_map_features(grids_in(policy.base_data_editable_grid_ids(request.user))),
    }
    response = render(request, "places/organisation_form.html", context, status=status)
    if form.is_bound:
        response["Cache-Control"] = "no-store"  # a refused form holds the personal fields as typed
    return response


def _saved(request, organisation: Organisation):
    grid = Grid.objects.select_related("community").get(pk=organisation.grid_id)
    messages.success(request, _("Organisation saved, in grid %(grid)s.") % {"grid": grid.label})
    return redirect("places-organisation-detail", pk=organisation.pk)


@sensitive_post_parameters(*PII_FIELDS)
@login_required
@require_http_methods(["GET", "POST"])
def organisation_create(request):
    forbid_unless(
        scope_nonempty(policy.base_data_editable_grid_ids(request.user)),
        _("Only grid administrators register organisations."),
    )
    if request.method != "POST":
        return _form_page(request, organisation=None, form=OrganisationForm())
    form = OrganisationForm(request.POST)
    if not form.is_valid():
        return _form_page(request, organisation=None, form=form, status=400)
    try:
        organisation = services.organisation_save(actor=request.user, **form.save_arguments())
    except DomainError as exc:
        refusal_at_field(form, exc, _SERVICE_FIELDS)
        return _form_page(request, organisation=None, form=form, status=exc.status)
    return _saved(request, organisation)


@sensitive_post_parameters(*PII_FIELDS)
@login_required
@require_http_methods(["GET", "POST"])
def organisation_edit(request, pk: int):
    _reader_check(request.user)
    organisation = selectors.organisation_get_for(request.user, pk)
    forbid_unless(
        policy.can_edit_base_data_in(request.user, organisation.grid_id),
        _("Only the administrators of its grid edit this organisation."),
    )
    if request.method != "POST":
        return _form_page(
            request, organisation=organisation, form=OrganisationForm(organisation=organisation)
        )
    form = OrganisationForm(request.POST, organisation=organisation)
    if not form.is_valid():
        return _form_page(request, organisation=organisation, form=form, status=400)
    try:
        services.organisation_save(actor=request.user, organisation=organisation, **form.save_arguments())
    except DomainError as exc:
        refusal_at_field(form, exc, _SERVICE_FIELDS)
        organisation = selectors.organisation_get_for(request.user, pk)  # the unsaved changes undone
        return _form_page(request, organisation=organisation, form=form, status=exc.status)
    return _saved(request, organisation)


urlpatterns: list = [
    path("organisations/", organisation_list, name="places-organisation-list"),
    path("organisations/new/", organisation_create, name="places-organisation-create"),
    path("organisations/<int:pk>/", organisation_detail, name="places-organisation-detail"),
    path("organisations/<int:pk>/edit/", organisation_edit, name="places-organisation-edit"),
]
