"""The REST API under /api/v1/: each app contributes its routes from its own api/ package."""

from django.urls import include, path

from .api import ObtainTokenView

urlpatterns = [
    path("auth/token/", ObtainTokenView.as_view(), name="api-token"),
    path("", include("grids.api.urls")),
    path("", include("cases.api.urls")),
    path("", include("cases.api.hotline")),
    path("", include("departments.api.urls")),
    path("", include("places.api.urls")),
    path("", include("patrols.api.urls")),
]
