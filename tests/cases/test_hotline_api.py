"""The hotline's REST endpoints: a call as a case (the report API's fields and the caller), the call back of a
closed case, a caller revealed with a reason; errors in the API's shape; the OpenAPI document still valid."""

import pytest
from django.core.management import call_command
from django.urls import include, path
from drf_spectacular.generators import SchemaGenerator
from drf_spectacular.validation import validate_schema

import gridmgmt.urls
from cases.models import Case, CaseCaller, CaseState

from ..factories import centre
from ..support.api_clients import _api_cache, api  # noqa: F401 - fixtures
from .helpers import drive
from .test_hotline import PHONE, closed_call, take_call

S = CaseState

# The project's URLs and the hotline's API, for as long as gridmgmt/api_urls.py does not mount it yet (once it
# does, the second mount is never reached: Django takes the first match).
urlpatterns = [
    *gridmgmt.urls.urlpatterns,
    path("api/v1/", include("cases.api.hotline")),
]
pytestmark = pytest.mark.urls(__name__)

CREATE = "/api/v1/hotline/cases/"


@pytest.fixture
def as_(api):  # noqa: F811 - the fixture imported above
    """`as_(user)` → an API client with that user's token."""
    return api


def _call(world, **overrides) -> dict:
    lat, lng = centre(world.g1)
    return {
        "caller_name": "王小明",
        "caller_phone": "+86 138-0013-8000",
        "lat": lat,
        "lng": lng,
        "category": world.cats.waste.code,
        "description": "小区门口垃圾堆放三天",
        "priority": 2,
    } | overrides


def test_a_dispatcher_takes_a_call_and_gets_the_case_with_its_caller_masked(as_, world):
    response = as_(world.dispatcher).post(CREATE, _call(world), format="json")
    assert response.status_code == 201, response.json()
    body = response.json()
    case = Case.objects.get(number=body["number"])
    assert response["Location"] == f"/api/v1/cases/{case.number}/"
    assert case.source == Case.Source.HOTLINE and case.priority == 2 and case.reporter_contact == ""
    assert body["caller"] == {
        "name": "王**",
        "phone": "138****8000",
        "callback_result": None,
        "callback_note": "",
        "callback_at": None,
        "callback_by": None,
    }
    assert PHONE not in response.content.decode()
    assert CaseCaller.objects.get(case=case).phone_hash


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"caller_phone": "12345"}, "caller_phone"),
        ({"caller_phone": ""}, "caller_phone"),
        ({"caller_name": "王" * 51}, "caller_name"),
        ({"caller_name": "王\x00"}, "caller_name"),
        ({"description": ""}, "description"),
        ({"category": "9999"}, "category"),
        ({"lat": 10.0, "lng": 10.0}, "location"),
    ],
)
def test_a_bad_call_is_a_400_naming_its_field(as_, world, overrides, field):
    response = as_(world.dispatcher).post(CREATE, _call(world, **overrides), format="json")
    assert response.status_code == 400
    error = response.json()["error"]
    assert error["code"] == "invalid_input" and error["field"] == field
    assert not Case.objects.exists()


def test_a_missing_phone_is_a_400(as_, world):
    body = _call(world)
    del body["caller_phone"]
    response = as_(world.dispatcher).post(CREATE, body, format="json")
    assert response.status_code == 400 and response.json()["error"]["field"] == "caller_phone"


@pytest.mark.parametrize("persona", ["gridadmin", "staff", "supervisor", "resident"])
def test_only_dispatchers_take_calls_even_with_bad_input(as_, world, persona):
    response = as_(getattr(world, persona)).post(CREATE, {"caller_phone": "x"}, format="json")
    assert response.status_code == 403 and response.json()["error"]["code"] == "not_allowed"


def test_the_report_apis_source_and_reporter_fields_are_not_taken(as_, world):
    body = _call(world, source="patrol", reporter_contact="13900139000")
    response = as_(world.dispatcher).post(CREATE, body, format="json")
    assert response.status_code == 201
    case = Case.objects.get()
    assert case.source == Case.Source.HOTLINE and case.reporter_contact == ""


# --- call back --------------------------------------------------------------------------------------------


def test_a_call_back_is_recorded_and_answered_with_the_case(as_, world):
    case = closed_call(world)
    url = f"/api/v1/cases/{case.number}/callback/"
    response = as_(world.dispatcher).post(
        url, {"result": "satisfied", "note": "满意", "version": case.version}
    )
    assert response.status_code == 200, response.json()
    caller = response.json()["caller"]
    assert caller["callback_result"] == "satisfied" and caller["callback_note"] == "满意"
    assert caller["callback_by"] == world.dispatcher.username and caller["callback_at"]


@pytest.mark.parametrize(
    ("body", "field"),
    [({}, "result"), ({"result": "happy"}, "result"), ({"result": "satisfied", "note": "\x00"}, "note")],
)
def test_a_bad_call_back_is_a_400(as_, world, body, field):
    case = closed_call(world)
    response = as_(world.dispatcher).post(f"/api/v1/cases/{case.number}/callback/", body, format="json")
    assert response.status_code == 400 and response.json()["error"]["field"] == field


def test_a_call_back_on_an_open_case_is_a_409(as_, world):
    case = drive(world, S.RESOLVED, case=take_call(world))
    response = as_(world.dispatcher).post(f"/api/v1/cases/{case.number}/callback/", {"result": "satisfied"})
    assert response.status_code == 409 and response.json()["error"]["code"] == "invalid_transition"


def test_a_call_back_is_not_the_supervisors(as_, world):
    case = closed_call(world)
    response = as_(world.supervisor).post(f"/api/v1/cases/{case.number}/callback/", {"result": "satisfied"})
    assert response.status_code == 403


def test_a_case_without_a_caller_cannot_be_called_back(as_, world):
    case = drive(world, S.CLOSED)
    response = as_(world.dispatcher).post(f"/api/v1/cases/{case.number}/callback/", {"result": "satisfied"})
    assert response.status_code == 400


# --- reveal -----------------------------------------------------------------------------------------------


def test_a_dispatcher_gets_the_caller_in_full_and_the_reveal_is_chained(as_, world):
    case = take_call(world, phone="0791-86123456")
    response = as_(world.dispatcher).post(f"/api/v1/cases/{case.number}/caller/reveal/", {"reason": "回访"})
    assert response.status_code == 200 and response["Cache-Control"] == "no-store"
    assert response.json() == {"name": "王小明", "phone": "079186123456", "phone_display": "0791-86123456"}
    events = as_(world.dispatcher).get(f"/api/v1/cases/{case.number}/events/").json()
    assert events["chain_intact"] and events["events"][-1]["action"] == "caller_revealed"


@pytest.mark.parametrize(("persona", "status"), [("supervisor", 403), ("gridadmin", 403), ("outsider", 404)])
def test_nobody_else_gets_the_number(as_, world, persona, status):
    case = take_call(world)
    response = as_(getattr(world, persona)).post(
        f"/api/v1/cases/{case.number}/caller/reveal/", {"reason": "看看"}
    )
    assert response.status_code == status and PHONE not in response.content.decode()


@pytest.mark.parametrize("body", [{}, {"reason": ""}, {"reason": "   "}])
def test_a_reveal_without_a_reason_is_a_400(as_, world, body):
    case = take_call(world)
    response = as_(world.dispatcher).post(f"/api/v1/cases/{case.number}/caller/reveal/", body, format="json")
    assert response.status_code == 400 and response.json()["error"]["field"] == "reason"
    assert not case.events.filter(action="caller_revealed").exists()


# --- the OpenAPI document ---------------------------------------------------------------------------------


def test_the_schema_with_the_hotline_validates_without_warnings(tmp_path):
    """As CI runs it for the whole API: a warning (an enum named twice) is a failure."""
    out = tmp_path / "schema.yaml"
    call_command("spectacular", "--urlconf", __name__, "--validate", "--fail-on-warn", "--file", str(out))
    assert "/api/v1/hotline/cases/" in out.read_text()


def test_the_schema_with_the_hotline_validates_and_describes_it():
    schema = SchemaGenerator(urlconf=__name__).get_schema(request=None, public=True)
    validate_schema(schema)
    paths = schema["paths"]
    create = paths["/api/v1/hotline/cases/"]["post"]
    request_schema = create["requestBody"]["content"]["application/json"]["schema"]["$ref"].rsplit("/", 1)[1]
    fields = schema["components"]["schemas"][request_schema]["properties"]
    assert {"caller_name", "caller_phone", "lat", "category"} <= set(fields)
    assert not {"source", "reporter_name", "reporter_contact"} & set(fields)
    assert "caller" in schema["components"]["schemas"]["HotlineCase"]["properties"]
    for url in ("/api/v1/cases/{number}/callback/", "/api/v1/cases/{number}/caller/reveal/"):
        assert {"200", "400", "403", "404"} <= set(paths[url]["post"]["responses"])
