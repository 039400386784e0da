"""The project's URLs plus the bench-only bare-create endpoint (never part of the product's URLconf)."""

from django.urls import path

from bench.benchapp.views import BenchRowCreateView
from gridmgmt.urls import urlpatterns as project_urlpatterns

urlpatterns = [
    path("bench/bare/", BenchRowCreateView.as_view(), name="bench-bare-create"),
    *project_urlpatterns,
]
