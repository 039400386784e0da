"""The visit pages and the visit API: scopes (another administrator, department staff, residents), recording
with every error at once, a need made a case, the overdue list and the plans."""

import datetime as dt

import pytest
from django.urls import reverse
from django.utils import timezone

from cases.models import Case
from patrols.forms_visits import local_input
from patrols.models import Visit, VisitPlan
from tests.factories import centre

from .test_visits import ago, household, north_of, organisation


def _as(client, user):
    client.force_login(user)
    return client


def _visit(world, *, grid=None, needs=("楼道灯坏了",), **target):
    from patrols import visits

    if not target:
        home, person = household(grid or world.g1, care_tags=["elderly_alone"])
        target = {"resident": person}
    admin = world.other_gridadmin if (grid is not None and grid.pk == world.g3.pk) else world.gridadmin
    return visits.visit_record(actor=admin, visited_at=ago(hours=1), needs=list(needs), **target)


# --- pages --------------------------------------------------------------------------------------------------


def test_an_administrator_lists_the_visits_in_their_grids_only(client, world):
    mine = _visit(world)
    theirs = _visit(world, grid=world.g3)
    page = _as(client, world.gridadmin).get(reverse("visits-list")).content.decode()
    assert reverse("visit-detail", args=[mine.pk]) in page
    assert reverse("visit-detail", args=[theirs.pk]) not in page
    assert "张*明" in page and "张三明" not in page


def test_a_supervisor_lists_every_visit_and_filters_by_grid(client, world):
    mine = _visit(world)
    theirs = _visit(world, grid=world.g3)
    client = _as(client, world.supervisor)
    page = client.get(reverse("visits-list")).content.decode()
    assert (
        reverse("visit-detail", args=[mine.pk]) in page and reverse("visit-detail", args=[theirs.pk]) in page
    )
    page = client.get(reverse("visits-list"), {"grid": world.g3.code}).content.decode()
    assert reverse("visit-detail", args=[mine.pk]) not in page


@pytest.mark.parametrize("persona", ["staff", "resident", "outsider"])
@pytest.mark.parametrize("name", ["visits-list", "visit-new", "visits-overdue", "visit-plans"])
def test_department_staff_residents_and_outsiders_are_refused(client, world, persona, name):
    assert _as(client, getattr(world, persona)).get(reverse(name)).status_code == 403


def test_another_administrator_gets_404_for_the_visit_and_cannot_record_there(client, world):
    visit = _visit(world)
    client = _as(client, world.other_gridadmin)
    assert client.get(reverse("visit-detail", args=[visit.pk])).status_code == 404
    home, person = household(world.g1)
    assert client.get(reverse("visit-new"), {"resident": person.pk}).status_code == 404
    response = client.post(reverse("visit-new"), {"house": home.pk, "visited_at": local_input(ago(hours=1))})
    assert response.status_code == 404
    assert Visit.objects.count() == 1


def test_the_form_records_a_visit_with_its_position_and_needs(client, world):
    home, person = household(world.g1, care_tags=["elderly_alone"])
    client = _as(client, world.gridadmin)
    page = client.get(reverse("visit-new"), {"resident": person.pk}).content.decode()
    assert "张*明" in page and home.address in page and "张三明" not in page
    lat, lng = north_of(home.building.lat, home.building.lng, 30)
    response = client.post(
        reverse("visit-new"),
        {
            "resident": person.pk,
            "house": home.pk,
            "visited_at": local_input(ago(minutes=20)),
            "lat": f"{lat:.6f}",
            "lng": f"{lng:.6f}",
            "accuracy": "15",
            "met": "本人",
            "notes": "身体尚好",
            "needs": "需要助餐服务\n\n楼道灯坏了\n",
        },
    )
    visit = Visit.objects.get()
    assert response.status_code == 302 and response["Location"] == reverse("visit-detail", args=[visit.pk])
    assert (visit.resident_id, visit.house_id, visit.position) == (person.pk, home.pk, Visit.Position.ON_SITE)
    assert visit.needs.count() == 2
    page = client.get(response["Location"]).content.decode()
    assert "需要助餐服务" in page and 'data-map="case"' in page


def test_the_form_shows_every_error_at_once_and_keeps_what_was_typed(client, world):
    home, _person = household(world.g1)
    response = _as(client, world.gridadmin).post(
        reverse("visit-new"),
        {
            "house": home.pk,
            "visited_at": local_input(timezone.now() + dt.timedelta(days=2)),
            "lat": "28.68",
            "lng": "",
            "met": "本人",
            "notes": "记下的话",
            "needs": "x" * 501,
        },
    )
    assert response.status_code == 400
    errors = response.context["errors"]
    assert {e["href"] for e in errors} == {"#v-visited_at", "#v-position", "#v-needs"}
    page = response.content.decode()
    assert "记下的话" in page and 'value="本人"' in page
    assert not Visit.objects.exists()


def test_the_search_finds_houses_and_organisations_in_ones_grids(client, world):
    home, _person = household(world.g1)
    unit = organisation(world.g1, name="洪城饭店")
    organisation(world.g3, n=2, name="洪城超市")
    client = _as(client, world.gridadmin)
    page = client.get(reverse("visit-new"), {"q": home.address}).content.decode()
    assert f"?house={home.pk}" in page
    page = client.get(reverse("visit-new"), {"q": "洪城"}).content.decode()
    assert f"?organisation={unit.pk}" in page and "洪城超市" not in page


def test_a_need_becomes_a_case_from_the_visit_page_once(client, world, django_capture_on_commit_callbacks):
    visit = _visit(world)
    need = visit.needs.get()
    client = _as(client, world.gridadmin)
    url = reverse("visit-need-case", args=[need.pk])
    refused = client.post(url, {f"n{need.pk}-category": ""})
    assert refused.status_code == 400 and not Case.objects.exists()
    with django_capture_on_commit_callbacks(execute=False):
        response = client.post(url, {f"n{need.pk}-category": world.cats.waste.pk})
    assert response.status_code == 302
    case = Case.objects.get()
    assert case.visit_need.pk == need.pk
    again = client.post(url, {f"n{need.pk}-category": world.cats.waste.pk})
    assert again.status_code == 409 and Case.objects.count() == 1


def test_a_supervisor_reads_a_visit_but_cannot_make_its_needs_cases(client, world):
    visit = _visit(world)
    client = _as(client, world.supervisor)
    page = client.get(reverse("visit-detail", args=[visit.pk])).content.decode()
    assert "楼道灯坏了" in page and reverse("visit-need-case", args=[visit.needs.get().pk]) not in page
    assert client.post(reverse("visit-need-case", args=[visit.needs.get().pk])).status_code == 403


def test_the_overdue_page_lists_never_visited_residents_masked_with_a_link_to_record(client, world):
    _home, person = household(world.g1, name="王大明", care_tags=["elderly_alone"])
    page = _as(client, world.gridadmin).get(reverse("visits-overdue")).content.decode()
    assert "王*明" in page and "王大明" not in page
    assert f"{reverse('visit-new')}?resident={person.pk}" in page


def test_a_supervisor_sets_a_plan_and_others_only_read(client, world):
    community = world.communities[0]
    response = _as(client, world.supervisor).post(
        reverse("visit-plans"),
        {"tag": "resident:elderly_alone", "every_days": "5", "community": community.code},
    )
    assert response.status_code == 302
    assert VisitPlan.objects.get().every_days == 5
    refused = _as(client, world.supervisor).post(reverse("visit-plans"), {"tag": "nope", "every_days": "0"})
    assert refused.status_code == 400 and len(refused.context["errors"]) == 2
    client.logout()
    client = _as(client, world.gridadmin)
    assert client.get(reverse("visit-plans")).status_code == 200
    assert (
        client.post(reverse("visit-plans"), {"tag": "resident:disability", "every_days": "3"}).status_code
        == 403
    )


# --- API ----------------------------------------------------------------------------------------------------


def test_the_api_records_a_visit_and_answers_with_it(api, world):
    home, person = household(world.g1)
    lat, lng = north_of(home.building.lat, home.building.lng, 500)
    response = api(world.gridadmin).post(
        "/api/v1/visits/",
        {
            "resident": person.pk,
            "visited_at": ago(minutes=30).isoformat(),
            "lat": lat,
            "lng": lng,
            "accuracy": 10,
            "needs": ["需要助餐服务"],
        },
        format="json",
    )
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["position"] == "far" and body["whom"] == "张*明"
    assert body["needs"][0]["text"] == "需要助餐服务" and body["needs"][0]["case"] is None
    assert response["Location"] == reverse("api-visit-detail", kwargs={"id": body["id"]})


def test_the_api_refuses_outside_ones_grids_with_403_and_bad_input_with_400(api, world):
    home, person = household(world.g1)
    client = api(world.other_gridadmin)
    # A resident the caller cannot see is named as the field at fault; one they can see but not visit is 403.
    response = client.post(
        "/api/v1/visits/", {"resident": person.pk, "visited_at": ago(hours=1).isoformat()}, format="json"
    )
    assert response.status_code == 400 and response.json()["error"]["field"] == "resident"
    own = api(world.gridadmin)
    response = own.post("/api/v1/visits/", {"house": home.pk, "visited_at": "yesterday"}, format="json")
    assert response.status_code == 400 and response.json()["error"]["field"] == "visited_at"
    response = own.post("/api/v1/visits/", {"visited_at": ago(hours=1).isoformat()}, format="json")
    assert response.status_code == 400 and response.json()["error"]["field"] == "target"
    assert not Visit.objects.exists()


def test_a_supervisor_who_reads_every_house_cannot_record_a_visit_through_the_api(api, world):
    other_home, _person = household(world.g3)
    response = api(world.supervisor).post(
        "/api/v1/visits/", {"house": other_home.pk, "visited_at": ago(hours=1).isoformat()}, format="json"
    )
    assert response.status_code == 403 and response.json()["error"]["code"] == "not_allowed"


@pytest.mark.parametrize("persona", ["staff", "resident"])
@pytest.mark.parametrize("url", ["/api/v1/visits/", "/api/v1/visits/overdue/", "/api/v1/visit-plans/"])
def test_department_staff_and_residents_get_403_from_the_api(api, world, persona, url):
    response = api(getattr(world, persona)).get(url)
    assert response.status_code == 403 and response.json()["error"]["code"] == "not_allowed"


def test_the_api_list_is_scoped_and_paginated_and_ids_are_checked(api, world):
    mine = _visit(world)
    theirs = _visit(world, grid=world.g3)
    body = api(world.gridadmin).get("/api/v1/visits/").json()
    assert [row["id"] for row in body["results"]] == [mine.pk]
    assert api(world.gridadmin).get(f"/api/v1/visits/{theirs.pk}/").status_code == 404
    assert api(world.gridadmin).get("/api/v1/visits/abc/").status_code == 404
    detail = api(world.supervisor).get(f"/api/v1/visits/{theirs.pk}/").json()
    assert detail["needs"][0]["text"] == "楼道灯坏了"


def test_the_api_list_queries_do_not_grow_with_the_visits(api, world, django_assert_max_num_queries):
    for _ in range(8):
        _visit(world)
    client = api(world.gridadmin)
    client.get("/api/v1/visits/")  # warm the token and role caches
    with django_assert_max_num_queries(8):
        body = client.get("/api/v1/visits/").json()
    assert len(body["results"]) == 8


def test_the_api_overdue_and_plans(api, world):
    _home, person = household(world.g1, care_tags=["disability"])
    rows = api(world.gridadmin).get("/api/v1/visits/overdue/").json()
    assert [(r["target"], r["id"], r["days_overdue"]) for r in rows] == [("resident", person.pk, None)]
    assert (
        api(world.gridadmin)
        .post(
            "/api/v1/visit-plans/",
            {"target": "resident", "tag": "disability", "every_days": 3},
            format="json",
        )
        .status_code
        == 403
    )
    response = api(world.supervisor).post(
        "/api/v1/visit-plans/",
        {"target": "resident", "tag": "disability", "every_days": 3, "community": world.g1.community.code},
        format="json",
    )
    assert response.status_code == 200, response.content
    plans = api(world.gridadmin).get("/api/v1/visit-plans/").json()
    disability = next(p for p in plans if p["tag"] == "disability")
    assert disability["default_days"] == 30 and disability["communities"] == {world.g1.community.code: 3}
    bad = api(world.supervisor).post(
        "/api/v1/visit-plans/", {"target": "resident", "tag": ["x"], "every_days": 3}, format="json"
    )
    assert bad.status_code == 400 and bad.json()["error"]["field"] == "tag"


def test_the_schema_lists_the_visit_endpoints(api, world):
    schema = api(world.supervisor).get("/api/schema/", {"format": "json"}).json()
    for url in ("/api/v1/visits/", "/api/v1/visits/{id}/", "/api/v1/visits/overdue/", "/api/v1/visit-plans/"):
        assert url in schema["paths"]
    assert schema["paths"]["/api/v1/visits/"]["post"]["tags"] == ["visits"]


def test_an_organisation_visit_through_the_api_is_on_site(api, world):
    unit = organisation(world.g2, risk_tags=["fire_safety"])
    lat, lng = centre(world.g2)
    response = api(world.gridadmin).post(
        "/api/v1/visits/",
        {"organisation": unit.pk, "visited_at": ago(minutes=5).isoformat(), "lat": lat, "lng": lng},
        format="json",
    )
    assert response.status_code == 201 and response.json()["position"] == "on_site"
