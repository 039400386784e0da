"""GeoReport v2 routes under /open311/v2/: each resource with a .json or .xml extension (XML without one)."""

from django.urls import re_path

from . import views

app_name = "open311"

_FORMAT = r"(?:\.(?P<fmt>[^/.]+))?"

urlpatterns = [
    re_path(r"^$", views.discovery, name="root"),
    re_path(rf"^discovery{_FORMAT}$", views.discovery, name="discovery"),
    re_path(rf"^services{_FORMAT}$", views.service_list, name="services"),
    re_path(rf"^services/(?P<code>[^/]+?){_FORMAT}$", views.service_definition, name="service"),
    re_path(rf"^requests{_FORMAT}$", views.request_list, name="requests"),
    re_path(rf"^requests/(?P<service_request_id>[^/]+?){_FORMAT}$", views.request_detail, name="request"),
    re_path(rf"^tokens/(?P<token>[^/]+?){_FORMAT}$", views.token_detail, name="token"),
    re_path(r"^media/(?P<photo_id>[0-9]{1,18})\.jpg$", views.media, name="media"),
    re_path(rf"^[\s\S]*?{_FORMAT}$", views.unknown, name="unknown"),
]
