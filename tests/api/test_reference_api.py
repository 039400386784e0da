"""Reference data over the API (categories, departments), point → grid, and token login."""

import pytest
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from cases.models import Category

from ..factories import centre

pytestmark = pytest.mark.django_db


def test_categories_come_as_a_tree_of_active_classes_with_their_limits(api, world):
    Category.objects.filter(code="0102").update(is_active=False)
    tree = api(world.resident).get("/api/v1/categories/").json()
    assert [major["code"] for major in tree] == ["01", "02"]
    waste = tree[0]["minors"][0]
    assert [minor["code"] for minor in tree[0]["minors"]] == ["0101"]
    assert waste == {
        "code": "0101",
        "name": "暴露垃圾",
        "name_en": "",
        "kind": "event",
        "default_priority": 3,
        "around_the_clock": False,
        "filing_minutes": 30,
        "dispatch_minutes": 30,
        "handling_minutes": 240,
        "verification_minutes": 120,
    }
    assert tree[1]["minors"][0]["around_the_clock"] is True


def test_departments_list_the_active_ones(api, world):
    world.roads.is_active = False
    world.roads.save(update_fields=["is_active"])
    assert api(world.dispatcher).get("/api/v1/departments/").json() == [
        {"code": "sanitation", "name": "环卫局"}
    ]


def test_locate_names_the_grid_its_community_and_street(api, world):
    lat, lng = centre(world.g3)
    response = api(world.resident).get("/api/v1/grids/locate/", {"lat": lat, "lng": lng})
    assert response.status_code == 200
    assert response.json() == {
        "code": world.g3.code,
        "name": "孺子第一网格",
        "community": {"code": "360102001002", "name": "孺子社区"},
        "street": {"code": "360102001", "name": "公园街道"},
    }


def test_locate_outside_every_grid_is_404_outside(api, world):
    response = api(world.resident).get("/api/v1/grids/locate/", {"lat": 39.9, "lng": 116.4})
    assert response.status_code == 404
    assert response.json()["error"]["code"] == "outside"


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"lng": 115.89}, "lat"),
        ({"lat": 28.68}, "lng"),
        ({"lat": "north", "lng": 115.89}, "lat"),
        ({"lat": 28.68, "lng": 181}, "lng"),
        ({"lat": "inf", "lng": 115.89}, "lat"),
        ({"lat": 28.68, "lng": "nan"}, "lng"),
    ],
)
def test_locate_names_a_bad_coordinate(api, world, params, field):
    response = api(world.resident).get("/api/v1/grids/locate/", params)
    assert response.status_code == 400
    assert response.json()["error"]["field"] == field


def test_a_token_is_obtained_with_username_and_password_and_then_works(world):
    client = APIClient()
    response = client.post("/api/v1/auth/token/", {"username": "dispatcher", "password": "pw"}, format="json")
    assert response.status_code == 200
    token = response.json()["token"]
    assert token == Token.objects.get(user=world.dispatcher).key
    client.credentials(HTTP_AUTHORIZATION=f"Token {token}")
    assert client.get("/api/v1/cases/").status_code == 200


def test_a_wrong_password_gets_no_token(world):
    response = APIClient().post(
        "/api/v1/auth/token/", {"username": "dispatcher", "password": "no"}, format="json"
    )
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "invalid_input"
    assert not Token.objects.exists()


def test_password_guessing_is_throttled(world, settings):
    settings.REST_FRAMEWORK = {**settings.REST_FRAMEWORK}
    settings.REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"] = {
        **settings.REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"],
        "login": "3/minute",
    }
    client = APIClient()
    guesses = [
        client.post("/api/v1/auth/token/", {"username": "dispatcher", "password": f"guess{i}"}).status_code
        for i in range(4)
    ]
    assert guesses == [400, 400, 400, 429]
