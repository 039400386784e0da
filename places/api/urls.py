"""REST API routes for the base data (mounted under /api/v1/). Ids in paths are taken as text, so a
non-numeric one is a 404 from the view rather than a fall-through to another route."""

from django.urls import path

from . import views

urlpatterns: list = [
    path("buildings/", views.BuildingListView.as_view(), name="api-buildings"),
    path("buildings/<str:id>/", views.BuildingDetailView.as_view(), name="api-building-detail"),
    path("houses/", views.HouseListView.as_view(), name="api-houses"),
    path("houses/<str:id>/", views.HouseDetailView.as_view(), name="api-house-detail"),
    path(
        "houses/<str:id>/occupancies/",
        views.HouseOccupancyListView.as_view(),
        name="api-house-occupancies",
    ),
    path("occupancies/<str:id>/end/", views.OccupancyEndView.as_view(), name="api-occupancy-end"),
    path("organisations/", views.OrganisationListView.as_view(), name="api-organisations"),
    path(
        "organisations/<str:id>/",
        views.OrganisationDetailView.as_view(),
        name="api-organisation-detail",
    ),
    path("facilities/", views.FacilityListView.as_view(), name="api-facilities"),
    path("facilities/<str:id>/", views.FacilityDetailView.as_view(), name="api-facility-detail"),
    path("facility-classes/", views.FacilityClassListView.as_view(), name="api-facility-classes"),
    path("places/locate/", views.AddressLocateView.as_view(), name="api-places-locate"),
]
