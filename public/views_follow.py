"""Following a public case, subscribing to a grid's new public cases, and the links every message carries:
confirm a grid subscription, stop notices. No login; a link's token is the only key, and opening a link
(GET) never changes anything (mail scanners open links): a button does (POST)."""

from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.translation import get_language
from django.views.decorators.http import require_http_methods

from gridmgmt.errors import DomainError
from grids.models import Grid

from . import follow, selectors, ui
from .guard import Throttled, form_guard
from .models import Channel, Follower, GridSubscription

MAX_CONTACT = 254  # the longest e-mail address there is; a phone is far shorter


def _private(response: HttpResponse) -> HttpResponse:
    """A page opened by a personal link or showing what someone typed: out of caches, search engines and
    other sites' logs."""
    response["Cache-Control"] = "no-store"
    # same-origin, not no-referrer: with no-referrer the browser sends "Origin: null" with the page's own
    # forms, and Django's CSRF check refuses them; other sites still get no referrer (the link's token).
    response["Referrer-Policy"] = "same-origin"
    response["X-Robots-Tag"] = "noindex"
    return response


def _public_grid(code: str) -> Grid | None:
    if not (code.isascii() and code.isdigit() and len(code) <= 20):
        return None
    return Grid.objects.select_related("community__parent").filter(code=code).first()


def _form(request: HttpRequest, context: dict, *, status: int = 200, error: DomainError | None = None):
    errors = {}
    if error is not None:
        errors["contact" if error.field == "contact" else "form"] = error.localized()
    context = {**context, "errors": errors, "contact": request.POST.get("contact", "")[:MAX_CONTACT]}
    response = _private(render(request, "public/follow_form.html", context, status=status))
    if isinstance(error, Throttled):
        response["Retry-After"] = str(error.wait_seconds)
    return response


def _user(request: HttpRequest):
    return request.user if request.user.is_authenticated else None


@require_http_methods(["GET", "POST"])
def case_follow(request: HttpRequest, number: str) -> HttpResponse:
    """GET: the follow form of a public case on a page of its own; POST: follow it (guarded)."""
    case = selectors.public_case_get(number)
    if case is None:
        raise Http404
    context = {"mode": "case", "case": case, "category": ui.category_path(case)}
    if request.method == "GET":
        return _form(request, context)
    try:
        form_guard(request, "subscribe")
        follow.follower_subscribe(
            case=case,
            contact=request.POST.get("contact", ""),
            language=get_language(),
            user=_user(request),
        )
    except DomainError as exc:
        return _form(request, context, status=exc.status, error=exc)
    return _private(render(request, "public/follow_done.html", {"outcome": "following", "case": case}))


@require_http_methods(["GET", "POST"])
def grid_subscribe(request: HttpRequest, code: str) -> HttpResponse:
    """GET: the subscription form of a grid on a page of its own; POST: subscribe (guarded); the address
    then gets a link to confirm."""
    grid = _public_grid(code)
    if grid is None:
        raise Http404
    context = {"mode": "grid", "grid": grid}
    if request.method == "GET":
        return _form(request, context)
    try:
        form_guard(request, "subscribe")
        subscription = follow.grid_subscription_request(
            grid=grid, contact=request.POST.get("contact", ""), language=get_language()
        )
    except DomainError as exc:
        return _form(request, context, status=exc.status, error=exc)
    sms = subscription.channel == Channel.SMS
    return _private(
        render(request, "public/follow_done.html", {"outcome": "confirm_sent", "grid": grid, "sms": sms})
    )


def _link_page(request: HttpRequest, template: str, context: dict, *, status: int = 200) -> HttpResponse:
    return _private(render(request, template, context, status=status))


def _about(subscription) -> dict:
    """What a link's page names: the case (its number) or the grid; never the address."""
    if isinstance(subscription, Follower):
        case = subscription.case
        return {"case": case, "case_public": case.is_public, "grid": None}
    return {"case": None, "grid": subscription.grid}


@require_http_methods(["GET", "POST"])
def unsubscribe(request: HttpRequest, token: str) -> HttpResponse:
    """A message's link to stop: GET asks (a button), POST stops the follower's or the subscription's
    notices. A link of nobody's is "not found"."""
    subscription = follow.subscription_by_token(token)
    if subscription is None:
        return _link_page(request, "public/follow_unsubscribe.html", {"state": "invalid"}, status=404)
    context = _about(subscription)
    if request.method == "GET":
        state = "ask" if subscription.is_active else "done"
        return _link_page(request, "public/follow_unsubscribe.html", {**context, "state": state})
    follow.subscription_end(subscription=subscription)
    return _link_page(request, "public/follow_unsubscribe.html", {**context, "state": "done"})


@require_http_methods(["GET", "POST"])
def subscription_confirm(request: HttpRequest, token: str) -> HttpResponse:
    """The link a grid subscription's address got: GET asks (a button), POST confirms."""
    subscription = follow.subscription_by_token(token)
    if not isinstance(subscription, GridSubscription):
        return _link_page(request, "public/follow_confirm.html", {"state": "invalid"}, status=404)
    context = {"grid": subscription.grid, "token": token}
    if request.method == "POST":
        try:
            subscription = follow.grid_subscription_confirm(subscription=subscription)
        except DomainError as exc:
            return _link_page(
                request,
                "public/follow_confirm.html",
                {**context, "state": _confirm_state(subscription), "error": exc.localized()},
                status=410,
            )
        return _link_page(request, "public/follow_confirm.html", {**context, "state": "confirmed"})
    state = _confirm_state(subscription)
    status = 410 if state in ("expired", "cancelled") else 200
    return _link_page(request, "public/follow_confirm.html", {**context, "state": state}, status=status)


def _confirm_state(subscription: GridSubscription) -> str:
    if not subscription.is_active:
        return "cancelled"
    if subscription.confirmed_at is not None:
        return "confirmed"
    return "expired" if follow.confirm_link_expired(subscription) else "ask"
