"""Per-role scope over the API is the web pages' scope: who sees which case, who may act on it."""

import pytest
from rest_framework.test import APIClient

from cases.api.views import ACTION_PATHS
from grids.models import GridAssignment

from ..cases.helpers import png_upload

pytestmark = pytest.mark.django_db


def _listed(client) -> set[str]:
    response = client.get("/api/v1/cases/")
    assert response.status_code == 200
    return {c["number"] for c in response.json()["results"]}


def _dispatched_to_sanitation(api, world, case):
    dispatcher = api(world.dispatcher)
    dispatcher.post(f"/api/v1/cases/{case.number}/file/", {}, format="json")
    dispatcher.post(f"/api/v1/cases/{case.number}/dispatch/", {"department": "sanitation"}, format="json")


def test_an_outsider_sees_nothing_and_gets_404_for_a_case(api, world, report):
    case = report()
    outsider = api(world.outsider)
    assert _listed(outsider) == set()
    for path in ("", "events/"):
        response = outsider.get(f"/api/v1/cases/{case.number}/{path}")
        assert response.status_code == 404
        assert response.json()["error"]["code"] == "not_found"
    response = outsider.post(f"/api/v1/cases/{case.number}/file/", {}, format="json")
    assert response.status_code == 404


def test_an_unknown_number_is_404_like_an_invisible_one(api, world):
    for number in ("20240101999999", "abc", "1" * 30):
        response = api(world.dispatcher).get(f"/api/v1/cases/{number}/")
        assert response.status_code == 404 and response.json()["error"]["code"] == "not_found"


def test_department_staff_see_their_departments_cases_only(api, world, report):
    case = report()
    _dispatched_to_sanitation(api, world, case)
    assert _listed(api(world.staff)) == {case.number}
    assert _listed(api(world.other_staff)) == set()
    assert api(world.other_staff).get(f"/api/v1/cases/{case.number}/").status_code == 404
    accept = api(world.other_staff).post(f"/api/v1/cases/{case.number}/accept/", {}, format="json")
    assert accept.status_code == 404


def test_grid_administrators_see_their_grids_only(api, world, report):
    mine, theirs = report(grid=world.g1), report(grid=world.g3, actor=world.other_gridadmin)
    assert _listed(api(world.gridadmin)) == {mine.number}
    assert _listed(api(world.other_gridadmin)) == {theirs.number}
    assert api(world.gridadmin).get(f"/api/v1/cases/{theirs.number}/").status_code == 404


def test_a_grid_administrator_cannot_report_into_another_grid(api, world):
    payload = {"lat": 28.69, "lng": 115.89, "category": "0101", "description": "x"}  # in grid 3
    response = api(world.gridadmin).post("/api/v1/cases/", payload, format="json")
    assert response.status_code == 403
    assert response.json()["error"]["code"] == "not_allowed"


def test_a_grid_administrator_cannot_verify_outside_their_grids(api, world, report):
    case = report(grid=world.g1)  # reported by gridadmin while g1 was theirs
    _dispatched_to_sanitation(api, world, case)
    staff = api(world.staff)
    staff.post(f"/api/v1/cases/{case.number}/accept/", {}, format="json")
    fix = {"notes": "已清运", "photos": [png_upload()]}
    assert staff.post(f"/api/v1/cases/{case.number}/resolve/", fix, format="multipart").status_code == 200
    GridAssignment.objects.filter(user=world.gridadmin, grid=world.g1).delete()

    gridadmin = api(world.gridadmin)  # still sees the case: they reported it
    assert gridadmin.get(f"/api/v1/cases/{case.number}/").json()["actions"] == []
    response = gridadmin.post(f"/api/v1/cases/{case.number}/verify-pass/", {}, format="json")
    assert response.status_code == 403
    assert response.json()["error"] == {
        "code": "not_allowed",
        "message": "you may not close this case: it is not in your grids",
        "field": None,
    }
    # one who cannot see the case at all learns nothing about it
    other = api(world.other_gridadmin).post(f"/api/v1/cases/{case.number}/verify-pass/", {}, format="json")
    assert other.status_code == 404


@pytest.mark.parametrize("segment", sorted(ACTION_PATHS.values()))
def test_a_supervisor_reads_everything_but_may_not_act(api, world, report, segment):
    case = report()
    supervisor = api(world.supervisor)
    assert _listed(supervisor) == {case.number}
    assert supervisor.get(f"/api/v1/cases/{case.number}/events/").status_code == 200
    response = supervisor.post(f"/api/v1/cases/{case.number}/{segment}", {}, format="json")
    assert response.status_code == 403
    assert response.json()["error"]["code"] == "not_allowed"


def test_residents_see_their_own_reports_only(api, world, report):
    own = report(actor=world.resident, source="resident")
    report()
    assert _listed(api(world.resident)) == {own.number}
    body = api(world.resident).get(f"/api/v1/cases/{own.number}/").json()
    assert body["number"] == own.number and body["actions"] == []


def test_staff_may_not_file_and_get_the_roles_that_may(api, world, report):
    case = report()
    response = api(world.staff).post(f"/api/v1/cases/{case.number}/file/", {}, format="json")
    # staff cannot see a case not dispatched to them: 404 before any role talk
    assert response.status_code == 404
    _dispatched_to_sanitation(api, world, case)
    response = api(world.staff).post(f"/api/v1/cases/{case.number}/reject/", {"reason": "x"}, format="json")
    assert response.status_code == 403
    assert response.json()["error"]["message"] == "only a dispatcher may reject a case"


def test_anonymous_callers_get_401_with_the_token_challenge(world, report):
    case = report()
    client = APIClient()
    for path in ("/api/v1/cases/", f"/api/v1/cases/{case.number}/", "/api/v1/categories/"):
        response = client.get(path)
        assert response.status_code == 401
        assert response["WWW-Authenticate"] == "Token"
        assert response.json()["error"]["code"] == "not_authenticated"


def test_a_browser_session_works_and_needs_csrf_for_writes(world, report):
    case = report()
    client = APIClient(enforce_csrf_checks=True)
    client.force_login(world.dispatcher)
    assert client.get(f"/api/v1/cases/{case.number}/").status_code == 200
    response = client.post(f"/api/v1/cases/{case.number}/file/", {}, format="json")
    assert response.status_code == 403
    assert response.json()["error"]["code"] == "permission_denied"
    assert "CSRF" in response.json()["error"]["message"]


def test_a_bad_token_is_401(world):
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION="Token nope")
    response = client.get("/api/v1/cases/")
    assert response.status_code == 401
    assert response.json()["error"]["code"] == "authentication_failed"
