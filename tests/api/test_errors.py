"""The shared API plumbing: one JSON error shape for every failure, and throttling."""

import pytest
from rest_framework.exceptions import ValidationError
from rest_framework.test import APIClient

from gridmgmt.api import api_exception_handler
from gridmgmt.errors import Conflict, InvalidInput

pytestmark = pytest.mark.django_db


def test_a_domain_error_keeps_its_status_code_and_field():
    response = api_exception_handler(InvalidInput("minutes must be a whole number", field="minutes"), {})
    assert response.status_code == 400
    assert response.data == {
        "error": {"code": "invalid_input", "message": "minutes must be a whole number", "field": "minutes"}
    }
    assert api_exception_handler(Conflict("changed meanwhile"), {}).status_code == 409


def test_nested_validation_errors_name_the_dotted_field_and_list_them_all():
    exc = ValidationError(
        {"photos": {1: ["not a file"]}, "reason": ["required"], "non_field_errors": ["bad"]}
    )
    response = api_exception_handler(exc, {})
    assert response.status_code == 400
    assert response.data["error"]["field"] == "photos.1"
    assert response.data["error"]["message"] == "not a file"
    assert response.data["error"]["details"] == {
        "photos.1": ["not a file"],
        "reason": ["required"],
        "non_field_errors": ["bad"],
    }


def test_a_django_validation_error_is_a_400():
    from django.core.exceptions import ValidationError as DjangoValidationError

    response = api_exception_handler(DjangoValidationError({"code": ["too long"]}), {})
    assert response.status_code == 400 and response.data["error"]["field"] == "code"


def test_a_programming_error_is_left_to_django():
    assert api_exception_handler(RuntimeError("bug"), {}) is None


def test_the_error_shape_matches_the_documented_component():
    body = api_exception_handler(ValidationError({"lat": ["x"]}), {}).data
    from gridmgmt.api import ErrorSerializer

    assert ErrorSerializer(data=body).is_valid(), body


def test_malformed_json_is_a_400_parse_error(api, world):
    response = api(world.dispatcher).post("/api/v1/cases/", "{not json", content_type="application/json")
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "parse_error"


def test_an_unsupported_media_type_is_a_415(api, world):
    response = api(world.dispatcher).post("/api/v1/cases/", "lat=1", content_type="text/plain")
    assert response.status_code == 415
    assert response.json()["error"]["code"] == "unsupported_media_type"


def test_a_wrong_method_is_a_405_in_the_same_shape(api, world):
    response = api(world.dispatcher).delete("/api/v1/cases/")
    assert response.status_code == 405
    assert response.json()["error"]["code"] == "method_not_allowed"


def test_users_are_throttled_at_the_configured_rate(api, world, settings):
    settings.REST_FRAMEWORK = {**settings.REST_FRAMEWORK}
    settings.REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"] = {
        **settings.REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"],
        "user": "3/minute",
    }
    client = api(world.dispatcher)
    assert [client.get("/api/v1/categories/").status_code for _ in range(3)] == [200, 200, 200]
    response = client.get("/api/v1/categories/")
    assert response.status_code == 429
    assert response.json()["error"]["code"] == "throttled"
    assert 0 < int(response["Retry-After"]) <= 60
    assert api(world.staff).get("/api/v1/categories/").status_code == 200  # counted per user


def test_anonymous_callers_are_throttled_by_address(settings):
    """Anonymous traffic reaches only the open endpoints (the schema, token login); the rest is 401 first."""
    settings.REST_FRAMEWORK = {**settings.REST_FRAMEWORK}
    settings.REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"] = {
        **settings.REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"],
        "anon": "1/minute",
    }
    client = APIClient()
    assert client.get("/api/schema/").status_code == 200
    assert client.get("/api/schema/").status_code == 429
