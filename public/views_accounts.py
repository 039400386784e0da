"""Resident accounts on the public site (sign-up, confirmation, sign-in, password reset, my reports, the
registry link request) and the grid administrators' queue of registry links. The rules and every write are
in public.accounts; each public form passes public.guard first (honeypot, proof of work, throttle)."""

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import authenticate, get_user_model
from django.contrib.auth import login as auth_login
from django.contrib.auth import logout as auth_logout
from django.contrib.auth.decorators import login_required
from django.contrib.auth.tokens import default_token_generator
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.http import url_has_allowed_host_and_scheme, urlsafe_base64_decode
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop
from django.views.decorators.debug import sensitive_post_parameters
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from cases.ui import RESIDENT_STATE_LABELS
from gridmgmt.errors import DomainError, InvalidInput
from gridmgmt.roles import Role, user_roles

from . import accounts, forms_accounts, ui
from .guard import Throttled, form_guard, throttle_take
from .models import Channel, RegistryLinkRequest

User = get_user_model()
REPORTS_PER_PAGE = 30
SIGNUP_SESSION = "public_signup_account"  # the account signed up in this browser (its code logs it in)
PHONE_SESSION = "public_code_phone"  # the phone a sign-up or reset code went to, prefilled on the code page
_BACKEND = "django.contrib.auth.backends.ModelBackend"


def _private(response: HttpResponse) -> HttpResponse:
    """Account pages: never cached, never indexed, their links (tokens) never sent to another site as a
    referrer. Not "no-referrer": a browser then sends `Origin: null` with the page's own forms, which
    Django's CSRF check refuses."""
    response["Cache-Control"] = "no-store"
    response["Referrer-Policy"] = "same-origin"
    response["X-Robots-Tag"] = "noindex"
    return response


def _page(request, template: str, context: dict, *, status: int = 200, error=None) -> HttpResponse:
    context = {
        "confirm_hours": settings.PUBLIC_CONFIRM_LINK_HOURS,
        "code_minutes": settings.PUBLIC_CODE_MINUTES,
        **context,
    }
    response = _private(render(request, f"public/account/{template}", context, status=status))
    if isinstance(error, Throttled):
        response["Retry-After"] = str(error.wait_seconds)
    return response


def _posted(request: HttpRequest):
    """The form's data on POST (bound even when empty, so its errors show), None on GET."""
    return request.POST if request.method == "POST" else None


def _base_url(request: HttpRequest) -> str:
    return request.build_absolute_uri("/").rstrip("/")


def _is_staff(user) -> bool:
    """Staff sign in on the public page too; their pages are the staff site's."""
    return user.is_staff or user.is_superuser or bool(user_roles(user) - {Role.RESIDENT})


def _landing(request: HttpRequest, user) -> HttpResponse:
    target = request.POST.get("next") or request.GET.get("next") or ""
    if target.startswith("/") and url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return redirect(target)
    return redirect("home" if _is_staff(user) else "public-my-reports")


def _refused(form, exc: DomainError) -> int:
    """Put a service's refusal on its field (or the whole form) and return the status to answer with."""
    field = exc.field if exc.field in form.fields else None
    form.add_error(field, exc.localized())
    return exc.status


def _sign_in(request: HttpRequest, user) -> None:
    auth_login(request, user, backend=_BACKEND)


# --- sign-up and confirmation -------------------------------------------------------------------------------


@sensitive_post_parameters("password1", "password2")
@require_http_methods(["GET", "POST"])
def signup(request: HttpRequest) -> HttpResponse:
    """An account by e-mail address (a confirmation link) or mobile phone (a code by text message)."""
    if request.user.is_authenticated:
        return _landing(request, request.user)
    form = forms_accounts.SignupForm(_posted(request))
    if request.method == "GET" or not form.is_valid():
        return _page(request, "signup.html", {"form": form}, status=200 if request.method == "GET" else 400)
    data = form.cleaned_data
    try:
        form_guard(request, "signup")
        channel, _address = accounts.contact_read(data["contact"])
        if channel == Channel.EMAIL:
            result = accounts.account_signup_email(
                email=data["contact"],
                password=data["password1"],
                display_name=data["display_name"],
                base_url=_base_url(request),
            )
        else:
            result = accounts.account_signup_phone(
                phone=data["contact"], password=data["password1"], display_name=data["display_name"]
            )
    except DomainError as exc:
        if exc.field in ("email", "phone"):
            exc.field = "contact"
        status = _refused(form, exc)
        return _page(request, "signup.html", {"form": form}, status=status, error=exc)
    if result.account is not None:
        request.session[SIGNUP_SESSION] = result.account.pk
    if result.channel == Channel.SMS:
        request.session[PHONE_SESSION] = result.address
        return redirect("public-phone-code")
    return _page(request, "signup_sent.html", {})


@require_GET
def email_confirm(request: HttpRequest, token: str) -> HttpResponse:
    """The link of the confirmation mail. In the browser that signed up, it also signs in."""
    try:
        account = accounts.email_confirm(token=token)
    except DomainError as exc:
        return _page(request, "confirmed.html", {"error": exc.localized()}, status=exc.status)
    if request.session.get(SIGNUP_SESSION) == account.pk and account.user.is_active:
        _sign_in(request, account.user)
        request.session.pop(SIGNUP_SESSION, None)
    return _page(request, "confirmed.html", {"account": account})


@require_http_methods(["GET", "POST"])
def phone_code(request: HttpRequest) -> HttpResponse:
    """The sign-up code: confirms the phone (and signs in the browser that signed up); or a new code."""
    initial = {"phone": request.session.get(PHONE_SESSION, "")}
    form = forms_accounts.PhoneCodeForm(_posted(request), initial=initial)
    context = {"form": form}
    if request.method == "GET":
        return _page(request, "phone_code.html", context)
    if not form.is_valid():
        return _page(request, "phone_code.html", context, status=400)
    data = form.cleaned_data
    try:
        form_guard(request, "code")
        if "resend" in request.POST:
            accounts.phone_code_resend(phone=data["phone"])
            context["resent"] = True
            return _page(request, "phone_code.html", context)
        account = accounts.phone_confirm(phone=data["phone"], code=data["code"])
    except DomainError as exc:
        status = _refused(form, exc)
        return _page(request, "phone_code.html", context, status=status, error=exc)
    request.session.pop(PHONE_SESSION, None)
    if request.session.get(SIGNUP_SESSION) == account.pk and account.user.is_active:
        request.session.pop(SIGNUP_SESSION, None)
        _sign_in(request, account.user)
    return _page(request, "confirmed.html", {"account": account})


# --- sign-in and out ----------------------------------------------------------------------------------------


@sensitive_post_parameters("password")
@require_http_methods(["GET", "POST"])
def login(request: HttpRequest) -> HttpResponse:
    """E-mail address or phone (or a staff username) and password. Django's authenticate() with the request,
    so django-axes locks out as on the staff login; an unknown identifier fails like a wrong password."""
    if request.user.is_authenticated and request.method == "GET":
        return _landing(request, request.user)
    form = forms_accounts.LoginForm(_posted(request))
    context = {"form": form, "next": request.POST.get("next") or request.GET.get("next") or ""}
    if request.method == "GET":
        return _page(request, "login.html", context)
    if not form.is_valid():
        return _page(request, "login.html", context, status=400)
    try:
        form_guard(request, "login")
    except DomainError as exc:
        status = _refused(form, exc)
        return _page(request, "login.html", context, status=status, error=exc)
    username = accounts.login_username(form.cleaned_data["identifier"])
    user = authenticate(request, username=username, password=form.cleaned_data["password"])
    if user is None:  # a locked-out pair is answered by axes' middleware (429) from request.axes_locked_out
        form.add_error(None, _("The e-mail address, phone or password is wrong."))
        return _page(request, "login.html", context, status=400)
    auth_login(request, user)
    return _landing(request, user)


@require_POST
def logout(request: HttpRequest) -> HttpResponse:
    auth_logout(request)
    return redirect("public-home")


# --- password reset -----------------------------------------------------------------------------------------


@require_http_methods(["GET", "POST"])
def password_reset(request: HttpRequest) -> HttpResponse:
    """Ask for a reset link (e-mail) or code (phone). The answer never tells whether an account has it."""
    form = forms_accounts.ResetRequestForm(_posted(request))
    if request.method == "GET":
        return _page(request, "password_reset.html", {"form": form})
    if not form.is_valid():
        return _page(request, "password_reset.html", {"form": form}, status=400)
    try:
        form_guard(request, "code")
        channel, address = accounts.password_reset_request(
            contact=form.cleaned_data["contact"], base_url=_base_url(request)
        )
    except DomainError as exc:
        if exc.field in ("email", "phone"):
            exc.field = "contact"
        status = _refused(form, exc)
        return _page(request, "password_reset.html", {"form": form}, status=status, error=exc)
    if channel == Channel.SMS:
        request.session[PHONE_SESSION] = address
        return redirect("public-password-reset-code")
    return _page(request, "password_reset_sent.html", {})


def _reset_user(uidb64: str):
    try:
        pk = int(urlsafe_base64_decode(uidb64[:40]).decode())
    except (TypeError, ValueError, OverflowError, UnicodeDecodeError):
        return None
    return User.objects.filter(pk=pk, is_active=True).first()


@sensitive_post_parameters("password1", "password2")
@require_http_methods(["GET", "POST"])
def password_reset_confirm(request: HttpRequest, uidb64: str, token: str) -> HttpResponse:
    """The reset mail's link: a new password, typed twice."""
    user = _reset_user(uidb64)
    form = forms_accounts.SetPasswordForm(_posted(request), user=user)
    context = {"form": form, "valid": user is not None and default_token_generator.check_token(user, token)}
    if not context["valid"]:
        return _page(request, "password_set.html", context, status=400)
    if request.method == "GET":
        return _page(request, "password_set.html", context)
    if not form.is_valid():
        return _page(request, "password_set.html", context, status=400)
    try:
        form_guard(request, "code")
        accounts.password_reset_by_link(user=user, token=token, password=form.cleaned_data["password1"])
    except DomainError as exc:
        status = _refused(form, exc)
        return _page(request, "password_set.html", context, status=status, error=exc)
    return _page(request, "password_done.html", {})


@sensitive_post_parameters("password1", "password2")
@require_http_methods(["GET", "POST"])
def password_reset_code(request: HttpRequest) -> HttpResponse:
    """The reset code texted to the phone, and the new password."""
    initial = {"phone": request.session.get(PHONE_SESSION, "")}
    form = forms_accounts.ResetCodeForm(_posted(request), initial=initial)
    if request.method == "GET":
        return _page(request, "password_code.html", {"form": form})
    if not form.is_valid():
        return _page(request, "password_code.html", {"form": form}, status=400)
    data = form.cleaned_data
    try:
        form_guard(request, "code")
        accounts.password_reset_by_code(phone=data["phone"], code=data["code"], password=data["password1"])
    except DomainError as exc:
        status = _refused(form, exc)
        return _page(request, "password_code.html", {"form": form}, status=status, error=exc)
    request.session.pop(PHONE_SESSION, None)
    return _page(request, "password_done.html", {})


# --- the resident's own pages -------------------------------------------------------------------------------


def _resident_page(view):
    """Signed in on the public login page; staff go to their own site."""

    @login_required(login_url="public-login")
    def wrapped(request, *args, **kwargs):
        if _is_staff(request.user):
            return redirect("home")
        return view(request, *args, **kwargs)

    wrapped.__name__ = view.__name__
    wrapped.__doc__ = view.__doc__
    return wrapped


@require_http_methods(["GET", "POST"])
@_resident_page
def my_reports(request: HttpRequest) -> HttpResponse:
    """The resident's own reports, newest first, with the account's confirmation and registry link. POST
    mails a fresh confirmation link."""
    account = accounts.account_of(request.user)
    notice = ""
    if request.method == "POST":
        try:
            throttle_take(request, "signup")
            if account is not None:
                accounts.email_confirm_resend(account=account, base_url=_base_url(request))
        except DomainError as exc:
            notice = exc.localized()
        else:
            notice = _("A new confirmation link is on its way to your e-mail address.")
    page = Paginator(accounts.my_reports_list(request.user), REPORTS_PER_PAGE).get_page(
        request.GET.get("page")
    )
    rows = [
        {
            "case": case,
            "state": RESIDENT_STATE_LABELS.get(case.state, case.state),
            "category": ui.category_path(case),
        }
        for case in page
    ]
    context = {
        "account": account,
        "phone_masked": accounts.account_phone_masked(account),
        "link": accounts.link_request_latest(account),
        "page": page,
        "rows": rows,
        "notice": notice,
    }
    return _page(request, "my_reports.html", context)


@sensitive_post_parameters("id_number")
@require_http_methods(["GET", "POST"])
@_resident_page
def registry_link(request: HttpRequest) -> HttpResponse:
    """A confirmed resident asks to be linked to the registry of their grid (full name and ID number)."""
    account = accounts.account_of(request.user)
    form = forms_accounts.RegistryLinkForm(_posted(request))
    form.fields["grid"].choices = forms_accounts.grid_choices()
    context = {"account": account, "form": form, "link": accounts.link_request_latest(account)}
    if request.method == "GET":
        return _page(request, "registry_link.html", context)
    if account is None:
        form.is_valid()  # add_error needs the cleaned data
        form.add_error(None, _("Only a resident account can be linked to the registry."))
        return _page(request, "registry_link.html", context, status=403)
    if not form.is_valid():
        return _page(request, "registry_link.html", context, status=400)
    data = form.cleaned_data
    try:
        form_guard(request, "link")
        accounts.registry_link_request(
            account=account, grid=data["grid"], full_name=data["full_name"], id_number=data["id_number"]
        )
    except DomainError as exc:
        status = _refused(form, exc)
        return _page(request, "registry_link.html", context, status=status, error=exc)
    return redirect("public-registry-link")


# --- the grid administrators' queue -------------------------------------------------------------------------


def _require_link_decider(request: HttpRequest) -> None:
    if not accounts.can_decide_links(request.user):
        raise PermissionDenied(_("Registry links are confirmed by the administrators of the grid."))


def _queue(request: HttpRequest, *, status: int = 200, error=None) -> HttpResponse:
    context = {"rows": accounts.link_requests_pending(request.user), "error": error}
    return render(request, "public/account/link_queue.html", context, status=status)


@login_required
@require_GET
def link_queue(request: HttpRequest) -> HttpResponse:
    """Pending registry link requests of the administrator's grids, the oldest first, each saying whether
    the registry has a current resident that matches (its masked name), never the ID number."""
    _require_link_decider(request)
    return _queue(request)


@login_required
@require_POST
def link_decide(request: HttpRequest, request_id: int) -> HttpResponse:
    """Approve (a matching request) or decline (with a reason) one request of the administrator's grids;
    a request of another grid is not found."""
    _require_link_decider(request)
    link = accounts.link_requests_visible(request.user).select_related("grid").filter(pk=request_id).first()
    if link is None:
        raise Http404
    decision = request.POST.get("decision", "")
    reason = request.POST.get("reason", "")
    try:
        if decision not in ("approve", "decline"):
            raise InvalidInput(gettext_noop("choose approve or decline"), field="decision")
        link = accounts.registry_link_decide(
            link=link, actor=request.user, approve=decision == "approve", reason=reason
        )
    except DomainError as exc:
        error = {
            "request_id": link.pk,
            "field": exc.field if exc.field in ("decision", "reason") else "",
            "message": exc.localized(),
            "values": {"decision": decision, "reason": reason},
        }
        return _queue(request, status=exc.status, error=error)
    if link.state == RegistryLinkRequest.State.APPROVED:
        messages.success(
            request, _("The account is now a verified resident of %(grid)s.") % {"grid": link.grid.name}
        )
    else:
        messages.success(request, _("The request was declined; the resident reads your reason."))
    return redirect("registry-links")
