"""Browser pages for grids: partition report, administrator workload, resident registry."""

from datetime import date

from django.contrib import messages
from django.contrib.auth import get_user_model
from django.contrib.auth.decorators import login_required
from django.core.exceptions import NON_FIELD_ERRORS, PermissionDenied
from django.core.paginator import Paginator
from django.db.models import Count
from django.http import Http404, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, gettext_noop, pgettext_lazy
from django.views.decorators.debug import sensitive_post_parameters
from django.views.decorators.http import require_http_methods, require_POST

from gridmgmt import policy
from gridmgmt.errors import DomainError, InvalidInput
from gridmgmt.people import display_name
from gridmgmt.policy import can_view_partition_report
from gridmgmt.roles import Role, user_roles
from gridmgmt.sorting import natural_key

from . import residents_import, selectors, services
from .forms import ResidentForm
from .models import Grid, Jurisdiction, Resident, ResidentAccessLog, ResidentImportJob
from .partition import BALANCE_BAND, partition_report


def _partition_check(request) -> None:
    if not can_view_partition_report(request.user):
        raise PermissionDenied(_("Partition reports are for dispatchers and supervisors."))


@login_required
def partition_index(request):
    """The districts to report on; with only one, go straight to it."""
    _partition_check(request)
    districts = list(Jurisdiction.objects.filter(parent__isnull=True).order_by("code"))
    if len(districts) == 1:
        return redirect("grid-partition", code=districts[0].code)
    return render(request, "grids/partition.html", {"districts": districts, "report": None})


@login_required
def partition_page(request, code: str):
    """Coverage, gaps, overlaps and size balance of one district, street or community."""
    _partition_check(request)
    jurisdiction = get_object_or_404(Jurisdiction.objects.select_related("parent"), code=code)
    report = partition_report(jurisdiction=jurisdiction)
    context = {
        "jurisdiction": jurisdiction,
        "report": report,
        "children": jurisdiction.children.order_by("code"),
        "band_percent": round(BALANCE_BAND * 100),
    }
    return render(request, "grids/partition.html", context)


# --- Resident registry ----------------------------------------------------------------------------------
# Who sees what is decided in gridmgmt.policy; these views only ask it. Identity data is masked on every
# page; a clear value appears only in the response to a deliberate, logged POST (resident_reveal). Forms that
# carry it are marked sensitive, so an error report of a failing request shows the fields masked.
_PII_FIELDS = ("name", "id_number", "phone")

RESIDENTS_PER_PAGE = 50


def _forbid_unless(allowed: bool, why: str) -> None:
    if not allowed:
        raise PermissionDenied(why)


def _scope_nonempty(scope: set[int] | None) -> bool:
    return scope is None or bool(scope)


@login_required
def resident_list(request):
    """Residents in the viewer's scope (masked); viewers with counts only get the per-grid counts."""
    user = request.user
    scope = policy.resident_grid_scope(user)
    if not _scope_nonempty(scope):
        return resident_counts(request)
    grids = Grid.objects.all() if scope is None else Grid.objects.filter(id__in=scope)
    grid = None
    if request.GET.get("grid"):
        grid = get_object_or_404(grids, code=request.GET["grid"])
    id_number = request.GET.get("q", "").strip()
    residents = selectors.residents_visible_to(
        user,
        grid_id=grid.id if grid else None,
        id_number=id_number,
        include_moved_out=request.GET.get("moved_out") == "1",
    )
    page = Paginator(residents, RESIDENTS_PER_PAGE).get_page(request.GET.get("page"))
    context = {
        "page": page,
        "grids": grids.order_by("code"),
        "grid": grid,
        "q": id_number,
        "moved_out": request.GET.get("moved_out") == "1",
        "can_register": _scope_nonempty(policy.resident_editable_grid_ids(user)),
    }
    return render(request, "grids/residents_list.html", context)


@login_required
def resident_counts(request):
    """Current and moved-out residents per grid: all a dispatcher or supervisor sees without a grant."""
    _forbid_unless(
        _scope_nonempty(policy.resident_count_scope(request.user)),
        _("You may not see the resident registry."),
    )
    counts = selectors.resident_counts_by_grid(request.user)
    return render(request, "grids/residents_counts.html", {"counts": counts})


def _resident_detail_context(request, resident: Resident, revealed: dict | None = None) -> dict:
    basis = policy.resident_reveal_basis(request.user, resident)
    return {
        "resident": resident,
        "revealed": revealed or {},
        "can_reveal": basis is not None,
        "can_edit": policy.can_edit_resident_in(request.user, resident.grid_id),
        "reveals": resident.access_logs.select_related("user")[:20] if basis is not None else [],
        "today": timezone.localdate(),
    }


@login_required
def resident_detail(request, pk: int):
    resident = selectors.resident_get_for(request.user, pk)
    return render(request, "grids/residents_detail.html", _resident_detail_context(request, resident))


@login_required
@require_POST
def resident_reveal(request, pk: int, field: str):
    """Show one field in clear, once, to the grid's administrators or a granted user; always logged."""
    resident = Resident.objects.select_related("grid").filter(pk=pk).first()
    # Not found and not allowed answer alike (403), so the endpoint cannot be used to probe which ids exist.
    _forbid_unless(
        resident is not None and policy.resident_reveal_basis(request.user, resident) is not None,
        _("Only the administrators of this resident's grid, or people granted it, may reveal this."),
    )
    if field not in ResidentAccessLog.Field.values:
        raise Http404("No such field")
    value = services.resident_reveal(
        actor=request.user,
        resident=resident,
        field=field,
        ip=request.META.get("REMOTE_ADDR"),
        forwarded_for=request.META.get("HTTP_X_FORWARDED_FOR", ""),
    )
    response = render(
        request, "grids/residents_detail.html", _resident_detail_context(request, resident, {field: value})
    )
    response["Cache-Control"] = "no-store"  # a revealed value must not sit in a browser or proxy cache
    return response


def _editable_grids(user):
    editable = policy.resident_editable_grid_ids(user)
    grids = Grid.objects.order_by("code")
    return grids if editable is None else grids.filter(id__in=editable)


def _resident_form(request, *, resident: Resident | None, form: ResidentForm, status: int = 200):
    """The resident form; refused, it lists every error at the top (each linking to its field), marks each
    field and keeps what was typed."""
    errors = [
        {
            "href": f"#r-{name}" if name != NON_FIELD_ERRORS else "",
            "text": message
            if name == NON_FIELD_ERRORS
            else _("%(field)s: %(message)s") % {"field": _FIELD_LABELS.get(name, name), "message": message},
        }
        for name, messages_ in form.errors.items()
        for message in messages_
    ]
    context = {
        "resident": resident,
        "grids": form.grids,
        "care_tag_choices": Resident.CareTag.choices,
        "form": form,
        "errors": errors,
    }
    response = render(request, "grids/residents_form.html", context, status=status)
    if form.is_bound:
        response["Cache-Control"] = "no-store"  # a refused form holds the ID number and phone as typed
    return response


def _resident_refused(form: ResidentForm, exc: DomainError) -> None:
    """The service's one refusal after the form passed: at its field when the form has it, else on top."""
    field = {"household": "household_no"}.get(exc.field, exc.field)
    form.add_error(field if field in form.fields else None, exc.localized())


@sensitive_post_parameters(*_PII_FIELDS)
@login_required
def resident_create(request):
    _forbid_unless(
        _scope_nonempty(policy.resident_editable_grid_ids(request.user)),
        _("Only grid administrators register residents."),
    )
    grids = list(_editable_grids(request.user))
    if request.method != "POST":
        return _resident_form(request, resident=None, form=ResidentForm(grids=grids))
    form = ResidentForm(request.POST, grids=grids)
    if not form.is_valid():
        return _resident_form(request, resident=None, form=form, status=400)
    fields = form.changes()
    grid = fields.pop("grid")
    try:
        resident = services.resident_create(actor=request.user, grid=grid, **fields)
    except DomainError as exc:
        _resident_refused(form, exc)
        return _resident_form(request, resident=None, form=form, status=exc.status)
    messages.success(request, _("Resident registered in %(grid)s.") % {"grid": grid.name})
    return redirect("resident-detail", pk=resident.pk)


@sensitive_post_parameters(*_PII_FIELDS)
@login_required
def resident_edit(request, pk: int):
    resident = selectors.resident_get_for(request.user, pk)
    _forbid_unless(
        policy.can_edit_resident_in(request.user, resident.grid_id), _("You may not edit this resident.")
    )
    grids = list(_editable_grids(request.user))
    if request.method != "POST":
        return _resident_form(request, resident=resident, form=ResidentForm(grids=grids, resident=resident))
    form = ResidentForm(request.POST, grids=grids, resident=resident)
    if not form.is_valid():
        return _resident_form(request, resident=resident, form=form, status=400)
    try:
        services.resident_update(actor=request.user, resident=resident, **form.changes())
    except DomainError as exc:
        _resident_refused(form, exc)
        resident.refresh_from_db()
        return _resident_form(request, resident=resident, form=form, status=exc.status)
    messages.success(request, _("Resident updated."))
    return redirect("resident-detail", pk=resident.pk)


@login_required
@require_POST
def resident_move_out(request, pk: int):
    resident = selectors.resident_get_for(request.user, pk)
    _forbid_unless(
        policy.can_edit_resident_in(request.user, resident.grid_id), _("You may not edit this resident.")
    )
    try:
        raw = request.POST.get("moved_out_on", "")
        try:
            moved_out_on = date.fromisoformat(raw) if raw else None
        except ValueError:
            raise InvalidInput(
                gettext_noop("the moved-out date must be a date (YYYY-MM-DD)"), field="moved_out_on"
            ) from None
        services.resident_move_out(actor=request.user, resident=resident, moved_out_on=moved_out_on)
    except DomainError as exc:
        messages.error(request, _field_message(exc))
        context = _resident_detail_context(request, resident)
        return render(request, "grids/residents_detail.html", context, status=exc.status)
    messages.success(request, _("Move-out recorded."))
    return redirect("resident-detail", pk=resident.pk)


# The registry's domain errors in the page language (the API keeps the English message); an unknown one is
# shown as it is.
_FIELD_LABELS = {
    "grid": gettext_lazy("Grid"),
    "name": gettext_lazy("Name"),
    "id_number": gettext_lazy("ID number"),
    "phone": gettext_lazy("Phone"),
    "address": gettext_lazy("Address"),
    "household": gettext_lazy("Household number"),
    "household_no": gettext_lazy("Household number"),
    "care_tags": gettext_lazy("Care"),
    "moved_in_on": gettext_lazy("Moved in on"),
    "moved_out_on": gettext_lazy("Moved out on"),
    "file": pgettext_lazy("uploaded file", "File"),
}


def _sentence(text: str) -> str:
    """A message as a sentence on its own: capitalised, with a full stop (a Chinese one has its own)."""
    if text.endswith(("。", ".", "！", "？")):
        return text
    if text[:1].isascii():
        return text[:1].upper() + text[1:] + "."
    return text + "。"


def _field_message(exc: DomainError) -> str:
    message = exc.localized()
    if not exc.field:
        return message
    return _("%(field)s: %(message)s") % {
        "field": _FIELD_LABELS.get(exc.field, exc.field),
        "message": message,
    }


@login_required
def resident_import(request):
    """Upload a CSV/XLSX file; a Celery worker imports it and the progress page follows the job."""
    _forbid_unless(
        _scope_nonempty(policy.resident_editable_grid_ids(request.user)),
        _("Only grid administrators import residents."),
    )
    context = {
        "columns": residents_import.COLUMNS,
        "required": residents_import.REQUIRED_COLUMNS,
        "care_tag_choices": Resident.CareTag.choices,
        "jobs": ResidentImportJob.objects.filter(created_by=request.user)[:10],
    }
    if request.method != "POST":
        return render(request, "grids/residents_import.html", context)
    try:
        upload = request.FILES.get("file")
        if upload is None:
            raise InvalidInput(gettext_noop("choose a file"), field="file")
        job = residents_import.resident_import_job_create(
            actor=request.user, upload=upload, partial=request.POST.get("partial") == "1"
        )
    except DomainError as exc:
        messages.error(request, _field_message(exc))
        return render(request, "grids/residents_import.html", context, status=exc.status)
    return redirect("resident-import-job", pk=job.pk)


@login_required
def resident_import_job(request, pk: int):
    job = selectors.resident_import_job_get_for(request.user, pk)
    return render(request, "grids/residents_import_progress.html", {"job": job})


@login_required
def resident_import_job_status(request, pk: int):
    """The small JSON document the progress page polls."""
    job = selectors.resident_import_job_get_for(request.user, pk)
    return JsonResponse(residents_import.import_job_status(job))


# --- Administrator workload -------------------------------------------------------------------------------
# GET: the table (everyone for dispatchers, supervisors and superusers; a grid administrator's own row).
# POST (superusers, dispatchers): assign or unassign one administrator and one grid, then back to the page.


def _workload_scope(request) -> str:
    scope = policy.workload_scope(request.user)
    if scope is None:
        raise PermissionDenied(
            _("The workload page is for the dispatch center, supervisors and grid administrators.")
        )
    return scope


def _assignable_administrators() -> list:
    """Every active grid administrator (idle ones too, whatever jurisdiction is shown), with grids held,
    by name in natural order (`name` is set on each: the display name)."""
    people = list(
        get_user_model()
        .objects.filter(is_active=True, groups__name=Role.GRID_ADMIN)
        .annotate(load=Count("grid_assignments", distinct=True))
    )
    for person in people:
        person.name = display_name(person)
    return sorted(people, key=lambda p: (natural_key(p.name), natural_key(p.username)))


def _workload_context(request, scope: str) -> dict:
    jurisdiction = None
    code = request.GET.get("jurisdiction", "").strip()
    if scope == "all" and code:
        digits = code.isascii() and code.isdigit()  # not "²": str.isdigit() alone takes it
        jurisdiction = Jurisdiction.objects.filter(code=code).first() if digits else None
        if jurisdiction is None:
            raise Http404(_("There is no jurisdiction %(code)s.") % {"code": code[:20]})
    workload = selectors.administrator_workload(
        jurisdiction=jurisdiction, administrator=request.user if scope == "own" else None
    )
    can_assign = scope == "all" and policy.can_assign_grids(request.user)
    return {
        "workload": workload,
        "jurisdiction": jurisdiction,
        "own": scope == "own",
        "can_assign": can_assign,
        "assignable": _assignable_administrators() if can_assign else [],
        # The grids in scope as the assign form's suggestions (code and label): the form takes a code.
        "grid_choices": selectors.grid_choices(jurisdiction=jurisdiction) if can_assign else [],
        "jurisdictions": (
            Jurisdiction.objects.exclude(level=Jurisdiction.Level.COMMUNITY).order_by("code")
            if scope == "all"
            else []
        ),
    }


def _assignment_input(data) -> tuple[str, Grid | None, object, dict[str, DomainError]]:
    """(action, grid, user, refusals) from the posted form: each field is checked on its own, so the page
    says everything that is wrong at once ({field: InvalidInput})."""
    refusals: dict[str, DomainError] = {}
    action = data.get("action", "")
    if action not in ("assign", "unassign"):
        refusals["action"] = InvalidInput(gettext_noop("choose to assign or to unassign"), field="action")
    code = data.get("grid", "").strip()
    grid = None
    if not services.is_grid_code(code):
        refusals["grid"] = InvalidInput(gettext_noop("enter a 14-digit grid code"), field="grid")
    else:
        grid = Grid.objects.select_related("community").filter(code=code).first()
        if grid is None:
            refusals["grid"] = InvalidInput(
                gettext_noop("there is no grid %(code)s"), code=code, field="grid"
            )
    username = data.get("user", "").strip()
    user = None
    if not username or len(username) > 150 or "\x00" in username:
        refusals["user"] = InvalidInput(gettext_noop("choose an administrator"), field="user")
    else:
        user = get_user_model().objects.filter(username=username).first()
        if user is None:
            refusals["user"] = InvalidInput(
                gettext_noop("there is no user %(username)s"), username=username, field="user"
            )
        elif action == "assign" and not (user.is_active and Role.GRID_ADMIN in user_roles(user)):
            refusals["user"] = InvalidInput(
                gettext_noop("%(username)s is not an active grid administrator"),
                username=display_name(user),
                field="user",
            )
    return action, grid, user, refusals


def _workload_refused(request, scope: str, refusals: dict[str, DomainError]):
    """The workload page again with every refusal listed at the top and at its field of the assignment form,
    which keeps the grid code and the administrator chosen."""
    context = _workload_context(request, scope) | {
        "assign_errors": {field: exc.localized() for field, exc in refusals.items()},
        "assign_summary": [
            {
                "href": f"#assign-{field}" if field in ("grid", "user") else "",
                "text": _sentence(exc.localized()),
            }
            for field, exc in refusals.items()
        ],
        "assign_values": {"grid": request.POST.get("grid", ""), "user": request.POST.get("user", "")},
    }
    status = max(exc.status for exc in refusals.values())
    return render(request, "grids/workload.html", context, status=status)


@login_required
@require_http_methods(["GET", "POST"])
def workload(request):
    """Per administrator: grids, area, residents, open and overdue cases; grids nobody patrols."""
    scope = _workload_scope(request)
    if request.method == "POST":
        if not policy.can_assign_grids(request.user):
            raise PermissionDenied(_("Only dispatchers and system administrators assign grids."))
        action, grid, user, refusals = _assignment_input(request.POST)
        if refusals:
            return _workload_refused(request, scope, refusals)
        try:
            if action == "assign":
                held = grid.assignments.filter(user=user).exists()
                services.grid_assign(grid=grid, user=user)
                done = (
                    _("%(user)s already holds grid %(grid)s.")
                    % {"user": display_name(user), "grid": grid.label}
                    if held
                    else None
                )
            else:
                if not services.grid_unassign(grid=grid, user=user):
                    raise InvalidInput(
                        gettext_noop("%(user)s does not hold grid %(grid)s"),
                        user=display_name(user),
                        grid=grid.label,
                        field="user",
                    )
                done = None
        except DomainError as exc:
            return _workload_refused(request, scope, {exc.field or "": exc})
        values = {"user": display_name(user), "grid": grid.label, "code": grid.code}
        if action == "assign":
            success = _("%(user)s now holds %(grid)s (grid code %(code)s).") % values
        else:
            success = _("%(user)s no longer holds %(grid)s (grid code %(code)s).") % values
        messages.success(request, done or success)
        return redirect(request.get_full_path())
    return render(request, "grids/workload.html", _workload_context(request, scope))
