"""The OpenAPI document: valid, complete (every endpoint, parameter, error, auth scheme), docs offline."""

import re

import pytest
import yaml
from django.contrib.staticfiles import finders
from django.core.management import call_command
from drf_spectacular.generators import SchemaGenerator
from rest_framework.test import APIClient

from cases.api.views import ACTION_PATHS

pytestmark = pytest.mark.django_db

API_PATHS = {
    "/api/v1/auth/token/",
    "/api/v1/cases/",
    "/api/v1/cases/{number}/",
    "/api/v1/cases/{number}/events/",
    "/api/v1/cases/{number}/photos/{photo_id}/{variant}/",
    *(f"/api/v1/cases/{{number}}/{segment}" for segment in ACTION_PATHS.values()),
    "/api/v1/categories/",
    "/api/v1/departments/",
    "/api/v1/grids/",
    "/api/v1/grids/locate/",
}


@pytest.fixture(scope="module")
def schema():
    """What /api/schema/ serves, generated once for the module (through the view it would be throttled)."""
    return SchemaGenerator().get_schema(request=None, public=True)


def _operations(schema):
    for path, item in schema["paths"].items():
        for method, operation in item.items():
            if path.startswith("/api/v1/"):
                yield path, method, operation


def test_the_schema_validates_without_warnings(tmp_path):
    """`manage.py spectacular --validate --fail-on-warn`, as CI runs it: a warning is a failure."""
    out = tmp_path / "schema.yaml"
    call_command("spectacular", "--validate", "--fail-on-warn", "--file", str(out))
    assert yaml.safe_load(out.read_text())["openapi"].startswith("3.")


def test_every_endpoint_is_described(schema):
    assert API_PATHS <= set(schema["paths"])
    for path in API_PATHS - {"/api/v1/auth/token/"}:
        for operation in schema["paths"][path].values():
            assert operation["security"] == [{"tokenAuth": []}, {"cookieAuth": []}], path


def test_both_auth_schemes_are_described(schema):
    schemes = schema["components"]["securitySchemes"]
    assert schemes["tokenAuth"] == {
        "type": "apiKey",
        "in": "header",
        "name": "Authorization",
        "description": 'Token-based authentication with required prefix "Token"',
    }
    assert schemes["cookieAuth"]["in"] == "cookie"


def test_every_error_response_is_the_shared_error_component(schema):
    error = schema["components"]["schemas"]["Error"]
    assert error["required"] == ["error"]
    detail = schema["components"]["schemas"]["ErrorDetail"]
    assert set(detail["required"]) == {"code", "message", "field"}
    for path, method, operation in _operations(schema):
        codes = set(operation["responses"])
        assert "429" in codes, (path, method)
        for code, response in operation["responses"].items():
            if code.startswith("4"):
                for media in response["content"].values():
                    assert media["schema"] == {"$ref": "#/components/schemas/Error"}, (path, method, code)


def test_case_operations_document_their_errors(schema):
    for segment in ACTION_PATHS.values():
        operation = schema["paths"][f"/api/v1/cases/{{number}}/{segment}"]["post"]
        assert {"400", "401", "403", "404", "409"} <= set(operation["responses"]), segment
        assert operation["requestBody"]["content"]["application/json"]["schema"]["$ref"].endswith("Request")
    locate = schema["paths"]["/api/v1/grids/locate/"]["get"]
    assert {"400", "404"} <= set(locate["responses"])


def test_the_list_documents_every_filter_and_the_cursor(schema):
    operation = schema["paths"]["/api/v1/cases/"]["get"]
    names = {p["name"] for p in operation["parameters"]}
    assert names == {
        "state",
        "category",
        "grid",
        "community",
        "street",
        "department",
        "reported_after",
        "reported_before",
        "overdue",
        "cursor",
        "page_size",
    }
    page = operation["responses"]["200"]["content"]["application/json"]["schema"]["$ref"]
    assert page == "#/components/schemas/PaginatedCaseSummaryList"


def test_the_schema_is_served_as_json_and_yaml():
    as_json = APIClient().get("/api/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json")
    assert as_json.status_code == 200 and as_json.json()["info"]["title"] == "Grid management API"
    as_yaml = APIClient().get("/api/schema/")
    assert as_yaml.status_code == 200 and yaml.safe_load(as_yaml.content)["paths"].keys() >= API_PATHS


def test_the_docs_page_loads_only_local_assets():
    response = APIClient().get("/api/docs/")
    assert response.status_code == 200
    html = response.content.decode()
    assets = re.findall(r"""(?:src|href)\s*=\s*["']([^"']+)["']""", html)
    assert assets, "the page references its scripts and styles"
    for asset in assets:
        assert asset.startswith("/static/"), asset
        assert finders.find(asset.removeprefix("/static/")), f"{asset} is not in any static directory"
    assert not re.search(r"https?://|//[a-z0-9.-]+\.[a-z]{2,}/", html, re.IGNORECASE)
    assert '"validatorUrl": null' in html  # no badge fetched from validator.swagger.io
    assert "/api/schema/" in html
