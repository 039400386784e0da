"""The public site's pages (mounted under /public/; its front page is the site's `/`): no login, except the
accounts' own pages and the staff queues (registry links, rating reviews), which check their role."""

from django.urls import path

from . import views, views_accounts, views_follow, views_front, views_poster, views_rating, views_report

urlpatterns = [
    # the public map and the grids (public/views_front.py; the front page itself is mounted at `/`)
    path("map/cases/", views_front.map_data, name="public-map-data"),
    path("places/", views_front.place_search, name="public-place-search"),
    path("grids/<str:code>/", views_front.grid_page, name="public-grid"),
    path("grids/<str:code>/subscribe/", views_follow.grid_subscribe, name="public-grid-subscribe"),
    path("grids/<str:code>/poster/", views_poster.grid_poster, name="public-grid-poster"),
    path("grids/<str:code>/poster/qr.svg", views_poster.grid_qr, name="public-grid-qr"),
    # reporting (public/views_report.py)
    path("report/", views_report.report_page, name="public-report"),
    path("report/where/", views_report.report_where, name="public-report-where"),
    path("report/nearby/", views_report.report_nearby, name="public-report-nearby"),
    path("report/sent/<str:token>/", views_report.report_sent, name="public-report-sent"),
    path("challenge/", views_report.challenge, name="public-challenge"),
    path("cases/<str:number>/support/", views_report.case_support, name="public-case-support"),
    # a case's public page and photos (public/views.py)
    path("cases/<str:number>/", views.case_page, name="public-case"),
    path(
        "cases/<str:number>/photos/<int:photo_id>/<str:variant>/",
        views.case_photo,
        name="public-case-photo",
    ),
    # following and subscriptions (public/views_follow.py)
    path("cases/<str:number>/follow/", views_follow.case_follow, name="public-case-follow"),
    path("unsubscribe/<str:token>/", views_follow.unsubscribe, name="public-unsubscribe"),
    path(
        "subscriptions/<str:token>/confirm/",
        views_follow.subscription_confirm,
        name="public-subscription-confirm",
    ),
    # ratings of closed cases and the dispatch center's review of them (public/views_rating.py)
    path("rate/<str:token>/", views_rating.rate, name="public-rate"),
    path("reviews/", views_rating.review_queue, name="rating-reviews"),
    path("reviews/<int:rating_id>/", views_rating.review_decide, name="rating-review-decide"),
    # resident accounts (public/views_accounts.py)
    path("account/signup/", views_accounts.signup, name="public-signup"),
    path("account/confirm/<str:token>/", views_accounts.email_confirm, name="public-email-confirm"),
    path("account/code/", views_accounts.phone_code, name="public-phone-code"),
    path("account/login/", views_accounts.login, name="public-login"),
    path("account/logout/", views_accounts.logout, name="public-logout"),
    path("account/password/", views_accounts.password_reset, name="public-password-reset"),
    path(
        "account/password/<str:uidb64>/<str:token>/",
        views_accounts.password_reset_confirm,
        name="public-password-reset-confirm",
    ),
    path("account/password/code/", views_accounts.password_reset_code, name="public-password-reset-code"),
    path("account/", views_accounts.my_reports, name="public-my-reports"),
    path("account/registry/", views_accounts.registry_link, name="public-registry-link"),
    path("links/", views_accounts.link_queue, name="registry-links"),
    path("links/<int:request_id>/", views_accounts.link_decide, name="registry-link-decide"),
]
