"""The evaluation dashboard (mounted under /evaluation/): rankings, trends, the grid map, formulas, exports.

Supervisors and dispatchers see it (gridmgmt.policy.can_view_evaluation); only supervisors store a
recomputation. Tables come from the materialised figures when the period has them, else from the history
(evaluation.indicators); the charts' series are replayed from the history either way.
"""

import datetime as dt
import math
import tempfile

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import FileResponse, Http404, JsonResponse, StreamingHttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import urlencode
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_POST

from cases.models import OPEN_STATES, Category
from cases.ui import STATE_LABELS
from departments.models import Department
from gridmgmt import clock
from gridmgmt.figures import percent_text
from gridmgmt.policy import can_recompute_evaluation, can_view_evaluation
from gridmgmt.sorting import natural_sorted
from grids.models import Grid, Jurisdiction, grid_label

from . import exports, selectors
from . import indicators as ev
from . import patrol_indicators as pi
from . import satisfaction as sat
from . import supervision_indicators as si
from .services import evaluation_materialise

MAX_PERIOD_DAYS = 731
DEFAULT_PRESET = "last7"
PRESET_LABELS = {
    "last7": gettext_lazy("Last 7 days"),
    "this_month": gettext_lazy("This month"),
    "last_month": gettext_lazy("Last month"),
    "last60": gettext_lazy("Last 60 days"),
}
KIND_LABELS = {
    ev.TOTAL: gettext_lazy("Whole district"),
    ev.DEPARTMENT: gettext_lazy("Departments"),
    ev.STREET: gettext_lazy("Streets"),
    ev.COMMUNITY: gettext_lazy("Communities"),
    ev.GRID: gettext_lazy("Grids"),
    ev.ADMINISTRATOR: gettext_lazy("Grid administrators"),
}
RANKINGS = (ev.DEPARTMENT, ev.STREET, ev.COMMUNITY, ev.GRID, ev.ADMINISTRATOR)
# The patrol and visit tables, in the page's order: the people first, then their grids and communities.
PATROL_TABLES = (ev.ADMINISTRATOR, ev.GRID, ev.COMMUNITY)
# The column sets of the indicator exports (?set=): the case figures, or the patrol, visit and discovery ones.
EXPORT_SETS = ("cases", "patrols", "supervision")
FORMATS = ("csv", "xlsx")


def _require_viewer(request) -> None:
    if not can_view_evaluation(request.user):
        raise PermissionDenied(_("The evaluation is for supervisors and the dispatch center."))


def _period(request, *, today: dt.date) -> tuple[ev.Period, str, str]:
    """(period, preset name or "", error message or "") from ?preset= or ?start=&end= (ISO dates)."""
    ready = ev.presets(today)
    source = request.GET if request.method == "GET" else request.POST
    preset = source.get("preset", "")
    if preset in ready:
        return ready[preset], preset, ""
    start, end = source.get("start", "").strip(), source.get("end", "").strip()
    if not start and not end:
        return ready[DEFAULT_PRESET], DEFAULT_PRESET, ""
    try:
        period = ev.Period(dt.date.fromisoformat(start), dt.date.fromisoformat(end))
    except ValueError:
        error = _("Give the period as two dates, the first not after the second (YYYY-MM-DD).")
        return ready[DEFAULT_PRESET], DEFAULT_PRESET, error
    if period.days > MAX_PERIOD_DAYS:
        error = _("A period is at most %(n)s days long.") % {"n": MAX_PERIOD_DAYS}
        return ready[DEFAULT_PRESET], DEFAULT_PRESET, error
    name = next((key for key, value in ready.items() if value == period), "")
    return period, name, ""


def _query(period: ev.Period, **extra) -> str:
    return urlencode({"start": period.start.isoformat(), "end": period.end.isoformat(), **extra})


# --- the grid map: server-rendered SVG, no tiles, works offline ---------------------------------------------

MAP_WIDTH = 640
CLASSES = 5


def _rings(geometry: dict) -> list[list]:
    if not geometry:
        return []
    if geometry.get("type") == "Polygon":
        return list(geometry["coordinates"])
    if geometry.get("type") == "MultiPolygon":
        return [ring for polygon in geometry["coordinates"] for ring in polygon]
    return []


def _classes(values: list[int]) -> tuple[list[int], list[dict]]:
    """Each value's colour class (0 for none, 1–5 in equal steps up to the maximum) and the legend."""
    top = max(values, default=0)
    if top <= 0:
        return [0] * len(values), [{"cls": 0, "text": "0"}]
    classes = [0 if v <= 0 else min(CLASSES, max(1, math.ceil(v * CLASSES / top))) for v in values]
    legend = [{"cls": 0, "text": "0"}]
    for cls in range(1, CLASSES + 1):
        low, high = math.floor(top * (cls - 1) / CLASSES) + 1, math.floor(top * cls / CLASSES)
        if low <= high:
            legend.append({"cls": cls, "text": str(low) if low == high else f"{low}–{high}"})
    return classes, legend


def grid_map(grid_rows: list[ev.Figures]) -> dict:
    """Grid polygons as SVG paths (equirectangular, scaled to MAP_WIDTH) with each grid's cases reported
    in the period and overdue at its end, and a colour class for each. One query."""
    figures = {row.key: row for row in grid_rows}
    grids = [
        (code, grid_label(name, community or ""), boundary)
        for code, name, community, boundary in Grid.objects.order_by("code").values_list(
            "code", "name", "community__name", "boundary"
        )
    ]
    points = [pt for _, _, boundary in grids for ring in _rings(boundary) for pt in ring]
    if not points:
        return {"cells": [], "width": MAP_WIDTH, "height": 0}
    min_lng, max_lng = min(p[0] for p in points), max(p[0] for p in points)
    min_lat, max_lat = min(p[1] for p in points), max(p[1] for p in points)
    kx = math.cos(math.radians((min_lat + max_lat) / 2))
    scale = MAP_WIDTH / max((max_lng - min_lng) * kx, 1e-9)
    height = round((max_lat - min_lat) * scale, 1)

    def path(boundary: dict) -> str:
        parts = []
        for ring in _rings(boundary):
            coords = " ".join(
                f"{(x - min_lng) * kx * scale:.1f},{(max_lat - y) * scale:.1f}" for x, y, *_ in ring
            )
            parts.append(f"M{coords}Z")
        return "".join(parts)

    cells = []
    for code, name, boundary in grids:
        row = figures.get(code)
        cells.append(
            {
                "code": code,
                "name": name,
                "d": path(boundary),
                "reported": (row.reported or 0) if row else 0,
                "overdue": row.overdue_open if row else 0,
            }
        )
    reported_cls, reported_legend = _classes([c["reported"] for c in cells])
    overdue_cls, overdue_legend = _classes([c["overdue"] for c in cells])
    for cell, rc, oc in zip(cells, reported_cls, overdue_cls, strict=True):
        cell["reported_cls"], cell["overdue_cls"] = rc, oc
    return {
        "cells": cells,
        "width": MAP_WIDTH,
        "height": height,
        "reported_legend": reported_legend,
        "overdue_legend": overdue_legend,
    }


# --- pages ------------------------------------------------------------------------------------------------


def _with_percent_texts(data: dict) -> dict:
    """The chart series with each on-time rate also as the text the page shows ("66.7%", by the one rule
    of gridmgmt.figures), so the charts' tooltips and tables read exactly as the tables do."""
    on_time = [series | {"texts": [percent_text(r) for r in series["rates"]]} for series in data["on_time"]]
    return data | {"on_time": on_time}


def _trend_labels() -> dict:
    return {
        "states": {str(state): str(STATE_LABELS[state]) for state in OPEN_STATES},
        "reported": _("reported"),
        "closed": _("closed"),
        "no_data": _("No data for this period."),
        "rate": _("on-time closure rate"),
    }


@login_required
@require_GET
def dashboard(request):
    _require_viewer(request)
    now = clock.now()
    period, preset, error = _period(request, today=ev.local_today(now))
    stored = selectors.stored_tables(period, kinds=ev.KINDS, now=now)
    facts = None
    if stored is None:
        facts = ev.facts_collect(period, now=now)  # one replay for the tables and the charts
        tables = selectors.tables_for(period, kinds=ev.KINDS, now=now, facts=facts)
    else:
        tables = stored
    total = tables[ev.TOTAL].rows[0] if tables[ev.TOTAL].rows else ev.Figures(kind=ev.TOTAL, key=ev.TOTAL_KEY)
    ready = ev.presets(ev.local_today(now))
    patrols = pi.patrol_indicators(period, now=now)
    context = {
        "period": period,
        "preset": preset,
        "error": error,
        "presets": [(key, PRESET_LABELS[key], value) for key, value in ready.items()],
        "total": total,
        "source": tables[ev.TOTAL],
        "rankings": [(kind, KIND_LABELS[kind], tables[kind].rows) for kind in RANKINGS],
        "map": grid_map(tables[ev.GRID].rows),
        "patrol_total": patrols[ev.TOTAL].rows[0],
        "patrol_tables": [(kind, KIND_LABELS[kind], patrols[kind].rows) for kind in PATROL_TABLES],
        "supervision": si.supervision_indicators(period, now=now),
        "satisfaction": sat.satisfaction_indicators(period, now=now),
        "can_recompute": can_recompute_evaluation(request.user),
        "query": _query(period),
        "trends": _with_percent_texts(ev.trends(facts)) if facts is not None else None,
        "trend_labels": _trend_labels(),
        "kinds": [(kind, KIND_LABELS[kind]) for kind in ev.KINDS],
        "states": [(str(state), label) for state, label in STATE_LABELS.items()],
        "departments": natural_sorted(
            Department.objects.filter(is_active=True).values_list("code", "name"), key=lambda d: d[1]
        ),
        "streets": natural_sorted(
            Jurisdiction.objects.filter(level=Jurisdiction.Level.STREET).values_list("code", "name"),
            key=lambda s: s[1],
        ),
        "categories": Category.objects.filter(parent__isnull=True).values_list("code", "name"),
        "max_days": MAX_PERIOD_DAYS,
    }
    return render(request, "evaluation/dashboard.html", context)


@login_required
@require_GET
def trends(request):
    """The charts' series as JSON (the page fetches it when its tables came from materialised rows): stored
    with those rows, or computed now for a period never materialised."""
    _require_viewer(request)
    now = clock.now()
    period, _preset, error = _period(request, today=ev.local_today(now))
    if error:
        return JsonResponse({"error": error}, status=400)
    data = selectors.stored_trends(period) or ev.trends(ev.facts_collect(period, now=now))
    return JsonResponse(_with_percent_texts(data) | {"labels": _trend_labels()})


@login_required
@require_GET
def formulas(request):
    _require_viewer(request)
    return render(
        request,
        "evaluation/dashboard_formulas.html",
        {
            "formulas": ev.FORMULAS,
            "patrol_formulas": pi.PATROL_FORMULAS,
            "supervision_formulas": si.SUPERVISION_FORMULAS,
            "satisfaction_formulas": sat.SATISFACTION_FORMULAS,
        },
    )


@login_required
@require_POST
def recompute(request):
    """Store the period's figures afresh from the history (supervisors)."""
    if not can_recompute_evaluation(request.user):
        raise PermissionDenied(_("Only supervisors recompute the evaluation."))
    now = clock.now()
    period, _preset, error = _period(request, today=ev.local_today(now))
    if error:
        messages.error(request, error)
    else:
        evaluation_materialise(start=period.start, end=period.end, now=now)
        messages.success(request, _("The figures for %(period)s were recomputed.") % {"period": period})
    return redirect(f"{reverse('evaluation-dashboard')}?{_query(period)}")


# --- exports ------------------------------------------------------------------------------------------------


def _download(fmt: str, header, rows, *, filename: str, title: str):
    if fmt == "csv":
        response = StreamingHttpResponse(
            exports.csv_lines(header, rows), content_type="text/csv; charset=utf-8"
        )
        response["Content-Disposition"] = f'attachment; filename="{filename}.csv"'
        return response
    # write-only openpyxl keeps memory flat; the file spills to disk past 16 MB and streams from there.
    spool = tempfile.SpooledTemporaryFile(max_size=16 * 1024 * 1024)
    exports.xlsx_write(spool, header, rows, title=title)
    spool.seek(0)
    return FileResponse(
        spool, as_attachment=True, filename=f"{filename}.xlsx", content_type=exports.XLSX_CONTENT_TYPE
    )


@login_required
@require_GET
def export_indicators(request, fmt: str):
    """?start&end (or ?preset) &by=<grouping> [&set=patrols|supervision]: the indicator table, as on the page;
    with set=patrols the patrol, visit and discovery figures (groupings total, community, grid,
    administrator); with set=supervision the supervision, desk-closure and call-back figures of departments
    (by=department) and the off-site verifications of grids (by=grid)."""
    _require_viewer(request)
    if fmt not in FORMATS:
        raise Http404
    column_set = request.GET.get("set", "cases")
    kind = request.GET.get("by", ev.ADMINISTRATOR if column_set == "patrols" else ev.DEPARTMENT)
    allowed = {"patrols": pi.PATROL_KINDS, "supervision": si.SUPERVISION_KINDS}.get(column_set, ev.KINDS)
    if column_set not in EXPORT_SETS or kind not in allowed:
        raise Http404
    now = clock.now()
    period, _preset, error = _period(request, today=ev.local_today(now))
    if error:
        return JsonResponse({"error": error}, status=400)
    if column_set == "supervision":
        figures = si.supervision_indicators(period, now=now)
        name = f"evaluation-supervision-{kind}-{period.start:%Y%m%d}-{period.end:%Y%m%d}"
        return _download(
            fmt, figures.columns(kind), figures.rows(kind), filename=name, title=f"supervision-{kind}"
        )
    if column_set == "patrols":
        patrol_table = pi.patrol_indicators(period, kinds=[kind], now=now)[kind]
        name = f"evaluation-patrols-{kind}-{period.start:%Y%m%d}-{period.end:%Y%m%d}"
        rows = exports.patrol_rows(patrol_table)
        return _download(fmt, exports.PATROL_INDICATOR_COLUMNS, rows, filename=name, title=f"patrols-{kind}")
    table = selectors.tables_for(period, kinds=[kind], now=now)[kind]
    name = f"evaluation-{kind}-{period.start:%Y%m%d}-{period.end:%Y%m%d}"
    return _download(fmt, exports.INDICATOR_COLUMNS, exports.indicator_rows(table), filename=name, title=kind)


@login_required
@require_GET
def export_cases(request, fmt: str):
    """?start&end (or ?preset) and the filters (codes: state, category, grid, community, street,
    department; overdue=1): the cases reported in the period, streamed."""
    _require_viewer(request)
    if fmt not in FORMATS:
        raise Http404
    now = clock.now()
    period, _preset, error = _period(request, today=ev.local_today(now))
    if error:
        return JsonResponse({"error": error}, status=400)
    filters = {key: request.GET.get(key, "").strip() or None for key in exports.CASE_FILTERS}
    overdue = request.GET.get("overdue", "").strip().lower()
    filters["overdue"] = True if overdue in ("1", "on", "true", "yes") else None
    rows = exports.case_list_rows(user=request.user, period=period, now=now, **filters)
    name = f"cases-{period.start:%Y%m%d}-{period.end:%Y%m%d}"
    return _download(fmt, exports.CASE_COLUMNS, rows, filename=name, title="cases")
