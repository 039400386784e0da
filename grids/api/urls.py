"""REST API routes for the grid layer and the resident registry (mounted under /api/v1/)."""

from django.urls import path

from . import views

urlpatterns: list = [
    path("grids/", views.GridLayerView.as_view(), name="api-grids"),
    path("grids/locate/", views.GridLocateView.as_view(), name="api-grid-locate"),
]

urlpatterns += [
    path("residents/", views.ResidentListView.as_view(), name="api-residents"),
    # before residents/<id>/, which would otherwise take "counts" for an id
    path("residents/counts/", views.ResidentCountsView.as_view(), name="api-resident-counts"),
    path("residents/<str:id>/", views.ResidentDetailView.as_view(), name="api-resident-detail"),
    path("residents/<str:id>/move-out/", views.ResidentMoveOutView.as_view(), name="api-resident-move-out"),
    path("residents/<str:id>/reveal/", views.ResidentRevealView.as_view(), name="api-resident-reveal"),
]
