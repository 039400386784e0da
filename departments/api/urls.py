"""REST API routes of departments (mounted under /api/v1/)."""

from django.urls import path

from . import views

urlpatterns = [
    path("departments/", views.DepartmentListView.as_view(), name="api-departments"),
]
