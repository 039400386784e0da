"""Browser pages for cases: login, each role's home, reporting, queues, search, case detail and actions."""

from django.contrib.auth import views as auth_views
from django.urls import path

from . import views

urlpatterns = [
    path("", auth_views.LoginView.as_view(redirect_authenticated_user=True), name="login"),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("home/", views.home, name="home"),
    # grid administrators (and residents): report, follow, verify
    path("report/", views.case_report, name="case-report"),
    path("report/check/", views.case_report_check, name="case-report-check"),
    path("report/facilities/", views.case_report_facilities, name="case-report-facilities"),
    path("report/locate/", views.case_report_locate, name="case-report-locate"),
    path("mine/", views.my_reports, name="my-reports"),
    path("verify/", views.verification_queue, name="verification-queue"),
    # department staff
    path("department/", views.department_queue, name="department-queue"),
    path("cases/accept/", views.case_bulk_accept, name="case-bulk-accept"),
    # supervisors
    path("overview/", views.supervisor_overview, name="supervisor-overview"),
    path("search/", views.case_search, name="case-search"),
    # one case
    path("cases/<int:pk>/", views.case_detail, name="case-detail"),
    path("cases/<int:pk>/receipt/", views.case_receipt, name="case-receipt"),
    path("cases/<int:pk>/photos/<int:photo_pk>/<str:variant>/", views.case_photo, name="case-photo"),
    path("cases/<int:pk>/<str:action>/", views.case_action, name="case-action"),
]
