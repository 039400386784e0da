"""Browser pages of the evaluation dashboard (mounted under /evaluation/)."""

from django.urls import path

from . import views

urlpatterns = [
    path("", views.dashboard, name="evaluation-dashboard"),
    path("formulas/", views.formulas, name="evaluation-formulas"),
    path("trends/", views.trends, name="evaluation-trends"),
    path("recompute/", views.recompute, name="evaluation-recompute"),
    path("export/indicators.<str:fmt>", views.export_indicators, name="evaluation-export-indicators"),
    path("export/cases.<str:fmt>", views.export_cases, name="evaluation-export-cases"),
]
