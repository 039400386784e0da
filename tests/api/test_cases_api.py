"""The cases API: reporting, the detail, every workflow action over HTTP, the timeline, list filters."""

import datetime as dt
import io
import json

import pytest
from django.db import connection
from django.utils import timezone
from PIL import Image

from cases.models import Case, CasePhoto, CaseState, Category, ExtensionRequest
from gridmgmt import clock

from ..cases.helpers import evidence_fields
from ..factories import centre
from .conftest import png_upload

pytestmark = pytest.mark.django_db


def _post(client, number: str, action: str, data: dict | None = None, fmt: str = "json"):
    return client.post(f"/api/v1/cases/{number}/{action}/", data or {}, format=fmt)


def _on_site(number: str) -> dict:
    """A verification's evidence as the API takes it: a photo and the device standing at the case."""
    fields = evidence_fields(Case.objects.get(number=number))
    return {**fields, "photos": [png_upload()]}


def _new_case(api, world, **fields) -> dict:
    lat, lng = centre(world.g1)
    payload = {"lat": lat, "lng": lng, "category": "0101", "description": "路边垃圾堆放", **fields}
    response = api(world.gridadmin).post("/api/v1/cases/", payload, format="json")
    assert response.status_code == 201, response.json()
    return response.json()


# --- reporting --------------------------------------------------------------------------------------------


def test_it_reports_a_case_located_to_its_grid(api, world):
    body = _new_case(api, world, address="八一大道 1 号", priority=2)
    case = Case.objects.get(number=body["number"])
    assert body["state"] == "reported" and body["source"] == "patrol" and body["priority"] == 2
    assert body["grid"] == {"code": world.g1.code, "name": world.g1.name}
    assert body["street"]["code"] == world.street.code and body["community"]["code"] == "360102001001"
    assert body["deadline"]["stage"] == "filing" and body["is_overdue"] is False
    assert case.reporter == world.gridadmin and case.grid == world.g1


def test_a_report_costs_the_same_few_queries_every_time(api, world, django_assert_num_queries):
    client = api(world.dispatcher)
    lat, lng = centre(world.g1)
    payload = {"lat": lat, "lng": lng, "category": "0101", "description": "路边垃圾堆放"}
    assert client.post("/api/v1/cases/", payload, format="json").status_code == 201  # warms the caches
    # The token with its user, the user's roles, then the transaction (savepoint here): the case, its
    # number and chain head, its first event. Category and grid come from the process's caches, and the
    # 201 body from what the service wrote.
    for n in range(3):
        with django_assert_num_queries(7):
            response = client.post("/api/v1/cases/", {**payload, "lat": lat + n * 1e-5}, format="json")
        assert response.status_code == 201
    assert response.json()["photos"] == [] and response.json()["pending_extension"] is None


def test_a_category_deactivated_in_this_process_is_refused_at_once(api, world):
    _new_case(api, world)
    world.cats.waste.is_active = False
    world.cats.waste.save(update_fields=["is_active"])
    lat, lng = centre(world.g1)
    payload = {"lat": lat, "lng": lng, "category": world.cats.waste.code, "description": "路边垃圾堆放"}
    response = api(world.gridadmin).post("/api/v1/cases/", payload, format="json")
    assert response.status_code == 400
    assert "no active minor category" in str(response.json())


def test_it_reports_with_the_source_of_the_callers_role(api, world):
    lat, lng = centre(world.g2)
    payload = {"lat": lat, "lng": lng, "category": "0101", "description": "井盖缺失"}
    by_dispatcher = api(world.dispatcher).post("/api/v1/cases/", payload, format="json")
    by_resident = api(world.resident).post("/api/v1/cases/", payload, format="json")
    assert by_dispatcher.json()["source"] == "hotline"
    assert by_resident.json()["source"] == "resident"


def test_it_refuses_a_source_the_callers_role_does_not_report_with(api, world):
    lat, lng = centre(world.g1)
    payload = {"lat": lat, "lng": lng, "category": "0101", "description": "x", "source": "hotline"}
    response = api(world.gridadmin).post("/api/v1/cases/", payload, format="json")
    assert response.status_code == 400
    assert response.json()["error"]["field"] == "source"


def test_it_refuses_a_report_outside_the_jurisdiction(api, world):
    payload = {"lat": 10.0, "lng": 10.0, "category": "0101", "description": "x"}
    response = api(world.dispatcher).post("/api/v1/cases/", payload, format="json")
    assert response.status_code == 400
    assert response.json()["error"] == {
        "code": "invalid_input",
        "message": "the location is outside the jurisdiction: no grid contains it",
        "field": "location",
    }


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"lat": 91}, "lat"),
        ({"lng": "east"}, "lng"),
        ({"lat": "NaN"}, "lat"),
        ({"category": "01"}, "category"),  # a major class
        ({"category": "9999"}, "category"),
        ({"description": "   "}, "description"),
        ({"priority": 7}, "priority"),
        ({"source": "open311"}, "source"),
        ({"description": "a\x00b"}, "description"),  # PostgreSQL cannot store NUL
        ({"address": "\ud800"}, "address"),  # a lone surrogate cannot be stored as UTF-8
        ({"lat": True}, "lat"),
    ],
)
def test_it_names_the_field_of_a_bad_report(api, world, change, field):
    lat, lng = centre(world.g1)
    payload = {"lat": lat, "lng": lng, "category": "0101", "description": "x", **change}
    # json.dumps escapes what the test client's encoder would refuse (the lone surrogate)
    body = json.dumps(payload)
    response = api(world.gridadmin).post("/api/v1/cases/", body, content_type="application/json")
    assert response.status_code == 400
    assert response.json()["error"]["field"] == field


def test_a_body_that_is_not_an_object_is_a_400(api, world, report):
    case = report()
    for path in ("/api/v1/cases/", f"/api/v1/cases/{case.number}/file/", "/api/v1/auth/token/"):
        response = api(world.dispatcher).post(path, [1, 2], format="json")
        assert response.status_code == 400, path
        assert response.json()["error"]["code"] == "invalid_input"


def test_it_attaches_report_photos_sent_as_multipart(api, world):
    lat, lng = centre(world.g1)
    payload = {"lat": lat, "lng": lng, "category": "0101", "description": "x", "photos": [png_upload()]}
    response = api(world.gridadmin).post("/api/v1/cases/", payload, format="multipart")
    assert response.status_code == 201, response.json()
    [photo] = response.json()["photos"]
    number = response.json()["number"]
    assert photo["kind"] == "report"
    assert photo["display_url"] == f"http://testserver/api/v1/cases/{number}/photos/{photo['id']}/display/"
    assert CasePhoto.objects.filter(case__number=number).count() == 1


def test_photos_are_served_as_exif_free_copies_in_the_cases_scope(api, world):
    lat, lng = centre(world.g1)
    exif = Image.Exif()
    exif[0x010F] = "PhoneMaker"  # Make
    buffer = io.BytesIO()
    Image.new("RGB", (40, 30), "blue").save(buffer, format="JPEG", exif=exif)
    buffer.name = "with-exif.jpg"
    buffer.seek(0)
    payload = {"lat": lat, "lng": lng, "category": "0101", "description": "x", "photos": [buffer]}
    body = api(world.gridadmin).post("/api/v1/cases/", payload, format="multipart").json()
    [photo] = body["photos"]

    for url in (photo["display_url"], photo["thumbnail_url"]):
        response = api(world.dispatcher).get(url)
        assert response.status_code == 200 and response["Content-Type"] == "image/jpeg"
        served = Image.open(io.BytesIO(b"".join(response.streaming_content)))
        assert served.size == (40, 30) and not served.getexif()
    path = f"/api/v1/cases/{body['number']}/photos/{photo['id']}"
    assert api(world.outsider).get(f"{path}/display/").status_code == 404
    assert api(world.dispatcher).get(f"{path}/original/").status_code == 404
    missing = api(world.dispatcher).get(f"/api/v1/cases/{body['number']}/photos/999999/display/")
    assert missing.status_code == 404 and missing.json()["error"]["code"] == "not_found"


def test_it_refuses_a_photo_that_is_not_an_image(api, world):
    lat, lng = centre(world.g1)
    fake = png_upload("fake.png")
    fake.truncate(0)
    fake.write(b"not an image at all")
    fake.seek(0)
    payload = {"lat": lat, "lng": lng, "category": "0101", "description": "x", "photos": [fake]}
    response = api(world.gridadmin).post("/api/v1/cases/", payload, format="multipart")
    assert response.status_code == 400
    assert response.json()["error"]["field"] == "photos"
    assert not Case.objects.exists()


# --- the workflow over HTTP --------------------------------------------------------------------------------


def test_it_takes_a_case_through_every_stage(api, world):
    number = _new_case(api, world)["number"]
    dispatcher, staff, gridadmin = api(world.dispatcher), api(world.staff), api(world.gridadmin)

    filed = _post(dispatcher, number, "file", {"note": "立案", "priority": 2})
    assert filed.status_code == 200 and filed.json()["state"] == "filed" and filed.json()["priority"] == 2
    dispatched = _post(
        dispatcher, number, "dispatch", {"department": "sanitation", "version": filed.json()["version"]}
    )
    assert dispatched.status_code == 200, dispatched.json()
    assert dispatched.json()["department"] == {"code": "sanitation", "name": "环卫局"}
    assert _post(staff, number, "accept").json()["state"] == "in_progress"

    asked = _post(staff, number, "extension-requests", {"minutes": 120, "reason": "需要调车"})
    assert asked.status_code == 201
    assert asked.json()["minutes"] == 120 and asked.json()["state"] == "pending"
    detail = dispatcher.get(f"/api/v1/cases/{number}/").json()
    assert detail["pending_extension"]["id"] == asked.json()["id"]
    assert detail["version"] == asked.json()["case_version"]
    due_before = Case.objects.get(number=number).deadline_at
    approved = _post(dispatcher, number, "extension/approve", {"note": "同意"})
    assert approved.status_code == 200 and approved.json()["extension_count"] == 1
    assert Case.objects.get(number=number).deadline_at == due_before + dt.timedelta(minutes=120)
    assert approved.json()["pending_extension"] is None

    resolved = _post(staff, number, "resolve", {"notes": "已清运", "photos": [png_upload()]}, fmt="multipart")
    assert resolved.status_code == 200, resolved.json()
    assert resolved.json()["state"] == "resolved" and resolved.json()["photos"][0]["kind"] == "evidence"
    failed = _post(
        gridadmin, number, "verify-fail", {"reason": "仍有垃圾", **_on_site(number)}, fmt="multipart"
    )
    assert failed.json()["state"] == "dispatched" and failed.json()["rework_count"] == 1
    _post(staff, number, "accept")
    _post(staff, number, "resolve", {"notes": "再次清运", "photos": [png_upload()]}, fmt="multipart")
    closed = _post(gridadmin, number, "verify-pass", {"note": "已核实", **_on_site(number)}, fmt="multipart")
    assert closed.status_code == 200
    assert (
        closed.json()["state"] == "closed" and closed.json()["closed_at"] and closed.json()["actions"] == []
    )

    timeline = gridadmin.get(f"/api/v1/cases/{number}/events/").json()
    assert timeline["case"] == number and timeline["chain_intact"] is True and timeline["broken_link"] is None
    assert [e["action"] for e in timeline["events"]] == [
        "report",
        "file",
        "dispatch",
        "accept",
        "request_extension",
        "approve_extension",
        "resolve",
        "verify_fail",
        "accept",
        "resolve",
        "verify_pass",
    ]
    first, second = timeline["events"][:2]
    assert first["prev_hash"] == "0" * 64 and second["prev_hash"] == first["hash"]
    assert first["actor"] == "gridadmin" and first["actor_role"] == "grid_admin"


def test_the_detail_lists_the_callers_actions_with_their_endpoints(api, world, report):
    case = report()
    actions = api(world.dispatcher).get(f"/api/v1/cases/{case.number}/").json()["actions"]
    assert {a["action"] for a in actions} == {"file", "reject", "suspend"}
    paths = {a["action"]: a["path"] for a in actions}
    assert paths["file"] == f"/api/v1/cases/{case.number}/file/"
    assert api(world.gridadmin).get(f"/api/v1/cases/{case.number}/").json()["actions"] == []


def test_it_rejects_a_report_as_a_duplicate(api, world, report):
    first, second = report(), report()
    dispatcher = api(world.dispatcher)
    unknown = _post(dispatcher, second.number, "reject", {"reason": "重复", "duplicate_of": "99999999"})
    assert unknown.status_code == 400 and unknown.json()["error"]["field"] == "duplicate_of"
    rejected = _post(dispatcher, second.number, "reject", {"reason": "重复", "duplicate_of": first.number})
    assert rejected.status_code == 200
    assert rejected.json()["state"] == "rejected" and rejected.json()["duplicate_of"] == first.number


def test_a_department_returns_a_misrouted_case_for_redispatch(api, world, report):
    case = report()
    dispatcher = api(world.dispatcher)
    _post(dispatcher, case.number, "file")
    _post(dispatcher, case.number, "dispatch", {"department": "sanitation"})
    returned = _post(api(world.staff), case.number, "return", {"reason": "不属于本部门"})
    assert returned.status_code == 200
    assert returned.json()["state"] == "returned" and returned.json()["return_count"] == 1
    again = _post(dispatcher, case.number, "dispatch", {"department": "roads"})
    assert again.json()["state"] == "dispatched" and again.json()["department"]["code"] == "roads"


def test_the_dispatcher_denies_an_extension(api, world, report):
    case = report()
    dispatcher, staff = api(world.dispatcher), api(world.staff)
    _post(dispatcher, case.number, "file")
    _post(dispatcher, case.number, "dispatch", {"department": "sanitation"})
    _post(staff, case.number, "extension-requests", {"minutes": 60, "reason": "等材料"})
    twice = _post(staff, case.number, "extension-requests", {"minutes": 60, "reason": "等材料"})
    assert twice.status_code == 409 and twice.json()["error"]["code"] == "conflict"
    denied = _post(dispatcher, case.number, "extension/deny", {"reason": "时限足够"})
    assert denied.status_code == 200 and denied.json()["pending_extension"] is None
    assert ExtensionRequest.objects.get(case=case).state == "denied"
    nothing = _post(dispatcher, case.number, "extension/deny", {"reason": "再拒"})
    assert nothing.status_code == 409 and nothing.json()["error"]["code"] == "invalid_transition"


def test_suspension_stops_the_clock_until_resumed(api, world, report):
    case = report()
    dispatcher = api(world.dispatcher)
    suspended = _post(dispatcher, case.number, "suspend", {"reason": "待协调"})
    assert suspended.json()["is_suspended"] is True and suspended.json()["deadline"]["suspended_at"]
    again = _post(dispatcher, case.number, "suspend", {"reason": "再挂"})
    assert again.status_code == 409
    resumed = _post(dispatcher, case.number, "resume")
    assert resumed.status_code == 200 and resumed.json()["is_suspended"] is False


def test_it_answers_409_when_the_version_is_stale(api, world, report):
    case = report()
    response = _post(api(world.dispatcher), case.number, "file", {"version": case.version + 5})
    assert response.status_code == 409
    assert response.json()["error"]["code"] == "conflict"
    assert Case.objects.get(pk=case.pk).state == CaseState.REPORTED


def test_it_answers_409_for_an_action_the_state_does_not_allow(api, world, report):
    case = report()
    response = _post(api(world.dispatcher), case.number, "dispatch", {"department": "sanitation"})
    assert response.status_code == 409
    assert response.json()["error"] == {
        "code": "invalid_transition",
        "message": "cannot dispatch a case that is reported",
        "field": None,
    }


@pytest.mark.parametrize(
    ("action", "data", "field"),
    [
        ("reject", {}, "reason"),
        ("dispatch", {"department": "nope"}, "department"),
        ("dispatch", {}, "department"),
        ("file", {"version": "three"}, "version"),
        ("file", {"category": "01"}, "category"),
        ("suspend", {"reason": ""}, "reason"),
    ],
)
def test_it_names_the_field_of_a_bad_action_input(api, world, report, action, data, field):
    case = report()
    response = _post(api(world.dispatcher), case.number, action, data)
    assert response.status_code == 400
    assert response.json()["error"]["field"] == field


def test_extension_minutes_are_bounded(api, world, report):
    case = report()
    dispatcher = api(world.dispatcher)
    _post(dispatcher, case.number, "file")
    _post(dispatcher, case.number, "dispatch", {"department": "sanitation"})
    response = _post(api(world.staff), case.number, "extension-requests", {"minutes": 0, "reason": "x"})
    assert response.status_code == 400 and response.json()["error"]["field"] == "minutes"


# --- the list ---------------------------------------------------------------------------------------------


def _numbers(response) -> list[str]:
    assert response.status_code == 200, response.json()
    return [c["number"] for c in response.json()["results"]]


def test_the_list_filters_by_codes_and_state(api, world, report):
    waste_g1 = report()
    manhole_g2 = report(grid=world.g2, category=world.cats.manhole)
    ads_g3 = report(grid=world.g3, category=world.cats.ads, actor=world.dispatcher)
    client = api(world.dispatcher)
    _post(client, waste_g1.number, "file")
    _post(client, waste_g1.number, "dispatch", {"department": "roads"})

    def listed(**params):
        return set(_numbers(client.get("/api/v1/cases/", params)))

    assert listed() == {waste_g1.number, manhole_g2.number, ads_g3.number}
    assert listed(state="dispatched") == {waste_g1.number}
    assert listed(category="0201") == {manhole_g2.number}
    assert listed(category="01") == {waste_g1.number, ads_g3.number}  # a major class covers its minors
    assert listed(grid=world.g2.code) == {manhole_g2.number}
    assert listed(community="360102001002") == {ads_g3.number}
    assert listed(street=world.street.code) == {waste_g1.number, manhole_g2.number, ads_g3.number}
    assert listed(street="360102999") == set()
    assert listed(department="roads") == {waste_g1.number}
    assert listed(state="", category="") == listed()  # empty values are no filter, as a form sends them


def test_the_list_filters_by_report_date(api, world, report):
    day = timezone.make_aware(dt.datetime(2024, 5, 1, 10, 0))
    with clock.frozen_at(day):
        may_first = report()
    with clock.frozen_at(day + dt.timedelta(days=1)):
        may_second = report()
    client = api(world.dispatcher)

    def listed(**params):
        return set(_numbers(client.get("/api/v1/cases/", params)))

    assert listed(reported_after="2024-05-02") == {may_second.number}
    assert listed(reported_before="2024-05-01") == {may_first.number}  # a bare date includes the day
    assert listed(
        reported_after="2024-05-01T10:00:00+08:00", reported_before="2024-05-01T10:00:01+08:00"
    ) == {may_first.number}
    assert listed(reported_after="2024-05-01T02:00:01Z") == {may_second.number}  # 10:00:01 in Shanghai


def test_the_list_filters_overdue_cases(api, world, report):
    start = timezone.make_aware(dt.datetime(2024, 5, 1, 10, 0))
    with clock.frozen_at(start):
        late = report()  # filing is due within 30 minutes
        parked = report()
    with clock.frozen_at(start + dt.timedelta(minutes=5)):
        _post(api(world.dispatcher), parked.number, "suspend", {"reason": "待协调"})
    with clock.frozen_at(start + dt.timedelta(minutes=10)):
        fresh = report()
    client = api(world.dispatcher)
    with clock.frozen_at(start + dt.timedelta(minutes=35)):
        overdue = client.get("/api/v1/cases/", {"overdue": "true"})
        on_time = client.get("/api/v1/cases/", {"overdue": "false"})
    assert _numbers(overdue) == [late.number]
    assert overdue.json()["results"][0]["is_overdue"] is True
    assert set(_numbers(on_time)) == {parked.number, fresh.number}


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"reported_after": "yesterday"}, "reported_after"),
        ({"reported_before": "2024-02-30"}, "reported_before"),
        ({"reported_after": "2024-05-02", "reported_before": "2024-05-01"}, "reported_before"),
        ({"reported_after": "0001-01-01T00:00:00+14:00"}, "reported_after"),
        ({"overdue": "maybe"}, "overdue"),
        ({"state": "lost"}, "state"),
        ({"cursor": "not-a-cursor"}, "cursor"),
    ],
)
def test_the_list_names_the_bad_filter(api, world, params, field):
    response = api(world.dispatcher).get("/api/v1/cases/", params)
    assert response.status_code == 400
    assert response.json()["error"]["field"] == field


def test_the_list_pages_with_cursors_newest_first(api, world, report):
    start = timezone.make_aware(dt.datetime(2024, 5, 1, 10, 0))
    numbers = []
    for minute in range(5):
        with clock.frozen_at(start + dt.timedelta(minutes=minute)):
            numbers.append(report().number)
    client = api(world.dispatcher)
    seen, url = [], "/api/v1/cases/?page_size=2"
    while url:
        page = client.get(url).json()
        assert len(page["results"]) <= 2
        seen += [c["number"] for c in page["results"]]
        url = page["next"]
    assert seen == list(reversed(numbers))


@pytest.mark.django_db(transaction=True)
def test_a_category_deleted_behind_the_cache_gets_a_clear_409_and_the_retry_a_clear_400(api, world):
    category = Category.objects.create(
        code="0199", name="临时类别", kind=Category.Kind.EVENT, parent=world.cats.major, is_active=True
    )
    _new_case(api, world)  # the categories are now in this process's cache, 0199 among them
    with connection.cursor() as cursor:  # another process deletes it: no signal reaches this one
        cursor.execute("DELETE FROM cases_category WHERE id = %s", [category.pk])
    lat, lng = centre(world.g1)
    payload = {"lat": lat, "lng": lng, "category": "0199", "description": "路边垃圾堆放"}
    before = Case.objects.count()

    first = api(world.gridadmin).post("/api/v1/cases/", payload, format="json")
    assert first.status_code == 409, first.json()
    assert "changed meanwhile; send the report again" in str(first.json())
    assert Case.objects.count() == before  # nothing half-saved

    again = api(world.gridadmin).post("/api/v1/cases/", payload, format="json")
    assert again.status_code == 400 and "no active minor category" in str(again.json())
