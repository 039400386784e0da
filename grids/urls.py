"""Browser pages for grids: partition report, administrator workload, resident registry."""

from django.urls import path

from . import views

urlpatterns: list = [
    path("partition/", views.partition_index, name="grid-partition-index"),
    path("partition/<str:code>/", views.partition_page, name="grid-partition"),
    path("workload/", views.workload, name="grid-workload"),
    # Resident registry
    path("residents/", views.resident_list, name="resident-list"),
    path("residents/counts/", views.resident_counts, name="resident-counts"),
    path("residents/new/", views.resident_create, name="resident-create"),
    path("residents/<int:pk>/", views.resident_detail, name="resident-detail"),
    path("residents/<int:pk>/edit/", views.resident_edit, name="resident-edit"),
    path("residents/<int:pk>/move-out/", views.resident_move_out, name="resident-move-out"),
    path("residents/<int:pk>/reveal/<str:field>/", views.resident_reveal, name="resident-reveal"),
    path("residents/import/", views.resident_import, name="resident-import"),
    path("residents/import/<int:pk>/", views.resident_import_job, name="resident-import-job"),
    path(
        "residents/import/<int:pk>/status/",
        views.resident_import_job_status,
        name="resident-import-job-status",
    ),
]
