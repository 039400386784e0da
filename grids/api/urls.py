"""REST API routes for the grid layer (mounted under /api/v1/)."""

from django.urls import path

from . import views

urlpatterns: list = [
    path("grids/", views.GridLayerView.as_view(), name="api-grids"),
    path("grids/locate/", views.GridLocateView.as_view(), name="api-grid-locate"),
]
