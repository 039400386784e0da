"""Login lockout with django-axes, per account and per address: the authentication backend, whose address
an attempt comes from, and what a refused client gets (settings: AUTHENTICATION_BACKENDS, AXES_*,
LOGIN_ADDRESS_*).

Two rules refuse a login before any password is checked, on every login path (the login page, the admin's,
POST /api/v1/auth/token/), whichever of them the failures came from:
- per account (django-axes): AXES_FAILURE_LIMIT failures for one username from one address;
- per address (here): LOGIN_ADDRESS_FAILURE_LIMIT failures from one address, whatever the usernames, within
  LOGIN_ADDRESS_COOLOFF_TIME.
The address rule counts the failures axes already records (its AccessAttempt rows, one per username +
address), so both rules see the same attempts and `manage.py axes_reset_ip <address>` lifts both."""

import datetime as dt
import ipaddress
import math
from dataclasses import dataclass

from axes.backends import AxesStandaloneBackend
from axes.exceptions import AxesBackendPermissionDenied
from axes.helpers import get_client_username
from axes.models import AccessAttempt
from django.conf import settings
from django.db.models import Max
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.utils import timezone
from django.utils.translation import ngettext
from rest_framework.settings import api_settings


class LockoutBackend(AxesStandaloneBackend):
    """Refuses a blocked address, then a locked-out username + address, before any password is checked.

    Axes insists on the request; a call without one is not a login over the network (a management command,
    the shell, Django's test client `login()`), has no address to lock, and is let through to the next
    backend. Every HTTP login path passes its request: the login page and the admin's (Django's
    AuthenticationForm) and POST /api/v1/auth/token/ (DRF's AuthTokenSerializer); tests/security/test_login_
    lockout.py and test_login_throttle.py prove each one locks."""

    def authenticate(self, request, username=None, password=None, **kwargs):
        if request is None:
            return None
        if settings.AXES_ENABLED:
            wait = address_wait_seconds(client_ip(request))
            if wait:
                # Flagged as locked out before Django's user_login_failed reaches axes: with
                # AXES_RESET_COOL_OFF_ON_FAILURE_DURING_LOCKOUT off, axes then records nothing (no password
                # was tried, so nothing counts), and its middleware answers with lockout_response.
                request.login_address_wait = wait
                request.axes_locked_out = True
                raise AxesBackendPermissionDenied("too many failed logins from this address")
        return super().authenticate(request, username=username, password=password, **kwargs)


def client_username(request: HttpRequest, credentials: dict | None = None) -> str | None:
    """The username django-axes records for an attempt (AXES_USERNAME_CALLABLE), cut to its column's 255
    characters: the login forms do not bound what is typed (Django's AuthenticationForm sets max_length
    without a validator), and PostgreSQL refuses a longer value. Otherwise as axes takes it."""
    field = settings.AXES_USERNAME_FORM_FIELD
    username = credentials.get(field) if credentials else getattr(request, "data", request.POST).get(field)
    return username[:255] if isinstance(username, str) else username


def client_ip(request: HttpRequest) -> str | None:
    """The client's address as the API throttles see it (REST_FRAMEWORK["NUM_PROXIES"]): with N proxies in
    front, the Nth address from the right of X-Forwarded-For; with none configured, the socket's address
    only, since a header the client sets itself must not choose which address gets locked out. An entry that
    is not an address (a misconfigured proxy count reaching the client's own text) counts as the socket's."""
    remote_addr = request.META.get("REMOTE_ADDR")
    num_proxies = api_settings.NUM_PROXIES
    forwarded = request.META.get("HTTP_X_FORWARDED_FOR")
    if not num_proxies or not forwarded:
        return remote_addr
    addresses = [address.strip() for address in forwarded.split(",") if address.strip()]
    if not addresses:
        return remote_addr
    chosen = addresses[-min(num_proxies, len(addresses))]
    try:
        return str(ipaddress.ip_address(chosen))
    except ValueError:
        return remote_addr


# --- the per-address rule ---------------------------------------------------------------------------------


def address_wait_seconds(address: str | None, *, now: dt.datetime | None = None) -> float:
    """Seconds before `address` may try a password again (0: it may now).

    An address is refused while the failures recorded from it in the last LOGIN_ADDRESS_COOLOFF_TIME add up
    to LOGIN_ADDRESS_FAILURE_LIMIT. Axes keeps one row per username (+ address), whose `attempt_time` is its
    latest failure: a row counts all its failures until it is a cool-off old, as in axes' own rule. Walking
    the rows newest first, the one that reaches the limit is the one whose expiry brings the count back
    under it, so the wait is exact. A successful login deletes only its own username's row (axes'
    AXES_RESET_ON_SUCCESS): a user's own typos stop counting once they are in, and an attacker who owns one
    account cannot clear the failures they ran up against the others."""
    limit = settings.LOGIN_ADDRESS_FAILURE_LIMIT
    if not address or not limit:
        return 0
    now = now or timezone.now()
    cool_off = settings.LOGIN_ADDRESS_COOLOFF_TIME
    rows = (
        AccessAttempt.objects.filter(ip_address=address, attempt_time__gte=now - cool_off)
        .order_by("-attempt_time")
        .values_list("attempt_time", "failures_since_start")[:limit]  # every row holds at least one failure
    )
    total = 0
    for attempt_time, failures in rows:
        total += failures
        if total >= limit:
            return max(1.0, (attempt_time + cool_off - now).total_seconds())
    return 0


# --- what a refused client gets ---------------------------------------------------------------------------


@dataclass(frozen=True)
class LoginRefusal:
    """Why a login was refused without checking its password, in the request's language, and for how long."""

    message: str
    retry_after: int  # whole seconds, rounded up: waiting this long is always enough


def login_refusal(request: HttpRequest, credentials: dict | None = None) -> LoginRefusal:
    """The refusal of a request flagged by LockoutBackend (its address) or by axes (username + address)."""
    address_wait = getattr(request, "login_address_wait", None)
    if address_wait:
        seconds = math.ceil(address_wait)
        minutes = math.ceil(seconds / 60)
        message = ngettext(
            "Too many failed logins from your network address, whatever the account: logging in from it is "
            "blocked for %(minutes)s more minute. Wait, then try again; if your office shares this address, "
            "ask the system administrator to lift the block.",
            "Too many failed logins from your network address, whatever the account: logging in from it is "
            "blocked for %(minutes)s more minutes. Wait, then try again; if your office shares this address, "
            "ask the system administrator to lift the block.",
            minutes,
        ) % {"minutes": minutes}
        return LoginRefusal(message, seconds)
    credentials = credentials if credentials is not None else getattr(request, "axes_credentials", None)
    seconds = math.ceil(_account_wait_seconds(request, credentials))
    minutes = math.ceil(seconds / 60)
    message = ngettext(
        "Too many failed logins for this account from your address: logging in is blocked for "
        "%(minutes)s more minute. Wait, then try again, or ask the system administrator to unlock it.",
        "Too many failed logins for this account from your address: logging in is blocked for "
        "%(minutes)s more minutes. Wait, then try again, or ask the system administrator to unlock it.",
        minutes,
    ) % {"minutes": minutes}
    return LoginRefusal(message, seconds)


def _account_wait_seconds(request: HttpRequest, credentials: dict | None) -> float:
    """Until the username + address's latest failure is a cool-off old (AXES_LOCKOUT_PARAMETERS is that pair;
    attempts refused during the lock do not restart it: AXES_RESET_COOL_OFF_ON_FAILURE_DURING_LOCKOUT)."""
    cool_off = settings.AXES_COOLOFF_TIME
    address = getattr(request, "axes_ip_address", None) or client_ip(request)
    latest = AccessAttempt.objects.filter(
        username=get_client_username(request, credentials), ip_address=address
    ).aggregate(latest=Max("attempt_time"))["latest"]
    if latest is None:  # lifted meanwhile, or recorded under another name: the whole cool-off is never short
        return cool_off.total_seconds()
    return max(1.0, (latest + cool_off - timezone.now()).total_seconds())


def lockout_response(request: HttpRequest, original_response=None, credentials=None) -> HttpResponse:
    """429 with Retry-After: the API's error shape under /api/, a page elsewhere (login, admin login)."""
    refusal = login_refusal(request, credentials)
    if request.path.startswith("/api/"):
        body = {"error": {"code": "locked_out", "message": refusal.message, "field": None}}
        response: HttpResponse = JsonResponse(body, status=429)
    else:
        response = render(request, "registration/locked_out.html", {"message": refusal.message}, status=429)
    response["Retry-After"] = str(refusal.retry_after)
    return response
