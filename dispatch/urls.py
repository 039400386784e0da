"""Browser pages of the dispatch center (mounted under /dispatch/)."""

from django.urls import path

from . import views

urlpatterns = [
    path("", views.queue_page, name="dispatch-queue"),
    path("rows/", views.queue_rows, name="dispatch-queue-rows"),
    path("map/", views.case_map, name="dispatch-map"),
    path("supervision/", views.supervision_list, name="supervision-list"),
]
