"""No N+1: what a list costs in queries does not grow with its length."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from cases.models import Case, Category

pytestmark = pytest.mark.django_db


def _queries(client, path: str) -> tuple[int, object]:
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(path)
    assert response.status_code == 200, response.json()
    return len(ctx), response.json()


def _reports(world, report, n: int) -> None:
    for _ in range(n):
        report(actor=world.resident, source="resident")
    # every persona's scope covers them: reported by the resident, in grid 1, held by sanitation
    Case.objects.update(department=world.sanitation, suggested_department=world.roads)


@pytest.mark.parametrize("persona", ["dispatcher", "gridadmin", "staff", "resident", "supervisor"])
def test_the_case_list_costs_the_same_for_5_and_25_cases(api, world, report, persona):
    client = api(getattr(world, persona))
    _reports(world, report, 5)
    few, body = _queries(client, "/api/v1/cases/?page_size=100")
    assert len(body["results"]) == 5
    _reports(world, report, 20)
    many, body = _queries(client, "/api/v1/cases/?page_size=100&state=reported&street=360102001")
    assert len(body["results"]) == 25
    assert many == few


def test_the_timeline_costs_the_same_for_few_and_many_events(api, world, report):
    client = api(world.dispatcher)
    short = report()
    long = report()
    for _ in range(5):
        client.post(f"/api/v1/cases/{long.number}/suspend/", {"reason": "待协调"}, format="json")
        client.post(f"/api/v1/cases/{long.number}/resume/", {}, format="json")
    few, body = _queries(client, f"/api/v1/cases/{short.number}/events/")
    many, body_long = _queries(client, f"/api/v1/cases/{long.number}/events/")
    assert (len(body["events"]), len(body_long["events"])) == (1, 11)
    assert many == few


def test_the_category_tree_costs_the_same_for_any_size(api, world):
    client = api(world.dispatcher)
    few, _ = _queries(client, "/api/v1/categories/")
    for n in range(3, 8):
        major = Category.objects.create(code=f"0{n}", name=f"大类{n}", kind="event")
        for m in range(1, 4):
            Category.objects.create(code=f"0{n}0{m}", name=f"小类{n}{m}", kind="event", parent=major)
    many, tree = _queries(client, "/api/v1/categories/")
    assert len(tree) == 7
    assert many == few
