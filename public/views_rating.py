"""The rating page a closed case's reporter reaches by their signed link (no login), and the dispatch
center's queue of dissatisfied ratings with its decision (public.ratings holds the rules and the writes)."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import pgettext_lazy
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from gridmgmt import clock
from gridmgmt.errors import DomainError
from gridmgmt.roles import Role, user_roles

from . import ratings, ui
from .guard import Throttled, form_guard
from .models import CaseRating

REVIEWS_PER_PAGE = 50

# The three answers as the page offers them (the models' labels are the staff's lower-case words).
RATING_CHOICES = (
    (CaseRating.Rating.SATISFIED, pgettext_lazy("rating choice", "Satisfied")),
    (CaseRating.Rating.BASICALLY, pgettext_lazy("rating choice", "Basically satisfied")),
    (CaseRating.Rating.DISSATISFIED, pgettext_lazy("rating choice", "Dissatisfied")),
)
RATING_LABELS = dict(RATING_CHOICES)


def _private(response: HttpResponse) -> HttpResponse:
    """A page opened by a personal link: kept out of caches, search engines and other sites' logs. (Not
    "no-referrer": the browser would then send its form with `Origin: null`, which the CSRF check refuses.)"""
    response["Cache-Control"] = "no-store"
    response["Referrer-Policy"] = "same-origin"
    response["X-Robots-Tag"] = "noindex"
    return response


def _done(request: HttpRequest, outcome: str, *, status: int = 200, state=None) -> HttpResponse:
    """The page of a link that rates nothing (any more): "thanks" and "already" (with the answer given),
    "expired", "spent" (the case was reopened since) or "invalid"."""
    rating = state.rating if state is not None else None
    context = {
        "outcome": outcome,
        "rating_label": RATING_LABELS.get(rating.rating, "") if rating is not None else "",
        "case": state.invitation.case if state is not None and state.invitation is not None else None,
    }
    return _private(render(request, "public/rate_done.html", context, status=status))


def _form(request: HttpRequest, state, *, status: int = 200, errors=None, values=None) -> HttpResponse:
    case = ratings.rating_case_steps(state.invitation.case)
    context = {
        "case": case,
        "category": ui.category_path(case),
        "place": ui.place_label(case),
        "steps": ui.steps(case),
        # What the public may read of the report: its text only when the case is public.
        "description": (case.public_description or case.description) if case.is_public else "",
        "choices": RATING_CHOICES,
        "errors": errors or {},
        "values": values or {},
        "max_comment": ratings.MAX_COMMENT,
    }
    return _private(render(request, "public/rate.html", context, status=status))


def _closed_outcome(request: HttpRequest, state) -> HttpResponse | None:
    """The page of a link that can no longer rate, or None while it can."""
    if state.invitation is None:
        return _done(request, "invalid", status=404)
    if state.used:
        outcome = "thanks" if request.GET.get("thanks") == "1" else "already"
        return _done(request, outcome, state=state)
    if state.spent:
        return _done(request, "spent", status=410, state=state)
    if state.expired:
        return _done(request, "expired", status=410, state=state)
    return None


@require_http_methods(["GET", "POST"])
def rate(request: HttpRequest, token: str) -> HttpResponse:
    """GET: the case and the three answers; POST: the answer (guarded against robots and floods)."""
    state = ratings.rating_link_read(token)
    closed = _closed_outcome(request, state)
    if closed is not None:
        return closed
    if request.method == "GET":
        return _form(request, state)
    values = {"rating": request.POST.get("rating", ""), "comment": request.POST.get("comment", "")}
    try:
        form_guard(request, "rating")
        ratings.rating_record(invitation=state.invitation, rating=values["rating"], comment=values["comment"])
    except DomainError as exc:
        again = ratings.rating_link_read(token)
        closed = _closed_outcome(request, again)
        if closed is not None:  # answered meanwhile (another tab), or spent: say so instead of the form
            return closed
        field = exc.field if exc.field in ("rating", "comment") else "form"
        response = _form(request, state, status=exc.status, errors={field: exc.localized()}, values=values)
        if isinstance(exc, Throttled):
            response["Retry-After"] = str(exc.wait_seconds)
        return response
    return redirect(f"{reverse('public-rate', kwargs={'token': token})}?thanks=1")


# --- the dispatch center's review ---------------------------------------------------------------------------


def _require_dispatcher(request: HttpRequest) -> None:
    if not (request.user.is_superuser or Role.DISPATCHER in user_roles(request.user)):
        raise PermissionDenied(_("Ratings are reviewed by the dispatch center."))


def _queue(request: HttpRequest, *, status: int = 200, error=None) -> HttpResponse:
    page = Paginator(ratings.ratings_pending_review(), REVIEWS_PER_PAGE).get_page(request.GET.get("page"))
    context = {
        "page": page,
        "rows": list(page),
        "error": error,
        "now": clock.now(),
        "rating_labels": RATING_LABELS,
        "decisions": (
            ("reopen", _("Reopen for rework")),
            ("keep", _("Keep closed")),
        ),
    }
    return render(request, "public/reviews.html", context, status=status)


@login_required
@require_GET
def review_queue(request: HttpRequest) -> HttpResponse:
    """Dissatisfied ratings waiting for a decision, the oldest first."""
    _require_dispatcher(request)
    return _queue(request)


@login_required
@require_POST
def review_decide(request: HttpRequest, rating_id: int) -> HttpResponse:
    """Reopen the rated case for rework, or keep it closed, with a reason; a refusal shows on the queue
    with what was typed."""
    _require_dispatcher(request)
    rating = get_object_or_404(CaseRating.objects.select_related("case"), pk=rating_id)
    decision = request.POST.get("decision", "")
    reason = request.POST.get("reason", "")
    try:
        ratings.rating_review_decide(rating=rating, actor=request.user, decision=decision, reason=reason)
    except DomainError as exc:
        error = {
            "rating_id": rating.pk,
            "number": rating.case.number,
            "field": exc.field if exc.field in ("decision", "reason") else "",
            "message": exc.localized(),
            "values": {"decision": decision, "reason": reason},
        }
        return _queue(request, status=exc.status, error=error)
    if decision == "reopen":
        text = _("Case %(number)s was reopened for rework.")
    else:
        text = _("Case %(number)s stays closed; the reason is recorded.")
    messages.success(request, text % {"number": rating.case.number})
    return redirect("rating-reviews")
