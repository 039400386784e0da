"""Browser pages of the 12345 hotline: the dispatcher's intake form (the report form and the caller), the
earlier calls of a number as it is typed, the call backs due, and one case's caller (reveal, call back).

Thin like cases.views: the writes are cases.hotline's and cases.services's, the report form's map, address
search and category choice are report.html's (the intake extends it).
"""

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy as _lazy
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from gridmgmt import clock
from gridmgmt.errors import DomainError, InvalidInput
from gridmgmt.roles import Role, user_roles
from grids.maps import grid_map_features, map_config

from . import hotline, services
from .forms import MAX_VERSION, ReportForm, form_error_summary
from .models import Case, CaseCaller
from .selectors import case_get_for, categories_minor
from .services import MAX_TEXT
from .ui import PRIORITY_LABELS
from .views import _REPORT_FIELDS, _may_pick_facilities, _report_grids, _report_initial, _safe_next

CALLBACKS_PER_PAGE = 20


def _require_dispatcher(request) -> None:
    if Role.DISPATCHER not in user_roles(request.user):
        raise PermissionDenied(_("This page is not part of your role."))


# --- intake -----------------------------------------------------------------------------------------------


class HotlineForm(ReportForm):
    """The report form and who rang: the caller's name (optional) and phone, and the priority the
    dispatcher hears in the call."""

    field_order = ["caller_phone", "caller_name"]  # first on the page, first in the error summary

    caller_name = forms.CharField(label=_lazy("Caller's name (optional)"), max_length=50, required=False)
    caller_phone = forms.CharField(label=_lazy("Caller's phone"), max_length=40)
    priority = forms.TypedChoiceField(
        label=_lazy("Priority"),
        coerce=int,
        required=False,
        empty_value=None,
        choices=[("", _lazy("as the category says")), *PRIORITY_LABELS.items()],
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["caller_phone"].widget.attrs.update(
            {"type": "tel", "inputmode": "tel", "autocomplete": "off", "aria-describedby": "caller-history"}
        )
        self.fields["caller_name"].widget.attrs.update({"autocomplete": "off"})

    def clean_caller_phone(self) -> str:
        # The service's own check, here too, so that a wrong number is listed with every other error.
        try:
            return hotline.caller_phone_normalise(self.cleaned_data["caller_phone"])
        except InvalidInput as exc:
            raise forms.ValidationError(exc.localized()) from None


# services name the field they refuse; the form shows the message next to that input.
_INTAKE_FIELDS = {**_REPORT_FIELDS, "caller_name": "caller_name", "caller_phone": "caller_phone"}


@login_required
@require_http_methods(["GET", "POST"])
def hotline_intake(request):
    """The dispatcher takes a call: who rang, then the case as on the report form."""
    _require_dispatcher(request)
    categories = list(categories_minor().order_by("code"))
    status = 200
    if request.method == "POST":
        form = HotlineForm(request.POST, request.FILES, categories=categories)
        if form.is_valid():
            data = form.cleaned_data
            try:
                facility = services.facility_by_code(data["facility"]) if data["facility"] else None
                case = hotline.hotline_case_report(
                    actor=request.user,
                    caller_name=data["caller_name"],
                    caller_phone=data["caller_phone"],
                    lat=data["lat"],
                    lng=data["lng"],
                    category=data["category"],
                    description=data["description"],
                    address=data["address"],
                    priority=data["priority"],
                    photos=data["photos"],
                    facility=facility,
                )
            except DomainError as exc:
                form.add_error(_INTAKE_FIELDS.get(exc.field or ""), exc.localized())
                status = exc.status
            else:
                messages.success(
                    request, _("Case %(number)s taken on the hotline.") % {"number": case.number}
                )
                return redirect("case-detail", pk=case.pk)
        else:
            status = 400
    else:
        form = HotlineForm(initial=_report_initial(request), categories=categories)
    location = ("#where-help", _("Location"))
    context = {
        "form": form,
        "errors": form_error_summary(form, anchors={"lat": location, "lng": location})
        if form.is_bound
        else [],
        "files_dropped": bool(request.FILES),
        "grid_geojson": grid_map_features(list(_report_grids(request.user))),
        "map_config": map_config(),
        "pick_facilities": _may_pick_facilities(request.user),
    }
    return render(request, "cases/hotline.html", context, status=status)


@login_required
@require_GET
def hotline_history(request):
    """The intake form's live look-up: how often the number typed so far rang before, and about what."""
    _require_dispatcher(request)
    raw = request.GET.get("caller_phone", "")[:40]
    context = {"typed": bool(raw.strip())}
    if raw.strip():
        try:
            count, latest = hotline.caller_history(actor=request.user, phone=raw)
        except InvalidInput:
            context["incomplete"] = True  # still typing, or a mistake the form will name when it is sent
        else:
            context.update(count=count, latest=latest, more=count - len(latest))
    return render(request, "cases/hotline_history.html", context)


# --- call backs -------------------------------------------------------------------------------------------


class CallbackForm(forms.Form):
    result = forms.ChoiceField(
        choices=list(hotline.CALLBACK_LABELS.items()),
        error_messages={"required": _lazy("Choose what the caller said.")},
    )
    note = forms.CharField(required=False, max_length=MAX_TEXT)
    version = forms.IntegerField(required=False, min_value=0, max_value=MAX_VERSION)


class RevealForm(forms.Form):
    reason = forms.CharField(
        max_length=hotline.MAX_REVEAL_REASON,
        error_messages={"required": _lazy("Say why you need the number: the reason is recorded.")},
    )


def _callback_choices() -> list[tuple[str, str]]:
    return list(hotline.CALLBACK_LABELS.items())


@login_required
@require_GET
def hotline_callbacks(request):
    """Closed hotline cases whose caller has not been called back yet, the longest waiting first."""
    _require_dispatcher(request)
    page = Paginator(hotline.hotline_callbacks_due(request.user), CALLBACKS_PER_PAGE).get_page(
        request.GET.get("page")
    )
    rows = [{"case": case, "caller": hotline.caller_masked(case.caller)} for case in page]
    context = {"page": page, "rows": rows, "now": clock.now(), "choices": _callback_choices()}
    return render(request, "cases/hotline_callbacks.html", context)


def _hotline_case(request, pk: int) -> Case:
    """A case taken on the hotline, for a dispatcher; 404 for a case without a caller."""
    _require_dispatcher(request)
    case = case_get_for(request.user, pk)
    if not CaseCaller.objects.filter(case_id=case.pk).exists():
        raise Http404("No caller")
    return case


def _caller_page(
    request, case: Case, *, status: int = 200, revealed=None, reveal_form=None, callback_form=None
):
    """One case's caller: masked (or, just after a reveal, in full), the reveal and the call back forms,
    each with its errors and what was typed."""
    context = {
        "case": case,
        "caller": hotline.caller_for(case, request.user),
        "revealed": revealed,
        "reveal_form": reveal_form,
        "callback_form": callback_form,
        "choices": _callback_choices(),
        "next": _safe_next(request, reverse("hotline-callbacks")),
        "now": clock.now(),
    }
    response = render(request, "cases/hotline_caller.html", context, status=status)
    response["Cache-Control"] = "no-store"  # a revealed number must not sit in a browser or proxy cache
    return response


@login_required
@require_GET
def hotline_caller(request, pk: int):
    return _caller_page(request, _hotline_case(request, pk))


@login_required
@require_POST
def hotline_reveal(request, pk: int):
    """The caller's name and number in full, with the reason recorded in the case's history."""
    case = _hotline_case(request, pk)
    form = RevealForm(request.POST)
    if not form.is_valid():
        return _caller_page(request, case, status=400, reveal_form=form)
    try:
        revealed = hotline.caller_reveal(case=case, actor=request.user, reason=form.cleaned_data["reason"])
    except DomainError as exc:
        form.add_error("reason" if exc.field == "reason" else None, exc.localized())
        return _caller_page(request, case, status=exc.status, reveal_form=form)
    return _caller_page(request, case, revealed=revealed)


@login_required
@require_POST
def hotline_callback(request, pk: int):
    """Record what the caller said when called back (cases.services.case_callback)."""
    case = _hotline_case(request, pk)
    form = CallbackForm(request.POST)
    if form.is_valid():
        data = form.cleaned_data
        try:
            services.case_callback(
                case=case,
                actor=request.user,
                result=data["result"],
                note=data["note"],
                expected_version=data["version"],
            )
        except DomainError as exc:
            field = exc.field if exc.field in form.fields else None
            form.add_error(field, exc.localized())
            return _caller_page(request, case, status=exc.status, callback_form=form)
        label = hotline.CALLBACK_LABELS[data["result"]]
        messages.success(
            request,
            _("Case %(number)s: call back recorded (%(result)s).") % {"number": case.number, "result": label},
        )
        return redirect(_safe_next(request, reverse("hotline-callbacks")))
    return _caller_page(request, case, status=400, callback_form=form)
