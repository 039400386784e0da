"""REST API routes for cases and categories (mounted under /api/v1/)."""

from django.urls import path

from . import views

urlpatterns = [
    path("cases/", views.CaseListView.as_view(), name="api-cases"),
    path("cases/<str:number>/", views.CaseDetailView.as_view(), name="api-case-detail"),
    path("cases/<str:number>/events/", views.CaseEventsView.as_view(), name="api-case-events"),
    path(
        "cases/<str:number>/photos/<str:photo_id>/<str:variant>/",
        views.CasePhotoView.as_view(),
        name="api-case-photo",
    ),
    *(
        path(f"cases/<str:number>/{segment}", views.ACTION_VIEWS[action].as_view(), name=f"api-case-{action}")
        for action, segment in views.ACTION_PATHS.items()
    ),
    path("categories/", views.CategoryListView.as_view(), name="api-categories"),
]
