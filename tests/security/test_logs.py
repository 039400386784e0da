"""No secret and no resident PII in the logs: registering and revealing a resident, failed and successful
logins (page and API), reports through the API and Open311 — everything captured at DEBUG, with Django's
DEBUG on so that SQL logging would be live too. And a 500 while registering a resident: its log record
and the error report Django would mail carry no ID number, phone or password."""

import logging

import pytest
from django.conf import settings
from django.contrib.auth import get_user_model
from django.test import Client
from django.urls import resolve, reverse
from django.views.debug import ExceptionReporter
from rest_framework.authtoken.models import Token

from gridmgmt import tasking
from grids.models import Resident
from open311.services import api_key_ensure_demo

from ..factories import centre
from ..grids.resident_factories import id_number

ID_NUMBER = id_number(seq=417)
PHONE = "13912345678"
OPEN311_PHONE = "13787654321"
OPEN311_EMAIL = "li.hua.reporter@example.org"
PASSWORD = "Corr3ct-horse-battery"
WRONG_PASSWORD = "Wr0ng-horse-battery"


def _text_of(record: logging.LogRecord) -> str:
    """Everything a handler could write for the record: message, arguments, traceback, extra fields."""
    formatted = logging.Formatter("%(message)s").format(record)
    extras = " ".join(f"{key}={value!r}" for key, value in vars(record).items() if key not in ("msg", "args"))
    return f"{formatted} {record.args!r} {extras}"


def _forbidden() -> dict[str, str]:
    return {
        "SECRET_KEY": settings.SECRET_KEY,
        "FIELD_ENCRYPTION_KEY": settings.FIELD_ENCRYPTION_KEY.split(",")[0],
        "FIELD_HASH_KEY": settings.FIELD_HASH_KEY,
        "ID number": ID_NUMBER,
        "phone": PHONE,
        "Open311 phone": OPEN311_PHONE,
        "Open311 e-mail": OPEN311_EMAIL,
        "password": PASSWORD,
        "wrong password": WRONG_PASSWORD,
    }


def assert_clean(records, **more: str) -> None:
    forbidden = _forbidden() | more
    for record in records:
        text = _text_of(record)
        for what, value in forbidden.items():
            assert value not in text, f"{what} in a log record of {record.name}: {record.getMessage()[:200]}"


@pytest.fixture
def everything_logged(caplog, settings):
    settings.DEBUG = True  # Django logs SQL (with its parameters) only when DEBUG is on
    caplog.set_level(logging.DEBUG)
    return caplog


def test_nothing_secret_or_personal_reaches_the_logs(world, everything_logged):
    caplog = everything_logged
    get_user_model().objects.create_user("loguser", password=PASSWORD)
    admin = Client()
    admin.force_login(world.gridadmin)

    # a resident registered, then both fields revealed
    response = admin.post(
        reverse("resident-create"),
        {
            "grid": world.g1.code,
            "name": "李华",
            "id_number": ID_NUMBER,
            "phone": PHONE,
            "address": "八一大道 3 号",
            "moved_in_on": "2019-05-01",
        },
    )
    assert response.status_code == 302
    resident = Resident.objects.get()
    for field in ("id_number", "phone"):
        reveal = admin.post(reverse("resident-reveal", kwargs={"pk": resident.pk, "field": field}))
        assert reveal.status_code == 200
    assert ID_NUMBER in reveal.content.decode() or PHONE in reveal.content.decode()

    # failed and successful logins, on the page and on the API
    assert (
        Client().post(reverse("login"), {"username": "loguser", "password": WRONG_PASSWORD}).status_code
        == 200
    )
    assert Client().post(reverse("login"), {"username": "loguser", "password": PASSWORD}).status_code == 302
    api = Client()
    failed = api.post("/api/v1/auth/token/", {"username": "loguser", "password": WRONG_PASSWORD})
    assert failed.status_code == 400
    token = api.post("/api/v1/auth/token/", {"username": "loguser", "password": PASSWORD}).json()["token"]

    # reports: through the API with the token, and through Open311 with the reporter's contact details
    lat, lng = centre(world.g1)
    reporter = Client(HTTP_AUTHORIZATION=f"Token {token}")
    gridadmin_token = Token.objects.create(user=world.gridadmin).key
    with tasking.suppressed():
        created = Client(HTTP_AUTHORIZATION=f"Token {gridadmin_token}").post(
            reverse("api-cases"),
            {"lat": lat, "lng": lng, "category": world.cats.waste.code, "description": "垃圾堆放"},
            content_type="application/json",
        )
        assert created.status_code == 201
        assert reporter.get(reverse("api-cases")).status_code == 200
        open311 = Client().post(
            "/open311/v2/requests.json",
            {
                "api_key": api_key_ensure_demo().key,
                "service_code": world.cats.waste.code,
                "lat": lat,
                "long": lng,
                "phone": OPEN311_PHONE,
                "email": OPEN311_EMAIL,
            },
        )
        assert open311.status_code == 200

    assert caplog.records, "nothing was captured: the test would prove nothing"
    session_key = admin.cookies[settings.SESSION_COOKIE_NAME].value
    assert_clean(caplog.records, token=token, gridadmin_token=gridadmin_token, session_key=session_key)


def test_sql_parameters_stay_out_of_the_logs_even_at_log_level_debug(world, everything_logged):
    """LOG_LEVEL=DEBUG with DEBUG on would log every statement with its parameters (token keys, session
    keys, password hashes); settings keep django.db.backends at INFO unless SQL_LOG_LEVEL says otherwise."""
    assert logging.getLogger("django.db.backends").getEffectiveLevel() == logging.INFO
    Client().post(reverse("login"), {"username": "dispatcher", "password": "pw"})
    assert not [r for r in everything_logged.records if r.name == "django.db.backends"]


def test_a_500_while_registering_a_resident_logs_no_pii_and_the_error_report_masks_the_form(
    world, caplog, monkeypatch
):
    def explode(**kwargs):
        raise RuntimeError("the database went away")

    monkeypatch.setattr("grids.services.resident_create", explode)
    client = Client(raise_request_exception=False)
    client.force_login(world.gridadmin)
    caplog.set_level(logging.DEBUG)

    response = client.post(
        reverse("resident-create"),
        {
            "grid": world.g1.code,
            "name": "李华",
            "id_number": ID_NUMBER,
            "phone": PHONE,
            "address": "八一大道 3 号",
            "moved_in_on": "2019-05-01",
        },
    )

    assert response.status_code == 500
    [error] = [r for r in caplog.records if r.name == "django.request" and r.levelno == logging.ERROR]
    assert_clean(caplog.records)
    # What AdminEmailHandler would send (Django's SafeExceptionReporterFilter applied): the POST is there,
    # its sensitive fields masked.
    report = ExceptionReporter(error.request, *error.exc_info, is_email=True).get_traceback_text()
    assert "八一大道 3 号" in report  # the form is in the report …
    assert (
        ID_NUMBER not in report and PHONE not in report and "李华" not in report
    )  # … masked where it counts


@pytest.mark.parametrize(
    ("url", "fields"),
    [
        ("/login/", ("password",)),
        ("/api/v1/auth/token/", ("password",)),
        ("/grids/residents/new/", ("name", "id_number", "phone")),
        ("/open311/v2/requests.json", ("api_key", "email", "phone")),
    ],
)
def test_forms_carrying_secrets_or_pii_are_marked_sensitive(rf, url, fields):
    """Django masks POST fields in error reports only where a view says which are sensitive."""
    request = rf.post(url, {field: "x" for field in fields})
    try:
        resolve(url).func(request)
    except Exception:  # noqa: BLE001 - a bare request fails further on; only the marking on the way in counts
        pass
    marked = getattr(request, "sensitive_post_parameters", None)
    assert marked == "__ALL__" or set(fields) <= set(marked or ()), (url, marked)
