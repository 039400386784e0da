"""The search across all base data: two Chinese characters find buildings and facilities, each result links
to its page, and nobody finds what is outside their scope."""

import pytest
from django.urls import reverse

from places.models import Facility

from . import factories as f

pytestmark = pytest.mark.django_db


def _as(client, user):
    client.force_login(user)
    return client


@pytest.fixture
def places(world):
    building = f.building(world.g1, road="八一大道", number="123", name="1")
    house = f.house(building, unit=1, room="301")
    facility = f.facility(world.g1, code="0101", address="八一大道123号门前", department=world.sanitation)
    elsewhere = f.building(world.g3, road="八一大道", number="900")
    return {"building": building, "house": house, "facility": facility, "elsewhere": elsewhere}


def _groups(response) -> dict[str, list]:
    return {group.kind: [(hit.pk, url) for hit, url in group.hits] for group in response.context["groups"]}


def test_two_chinese_characters_find_a_building_and_a_facility(client, world, places):
    response = _as(client, world.gridadmin).get(reverse("places-search"), {"q": "八一"})
    assert response.status_code == 200
    groups = _groups(response)
    assert groups["building"] == [
        (places["building"].pk, reverse("places-building-detail", args=[places["building"].pk]))
    ]
    assert groups["facility"] == [
        (places["facility"].pk, reverse("places-facility-detail", args=[places["facility"].pk]))
    ]
    assert groups["house"] == [
        (places["house"].pk, reverse("places-house-detail", args=[places["house"].pk]))
    ]
    page = response.content.decode()
    for kind in ("building", "house", "facility"):
        for _pk, url in groups[kind]:
            assert url in page


def test_a_facility_is_found_by_its_class_and_its_code(client, world, places):
    c = _as(client, world.gridadmin)
    facility: Facility = places["facility"]
    assert _groups(c.get(reverse("places-search"), {"q": "井盖"}))["facility"][0][0] == facility.pk
    assert _groups(c.get(reverse("places-search"), {"q": facility.code}))["facility"][0][0] == facility.pk


def test_full_width_digits_find_the_same_building(client, world, places):
    response = _as(client, world.gridadmin).get(reverse("places-search"), {"q": " １２３ "})
    assert [pk for pk, _url in _groups(response)["building"]] == [places["building"].pk]


def test_an_administrator_does_not_find_another_grids_rows(client, world, places):
    response = _as(client, world.gridadmin).get(reverse("places-search"), {"q": "900"})
    assert "building" not in _groups(response)
    response = _as(client, world.other_gridadmin).get(reverse("places-search"), {"q": "八一"})
    assert _groups(response) == {
        "building": [
            (places["elsewhere"].pk, reverse("places-building-detail", args=[places["elsewhere"].pk]))
        ]
    }


def test_a_supervisor_finds_everything(client, world, places):
    response = _as(client, world.supervisor).get(reverse("places-search"), {"q": "八一"})
    assert len(_groups(response)["building"]) == 2


def test_department_staff_find_their_departments_facilities_only(client, world, places):
    response = _as(client, world.staff).get(reverse("places-search"), {"q": "八一"})
    assert set(_groups(response)) == {"facility"}
    response = _as(client, world.other_staff).get(reverse("places-search"), {"q": "八一"})
    assert _groups(response) == {}


@pytest.mark.parametrize("persona", ["resident", "outsider"])
def test_residents_and_outsiders_get_403(client, world, persona):
    assert (
        _as(client, getattr(world, persona)).get(reverse("places-search"), {"q": "八一"}).status_code == 403
    )


def test_anonymous_visitors_are_sent_to_log_in(client):
    response = client.get(reverse("places-search"), {"q": "八一"})
    assert response.status_code == 302 and reverse("login") in response["Location"]


def test_empty_and_bad_text(client, world, places):
    c = _as(client, world.gridadmin)
    response = c.get(reverse("places-search"))
    assert response.status_code == 200 and response.context["groups"] == []
    assert c.get(reverse("places-search"), {"q": "八一\x07"}).status_code == 400
    assert c.get(reverse("places-search"), {"q": "八" * 400}).status_code == 400
    response = c.get(reverse("places-search"), {"q": "无此地名"})
    assert response.status_code == 200 and response.context["groups"] == []
