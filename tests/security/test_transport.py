"""With DEBUG off: HTTPS only (redirect, HSTS), cookies Secure + HttpOnly + SameSite=Lax, no sniffing, no
framing. The production values come from the settings module itself, loaded in a subprocess with DEBUG off;
responses are then checked in process with exactly those values and the real middleware."""

import json

import pytest
from django.conf import settings
from django.test import Client, override_settings
from django.urls import reverse

from ..gridmgmt.test_settings import _production_secrets, _run

CHECKED = (
    "DEBUG",
    "SECURE_SSL_REDIRECT",
    "SECURE_REDIRECT_EXEMPT",
    "SECURE_HSTS_SECONDS",
    "SECURE_HSTS_INCLUDE_SUBDOMAINS",
    "SECURE_HSTS_PRELOAD",
    "SECURE_PROXY_SSL_HEADER",
    "SECURE_CONTENT_TYPE_NOSNIFF",
    "SECURE_REFERRER_POLICY",
    "X_FRAME_OPTIONS",
    "SESSION_COOKIE_SECURE",
    "SESSION_COOKIE_HTTPONLY",
    "SESSION_COOKIE_SAMESITE",
    "CSRF_COOKIE_SECURE",
    "CSRF_COOKIE_HTTPONLY",
    "CSRF_COOKIE_SAMESITE",
    "LANGUAGE_COOKIE_SECURE",
    "LANGUAGE_COOKIE_HTTPONLY",
    "LANGUAGE_COOKIE_SAMESITE",
)
_PRINT = (
    "import json, django; django.setup(); from django.conf import settings; "
    f"print(json.dumps({{name: getattr(settings, name) for name in {CHECKED!r}}}))"
)


@pytest.fixture(scope="module")
def production(tmp_path_factory) -> dict:
    result = _run(
        ["-c", _PRINT],
        tmp_path_factory.mktemp("production"),
        DEBUG="0",
        ALLOWED_HOSTS="testserver",
        **_production_secrets(),
    )
    assert result.returncode == 0, result.stderr
    values = json.loads(result.stdout.strip().splitlines()[-1])
    values["SECURE_PROXY_SSL_HEADER"] = tuple(values["SECURE_PROXY_SSL_HEADER"])
    return values


def test_production_settings_turn_every_protection_on(production):
    assert production["DEBUG"] is False
    assert production["SECURE_SSL_REDIRECT"] is True
    assert production["SECURE_HSTS_SECONDS"] >= 31536000
    assert production["SECURE_HSTS_INCLUDE_SUBDOMAINS"] and production["SECURE_HSTS_PRELOAD"]
    for cookie in ("SESSION", "CSRF", "LANGUAGE"):
        assert production[f"{cookie}_COOKIE_SECURE"] is True, cookie
        assert production[f"{cookie}_COOKIE_HTTPONLY"] is True, cookie
        assert production[f"{cookie}_COOKIE_SAMESITE"] == "Lax", cookie
    assert production["X_FRAME_OPTIONS"] == "DENY" and production["SECURE_CONTENT_TYPE_NOSNIFF"]


@pytest.fixture
def https(production):
    """A client under the production settings; its requests pass secure=True (HTTPS)."""
    with override_settings(**production):
        yield Client()


def _cookie_flags(morsel) -> tuple:
    return bool(morsel["secure"]), bool(morsel["httponly"]), morsel["samesite"]


def test_plain_http_is_redirected_to_https_except_the_health_probe(production):
    with override_settings(**production):
        client = Client()
        response = client.get(reverse("login"))
        assert response.status_code == 301 and response["Location"].startswith("https://")
        assert client.get(reverse("healthz")).status_code in (200, 503)  # load balancers probe over HTTP


def test_https_responses_carry_hsts_and_the_other_security_headers(https):
    response = https.get(reverse("login"), secure=True)

    assert response.status_code == 200
    assert response["Strict-Transport-Security"] == "max-age=31536000; includeSubDomains; preload"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["X-Frame-Options"] == "DENY"
    assert response["Referrer-Policy"] == "same-origin"
    assert _cookie_flags(response.cookies[settings.CSRF_COOKIE_NAME]) == (True, True, "Lax")


def test_a_proxy_that_terminated_tls_counts_as_https(production):
    with override_settings(**production):
        response = Client().get(reverse("login"), HTTP_X_FORWARDED_PROTO="https")
    assert response.status_code == 200 and "Strict-Transport-Security" in response


def test_the_session_and_language_cookies_are_secure_httponly_and_lax(world, https):
    response = https.post(reverse("login"), {"username": "dispatcher", "password": "pw"}, secure=True)
    assert response.status_code == 302
    assert _cookie_flags(response.cookies[settings.SESSION_COOKIE_NAME]) == (True, True, "Lax")

    response = https.post(reverse("set_language"), {"language": "en", "next": reverse("home")}, secure=True)
    assert _cookie_flags(response.cookies[settings.LANGUAGE_COOKIE_NAME]) == (True, True, "Lax")
