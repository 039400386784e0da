"""Browser pages for cases: login, each role's home, reporting, queues, search, case detail and actions."""

from django.contrib.auth import views as auth_views
from django.urls import path

from . import views, views_hotline

urlpatterns = [
    path("login/", auth_views.LoginView.as_view(redirect_authenticated_user=True), name="login"),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("home/", views.home, name="home"),
    # grid administrators (and residents): report, follow, verify
    path("report/", views.case_report, name="case-report"),
    path("report/check/", views.case_report_check, name="case-report-check"),
    path("report/facilities/", views.case_report_facilities, name="case-report-facilities"),
    path("report/locate/", views.case_report_locate, name="case-report-locate"),
    path("mine/", views.my_reports, name="my-reports"),
    path("verify/", views.verification_queue, name="verification-queue"),
    # the dispatch center's hotline (12345): intake, earlier calls of a number, call backs, one caller
    path("hotline/", views_hotline.hotline_intake, name="hotline-intake"),
    path("hotline/history/", views_hotline.hotline_history, name="hotline-history"),
    path("hotline/callbacks/", views_hotline.hotline_callbacks, name="hotline-callbacks"),
    path("hotline/cases/<int:pk>/", views_hotline.hotline_caller, name="hotline-caller"),
    path("hotline/cases/<int:pk>/reveal/", views_hotline.hotline_reveal, name="hotline-reveal"),
    path("hotline/cases/<int:pk>/callback/", views_hotline.hotline_callback, name="hotline-callback"),
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
