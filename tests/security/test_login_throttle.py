"""Login throttle per address (gridmgmt.security): twenty failed logins from one address, whatever the
usernames, refuse every login from it, on the login page and the API token endpoint alike, until enough of
them are fifteen minutes old; the refusal is a translated 429 that says how long to wait, and a
forwarded-for header moves the count only when a proxy in front is configured."""

import datetime as dt
import io
import os
import subprocess
import sys
from pathlib import Path

import pytest
from axes.models import AccessAttempt
from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.backends import ModelBackend
from django.db.models import Sum
from django.test import Client
from django.urls import reverse
from django.utils import timezone

import gridmgmt.settings as production_settings
from gridmgmt.security import client_ip

ACCOUNT_LIMIT = 5
ADDRESS_LIMIT = 20
TOKEN_URL = "/api/v1/auth/token/"
REPO = Path(__file__).resolve().parents[2]


@pytest.fixture(autouse=True)
def _throttle_settings(settings):
    """The production rules, whatever the environment says; DRF's rate limit of the token endpoint (per
    address, all attempts) stays out of the way: it has its own tests in tests/api."""
    settings.AXES_ENABLED = True
    settings.AXES_FAILURE_LIMIT = ACCOUNT_LIMIT
    settings.AXES_COOLOFF_TIME = dt.timedelta(minutes=15)
    settings.LOGIN_ADDRESS_FAILURE_LIMIT = ADDRESS_LIMIT
    settings.LOGIN_ADDRESS_COOLOFF_TIME = dt.timedelta(minutes=15)
    settings.REST_FRAMEWORK = {
        **settings.REST_FRAMEWORK,
        "NUM_PROXIES": None,
        "DEFAULT_THROTTLE_RATES": {
            **settings.REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"],
            "login": "1000/minute",
        },
    }


def web_login(username: str, password: str, *, ip: str = "10.0.0.1", **headers):
    client = Client(REMOTE_ADDR=ip, **headers)
    return client.post(reverse("login"), {"username": username, "password": password}), client


def api_login(username: str, password: str, *, ip: str = "10.0.0.1", **headers):
    body = {"username": username, "password": password}
    return Client(REMOTE_ADDR=ip, **headers).post(TOKEN_URL, body, content_type="application/json")


def logged_in(client: Client) -> bool:
    return settings.SESSION_COOKIE_NAME in client.cookies and bool(
        client.cookies[settings.SESSION_COOKIE_NAME].value
    )


def fail_from(ip: str = "10.0.0.1", *, count: int, channel: str = "web", prefix: str = "nobody", **headers):
    """`count` wrong passwords, each for another username (no account lock comes near), all let through."""
    for i in range(count):
        if channel == "web":
            response, _ = web_login(f"{prefix}{i}", "wrong password", ip=ip, **headers)
            assert response.status_code == 200, i  # the form again, with its error
        else:
            response = api_login(f"{prefix}{i}", "wrong password", ip=ip, **headers)
            assert response.status_code == 400, i
            assert response.json()["error"]["code"] == "invalid_input"


def failures_recorded(ip: str = "10.0.0.1") -> int:
    return AccessAttempt.objects.filter(ip_address=ip).aggregate(n=Sum("failures_since_start"))["n"] or 0


def age_failures(minutes: float, **filters) -> None:
    AccessAttempt.objects.filter(**filters).update(
        attempt_time=timezone.now() - dt.timedelta(minutes=minutes)
    )


def assert_address_refusal_page(response, client) -> None:
    assert response.status_code == 429
    assert not logged_in(client)
    assert "registration/locked_out.html" in [template.name for template in response.templates]
    assert 'role="alert"' in response.content.decode()


def assert_address_refusal_json(response) -> dict:
    assert response.status_code == 429
    body = response.json()
    assert set(body) == {"error"} and "token" not in body
    assert body["error"]["code"] == "locked_out" and body["error"]["field"] is None
    return body["error"]


# --- the rule -----------------------------------------------------------------------------------------


def test_the_defaults_are_twenty_failures_per_address_in_fifteen_minutes_above_the_account_limit():
    assert production_settings.LOGIN_ADDRESS_FAILURE_LIMIT == 20
    assert production_settings.LOGIN_ADDRESS_COOLOFF_TIME == dt.timedelta(minutes=15)
    assert production_settings.LOGIN_ADDRESS_FAILURE_LIMIT > production_settings.AXES_FAILURE_LIMIT
    # an attempt refused while locked is no failure: it neither restarts a lock nor counts for the address
    assert production_settings.AXES_RESET_COOL_OFF_ON_FAILURE_DURING_LOCKOUT is False


def test_failures_across_many_usernames_block_the_login_page_for_everyone_at_that_address(world):
    fail_from(count=ADDRESS_LIMIT)

    response, client = web_login("supervisor", "pw")  # a real user with the right password

    assert_address_refusal_page(response, client)
    assert 880 <= int(response["Retry-After"]) <= 15 * 60  # fifteen minutes after the first of the twenty
    assert "15" in response.content.decode()


def test_failures_across_many_usernames_block_the_api_token_login(world):
    fail_from(count=ADDRESS_LIMIT, channel="api")

    response = api_login("supervisor", "pw")

    error = assert_address_refusal_json(response)
    assert "15" in error["message"]
    assert 880 <= int(response["Retry-After"]) <= 15 * 60


def test_one_failure_fewer_than_the_limit_is_still_let_through(world):
    fail_from(count=ADDRESS_LIMIT - 1)

    response, client = web_login("supervisor", "pw")

    assert response.status_code == 302 and logged_in(client)


def test_the_block_refuses_before_any_password_is_checked(world, monkeypatch):
    fail_from(count=ADDRESS_LIMIT)
    checked = []
    original = ModelBackend.authenticate

    def spy(self, request, username=None, password=None, **kwargs):
        checked.append(username)
        return original(self, request, username=username, password=password, **kwargs)

    monkeypatch.setattr(ModelBackend, "authenticate", spy)

    assert web_login("supervisor", "pw")[0].status_code == 429
    assert api_login("supervisor", "pw").status_code == 429
    assert checked == []
    assert web_login("supervisor", "pw", ip="10.0.0.2")[0].status_code == 302  # the spy does see other logins
    assert checked == ["supervisor"]


def test_other_addresses_are_not_blocked(world):
    fail_from(count=ADDRESS_LIMIT)

    response, client = web_login("supervisor", "pw", ip="10.0.0.2")
    assert response.status_code == 302 and logged_in(client)
    assert api_login("dispatcher", "pw", ip="10.0.0.3").status_code == 200


@pytest.mark.parametrize("first, second", [("web", "api"), ("api", "web")])
def test_failures_on_the_page_and_the_api_count_for_each_other(world, first, second):
    fail_from(count=ADDRESS_LIMIT // 2, channel=first, prefix="first")
    fail_from(count=ADDRESS_LIMIT // 2, channel=second, prefix="second")

    assert_address_refusal_json(api_login("supervisor", "pw"))
    response, client = web_login("supervisor", "pw")
    assert_address_refusal_page(response, client)


def test_the_admin_login_counts_and_is_refused_too(world):
    get_user_model().objects.create_superuser("root", "root@example.org", "pw")
    admin = Client(REMOTE_ADDR="10.0.0.1")
    for i in range(ADDRESS_LIMIT // 2):
        admin.post(reverse("admin:login"), {"username": f"admin{i}", "password": "wrong password"})
    fail_from(count=ADDRESS_LIMIT // 2)

    response = admin.post(reverse("admin:login"), {"username": "root", "password": "pw"})

    assert response.status_code == 429
    assert "_auth_user_id" not in admin.session


# --- what counts ----------------------------------------------------------------------------------------


@pytest.mark.parametrize("channel", ["web", "api"])
def test_a_successful_login_does_not_clear_other_usernames_failures(world, channel):
    """An attacker who owns one account cannot launder the count by logging in with it now and then."""
    fail_from(count=ADDRESS_LIMIT - 1)
    if channel == "web":
        assert web_login("staff", "pw")[0].status_code == 302
    else:
        assert api_login("staff", "pw").status_code == 200
    assert failures_recorded() == ADDRESS_LIMIT - 1

    fail_from(count=1, prefix="another")

    assert web_login("staff", "pw")[0].status_code == 429
    assert api_login("staff", "pw").status_code == 429


def test_a_users_own_typos_stop_counting_once_they_log_in(world):
    """The office behind one address: a colleague's mistyped password is forgotten once they are in."""
    fail_from(count=ADDRESS_LIMIT - 4)
    for _ in range(3):
        assert web_login("staff", "wrong password")[0].status_code == 200
    assert web_login("staff", "pw")[0].status_code == 302  # 19 failures: still under the limit

    fail_from(count=4, prefix="later")  # 16 + 4: only now the limit

    assert web_login("supervisor", "pw")[0].status_code == 429


def test_attempts_refused_for_the_address_neither_count_nor_extend_the_block(world):
    fail_from(count=ADDRESS_LIMIT)
    for i in range(10):
        assert web_login(f"more{i}", "wrong password")[0].status_code == 429
        assert api_login(f"more{i}", "wrong password").status_code == 429
    assert failures_recorded() == ADDRESS_LIMIT
    assert not AccessAttempt.objects.filter(username__startswith="more").exists()

    age_failures(16, ip_address="10.0.0.1")

    response, client = web_login("supervisor", "pw")
    assert response.status_code == 302 and logged_in(client)


def test_a_locked_out_user_retrying_does_not_block_their_office(world):
    for _ in range(ACCOUNT_LIMIT):
        web_login("dispatcher", "wrong password")
    for _ in range(ADDRESS_LIMIT * 2):
        response, _ = web_login("dispatcher", "pw")
        assert response.status_code == 429  # the account lock, no password checked
        assert "该账号" in response.content.decode()  # the account's message, not the address's
    assert failures_recorded() == ACCOUNT_LIMIT

    response, client = web_login("supervisor", "pw")
    assert response.status_code == 302 and logged_in(client)


def test_the_system_administrator_lifts_an_address_block_with_axes_reset_ip(world):
    from django.core.management import call_command

    fail_from(count=ADDRESS_LIMIT)
    assert web_login("supervisor", "pw")[0].status_code == 429

    call_command("axes_reset_ip", "10.0.0.1", stdout=io.StringIO())

    assert web_login("supervisor", "pw")[0].status_code == 302


# --- how long ---------------------------------------------------------------------------------------------


def test_the_block_ends_after_the_cool_off(world):
    fail_from(count=ADDRESS_LIMIT)
    assert web_login("supervisor", "pw")[0].status_code == 429

    age_failures(16, ip_address="10.0.0.1")

    assert api_login("supervisor", "pw").status_code == 200
    response, client = web_login("supervisor", "pw")
    assert response.status_code == 302 and logged_in(client)


def test_the_wait_ends_when_enough_failures_have_aged_out(world):
    fail_from(count=ADDRESS_LIMIT // 2, prefix="earlier")
    age_failures(10, username__startswith="earlier")
    fail_from(count=ADDRESS_LIMIT // 2, prefix="recent")

    response = api_login("supervisor", "pw", HTTP_ACCEPT_LANGUAGE="en")

    error = assert_address_refusal_json(response)
    assert 290 <= int(response["Retry-After"]) <= 300  # when the ten earlier ones are fifteen minutes old
    assert "blocked for 5 more minutes" in error["message"]

    age_failures(15.5, username__startswith="earlier")
    assert api_login("supervisor", "pw").status_code == 200


def test_a_wait_under_a_minute_is_said_in_the_singular(world):
    fail_from(count=ADDRESS_LIMIT)
    age_failures(14.5, ip_address="10.0.0.1")

    response = api_login("supervisor", "pw", HTTP_ACCEPT_LANGUAGE="en")

    assert "blocked for 1 more minute." in assert_address_refusal_json(response)["message"]
    assert 1 <= int(response["Retry-After"]) <= 30


# --- the message -------------------------------------------------------------------------------------------


def test_the_refusal_is_in_chinese_by_default_and_in_english_when_asked(world):
    fail_from(count=ADDRESS_LIMIT)

    chinese, _ = web_login("supervisor", "pw")
    english, _ = web_login("supervisor", "pw", HTTP_ACCEPT_LANGUAGE="en")
    chinese_api = api_login("supervisor", "pw", HTTP_ACCEPT_LANGUAGE="zh-hans")
    english_api = api_login("supervisor", "pw", HTTP_ACCEPT_LANGUAGE="en")

    page = chinese.content.decode()
    assert "暂时无法登录" in page and "网络地址的登录失败次数过多" in page and "15 分钟" in page
    assert "Too many" not in page
    page = english.content.decode()
    assert "Login blocked for now" in page
    assert "Too many failed logins from your network address, whatever the account" in page
    assert "15 more minutes" in page and "system administrator" in page
    assert "15 分钟" in chinese_api.json()["error"]["message"]
    assert "whatever the account" in english_api.json()["error"]["message"]


def test_the_account_lock_says_how_long_is_left_not_the_whole_cool_off(world):
    for _ in range(ACCOUNT_LIMIT):
        web_login("dispatcher", "wrong password")
    age_failures(10, username="dispatcher")

    response = api_login("dispatcher", "pw", HTTP_ACCEPT_LANGUAGE="en")

    message = assert_address_refusal_json(response)["message"]
    assert "for this account" in message and "5 more minutes" in message
    assert 290 <= int(response["Retry-After"]) <= 300


# --- forwarded-for headers ------------------------------------------------------------------------------


@pytest.mark.parametrize("channel", ["web", "api"])
def test_without_a_proxy_configured_a_forwarded_for_header_neither_escapes_nor_frames(world, channel):
    for i in range(ADDRESS_LIMIT):  # each attempt claims another address
        fail_from(count=1, channel=channel, prefix=f"u{i}-", HTTP_X_FORWARDED_FOR=f"198.51.100.{i}")

    escaping = api_login("supervisor", "pw", HTTP_X_FORWARDED_FOR="198.51.100.200")
    assert_address_refusal_json(escaping)
    # Another client claiming the blocked address is judged by its own.
    assert api_login("supervisor", "pw", ip="10.0.0.2", HTTP_X_FORWARDED_FOR="10.0.0.1").status_code == 200


@pytest.mark.parametrize("channel", ["web", "api"])
def test_behind_a_configured_proxy_the_address_it_saw_counts(world, settings, channel):
    settings.REST_FRAMEWORK = {**settings.REST_FRAMEWORK, "NUM_PROXIES": 1}
    proxy = "10.0.0.254"
    for i in range(ADDRESS_LIMIT):  # the client forges a different address in front each time
        forwarded = f"198.51.100.{i}, 203.0.113.7"
        fail_from(proxy, count=1, channel=channel, prefix=f"u{i}-", HTTP_X_FORWARDED_FOR=forwarded)
    assert failures_recorded("203.0.113.7") == ADDRESS_LIMIT

    blocked = api_login("supervisor", "pw", ip=proxy, HTTP_X_FORWARDED_FOR="198.51.100.99, 203.0.113.7")
    assert_address_refusal_json(blocked)
    response, client = web_login("supervisor", "pw", ip=proxy, HTTP_X_FORWARDED_FOR="203.0.113.7")
    assert_address_refusal_page(response, client)
    # Another client behind the same proxy is not blocked.
    response, client = web_login("supervisor", "pw", ip=proxy, HTTP_X_FORWARDED_FOR="203.0.113.8")
    assert response.status_code == 302 and logged_in(client)


def test_a_forwarded_entry_that_is_not_an_address_counts_as_the_socket(rf, settings):
    settings.REST_FRAMEWORK = {**settings.REST_FRAMEWORK, "NUM_PROXIES": 1}
    assert client_ip(rf.get("/", REMOTE_ADDR="10.0.0.1", HTTP_X_FORWARDED_FOR="<script>")) == "10.0.0.1"
    assert client_ip(rf.get("/", REMOTE_ADDR="10.0.0.1", HTTP_X_FORWARDED_FOR="2001:db8::1")) == "2001:db8::1"


# --- configuration ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "env, accepted",
    [
        ({"LOGIN_ADDRESS_FAILURE_LIMIT": "50", "LOGIN_ADDRESS_COOLOFF_MINUTES": "10"}, True),
        ({"LOGIN_ADDRESS_COOLOFF_MINUTES": "30"}, False),  # longer than axes keeps failures (15)
        ({"LOGIN_ADDRESS_FAILURE_LIMIT": "0"}, False),
    ],
)
def test_the_settings_refuse_a_window_longer_than_failures_are_kept(env, accepted):
    environment = {**os.environ, "DJANGO_SETTINGS_MODULE": "gridmgmt.settings", **env}
    environment.pop("AXES_COOLOFF_MINUTES", None)
    script = (
        "import gridmgmt.settings as s; print(s.LOGIN_ADDRESS_FAILURE_LIMIT, s.LOGIN_ADDRESS_COOLOFF_TIME)"
    )
    result = subprocess.run(
        [sys.executable, "-c", script], cwd=REPO, env=environment, capture_output=True, text=True, timeout=60
    )
    assert (result.returncode == 0) is accepted, result.stderr
    if not accepted:
        assert "ImproperlyConfigured" in result.stderr and "LOGIN_ADDRESS_" in result.stderr


@pytest.mark.django_db
def test_a_username_longer_than_any_column_is_a_failed_login_not_a_crash():
    huge = "u" * 100_000
    response = Client().post("/login/", {"username": huge, "password": "whatever-1"})
    assert response.status_code == 200  # the form again, saying the login failed
    (attempt,) = AccessAttempt.objects.all()
    assert attempt.username == huge[:255]
