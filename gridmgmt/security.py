"""Login lockout with django-axes: the authentication backend, whose address an attempt comes from, and
what a locked-out client gets (settings: AUTHENTICATION_BACKENDS, AXES_CLIENT_IP_CALLABLE,
AXES_LOCKOUT_CALLABLE)."""

import math

from axes.backends import AxesStandaloneBackend
from django.conf import settings
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.utils.translation import gettext as _
from rest_framework.settings import api_settings


class LockoutBackend(AxesStandaloneBackend):
    """Refuses a locked-out username + address before any password is checked.

    Axes insists on the request; a call without one is not a login over the network (a management command,
    the shell, Django's test client `login()`), has no address to lock, and is let through to the next
    backend. Every HTTP login path passes its request: the login page and the admin's (Django's
    AuthenticationForm) and POST /api/v1/auth/token/ (DRF's AuthTokenSerializer); tests/security/test_login_
    lockout.py proves each one locks."""

    def authenticate(self, request, username=None, password=None, **kwargs):
        if request is None:
            return None
        return super().authenticate(request, username=username, password=password, **kwargs)


def client_ip(request: HttpRequest) -> str | None:
    """The client's address as the API throttles see it (REST_FRAMEWORK["NUM_PROXIES"]): with N proxies in
    front, the Nth address from the right of X-Forwarded-For; with none configured, the socket's address
    only, since a header the client sets itself must not choose which address gets locked out."""
    remote_addr = request.META.get("REMOTE_ADDR")
    num_proxies = api_settings.NUM_PROXIES
    forwarded = request.META.get("HTTP_X_FORWARDED_FOR")
    if not num_proxies or not forwarded:
        return remote_addr
    addresses = [address.strip() for address in forwarded.split(",") if address.strip()]
    if not addresses:
        return remote_addr
    return addresses[-min(num_proxies, len(addresses))]


def _retry_after_seconds() -> int:
    return max(1, math.ceil(settings.AXES_COOLOFF_TIME.total_seconds()))


def lockout_message() -> str:
    minutes = max(1, round(settings.AXES_COOLOFF_TIME.total_seconds() / 60))
    return _(
        "Too many failed logins for this account from your address: logging in is blocked for "
        "%(minutes)s minutes. Wait, then try again, or ask the system administrator to unlock it."
    ) % {"minutes": minutes}


def lockout_response(request: HttpRequest, original_response=None, credentials=None) -> HttpResponse:
    """429 with Retry-After: the API's error shape under /api/, a page elsewhere (login, admin login)."""
    message = lockout_message()
    if request.path.startswith("/api/"):
        body = {"error": {"code": "locked_out", "message": message, "field": None}}
        response: HttpResponse = JsonResponse(body, status=429)
    else:
        response = render(request, "registration/locked_out.html", {"message": message}, status=429)
    response["Retry-After"] = str(_retry_after_seconds())
    return response
