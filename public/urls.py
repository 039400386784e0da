"""The public site's pages (mounted under /public/): no login."""

from django.urls import path

from . import views

urlpatterns = [
    path("cases/<str:number>/", views.case_page, name="public-case"),
    path(
        "cases/<str:number>/photos/<int:photo_id>/<str:variant>/",
        views.case_photo,
        name="public-case-photo",
    ),
]
