"""Case pages: login, scoped detail, workflow actions and their error answers, query counts."""

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from cases.models import CaseState

from .helpers import drive, report

S = CaseState


@pytest.fixture
def client():
    """A browser asking for English (the site's default is zh-hans), so messages can be matched as written."""
    return Client(HTTP_ACCEPT_LANGUAGE="en")


def action_url(case, action: str) -> str:
    return reverse("case-action", args=[case.pk, action])


def test_the_login_page_asks_for_username_and_password(client):
    response = client.get("/login/")
    assert response.status_code == 200
    html = response.content.decode()
    assert 'name="username"' in html and 'name="password"' in html
    assert set(response.context["form"].fields) == {"username", "password"}


def test_it_logs_a_user_in_with_the_form(client, world):
    response = client.post("/login/", {"username": "dispatcher", "password": "pw"})
    assert response.status_code == 302
    assert int(client.session["_auth_user_id"]) == world.dispatcher.pk
    refused = Client(HTTP_ACCEPT_LANGUAGE="en").post(
        "/login/", {"username": "dispatcher", "password": "wrong"}
    )
    assert refused.status_code == 200 and "_auth_user_id" not in refused.wsgi_request.session


def test_it_sends_anonymous_visitors_to_the_login_page(client, world):
    case = report(world)
    response = client.get(reverse("case-detail", args=[case.pk]))
    assert response.status_code == 302 and response.url.startswith("/login/?next=")
    assert client.post(action_url(case, "file")).status_code == 302
    case.refresh_from_db()
    assert case.state == S.REPORTED


def test_a_dispatcher_files_a_case_from_its_page(client, world):
    case = report(world)
    client.force_login(world.dispatcher)
    detail = client.get(reverse("case-detail", args=[case.pk]))
    assert detail.status_code == 200 and "file" in detail.context["actions"]
    response = client.post(action_url(case, "file"), {"version": case.version, "note": "立案"})
    assert response.status_code == 302 and response.url == reverse("case-detail", args=[case.pk])
    case.refresh_from_db()
    assert case.state == S.FILED and case.events.order_by("-seq").first().note == "立案"


def test_it_answers_409_with_the_reason_when_dispatching_a_closed_case(client, world):
    case = drive(world, S.CLOSED)
    client.force_login(world.dispatcher)
    response = client.post(action_url(case, "dispatch"), {"department": world.roads.pk})
    assert response.status_code == 409
    assert "cannot dispatch a case that is closed" in response.content.decode()
    case.refresh_from_db()
    assert case.state == S.CLOSED


def test_it_answers_409_to_a_stale_version(client, world):
    case = report(world)
    seen = case.version
    client.force_login(world.dispatcher)
    assert client.post(action_url(case, "suspend"), {"version": seen, "reason": "挂起"}).status_code == 302
    response = client.post(action_url(case, "file"), {"version": seen})
    assert response.status_code == 409
    assert "changed by someone else" in response.content.decode()
    case.refresh_from_db()
    assert case.state == S.REPORTED


def test_it_answers_400_to_bad_input(client, world):
    case = drive(world, S.FILED)
    client.force_login(world.dispatcher)
    response = client.post(action_url(case, "dispatch"), {"department": ""})
    assert response.status_code == 400 and "choose a department" in response.content.decode()
    response = client.post(action_url(case, "reject"), {"reason": "  "})
    assert response.status_code == 400 and "reason is required" in response.content.decode()


def test_it_answers_403_to_a_role_that_may_see_but_not_act(client, world):
    case = drive(world, S.FILED)
    client.force_login(world.gridadmin)  # the case is in their grid, so they see it
    response = client.post(action_url(case, "dispatch"), {"department": world.sanitation.pk})
    assert response.status_code == 403 and "only a dispatcher may dispatch" in response.content.decode()


def test_it_hides_a_case_from_staff_of_another_department(client, world):
    case = drive(world, S.DISPATCHED)  # to sanitation
    client.force_login(world.other_staff)
    assert client.get(reverse("case-detail", args=[case.pk])).status_code == 404
    assert client.post(action_url(case, "accept")).status_code == 404
    client.force_login(world.staff)
    assert client.get(reverse("case-detail", args=[case.pk])).status_code == 200


def test_it_refuses_verification_by_a_grid_administrator_of_another_grid(client, world):
    case = drive(world, S.RESOLVED, report(world, actor=world.other_gridadmin, grid=world.g3))
    client.force_login(world.gridadmin)
    response = client.post(action_url(case, "verify_pass"), {"version": case.version})
    assert response.status_code in (403, 404)
    case.refresh_from_db()
    assert case.state == S.RESOLVED


def test_it_answers_404_to_an_unknown_action(client, world):
    case = report(world)
    client.force_login(world.dispatcher)
    response = client.post(action_url(case, "teleport"), {"version": case.version})
    assert response.status_code == 404
    case.refresh_from_db()
    assert case.version == 1


def test_it_answers_404_for_a_case_that_does_not_exist(client, world):
    client.force_login(world.dispatcher)
    assert client.get(reverse("case-detail", args=[999999])).status_code == 404


def test_the_detail_page_offers_only_the_actions_the_viewer_may_take(client, world):
    case = drive(world, S.RESOLVED)
    client.force_login(world.gridadmin)
    assert sorted(client.get(reverse("case-detail", args=[case.pk])).context["actions"]) == [
        "delegate_verification",
        "verify_fail",
        "verify_pass",
    ]
    client.force_login(world.staff)
    assert client.get(reverse("case-detail", args=[case.pk])).context["actions"] == []


def _cases(world, n: int) -> None:
    """n cases in a mix of states, so rows show departments and deadlines."""
    for i in range(n):
        case = report(world, grid=(world.g1, world.g2)[i % 2], description=f"问题 {i}")
        if i % 3:
            drive(world, S.DISPATCHED if i % 3 == 1 else S.FILED, case)


def _home_queries(client) -> int:
    with CaptureQueriesContext(connection) as queries:
        response = client.get(reverse("home"))
    assert response.status_code == 200
    return len(queries)


@pytest.mark.parametrize("persona", ["dispatcher", "gridadmin"])
def test_the_home_page_queries_do_not_grow_with_the_cases(client, world, persona):
    client.force_login(getattr(world, persona))
    _cases(world, 5)
    few = _home_queries(client)
    _cases(world, 25)
    many = _home_queries(client)
    assert many == few, f"{few} queries for 5 cases, {many} for 30: a query per row"
    assert many <= 12
