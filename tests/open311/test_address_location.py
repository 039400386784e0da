"""Locating by the standard addresses: Open311 requests sent with only `address_string` or `address_id`, the
`attribute[facility]` extension, and the report form's address search (case-report-locate)."""

import pytest
from django.urls import reverse

from cases.models import Case
from places.models import Facility

from ..factories import centre
from ..places import factories as place_factories
from .conftest import descriptions, json_of, post_form

VARIANTS = [
    "八一大道123号1栋2单元301",
    "江西省南昌市东湖区八一大道123号1栋2单元301",
    "八一大道１２３号一栋二单元301室",
    "南昌八一大道 123 号恒茂小区 1#楼 2-301",
]


@pytest.fixture
def home(world):
    """Building 八一大道123号1栋 in grid 2 (off its centre), with house 2单元301."""
    lat, lng = centre(world.g2)
    building = place_factories.building(
        world.g2, number="123号", name="1栋", lat=lat + 0.002, lng=lng - 0.001
    )
    return place_factories.house(building, unit=2, room="301", floor=3)


@pytest.fixture
def form(world, demo_key):
    """A request without coordinates; tests add where it is."""
    return {"api_key": demo_key.key, "service_code": world.cats.waste.code, "description": "楼道堆放垃圾"}


def _created(response) -> Case:
    assert response.status_code == 200, response.content
    return Case.objects.get(number=json_of(response)[0]["service_request_id"])


# --- Open311: address_string ---


@pytest.mark.parametrize("written", VARIANTS)
def test_an_address_string_alone_locates_the_request(client, world, home, form, written):
    case = _created(post_form(client, "requests.json", form | {"address_string": written}))

    assert (case.lat, case.lng) == (home.building.lat, home.building.lng)
    assert case.grid == world.g2
    assert case.address == home.address  # the standard address, however it was written


def test_an_address_string_naming_only_the_building_locates_it(client, home, form):
    case = _created(post_form(client, "requests.json", form | {"address_string": "八一大道123号1栋"}))

    assert (case.lat, case.lng) == (home.building.lat, home.building.lng)


@pytest.mark.parametrize("fmt", ["json", "xml"])
def test_an_address_that_matches_nothing_is_400_naming_the_field(client, home, form, fmt):
    response = post_form(client, f"requests.{fmt}", form | {"address_string": "八一大道999号1栋"})

    assert response.status_code == 400
    said = descriptions(response, fmt)
    assert said.startswith("address_string:") and "八一大道999号" in said
    assert not Case.objects.exists()


def test_an_unreadable_address_string_is_400_naming_the_field(client, home, form):
    response = post_form(client, "requests.json", form | {"address_string": "我家楼下"})

    assert response.status_code == 400
    assert descriptions(response).startswith("address_string:")


def test_coordinates_win_over_an_address_string(client, world, home, form):
    lat, lng = centre(world.g1)
    case = _created(
        post_form(client, "requests.json", form | {"lat": lat, "long": lng, "address_string": VARIANTS[0]})
    )

    assert (case.lat, case.lng) == (lat, lng)
    assert case.address == VARIANTS[0]  # kept as the client's description of the place


def test_a_request_with_no_place_at_all_names_every_way_to_give_one(client, form):
    response = post_form(client, "requests.json", form)

    assert response.status_code == 400
    assert "send lat and long (WGS84), address_string or address_id" in descriptions(response)


# --- Open311: address_id ---


@pytest.mark.parametrize("prefix", ["h", "H", ""])
def test_an_address_id_names_a_house(client, home, form, prefix):
    case = _created(post_form(client, "requests.json", form | {"address_id": f"{prefix}{home.pk}"}))

    assert (case.lat, case.lng) == (home.building.lat, home.building.lng)
    assert case.address == home.address


def test_an_address_id_names_a_building(client, home, form):
    case = _created(post_form(client, "requests.json", form | {"address_id": f"b{home.building.pk}"}))

    assert case.address == home.building.address


@pytest.mark.parametrize(
    ("sent", "says"),
    [("b999999", "names no building"), ("h999999", "names no house"), ("x12", "is not an address id")],
)
def test_an_unknown_address_id_is_400_naming_the_field(client, home, form, sent, says):
    response = post_form(client, "requests.json", form | {"address_id": sent})

    assert response.status_code == 400
    said = descriptions(response)
    assert said.startswith("address_id") and says in said


# --- Open311: attribute[facility] ---


def test_a_request_names_a_facility_by_its_code(client, world, form):
    lat, lng = centre(world.g3)
    cover = place_factories.facility(world.g3, lat=lat, lng=lng, department=world.roads)

    case = _created(post_form(client, "requests.json", form | {"attribute[facility]": cover.code}))

    assert case.facility == cover
    assert (case.lat, case.lng, case.grid) == (cover.lat, cover.lng, world.g3)
    assert case.category == world.cats.waste  # the service the client chose
    assert Facility.objects.get(pk=cover.pk).state == Facility.State.DAMAGED


def test_an_unknown_facility_code_is_400_naming_the_attribute(client, form):
    response = post_form(client, "requests.json", form | {"attribute[facility]": "3601020101999999"})

    assert response.status_code == 400
    assert descriptions(response).startswith("attribute[facility]: there is no facility")


# --- the report form's address search ---


def _locate(client, address):
    return client.get(reverse("case-report-locate"), {"address": address})


def test_the_report_form_finds_every_variant_at_one_point(client, world, home):
    client.force_login(world.gridadmin)

    answers = [_locate(client, written).json() for written in VARIANTS]

    assert {(a["lat"], a["lng"]) for a in answers} == {(home.building.lat, home.building.lng)}
    assert answers[0]["address"] == home.address
    assert answers[0]["grid"] == world.g2.label


def test_the_report_form_says_when_an_address_matches_nothing(client, world, home):
    client.force_login(world.gridadmin)

    response = _locate(client, "八一大道999号1栋")

    assert response.status_code == 400
    error = response.json()["error"]
    assert error["field"] == "address" and "八一大道999号" in error["message"]


def test_the_report_form_asks_for_an_address_to_find(client, world):
    client.force_login(world.gridadmin)

    assert _locate(client, " ").status_code == 400


def test_a_resident_learns_the_building_not_whether_the_house_is_on_record(client, world, home):
    client.force_login(world.resident)

    answer = _locate(client, VARIANTS[0]).json()

    assert answer["address"] == home.building.address


def test_the_address_search_is_for_reporters_only(client, world, home):
    client.force_login(world.staff)
    assert _locate(client, VARIANTS[0]).status_code == 403
    client.logout()
    assert _locate(client, VARIANTS[0]).status_code == 302  # to the login page
