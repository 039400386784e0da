"""The site's URLs plus one view that fails, for the error-page tests."""

from django.urls import include, path


def boom(request):
    raise RuntimeError("a bug in a view (the error-page test)")


urlpatterns = [path("boom/", boom), path("", include("gridmgmt.urls"))]
