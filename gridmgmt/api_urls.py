"""The REST API under /api/v1/: each app contributes its routes from its own api/ package."""

from django.urls import include, path

urlpatterns = [
    path("", include("grids.api.urls")),
]
