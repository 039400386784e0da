"""Browser pages for cases: role home with queues, case detail with its timeline, workflow actions."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_POST

from dispatch.models import Department
from gridmgmt.errors import DomainError, InvalidInput

from . import services
from .models import Case
from .selectors import case_actions_for, case_events, case_get_for, cases_open_queue, cases_visible_to
from .workflow import Action


@login_required
def home(request):
    queue = cases_open_queue(request.user)[:100]
    recent = cases_visible_to(request.user)[:20]
    return render(request, "cases/home.html", {"queue": queue, "recent": recent})


def _detail_context(request, case: Case) -> dict:
    return {
        "case": case,
        "events": case_events(case),
        "photos": case.photos.all(),
        "actions": case_actions_for(request.user, case),
        "departments": Department.objects.filter(is_active=True),
    }


@login_required
def case_detail(request, pk: int):
    case = case_get_for(request.user, pk)
    return render(request, "cases/detail.html", _detail_context(request, case))


def _version(request) -> int | None:
    raw = request.POST.get("version")
    return int(raw) if raw and raw.isdigit() else None


def _department(request) -> Department:
    raw = request.POST.get("department", "")
    if not raw.isdigit():
        raise InvalidInput("choose a department", field="department")
    return get_object_or_404(Department, pk=int(raw), is_active=True)


def _duplicate_of(request) -> Case | None:
    number = request.POST.get("duplicate_of", "").strip()
    if not number:
        return None
    duplicate = Case.objects.filter(number=number).first()
    if duplicate is None:
        raise InvalidInput(f"there is no case {number}", field="duplicate_of")
    return duplicate


_ACTIONS = {
    Action.FILE: lambda r, c, v: services.case_file(
        case=c, actor=r.user, note=r.POST.get("note", ""), expected_version=v
    ),
    Action.REJECT: lambda r, c, v: services.case_reject(
        case=c,
        actor=r.user,
        reason=r.POST.get("reason", ""),
        duplicate_of=_duplicate_of(r),
        expected_version=v,
    ),
    Action.DISPATCH: lambda r, c, v: services.case_dispatch(
        case=c, actor=r.user, department=_department(r), note=r.POST.get("note", ""), expected_version=v
    ),
    Action.ACCEPT: lambda r, c, v: services.case_accept(case=c, actor=r.user, expected_version=v),
    Action.RETURN: lambda r, c, v: services.case_return(
        case=c, actor=r.user, reason=r.POST.get("reason", ""), expected_version=v
    ),
    Action.REQUEST_EXTENSION: lambda r, c, v: services.case_request_extension(
        case=c,
        actor=r.user,
        minutes=r.POST.get("minutes"),
        reason=r.POST.get("reason", ""),
        expected_version=v,
    ),
    Action.APPROVE_EXTENSION: lambda r, c, v: services.case_approve_extension(
        case=c, actor=r.user, note=r.POST.get("note", ""), expected_version=v
    ),
    Action.DENY_EXTENSION: lambda r, c, v: services.case_deny_extension(
        case=c, actor=r.user, reason=r.POST.get("reason", ""), expected_version=v
    ),
    Action.SUSPEND: lambda r, c, v: services.case_suspend(
        case=c, actor=r.user, reason=r.POST.get("reason", ""), expected_version=v
    ),
    Action.RESUME: lambda r, c, v: services.case_resume(
        case=c, actor=r.user, note=r.POST.get("note", ""), expected_version=v
    ),
    Action.RESOLVE: lambda r, c, v: services.case_resolve(
        case=c,
        actor=r.user,
        notes=r.POST.get("notes", ""),
        photos=r.FILES.getlist("photos"),
        expected_version=v,
    ),
    Action.VERIFY_PASS: lambda r, c, v: services.case_verify_pass(
        case=c,
        actor=r.user,
        note=r.POST.get("note", ""),
        photos=r.FILES.getlist("photos"),
        expected_version=v,
    ),
    Action.VERIFY_FAIL: lambda r, c, v: services.case_verify_fail(
        case=c,
        actor=r.user,
        reason=r.POST.get("reason", ""),
        photos=r.FILES.getlist("photos"),
        expected_version=v,
    ),
}


@login_required
@require_POST
def case_action(request, pk: int, action: str):
    case = case_get_for(request.user, pk)
    handler = _ACTIONS.get(action)
    if handler is None:
        messages.error(request, f"Unknown action {action!r}.")
        return render(request, "cases/detail.html", _detail_context(request, case), status=404)
    try:
        handler(request, case, _version(request))
    except DomainError as exc:
        messages.error(request, exc.message)
        case.refresh_from_db()
        return render(request, "cases/detail.html", _detail_context(request, case), status=exc.status)
    messages.success(request, f"Case {case.number}: {action.replace('_', ' ')} done.")
    return redirect("case-detail", pk=case.pk)
