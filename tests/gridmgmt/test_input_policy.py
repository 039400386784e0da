"""Bad input is refused with a clear message in the caller's format, never a 500: the text policy, the body
size limit, JSON nesting, unencodable error bodies, and numbers in web forms."""

import json
import xml.etree.ElementTree as ET

import pytest
from django.core.cache import cache
from django.test import Client
from django.urls import get_resolver
from rest_framework import parsers as drf_parsers
from rest_framework.test import APIClient

from cases.models import Case
from gridmgmt.json_io import MAX_DEPTH, JSONRenderer, TooDeep, json_loads
from gridmgmt.text import text_problem

from ..cases.helpers import drive, report
from ..factories import centre


def nested(depth: int) -> str:
    return "[" * depth + "]" * depth


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        ("垃圾堆放 on 八一大道\tline\r\nnext", None),
        ("a\x00b", "contains a NUL character"),
        ("bell\x07", "contains a control character (U+0007)"),
        ("c1\x85", "contains a control character (U+0085)"),
        ("lone \ud800", "contains an invalid character (a lone UTF-16 surrogate)"),
    ],
)
def test_the_text_policy_names_what_is_wrong(text, problem):
    assert text_problem(text) == problem


def test_json_nested_past_the_limit_is_refused_at_any_depth():
    assert json_loads(nested(MAX_DEPTH)) == json.loads(nested(MAX_DEPTH))
    for depth in (MAX_DEPTH + 1, 100_000):  # the second is past the interpreter's own recursion limit
        with pytest.raises(TooDeep, match=f"more than {MAX_DEPTH} levels"):
            json_loads(nested(depth))


def test_an_error_body_holding_a_lone_surrogate_is_still_valid_json():
    body = JSONRenderer().render({"error": {"message": "no category \ud800", "field": "垃圾"}})
    assert json.loads(body) == {"error": {"message": "no category \ud800", "field": "垃圾"}}
    assert "垃圾".encode() in JSONRenderer().render({"field": "垃圾"})  # UTF-8 text stays as it is


def test_no_api_view_parses_json_without_the_nesting_limit():
    """Views that name their parsers must name ours: DRF's own JSONParser would recurse to a 500."""
    found = []

    def walk(patterns):
        for pattern in patterns:
            if hasattr(pattern, "url_patterns"):
                walk(pattern.url_patterns)
                continue
            view = getattr(pattern.callback, "cls", None)
            if view is not None and hasattr(view, "parser_classes"):
                found.append(view)
                assert drf_parsers.JSONParser not in view.parser_classes, view

    walk(get_resolver().url_patterns)
    assert len(found) > 10  # the walk reached the API


@pytest.mark.django_db
def test_deep_json_gets_a_400_saying_so_even_at_the_open_token_login():
    cache.clear()  # the login throttle counts per address across tests
    response = APIClient().post("/api/v1/auth/token/", nested(200_000), content_type="application/json")
    assert response.status_code == 400
    assert response.json()["error"] == {
        "code": "parse_error",
        "message": f"JSON parse error - JSON nested more than {MAX_DEPTH} levels deep",
        "field": None,
    }


def test_a_lone_surrogate_in_an_api_field_is_refused_with_a_readable_body(world):
    lat, lng = centre(world.g1)
    fields = json.dumps({"lat": lat, "lng": lng, "category": world.cats.waste.code})
    body = '{"description": "bad \\ud800", ' + fields[1:]  # json.dumps cannot write a lone surrogate
    client = APIClient()
    client.force_authenticate(world.gridadmin)
    response = client.post("/api/v1/cases/", body, content_type="application/json")
    assert response.status_code == 400
    error = response.json()["error"]
    assert error["field"] == "description" and "surrogate" in error["message"]
    assert not Case.objects.exists()


@pytest.mark.parametrize(
    ("path", "format_"),
    [
        ("/api/v1/cases/?state=a%00b", "api"),
        ("/open311/v2/requests.json?service_code=a%00b", "open311"),
        ("/search/?q=a%07b", "page"),
    ],
)
def test_a_control_character_in_a_query_is_refused_in_the_callers_format(world, path, format_):
    client = Client()
    client.force_login(world.dispatcher)
    response = client.get(path)
    assert response.status_code == 400
    if format_ == "api":
        assert response.json()["error"]["field"] == "state"
        assert "contains a NUL character" in response.json()["error"]["message"]
    elif format_ == "open311":
        assert response.json() == [
            {"code": 400, "description": "parameter 'service_code' contains a NUL character"}
        ]
    else:
        assert "字段“q”含有无法接受的字符" in response.content.decode()  # zh-Hans by default
        client.cookies["django_language"] = "en"
        english = client.get(path).content.decode()
        assert "The field “q” holds characters that cannot be accepted" in english


def test_a_nul_in_a_workflow_form_is_refused_and_nothing_is_stored(world):
    case = report(world)
    client = Client()
    client.force_login(world.dispatcher)
    response = client.post(f"/cases/{case.pk}/file/", {"note": "a\x00b", "version": case.version})
    assert response.status_code == 400
    case.refresh_from_db()
    assert case.state == "reported" and not case.events.filter(action="file").exists()


@pytest.mark.parametrize(
    ("path", "format_"),
    [("/api/v1/cases/", "api"), ("/open311/v2/requests.json", "open311"), ("/report/", "page")],
)
def test_an_oversized_body_is_413_in_the_callers_format(world, settings, path, format_):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 1024
    client = Client()
    client.force_login(world.gridadmin)
    body = "description=" + "x" * 2048
    response = client.post(path, body, content_type="application/x-www-form-urlencoded")
    assert response.status_code == 413
    if format_ == "api":
        assert response.json()["error"]["code"] == "request_too_large"
    elif format_ == "open311":
        assert response.json()[0]["code"] == 413 and "larger than" in response.json()[0]["description"]
    else:
        assert response["Content-Type"].startswith("text/html") and response.content


@pytest.mark.parametrize("version", ["²", "-1", str(2**63), "1e3"])
def test_a_version_that_is_not_a_number_in_range_is_a_400_not_a_crash(world, version):
    case = report(world)
    client = Client()
    client.force_login(world.dispatcher)
    response = client.post(f"/cases/{case.pk}/file/", {"version": version})
    assert response.status_code == 400
    case.refresh_from_db()
    assert case.state == "reported"


@pytest.mark.parametrize("department", ["²", str(10**30), "0", "abc"])
def test_a_department_that_is_not_a_choice_is_refused_by_name(world, department):
    case = drive(world, "filed")
    client = Client()
    client.force_login(world.dispatcher)
    response = client.post(f"/cases/{case.pk}/dispatch/", {"department": department, "version": case.version})
    assert response.status_code == 400
    assert (
        "choose an active department" in response.content.decode().lower()
        or "部门" in response.content.decode()
    )


@pytest.mark.parametrize("ref", ["²", f"{2**64}:1", "1:²", "x"])
def test_a_queue_checkbox_that_is_not_a_case_reference_is_refused_with_a_message(world, ref):
    client = Client()
    client.force_login(world.staff)
    response = client.post("/cases/accept/", {"cases": [ref]}, follow=True)
    assert response.status_code == 200
    assert [m.level_tag for m in response.context["messages"]] == ["error"]


@pytest.mark.parametrize("category", ["²", str(10**30), "-3"])
def test_the_report_check_ignores_a_category_that_does_not_parse(world, category):
    client = Client()
    client.force_login(world.gridadmin)
    lat, lng = centre(world.g1)
    response = client.get("/report/check/", {"lat": lat, "lng": lng, "category": category})
    assert response.status_code == 200 and response.context["grid"] == world.g1
    assert "duplicates" not in response.context


@pytest.mark.parametrize("target", ["²", "home", "javascript:alert(1)", "//evil.example/"])
def test_a_next_that_is_not_a_path_of_this_site_is_ignored(world, target):
    client = Client()
    client.force_login(world.staff)
    response = client.post("/cases/accept/", {"cases": [], "next": target})
    assert response.status_code == 302 and response["Location"] == "/department/"


def test_a_method_a_page_does_not_take_is_refused_with_a_sentence(world):
    client = Client(HTTP_ACCEPT_LANGUAGE="en")
    client.force_login(world.staff)
    response = client.get("/cases/accept/")
    assert response.status_code == 405 and response["Allow"] == "POST"
    assert "This address does not take that kind of request." in response.content.decode()


@pytest.mark.parametrize(
    ("method", "path", "status", "format_"),
    [
        ("get", "/api/v1/no-such-thing/", 404, "api"),
        ("get", "/api/v1/cases/a/b/c/", 404, "api"),
        ("post", "/open311/v2/media/1.jpg", 405, "open311"),
        ("get", "/open311/v2/media/9" + "9" * 5000 + ".jpg", 404, "open311"),
        ("get", "/open311/v2/media/12345.jpg", 404, "open311"),
    ],
)
def test_refusals_made_outside_the_views_come_in_the_callers_format(world, method, path, status, format_):
    client = Client()
    client.force_login(world.dispatcher)
    response = getattr(client, method)(path)
    assert response.status_code == status
    if format_ == "api":
        assert response.json()["error"]["code"] == "not_found"
    else:
        if "json" in response["Content-Type"]:
            (error,) = response.json()
            code, description = error["code"], error["description"]
        else:
            root = ET.fromstring(response.content)
            code, description = int(root.findtext("error/code")), root.findtext("error/description")
        assert code == status and description


@pytest.mark.django_db
def test_the_api_docs_take_get_only():
    response = Client().options("/api/docs/")
    assert response.status_code == 405
    assert response.json()["error"]["code"] == "method_not_allowed"


@pytest.mark.django_db
@pytest.mark.parametrize("query", ["version=1%0d%0aSet-Cookie:x=1", "lang=zh%0a", "version=" + "9" * 50])
def test_the_schema_refuses_a_version_or_language_that_is_not_a_token(query):
    response = Client().get(f"/api/schema/?{query}")
    assert response.status_code == 400
    assert response.json()["error"]["field"] in ("version", "lang")


@pytest.mark.django_db
def test_the_schema_still_serves_a_plain_request():
    assert Client().get("/api/schema/?lang=en").status_code == 200


@pytest.mark.django_db
def test_an_api_docs_format_it_cannot_render_is_refused_in_the_api_shape():
    response = Client().get("/api/docs/?format=nonsense")
    assert 400 <= response.status_code < 500
    assert response.json()["error"]["message"]
