"""Login lockout (django-axes): five wrong passwords for one username from one address lock that pair out,
on the login page, the admin's login and the API token endpoint alike; the lockout is a clear 429."""

import datetime as dt

import pytest
from axes.models import AccessAttempt
from django.conf import settings
from django.contrib.auth import authenticate, get_user_model
from django.test import Client
from django.urls import reverse

from gridmgmt.security import client_ip

LIMIT = 5
TOKEN_URL = "/api/v1/auth/token/"


@pytest.fixture(autouse=True)
def _lockout_settings(settings):
    """The production lockout settings, whatever the environment says; a login throttle that stays out of
    the way (it is keyed by address alone and has its own tests in tests/api)."""
    settings.AXES_ENABLED = True
    settings.AXES_FAILURE_LIMIT = LIMIT
    settings.AXES_COOLOFF_TIME = dt.timedelta(minutes=15)
    settings.REST_FRAMEWORK = {
        **settings.REST_FRAMEWORK,
        "DEFAULT_THROTTLE_RATES": {
            **settings.REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"],
            "login": "1000/minute",
        },
    }


def web_login(username: str, password: str, *, ip: str = "10.0.0.1"):
    client = Client(REMOTE_ADDR=ip)
    return client.post(reverse("login"), {"username": username, "password": password}), client


def api_login(username: str, password: str, *, ip: str = "10.0.0.1"):
    body = {"username": username, "password": password}
    return Client(REMOTE_ADDR=ip).post(TOKEN_URL, body, content_type="application/json")


def logged_in(client: Client) -> bool:
    return settings.SESSION_COOKIE_NAME in client.cookies and bool(
        client.cookies[settings.SESSION_COOKIE_NAME].value
    )


def test_the_settings_lock_username_and_address_together_for_fifteen_minutes():
    assert settings.AXES_LOCKOUT_PARAMETERS == [["username", "ip_address"]]
    assert settings.AXES_RESET_ON_SUCCESS is True
    assert settings.AUTHENTICATION_BACKENDS[0] == "gridmgmt.security.LockoutBackend"
    assert "axes" in settings.INSTALLED_APPS and "axes.middleware.AxesMiddleware" in settings.MIDDLEWARE


def test_five_wrong_passwords_lock_the_sixth_attempt_even_with_the_right_one(world):
    for attempt in range(1, LIMIT):
        response, _ = web_login("dispatcher", "wrong password")
        assert response.status_code == 200, attempt  # the form again, with its error
    response, _ = web_login("dispatcher", "wrong password")
    assert response.status_code == 429  # the fifth failure already answers with the lockout

    response, client = web_login("dispatcher", "pw")

    assert response.status_code == 429
    assert not logged_in(client)
    assert int(response["Retry-After"]) == 15 * 60
    page = response.content.decode()
    assert "15" in page and 'role="alert"' in page
    assert "registration/locked_out.html" in [template.name for template in response.templates]


def test_the_lockout_keeps_other_users_and_other_addresses_out_of_it(world):
    for _ in range(LIMIT):
        web_login("dispatcher", "wrong password")

    other_user, client = web_login("supervisor", "pw")
    assert other_user.status_code == 302 and logged_in(client)
    other_address, client = web_login("dispatcher", "pw", ip="10.0.0.2")
    assert other_address.status_code == 302 and logged_in(client)
    assert web_login("dispatcher", "pw")[0].status_code == 429


def test_a_successful_login_resets_the_count(world):
    for _ in range(LIMIT - 1):
        web_login("staff", "wrong password")
    assert web_login("staff", "pw")[0].status_code == 302

    for _ in range(LIMIT - 1):
        assert web_login("staff", "wrong password")[0].status_code == 200
    response, client = web_login("staff", "pw")
    assert response.status_code == 302 and logged_in(client)


def test_the_lockout_ends_after_the_cool_off(world):
    for _ in range(LIMIT):
        web_login("dispatcher", "wrong password")
    assert web_login("dispatcher", "pw")[0].status_code == 429

    sixteen_minutes_ago = AccessAttempt.objects.get().attempt_time - dt.timedelta(minutes=16)
    AccessAttempt.objects.update(attempt_time=sixteen_minutes_ago)

    assert web_login("dispatcher", "pw")[0].status_code == 302


def test_the_api_token_endpoint_locks_too(world):
    for _ in range(LIMIT - 1):
        response = api_login("staff", "wrong password")
        assert response.status_code == 400
        assert response.json()["error"]["code"] == "invalid_input"
    assert api_login("staff", "wrong password").status_code == 429

    response = api_login("staff", "pw")

    assert response.status_code == 429
    assert response.json()["error"]["code"] == "locked_out"
    assert "15" in response.json()["error"]["message"]
    assert int(response["Retry-After"]) == 15 * 60
    assert "token" not in response.json()
    assert api_login("supervisor", "pw").status_code == 200  # another user from the same address


def test_a_token_obtained_resets_the_count_like_a_login(world):
    for _ in range(LIMIT - 1):
        api_login("staff", "wrong password")
    assert api_login("staff", "pw").status_code == 200

    for _ in range(LIMIT - 1):
        assert api_login("staff", "wrong password").status_code == 400
    assert api_login("staff", "pw").status_code == 200
    world.staff.refresh_from_db()
    assert world.staff.last_login is not None


def test_failures_on_the_page_and_the_api_add_up(world):
    for _ in range(3):
        web_login("staff", "wrong password")
    for _ in range(2):
        api_login("staff", "wrong password")

    assert api_login("staff", "pw").status_code == 429
    assert web_login("staff", "pw")[0].status_code == 429


def test_the_admin_login_locks_too(world):
    admin = get_user_model().objects.create_superuser("root", "root@example.org", "pw")
    client = Client(REMOTE_ADDR="10.0.0.9")
    login = reverse("admin:login")
    for _ in range(LIMIT):
        client.post(login, {"username": admin.username, "password": "wrong password"})

    response = client.post(login, {"username": admin.username, "password": "pw"})

    assert response.status_code == 429
    assert "_auth_user_id" not in client.session


def test_authentication_without_a_request_is_not_locked_or_broken(world):
    """Management commands and the shell call authenticate() without a request: no address to lock."""
    for _ in range(LIMIT):
        web_login("dispatcher", "wrong password")
    assert authenticate(username="dispatcher", password="pw") == world.dispatcher
    assert authenticate(username="dispatcher", password="wrong password") is None


def test_the_client_address_ignores_forwarded_headers_unless_proxies_are_configured(rf, settings):
    request = rf.get("/", REMOTE_ADDR="10.0.0.1", HTTP_X_FORWARDED_FOR="6.6.6.6")
    assert client_ip(request) == "10.0.0.1"

    settings.REST_FRAMEWORK = {**settings.REST_FRAMEWORK, "NUM_PROXIES": 1}
    request = rf.get("/", REMOTE_ADDR="10.0.0.1", HTTP_X_FORWARDED_FOR="6.6.6.6, 203.0.113.7")
    assert client_ip(request) == "203.0.113.7"  # what the one proxy saw; the client's own claim ignored
    assert client_ip(rf.get("/", REMOTE_ADDR="10.0.0.1")) == "10.0.0.1"


def test_the_system_administrator_sees_lockouts_in_the_admin_and_can_lift_them(world):
    from django.core.management import call_command

    for _ in range(LIMIT):
        web_login("dispatcher", "wrong password")
    admin = get_user_model().objects.create_superuser("root", "root@example.org", "pw")
    client = Client()
    client.force_login(admin)
    page = client.get(reverse("admin:axes_accessattempt_changelist"))
    assert page.status_code == 200 and "dispatcher" in page.content.decode()

    call_command("axes_reset_username", "dispatcher", verbosity=0)

    assert web_login("dispatcher", "pw")[0].status_code == 302
