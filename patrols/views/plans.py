"""Pages of patrol plans: the week's overview of grids by patrol state (with its coverage map) and the plans
per community and grid, which supervisors set."""

from __future__ import annotations

import datetime as dt

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import path, reverse
from django.utils import formats
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods

from gridmgmt import clock, policy
from gridmgmt.errors import DomainError
from gridmgmt.figures import percent_text
from gridmgmt.sorting import natural_key
from grids.maps import map_config
from grids.models import Jurisdiction

from .. import plans
from ..forms_plans import CLEAR, PlanForm, target_value

# The coverage map's colour steps: (lowest share of the step, colour). A sequential green scale, light to
# dark, that reads in grey too; an uncovered grid is a neutral grey, not the lightest green.
COVERAGE_STEPS = (
    (0.0, "#e3e7eb"),
    (0.0001, "#d9f0d3"),
    (0.10, "#a6dba0"),
    (0.25, "#5aae61"),
    (0.50, "#1b7837"),
    (0.75, "#00441b"),
)
STATE_CLOCK = {plans.ON_PLAN: "ontime", plans.BEHIND: "warning", plans.NONE: "none"}


def _clock(state: plans.GridWeekState) -> str:
    """The badge's look: no patrol at all is the worst state once the plan has asked for some."""
    if state.state == plans.NONE and state.minutes_required_so_far > 0:
        return "overdue"
    return STATE_CLOCK[state.state]


def _reader_check(user) -> str:
    scope = policy.patrol_scope(user)
    if scope is None:
        raise PermissionDenied(
            _("Patrol plans are for supervisors, the dispatch center and grid administrators.")
        )
    return scope


def _community(request, scope: str) -> Jurisdiction | None:
    code = request.GET.get("community", "").strip()
    if not code or scope != "all":
        return None
    community = None
    if code.isascii() and code.isdigit() and len(code) == 12:
        community = Jurisdiction.objects.filter(code=code, level=Jurisdiction.Level.COMMUNITY).first()
    if community is None:
        raise Http404(_("There is no community %(code)s.") % {"code": code[:20]})
    return community


def _communities() -> list[Jurisdiction]:
    rows = Jurisdiction.objects.filter(level=Jurisdiction.Level.COMMUNITY, grids__isnull=False).distinct()
    return sorted(rows, key=lambda j: (natural_key(j.name), j.code))


def _step(share: float) -> int:
    step = 0
    for i, (low, _colour) in enumerate(COVERAGE_STEPS):
        if share >= low:
            step = i
    return step


def _legend() -> list[dict]:
    """The map legend's steps, each with its colour and the range it stands for."""
    items = []
    for i, (low, colour) in enumerate(COVERAGE_STEPS):
        high = COVERAGE_STEPS[i + 1][0] if i + 1 < len(COVERAGE_STEPS) else None
        if i == 0:
            text = _("not covered")
        elif i == 1:
            text = _("under %(high)s") % {"high": percent_text(high)}
        elif high is None:
            text = _("%(low)s or more") % {"low": percent_text(low)}
        else:
            text = _("%(low)s to under %(high)s") % {"low": percent_text(low), "high": percent_text(high)}
        items.append({"colour": colour, "text": text})
    return items


def _coverage_features(states: list[plans.GridWeekState]) -> dict:
    features = []
    for s in states:
        grid = s.grid
        step = _step(s.coverage_week)
        features.append(
            {
                "type": "Feature",
                "geometry": grid.boundary,
                "properties": {
                    "id": grid.pk,
                    "name": grid.label,
                    "colour": COVERAGE_STEPS[step][1],
                    "dark": step >= 4,
                    "label": _("%(grid)s: %(coverage)s covered this week · %(state)s")
                    % {"grid": grid.label, "coverage": percent_text(s.coverage_week), "state": s.state_label},
                },
            }
        )
    return {"type": "FeatureCollection", "features": features}


@login_required
@require_GET
def overview(request):
    """Grids by patrol state this week: counts, a coverage map and a table; filter by community."""
    scope = _reader_check(request.user)
    community = _community(request, scope)
    now = clock.now()
    result = plans.patrol_overview(request.user, community=community, now=now)
    week = result.week
    context = {
        "overview": result,
        "rows": [{"s": s, "clock": _clock(s), "grid": s.grid} for s in result.states],
        "week_first": formats.date_format(week.start.date(), "SHORT_DATE_FORMAT"),
        "week_last": formats.date_format(week.end.date() - dt.timedelta(days=1), "SHORT_DATE_FORMAT"),
        "elapsed": len(week.elapsed),
        "working": len(week.working_days),
        "community": community,
        "communities": _communities() if scope == "all" else [],
        "own": scope == "own",
        "legend": _legend(),
        "coverage_geojson": _coverage_features(result.states),
        "map_config": map_config(),
        "can_edit": policy.can_review_patrols(request.user),
    }
    return render(request, "patrols/overview.html", context)


# --- plans ------------------------------------------------------------------------------------------------


def _plans_context(request, scope: str, community: Jurisdiction | None, form: PlanForm | None) -> dict:
    grids = plans.grids_for_plans(request.user, community=community)
    plan_of = plans.plans_for(grids)
    community_ids = {g.community_id for g in grids}
    communities = sorted(
        {g.community_id: g.community for g in grids}.values(), key=lambda j: (natural_key(j.name), j.code)
    )
    defaults = plans.community_plans(community_ids)
    sections = []
    for c in communities:
        sections.append(
            {
                "community": c,
                "default": defaults.get(c.pk),
                "edit": target_value(community=c),
                "grids": [
                    {"grid": g, "plan": plan_of[g.pk], "edit": target_value(grid=g)}
                    for g in grids
                    if g.community_id == c.pk
                ],
            }
        )
    can_edit = policy.can_review_patrols(request.user)
    if can_edit and form is None:
        initial = {}
        chosen = request.GET.get("edit", "")
        form = PlanForm(communities=communities, grids=grids)
        if chosen in form.targets:
            grid, chosen_community = form.targets[chosen]
            values = plan_of[grid.pk] if grid is not None else defaults.get(chosen_community.pk)
            values = values or plans.plan_default()
            initial = {
                "target": chosen,
                "minutes_per_day": values.minutes_per_day,
                "weekly_coverage": round(values.weekly_coverage * 100, 1),
            }
            form = PlanForm(communities=communities, grids=grids, initial=initial)
    return {
        "sections": sections,
        "form": form if can_edit else None,
        "default": plans.plan_default(),
        "community": community,
        "communities": _communities() if scope == "all" else [],
        "own": scope == "own",
    }


def _form_refused(form: PlanForm, exc: DomainError) -> None:
    field = {"grid": "target", "community": "target"}.get(exc.field or "", exc.field)
    form.add_error(field if field in form.fields else None, exc.localized())


@login_required
@require_http_methods(["GET", "POST"])
def plan_list(request):
    """The plans per community and grid; supervisors set a community's default or a grid's own plan."""
    scope = _reader_check(request.user)
    community = _community(request, scope)
    if request.method == "GET":
        return render(request, "patrols/plan_list.html", _plans_context(request, scope, community, None))
    if not policy.can_review_patrols(request.user):
        raise PermissionDenied(_("Only supervisors set patrol plans."))
    grids = plans.grids_for_plans(request.user, community=community)
    communities = list({g.community_id: g.community for g in grids}.values())
    form = PlanForm(request.POST, communities=communities, grids=grids)
    if form.is_valid():
        grid, target_community = form.chosen()
        try:
            if form.cleaned_data["action"] == CLEAR:
                removed = plans.plan_clear(actor=request.user, grid=grid, community=target_community)
                messages.success(
                    request,
                    _("The plan was removed.") if removed else _("There was no plan of its own to remove."),
                )
            else:
                plans.plan_set(
                    actor=request.user,
                    grid=grid,
                    community=target_community,
                    minutes_per_day=form.cleaned_data["minutes_per_day"],
                    weekly_coverage=form.share(),
                )
                messages.success(request, _("The plan was saved."))
        except DomainError as exc:
            _form_refused(form, exc)
        else:
            url = reverse("patrol-plans")
            return redirect(f"{url}?community={community.code}" if community else url)
    context = _plans_context(request, scope, community, form)
    context["errors"] = [
        {
            "href": f"#id_{name}" if name in form.fields else "",
            "text": (
                _("%(field)s: %(error)s") % {"field": form.fields[name].label, "error": message}
                if name in form.fields
                else message
            ),
        }
        for name, errors in form.errors.items()
        for message in errors
    ]
    return render(request, "patrols/plan_list.html", context, status=400)


urlpatterns: list = [
    path("overview/", overview, name="patrols-overview"),
    path("plans/", plan_list, name="patrol-plans"),
]
