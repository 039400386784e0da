"""Schemathesis fuzzes the REST API through its own OpenAPI schema: no 5xx, no response off the schema.

The app is called in-process over WSGI against the test database, seeded with the `world` and cases in
every state. Generated case numbers are often swapped for real ones, and each action is sent by a persona
who may take it, so the fuzzed input reaches the services instead of stopping at 404 or 403.
"""

import itertools

import pytest
import schemathesis
from django.conf import settings as django_settings
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.signals import request_finished, request_started
from django.db import close_old_connections
from django.test import override_settings
from hypothesis import HealthCheck, Phase, settings
from rest_framework.authtoken.models import Token
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import response_schema_conformance, status_code_conformance

from cases import services
from gridmgmt.wsgi import application

from ..cases.helpers import evidence
from .conftest import png_upload

CHECKS = [not_a_server_error, response_schema_conformance, status_code_conformance]

# Who sends what: the role that takes the action (others are covered by the scope tests).
STAFF_ACTIONS = ("/accept/", "/return/", "/extension-requests/", "/resolve/")
VERIFIER_ACTIONS = ("/verify-pass/", "/verify-fail/")


@pytest.fixture
def _wsgi_keeps_the_test_transaction():
    """Django closes "old" connections around each request; in the test transaction that would poison
    it. Django's own test client disconnects the same handlers."""
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    yield
    request_started.connect(close_old_connections)
    request_finished.connect(close_old_connections)


@pytest.fixture
def fuzz_world(world, report, settings):
    """Cases in every state, in the scope of the personas that act on them."""
    settings.REST_FRAMEWORK = {
        **settings.REST_FRAMEWORK,
        "DEFAULT_THROTTLE_RATES": {"user": "100000/hour", "anon": "100000/hour", "login": "100000/hour"},
    }
    d, staff, admin = world.dispatcher, world.staff, world.gridadmin
    cases = [report() for _ in range(9)]
    reported, filed, dispatched, in_progress, extension, resolved, closed, rejected, suspended = cases
    for case in cases[1:7]:
        services.case_file(case=case, actor=d)
    for case in cases[2:7]:
        services.case_dispatch(case=case, actor=d, department=world.sanitation)
    for case in cases[3:7]:
        services.case_accept(case=case, actor=staff)
    services.case_request_extension(case=extension, actor=staff, minutes=60, reason="等材料")
    for case in (resolved, closed):
        photo = SimpleUploadedFile("fix.png", png_upload().getvalue(), content_type="image/png")
        services.case_resolve(case=case, actor=staff, notes="已清运", photos=[photo])
    services.case_verify_pass(case=closed, actor=admin, **evidence(closed))
    services.case_reject(case=rejected, actor=d, reason="无效")
    services.case_suspend(case=suspended, actor=d, reason="待协调")
    tokens = {
        persona: Token.objects.get_or_create(user=getattr(world, persona))[0].key
        for persona in ("dispatcher", "staff", "gridadmin")
    }
    return {"numbers": sorted(c.number for c in cases), "tokens": tokens, "turn": itertools.count()}


def _load_schema():
    """The schema as clients get it, from /api/schema/ over WSGI. It is loaded while tests are collected
    (schemathesis' fixture-based loading does not work with pytest 9), so throttling is off meanwhile:
    a rate of None lets every request through without touching the cache."""
    rates = {"user": None, "anon": None, "login": None}
    with override_settings(
        REST_FRAMEWORK={**django_settings.REST_FRAMEWORK, "DEFAULT_THROTTLE_RATES": rates}
    ):
        return schemathesis.openapi.from_wsgi("/api/schema/", application)


schema = _load_schema().include(path_regex=r"^/api/v1/")


@pytest.mark.django_db
@schema.parametrize()
@settings(
    max_examples=25,
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=list(HealthCheck),
    phases=[Phase.explicit, Phase.generate],
)
def test_the_api_honours_its_schema(case, fuzz_world, _wsgi_keeps_the_test_transaction):
    numbers = fuzz_world["numbers"]
    if "number" in (case.path_parameters or {}):
        # In turn, two of every three generated numbers become real cases; the third stays (mostly 404).
        pick = next(fuzz_world["turn"]) % (len(numbers) * 3 // 2)
        if pick < len(numbers):
            case.path_parameters["number"] = numbers[pick]
    path = case.operation.path
    persona = (
        "staff"
        if path.endswith(STAFF_ACTIONS)
        else "gridadmin"
        if path.endswith(VERIFIER_ACTIONS)
        else "dispatcher"
    )
    case.call_and_validate(headers={"Authorization": f"Token {fuzz_world['tokens'][persona]}"}, checks=CHECKS)
