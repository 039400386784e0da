"""Patrol pages: a grid administrator's day (today's grids, tracks and plan), the recording page on the phone,
one patrol's figures, flags and map, and the supervisors' list and decision.

Views stay thin: reads come from patrols.selectors (scoped by gridmgmt.policy: a patrol outside the viewer's
scope is a 404, a role without patrols a 403), every write goes through patrols.services. The recording page
posts its points to the REST API (/api/v1/patrols/<id>/points/), the one way points arrive.
"""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.db.models import Case, IntegerField, Value, When
from django.shortcuts import redirect, render
from django.urls import path, reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy as _lazy
from django.utils.translation import pgettext
from django.views.decorators.http import require_GET, require_POST

from gridmgmt import clock, policy
from gridmgmt.errors import DomainError
from gridmgmt.figures import decimal_text
from gridmgmt.messages import Message
from grids.maps import grid_map_features, map_config
from grids.selectors import grids_for_user

from .. import plans, selectors, services
from ..forms_patrols import PatrolListFilterForm, PatrolReviewForm
from ..models import Patrol

# How often the recording page sends its buffered points (seconds); a setting may shorten it (the browser
# test does), the default keeps a phone's radio mostly idle.
SEND_EVERY_S = 10


# A flag's short name in lists; its full sentence (with counts and limits) is on the patrol's page.
FLAG_NAMES = {
    "speed": _lazy("too fast"),
    "jump": _lazy("jumps"),
    "accuracy": _lazy("poor accuracy"),
    "order": _lazy("out of order"),
    "future": _lazy("time in the future"),
    "silence": _lazy("long silences"),
    "late": _lazy("sent late"),
    "outside": _lazy("outside own grids"),
    "copied": _lazy("repeats an earlier patrol"),
}


def duration_text(seconds: int) -> str:
    hours, minutes = divmod(round((seconds or 0) / 60), 60)
    if hours:
        return _("%(h)s h %(m)s min") % {"h": hours, "m": minutes}
    return _("%(m)s min") % {"m": minutes}


def distance_text(metres: float) -> str:
    return _("%(km)s km") % {"km": decimal_text((metres or 0) / 1000, 2)}


def _row(patrol: Patrol) -> dict:
    """A patrol as a list shows it: its figures written out, its flags by short name."""
    return {
        "patrol": patrol,
        "computed": patrol.state == Patrol.State.COMPUTED,
        "distance": distance_text(patrol.distance_m),
        "duration": duration_text(patrol.duration_s),
        "flags": pgettext("between the items of a list", ", ").join(
            str(FLAG_NAMES.get(f["code"], f["code"])) for f in patrol.flags
        ),
    }


def _reader(request) -> str:
    """The viewer's patrol scope ("own" or "all"); a role that never sees patrols is refused (403)."""
    scope = policy.patrol_scope(request.user)
    if scope is None:
        raise PermissionDenied(_("This page is not part of your role."))
    return scope


def _local_day_start(now: dt.datetime) -> dt.datetime:
    return timezone.localtime(now).replace(hour=0, minute=0, second=0, microsecond=0)


def _plans(grids) -> dict[int, tuple[int, bool]]:
    """{grid id: (minutes of patrol its plan asks for per working day, whether the grid or its community
    set it)}; grids without a plan of their own follow the settings' default (patrols.plans)."""
    return {
        grid_id: (plan.minutes_per_day, plan.source != "default")
        for grid_id, plan in plans.plans_for(grids).items()
    }


def _track_feature(patrol: Patrol, track) -> dict | None:
    if not track:
        return None
    return {
        "type": "Feature",
        "geometry": track,
        "properties": {
            "id": patrol.pk,
            "label": timezone.localtime(patrol.started_at).strftime("%H:%M"),
            "url": reverse("patrol-detail", args=[patrol.pk]),
        },
    }


def _flag_rows(patrol: Patrol) -> list[dict]:
    """Each flag with its message in the page's language and its places for the map."""
    return [
        {
            "code": flag["code"],
            "count": flag["count"],
            "name": FLAG_NAMES.get(flag["code"], flag["code"]),
            "message": str(Message(flag["message"], **flag.get("params", {}))),
            "where": flag.get("where", []),
        }
        for flag in patrol.flags
    ]


def _grid_features(grids) -> dict:
    """Outlines of the grids a patrol concerns (patrol_grids loads no community or bounding box)."""
    return {
        "type": "FeatureCollection",
        "features": [
            {"type": "Feature", "geometry": g.boundary, "properties": {"id": g.pk, "name": g.name}}
            for g in grids
            if g.boundary
        ],
    }


# --- /patrols/: the administrator's day, or the supervisors' list -------------------------------------------


@login_required
@require_GET
def patrols_today(request):
    if _reader(request) == "all":
        return _patrol_list(request)
    user, now = request.user, clock.now()
    day_start = _local_day_start(now)
    grids = list(grids_for_user(user).order_by("code"))
    today = list(selectors.patrols_visible_to(user, patroller_id=user.pk, since=day_start))
    # The tracks of today's patrols (the list leaves them in the database): one query for all of them.
    tracks = dict(
        selectors.patrols_visible_to(user, patroller_id=user.pk, since=day_start).values_list("pk", "track")
    )
    minutes: dict[int, float] = {}
    # As in the plans' figures, only patrols that count (clean, or flagged and accepted) make minutes.
    for patrol in today:
        if not patrol.counts:
            continue
        for grid_id, m in patrol.minutes_by_grid.items():
            minutes[int(grid_id)] = minutes.get(int(grid_id), 0.0) + m
    progress = []
    defaults = False
    plan_minutes = _plans(grids)
    for grid in grids:
        planned, from_plan = plan_minutes[grid.pk]
        defaults = defaults or not from_plan
        done = round(minutes.get(grid.pk, 0.0))
        progress.append(
            {
                "grid": grid,
                "done": done,
                "planned": planned,
                "share": done / planned if planned else None,
                "met": bool(planned) and done >= planned,
            }
        )
    recent = [_row(p) for p in selectors.patrols_visible_to(user, patroller_id=user.pk)[:10]]
    context = {
        "grids": grids,
        "grid_geojson": grid_map_features(grids),
        "tracks": [f for f in (_track_feature(p, tracks.get(p.pk)) for p in today) if f],
        "map_config": map_config(),
        "progress": progress,
        "plan_defaults": defaults,
        "running": selectors.patrol_running_for(user),
        "can_patrol": policy.can_patrol(user),
        "today_count": len(today),
        "recent": recent,
    }
    return render(request, "patrols/patrol_today.html", context)


def _patrol_list(request):
    form = PatrolListFilterForm(request.GET or None)
    review = form.review_value() if request.GET else ""
    rows = selectors.patrols_visible_to(request.user, review=review or None)
    if not review:
        # Awaiting a supervisor first: that is the work this list is opened for.
        rows = rows.annotate(
            awaiting=Case(
                When(review=Patrol.Review.PENDING, then=Value(0)),
                default=Value(1),
                output_field=IntegerField(),
            )
        ).order_by("awaiting", "-started_at", "-id")
    page = Paginator(rows, 50).get_page(request.GET.get("page"))
    context = {
        "form": form,
        "page": page,
        "rows": [_row(p) for p in page.object_list],
        "query": f"review={review}" if review else "",
        "pending_count": selectors.patrols_visible_to(request.user, review=Patrol.Review.PENDING).count(),
    }
    return render(request, "patrols/patrol_list.html", context)


# --- start and record ---------------------------------------------------------------------------------------


@login_required
@require_POST
def patrol_start(request):
    _reader(request)
    if not policy.can_patrol(request.user):  # readers who never patrol (the centre) are refused outright
        raise PermissionDenied(_("Only grid administrators with a grid start patrols."))
    try:
        patrol, _created = services.patrol_start(actor=request.user)
    except DomainError as error:
        messages.error(request, error.localized())
        return redirect("patrols-today")
    return redirect("patrol-record", pk=patrol.pk)


@login_required
@require_GET
def patrol_record(request, pk: int):
    _reader(request)
    patrol = selectors.patrol_get_for(request.user, pk)
    # Only the patroller records, and only while it runs; anyone else (or later) reads the patrol's page.
    if patrol.patroller_id != request.user.pk or patrol.state != Patrol.State.RUNNING:
        return redirect("patrol-detail", pk=patrol.pk)
    grids = list(grids_for_user(request.user).order_by("code"))
    context = {
        "patrol": patrol,
        "grid_geojson": grid_map_features(grids),
        "map_config": map_config(),
        "send_every_ms": int(getattr(settings, "PATROL_SEND_EVERY_S", SEND_EVERY_S) * 1000),
    }
    return render(request, "patrols/patrol_record.html", context)


# --- one patrol ---------------------------------------------------------------------------------------------


def _detail_context(request, patrol: Patrol, review_form: PatrolReviewForm | None = None) -> dict:
    grids = selectors.patrol_grids(patrol)
    if not grids and patrol.state != Patrol.State.COMPUTED:
        # Before the figures: the patroller's own grids frame the map.
        grids = {g.pk: g for g in grids_for_user(patrol.patroller)}
    rows = []
    for grid in sorted(grids.values(), key=lambda g: g.code):
        key = str(grid.pk)
        rows.append(
            {
                "grid": grid,
                "coverage": patrol.coverage.get(key),
                "minutes_text": decimal_text(patrol.minutes_by_grid.get(key, 0.0), 1),
                "touched": grid.pk in patrol.grid_ids,
            }
        )
    flags = _flag_rows(patrol)
    can_review = policy.can_review_patrols(request.user) and patrol.review == Patrol.Review.PENDING
    if can_review and review_form is None:
        review_form = PatrolReviewForm()
    return {
        "patrol": patrol,
        "grid_rows": rows,
        "flags": flags,
        "cases": selectors.patrol_cases(patrol),
        "grid_geojson": _grid_features(grids.values()),
        "track": patrol.track,
        "tracks": [f for f in [_track_feature(patrol, patrol.track)] if f],
        "duration": duration_text(patrol.duration_s),
        "distance": distance_text(patrol.distance_m),
        "touched_count": len(patrol.grid_ids),
        "flag_places": [{"where": f["where"], "label": f["message"]} for f in flags if f["where"]],
        "map_config": map_config(),
        "review_form": review_form if can_review else None,
        "is_mine": patrol.patroller_id == request.user.pk,
        "pending_figures": patrol.state == Patrol.State.ENDED,
    }


@login_required
@require_GET
def patrol_detail(request, pk: int):
    _reader(request)
    patrol = selectors.patrol_get_for(request.user, pk)
    return render(request, "patrols/patrol_detail.html", _detail_context(request, patrol))


@login_required
@require_POST
def patrol_review(request, pk: int):
    _reader(request)
    patrol = selectors.patrol_get_for(request.user, pk)
    if not policy.can_review_patrols(request.user):
        raise PermissionDenied(_("Only supervisors decide on flagged patrols."))
    form = PatrolReviewForm(request.POST)
    if form.is_valid():
        try:
            services.patrol_review(
                patrol=patrol,
                actor=request.user,
                accept=form.cleaned_data["decision"] == "accept",
                note=form.cleaned_data["note"],
            )
        except DomainError as error:
            form.add_error("note" if error.field == "note" else None, error.localized())
            status = error.status
        else:
            messages.success(request, _("Your decision is recorded with the patrol."))
            return redirect("patrol-detail", pk=patrol.pk)
    else:
        status = 400
    patrol = selectors.patrol_get_for(request.user, pk)
    context = _detail_context(request, patrol, review_form=form)
    if context["review_form"] is None:  # decided meanwhile by someone else: show why it was refused
        context["review_error"] = form.non_field_errors() or form.errors.get("note")
    return render(request, "patrols/patrol_detail.html", context, status=status)


urlpatterns: list = [
    path("", patrols_today, name="patrols-today"),
    path("start/", patrol_start, name="patrol-start"),
    path("<int:pk>/", patrol_detail, name="patrol-detail"),
    path("<int:pk>/record/", patrol_record, name="patrol-record"),
    path("<int:pk>/review/", patrol_review, name="patrol-review"),
]
