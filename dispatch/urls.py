"""Browser pages of the dispatch center (mounted under /dispatch/)."""

from django.urls import path

from . import evaluation_views, views

urlpatterns = [
    path("", views.queue_page, name="dispatch-queue"),
    path("rows/", views.queue_rows, name="dispatch-queue-rows"),
    path("map/", views.case_map, name="dispatch-map"),
]

# The evaluation dashboard: mounted under /evaluation/ (gridmgmt.urls), not under /dispatch/.
evaluation_urlpatterns = [
    path("", evaluation_views.dashboard, name="evaluation-dashboard"),
    path("formulas/", evaluation_views.formulas, name="evaluation-formulas"),
    path("trends/", evaluation_views.trends, name="evaluation-trends"),
    path("recompute/", evaluation_views.recompute, name="evaluation-recompute"),
    path(
        "export/indicators.<str:fmt>",
        evaluation_views.export_indicators,
        name="evaluation-export-indicators",
    ),
    path("export/cases.<str:fmt>", evaluation_views.export_cases, name="evaluation-export-cases"),
]
