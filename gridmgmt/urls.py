"""Top-level URLs."""

import axes.admin  # noqa: F401 - login lockouts: the system administrator unlocks an account here
import django.contrib.auth.admin  # noqa: F401
from django.contrib import admin
from django.urls import include, path
from drf_spectacular.views import SpectacularSwaggerView

import audit.admin  # noqa: F401
import cases.admin  # noqa: F401 - registers models (no admin autodiscovery, see settings)
import departments.admin  # noqa: F401
import dispatch.admin  # noqa: F401
import grids.admin  # noqa: F401
import notifications.admin  # noqa: F401
import notifications.views
import open311.admin  # noqa: F401
import patrols.admin  # noqa: F401
import places.admin  # noqa: F401
import public.admin  # noqa: F401
import public.views_front
import worktime.admin  # noqa: F401

from . import health
from .api import SchemaView

urlpatterns = [
    path("healthz", health.healthz, name="healthz"),
    path("admin/", admin.site.urls),
    # Django's set_language, also keeping a signed-in user's choice for their notices.
    path("i18n/setlang/", notifications.views.language_set, name="set_language"),
    path("api/v1/", include("gridmgmt.api_urls")),
    path("api/schema/", SchemaView.as_view(), name="api-schema"),
    # GET only: DRF would answer OPTIONS with an HTML renderer the docs page has no template for.
    path(
        "api/docs/",
        SpectacularSwaggerView.as_view(url_name="api-schema", http_method_names=["get", "head"]),
        name="api-docs",
    ),
    path("grids/", include("grids.urls")),
    path("places/", include("places.urls")),
    path("dispatch/", include("dispatch.urls")),
    path("patrols/", include("patrols.urls")),
    path("evaluation/", include("evaluation.urls")),
    path("open311/v2/", include("open311.urls")),
    path("public/", include("public.urls")),
    # The public site's front page: anonymous visitors and residents; staff are sent to their home.
    path("", public.views_front.front, name="public-home"),
    path("", include("cases.urls")),
]

# Media is never served directly: originals keep their EXIF (GPS, device); pages and Open311 serve
# permission-checked, EXIF-free copies through views.
